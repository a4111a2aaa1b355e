"""A worker's emulator kept in step with the shared store (``serve --store``).

Each worker keeps its :class:`~secretmock.engine.emulator.Emulator` (its in-process
stores) as a cache of the store, with the version of everything it loaded. A request
(:meth:`SharedState.handle`, in place of the in-process path) runs inside its vendor
store's transaction:

1. one :meth:`~.backend.Backend.snapshot` read; a newer config (fault rules, clock,
   vendor versions) is applied, and every tenant whose version differs is loaded;
2. the pipeline's steps as in-process (:meth:`VendorPipeline.serve`); the journal entry
   is made, not yet written;
3. if the handler changed its tenant (the transaction's undo log is not empty), ONE
   compare-and-commit of the tenant's document with the journal entry, from the version
   the worker loaded; else the entry alone is appended.

On a conflict (another worker committed that tenant first) the change is undone, the
fault rules' counts this attempt took are given back, and the request runs again on the
newer tenant, up to :data:`MAX_TRIES` times with a jittered pause; then it gets its
vendor's 503 with ``Retry-After: 1``, journaled. A store that cannot be reached gets
that same 503 (not journaled: the journal is in the store) and the change undone;
nothing is half written, and the next request tries the store again.

What changes the config (the admin API's fault rules and clock) goes through
:meth:`SharedState.change_config`; what replaces the whole state (a reset, a state
document) through :meth:`SharedState.publish`, one ``replace`` every worker sees at its
next request.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from secretmock.engine.pipeline import Outcome, VendorPipeline
from secretmock.engine.shared.backend import Backend, StoreError, StoreUnavailable
from secretmock.engine.shared.journal import SharedJournal
from secretmock.engine.state import (
    RecordReader,
    StateError,
    dump_clock,
    dump_tenant,
    parse_clock,
    read_tenant,
    record_reader,
)
from secretmock.engine.store import TenantState, untracked
from secretmock.engine.vendor_api import Vendor

if TYPE_CHECKING:
    from secretmock.engine.emulator import Emulator
    from secretmock.engine.incoming import IncomingRequest
    from secretmock.engine.pipeline import Observer

log = logging.getLogger("secretmock")

MAX_TRIES = 8
"""How many times a request runs against a tenant other workers keep changing."""
BACKOFF_S = 0.001
"""The first retry waits up to this long (jittered), each next one up to twice longer."""
RETRY_AFTER = 1
"""Seconds a client is told to wait (``Retry-After``) when the store cannot serve it."""
CONFIG_FORMAT = 1

T = TypeVar("T")


class _Conflict(Exception):
    """Another worker committed the tenant since this one loaded it."""


class _Counted(threading.local):
    steps: list[tuple[str, int]] | None = None
    """The fault counts this thread's request took (rule id, +1 or -1)."""
    failed: StoreError | None = None


class SharedHits:
    """The fault rules' counts in the store (a
    :class:`~secretmock.engine.faults.HitCounter`), with what each request took, so that
    a request run again after a conflict is counted once. A store that fails here counts
    nothing; the request path then answers 503 (:meth:`check`)."""

    def __init__(self, backend: Backend, scope: str) -> None:
        self.backend = backend
        self.scope = scope
        self._request = _Counted()

    def begin(self) -> None:
        self._request.steps = []
        self._request.failed = None

    def hit(self, rule_id: str) -> int:
        return self._count(rule_id, 1)

    def unhit(self, rule_id: str) -> int:
        return self._count(rule_id, -1)

    def _count(self, rule_id: str, step: int) -> int:
        request = self._request
        try:
            count = (self.backend.hit if step > 0 else self.backend.unhit)(self.scope, rule_id)
        except StoreError as exc:
            request.failed = exc
            return 0
        if request.steps is not None:
            request.steps.append((rule_id, step))
        return count

    def check(self) -> None:
        """Raises the store's failure if counting failed during this request."""
        failed = self._request.failed
        if failed is not None:
            raise failed

    def give_back(self) -> None:
        """Takes back every count this request took (best effort: a store that fails
        now keeps them)."""
        steps, self._request.steps = self._request.steps or [], []
        with contextlib.suppress(StoreError):
            for rule_id, step in reversed(steps):
                (self.backend.unhit if step > 0 else self.backend.hit)(self.scope, rule_id)


class SharedState:
    """One emulator (a server's root, or a sandbox: ``scope``) over a shared store."""

    def __init__(self, emulator: Emulator, backend: Backend, scope: str = "") -> None:
        self.emulator = emulator
        self.backend = backend
        self.scope = scope
        self.journal = SharedJournal(backend, scope)
        self.hits = SharedHits(backend, scope)
        self.config_version = 0
        """The version of the config this worker applied last."""
        self._seen: tuple[int, object] = (-1, None)
        """The clock's version and the fault rules (a tuple replaced on every change) as
        this worker last applied or wrote them: anything else is a change made here
        directly (the pytest plugin's handle), written to the store at the next request."""
        self._config_lock = threading.Lock()
        self._versions: dict[str, dict[str, int]] = {name: {} for name in emulator.pipelines}
        """Per vendor, the version of each tenant this worker holds."""
        self._readers: dict[int, tuple[Vendor, RecordReader]] = {}

    # -- start ----------------------------------------------------------------------

    def attach(self) -> None:
        """Seeds an empty store from the emulator (its fixtures, clock, fault rules and
        versions: the first worker to start wins) and makes the emulator serve the
        store's state from now on. Raises :class:`StoreError` (nothing changed here)."""
        self.backend.replace(
            self.scope, self._documents(), self._config_document(), only_if_empty=True
        )
        emulator = self.emulator
        emulator.journal = self.journal  # type: ignore[assignment]
        emulator.faults.counter = self.hits
        for pipeline in emulator.pipelines.values():
            pipeline.journal = self.journal  # type: ignore[assignment]
            with pipeline.store.transaction():
                pipeline.store.clear()
        self.refresh()
        for pipeline in emulator.pipelines.values():
            pipeline.share(self)

    # -- the request path -----------------------------------------------------------

    def handle(
        self, pipeline: VendorPipeline, request: IncomingRequest, observer: Observer | None
    ) -> Outcome:
        """Serves ``request`` in step with the store (see the module); never raises."""
        transaction = pipeline.store.transaction()
        for attempt in range(MAX_TRIES):
            self.hits.begin()
            try:
                with transaction:
                    self._sync(pipeline)
                    outcome = pipeline.serve(request, observer)
                    record = self.journal.take()
                    self.hits.check()
                    self._save(pipeline, transaction.changed, outcome, record)
                return outcome
            except _Conflict:
                self.hits.give_back()
                time.sleep(random.uniform(0, BACKOFF_S * 2**attempt))
            except StoreError as exc:
                self.hits.give_back()
                log.warning("%s: store unavailable: %s", pipeline.vendor.name, exc)
                return pipeline.refuse(request, 503, RETRY_AFTER)
        log.warning("%s: %d conflicting tries, answered 503", pipeline.vendor.name, MAX_TRIES)
        outcome = pipeline.refuse(request, 503, RETRY_AFTER)
        with contextlib.suppress(StoreError):
            self.backend.append(self.scope, self.journal.take())
        return outcome

    def _sync(self, pipeline: VendorPipeline) -> None:
        """ONE read, then whatever changed since this worker last looked (in the
        vendor's transaction: nothing else reads or writes its tenants meanwhile)."""
        name = pipeline.vendor.name
        versions = self.backend.snapshot(self.scope, name)
        if versions.config != self.config_version:
            self.refresh_config()
        elif self._seen != self._local_config():
            self.change_config(lambda: None)  # a change made here: for every worker
        if versions.tenants != self._versions[name]:
            self._sync_tenants(pipeline, versions.tenants)

    def _save(self, pipeline: VendorPipeline, changed: bool, outcome: Outcome, record: Any) -> None:
        """Commits the request's tenant with its journal entry, or appends the entry
        alone when no stored tenant changed; :class:`_Conflict` when another worker
        committed the tenant first."""
        entry = outcome.entry
        tenant_id = entry.tenant if entry is not None else None
        tenant = pipeline.store.get(tenant_id) if changed and tenant_id is not None else None
        if tenant is None:  # nothing changed, or only a tenant no one holds (unknown)
            self.backend.append(self.scope, record)
            return
        assert tenant_id is not None
        name = pipeline.vendor.name
        held = self._versions[name]
        version = self.backend.commit(
            self.scope, name, tenant_id, held.get(tenant_id, 0), _encode_tenant(tenant), record
        )
        if version is None:
            held[tenant_id] = -1  # not the version the store holds: loaded again
            raise _Conflict
        held[tenant_id] = version

    # -- keeping in step --------------------------------------------------------------

    def refresh(self) -> None:
        """Brings the whole emulator in step with the store (the admin API's reads):
        config, the fault rules' counts, every vendor's tenants."""
        self.refresh_config()
        self.emulator.faults.counted(self.backend.hits(self.scope))
        for pipeline in self.emulator.pipelines.values():
            with pipeline.store.transaction():
                versions = self.backend.snapshot(self.scope, pipeline.vendor.name)
                self._sync_tenants(pipeline, versions.tenants)

    def refresh_config(self) -> None:
        """Applies the store's config if it is newer than the one applied."""
        with self._config_lock:
            version, document = self.backend.config(self.scope)
            if version != self.config_version and document is not None:
                self._apply_config(document)
                self.config_version = version
                self._seen = self._local_config()

    def _apply_config(self, document: bytes) -> None:
        emulator = self.emulator
        try:
            config = json.loads(document)
            clock = parse_clock(config["clock"])
            emulator.apply_versions(config["versions"])
            emulator.faults.restore(config["faults"], config["next_fault"])
            emulator.clock.restore(clock)
        except (ValueError, KeyError, TypeError) as exc:
            message = f"{self.backend.url}: the store's config cannot be read: {exc}"
            raise StoreError(message) from exc
        emulator.faults.counted(self.backend.hits(self.scope))

    def _sync_tenants(self, pipeline: VendorPipeline, current: Mapping[str, int]) -> None:
        """Loads every tenant whose version differs from the one held; drops those the
        store no longer has."""
        name = pipeline.vendor.name
        held = self._versions[name]
        store = pipeline.store
        for tenant_id in [t for t in held if t not in current]:
            store.remove(tenant_id)
            del held[tenant_id]
        stale = [t for t, version in current.items() if held.get(t) != version]
        if not stale:
            return
        for tenant_id, (version, document) in self.backend.load(self.scope, name, stale).items():
            if document is None:
                store.remove(tenant_id)
                held.pop(tenant_id, None)
            else:
                with untracked():  # loaded, not changed: nothing for the request to commit
                    tenant = self._read_tenant(pipeline.vendor, tenant_id, document)
                store.put(tenant)
                held[tenant_id] = version

    def _read_tenant(self, vendor: Vendor, tenant_id: str, document: bytes) -> TenantState[Any]:
        cached = self._readers.get(id(vendor))
        if cached is None or cached[0] is not vendor:
            cached = self._readers[id(vendor)] = (vendor, record_reader(vendor.record_type))
        key = vendor.record_key
        try:
            return read_tenant(
                json.loads(document),
                f"{vendor.name}/{tenant_id}",
                tenant_id,
                vendor.roles,
                cached[1],
                None if key is None else (lambda record: str(getattr(record, key))),
            )
        except (ValueError, StateError) as exc:
            message = f"{self.backend.url}: tenant {vendor.name}/{tenant_id}: {exc}"
            raise StoreError(message) from exc

    # -- changes from the admin API -----------------------------------------------------

    def change_config(self, change: Callable[[], T]) -> T:
        """Runs ``change`` (of the fault rules, the clock or the vendor versions) on the
        store's latest config and writes the result there, again from the newer one if
        another worker changed it meanwhile. What ``change`` raises leaves the store as
        it was (the emulator is set back from it at its next refresh)."""
        for _ in range(MAX_TRIES):
            self.refresh_config()
            with self._config_lock:
                expected = self.config_version
                try:
                    result = change()
                except BaseException:
                    self.config_version = -1  # what the change did here is undone
                    raise
                try:
                    version = self.backend.set_config(
                        self.scope, self._config_document(), expected_version=expected
                    )
                except StoreError:
                    self.config_version = -1  # not stored: set back at the next refresh
                    raise
                if version is not None:
                    self.config_version = version
                    self._seen = self._local_config()
                    return result
                self.config_version = -1
        raise StoreUnavailable(f"{self.backend.url}: the config keeps changing; try again")

    def publish(self) -> None:
        """Writes the emulator's whole state (tenants and config) to the store as ONE
        replace, which every worker serves from its next request on (a reset, a state
        document restored). The fault rules' counts start again."""
        config = self._config_document()
        try:
            self.backend.replace(self.scope, self._documents(), config)
        except StoreError:
            self._forget()  # not stored: this worker serves the store's state again
            raise
        with self._config_lock:
            version, stored = self.backend.config(self.scope)
            # What this worker wrote is what it holds (unless another wrote since).
            self.config_version = version if stored == config else -1
            self._seen = self._local_config()
        for name, pipeline in self.emulator.pipelines.items():
            with pipeline.store.transaction():  # no request of this worker mid-sync
                self._versions[name].clear()  # loaded again at the next request

    def _forget(self) -> None:
        """Drops everything this worker holds, to be loaded again from the store at its
        next request (after a change here the store did not take)."""
        with self._config_lock:
            self.config_version = -1
        for name, pipeline in self.emulator.pipelines.items():
            with pipeline.store.transaction():
                pipeline.store.clear()
                self._versions[name].clear()

    def put_tenant(self, pipeline: VendorPipeline, put: Callable[[], TenantState[Any]]) -> None:
        """Runs ``put`` (which makes and puts one tenant in ``pipeline``'s store, inside
        its transaction) on the store's latest state, and commits the tenant."""
        name = pipeline.vendor.name
        for _ in range(MAX_TRIES):
            with pipeline.store.transaction():
                self._sync(pipeline)
                with untracked():
                    tenant = put()
                held = self._versions[name]
                expected = held.get(tenant.tenant_id, 0)
                held[tenant.tenant_id] = -1  # a put is not undone: reloaded unless committed
                version = self.backend.commit(
                    self.scope, name, tenant.tenant_id, expected, _encode_tenant(tenant), None
                )
                if version is not None:
                    held[tenant.tenant_id] = version
                    return
        raise StoreUnavailable(f"{self.backend.url}: the tenant keeps changing; try again")

    def _local_config(self) -> tuple[int, object]:
        return self.emulator.clock.version, self.emulator.faults.active

    # -- documents ----------------------------------------------------------------------

    def _documents(self) -> dict[str, dict[str, bytes]]:
        documents = {}
        for name, pipeline in self.emulator.pipelines.items():
            with pipeline.store.transaction():
                documents[name] = {t.tenant_id: _encode_tenant(t) for t in pipeline.store.tenants()}
        return documents

    def _config_document(self) -> bytes:
        emulator = self.emulator
        rules, next_id = emulator.faults.exported()
        config = {
            "format": CONFIG_FORMAT,
            "clock": dump_clock(emulator.clock.reading()),
            "versions": emulator.versions(),
            "faults": rules,
            "next_fault": next_id,
        }
        return json.dumps(config, separators=(",", ":")).encode()


def _encode_tenant(tenant: TenantState[Any]) -> bytes:
    return json.dumps(dump_tenant(tenant), separators=(",", ":"), ensure_ascii=False).encode()
