"""The handle a test gets from the ``secretmock`` pytest fixture (usable without pytest).

It sees one running emulator from one moment on (the start of the test): the base URL of
each vendor, the tenants' state, the requests made since, and the spec violations they
caused. It also drives the scenario: fault rules (:meth:`SecretMock.fault`), the
emulated clock (:attr:`SecretMock.clock`) and whole-state snapshots.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from secretmock.engine.emulator import Emulator
from secretmock.engine.journal import REDACTED, JournalEntry
from secretmock.engine.state import restore_state, state_document
from secretmock.engine.violations import Violation
from secretmock.testing.handles import ClockHandle, FaultHandle
from secretmock.testing.intercept import Interceptor


class SpecViolationError(AssertionError):
    """A test's requests broke a vendor's spec (contract mode)."""


class SecretMock:
    """One test's view of the emulator. See docs/pytest.md."""

    def __init__(self, emulator: Emulator, root_url: str, strict: bool = True) -> None:
        self.emulator = emulator
        self.root_url = root_url
        self.strict = strict
        self._start = emulator.journal.last_seq()
        self._expected: list[tuple[int, int]] = []  # seq ranges where violations are expected
        self.clock = ClockHandle(emulator.clock)
        """The emulated clock: ``now``, ``set(moment)``, ``advance(seconds)``."""

    # -- where things are --------------------------------------------------------------

    def url(self, vendor: str) -> str:
        """The base URL to give a client of ``vendor`` (prefix plus the spec's base path)."""
        return f"{self.root_url}{self.emulator.pipelines[vendor].base_path}"

    @property
    def urls(self) -> dict[str, str]:
        """Every vendor's base URL, by vendor name."""
        return {name: self.url(name) for name in self.emulator.pipelines}

    # -- state ---------------------------------------------------------------------------

    def add_tenant(
        self,
        vendor: str,
        tenant: str,
        credentials: list[Mapping[str, Any]] | None = None,
        secrets: list[Mapping[str, Any]] | None = None,
    ) -> None:
        """Creates or replaces a tenant (fixtures-file form; raises FixtureError if bad)."""
        entry = {"credentials": credentials or [], "secrets": secrets or []}
        self.emulator.put_tenant(vendor, tenant, entry)

    def secrets(self, vendor: str, tenant: str) -> list[dict[str, Any]]:
        """The tenant's stored secrets, values included; ``[]`` for an unknown tenant."""
        snapshot = self.emulator.tenant_snapshot(vendor, tenant)
        return list(snapshot["secrets"]) if snapshot else []

    def snapshot(self) -> dict[str, Any]:
        """The whole state (every vendor, tenant, credential, record and the clock) as the
        JSON document ``GET /__admin__/state`` answers; nothing shared with the live state."""
        return state_document(self.emulator)

    def restore(self, document: Any) -> None:
        """Puts a :meth:`snapshot` back (or any state document); raises
        :class:`~secretmock.engine.state.StateError` naming a problem, changing nothing."""
        restore_state(self.emulator, document)

    # -- scenario: faults -----------------------------------------------------------------

    def fault(
        self,
        vendor: str,
        operation: str | None = None,
        *,
        tenant: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        delay: float | timedelta | None = None,
        disconnect: bool = False,
        after: int = 0,
        times: int | None = None,
        commit: bool = False,
    ) -> FaultHandle:
        """Adds a fault rule (docs/scenarios.md; ``delay`` in seconds) and returns its
        handle: ``id``, ``hits``, ``remaining``, ``remove()``; as a context manager it
        removes the rule at the end of the block. Every test starts with no rules. A bad
        field raises :class:`~secretmock.engine.faults.FaultRuleError` naming it."""
        if isinstance(delay, timedelta):
            delay = delay.total_seconds()
        rule: dict[str, Any] = {
            "vendor": vendor,
            "operation": operation,
            "tenant": tenant,
            "status": status,
            "retry_after": retry_after,
            "delay_ms": None if delay is None else round(delay * 1000),
            "disconnect": disconnect,
            "after": after,
            "times": times,
            "commit": commit,
        }
        rules = self.emulator.faults
        return FaultHandle(rules, rules.add(rule))

    # -- what happened -----------------------------------------------------------------

    @property
    def journal(self) -> list[JournalEntry]:
        """The requests made since this handle was created, oldest first."""
        return self.emulator.journal.entries(self._start)

    @property
    def violations(self) -> list[tuple[JournalEntry, Violation]]:
        """Every spec violation of :attr:`journal`, with its request."""
        return [(entry, v) for entry in self.journal for v in entry.violations]

    def unexpected_violations(self) -> list[tuple[JournalEntry, Violation]]:
        """Request violations outside every :meth:`expect_violations` block."""
        return [
            (entry, violation)
            for entry, violation in self.violations
            if violation.part != "response"
            and not any(low < entry.seq <= high for low, high in self._expected)
        ]

    @contextmanager
    def expect_violations(self) -> Iterator[None]:
        """Requests made inside this block may break the spec without failing the test."""
        low = self.emulator.journal.last_seq()
        try:
            yield
        finally:
            self._expected.append((low, self.emulator.journal.last_seq()))

    def assert_called(
        self,
        vendor: str,
        operation_id: str,
        *,
        tenant: str | None = None,
        status: int | None = None,
        body: Mapping[str, Any] | None = None,
        count: int | None = None,
    ) -> JournalEntry:
        """The latest request matching every given criterion. With ``count``, exactly
        that many requests (at least one) must match. On failure the AssertionError lists
        the matching requests, if any, and those that came closest. ``body`` matches by
        top-level fields (secret values are redacted and cannot be matched)."""
        if count is not None and count < 1:
            raise ValueError(f"count must be at least 1 (got {count}); use assert_not_called")
        query = _Query(vendor, operation_id, tenant, status, body)
        matching = query.matching(self.journal)
        if matching and count in (None, len(matching)):
            return matching[-1]
        if count is None:
            head = f"no request matched {query.described()}"
        else:
            head = f"expected {count} request(s) matching {query.described()}"
        raise AssertionError(query.report(self.journal, head))

    def assert_not_called(
        self,
        vendor: str,
        operation_id: str,
        *,
        tenant: str | None = None,
        status: int | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        """No request since the test began matches every given criterion (the filters of
        :meth:`assert_called`); on failure the AssertionError lists those that did."""
        query = _Query(vendor, operation_id, tenant, status, body)
        if query.matching(self.journal):
            head = f"expected no request matching {query.described()}"
            raise AssertionError(query.report(self.journal, head))

    # -- interception -----------------------------------------------------------------

    @contextmanager
    def intercept(self, **base_urls: str) -> Iterator[Interceptor]:
        """Sends ``requests``/``httpx`` calls for the vendors' real hosts (and the base URLs
        named here, e.g. ``insforge="https://demo.insforge.app"``) to the emulator."""
        with Interceptor(self.emulator, base_urls) as interceptor:
            yield interceptor

    def violation_report(self) -> str:
        """A message that teaches: one line per unexpected violation."""
        lines = [
            f"{entry.vendor} {entry.operation_id or '?'} ({entry.method} {entry.path}): "
            + violation.describe()
            for entry, violation in self.unexpected_violations()
        ]
        return "requests broke the vendor's spec:\n  " + "\n  ".join(lines)


class _Query:
    """The filters of ``assert_called``/``assert_not_called`` and how a journal meets them.

    Each given filter is one criterion; a request matches when it meets all of them, and
    the requests that meet most of them are the closest misses."""

    def __init__(
        self,
        vendor: str,
        operation_id: str,
        tenant: str | None,
        status: int | None,
        body: Mapping[str, Any] | None,
    ) -> None:
        wanted = {
            "vendor": vendor,
            "operation_id": operation_id,
            "tenant": tenant,
            "status": status,
        }
        self.criteria = [(k, v) for k, v in wanted.items() if v is not None]
        self.criteria += [(f"body.{k}", v) for k, v in (body or {}).items()]

    def misses(self, entry: JournalEntry) -> list[tuple[str, Any]]:
        """The criteria ``entry`` does not meet."""
        return [(k, v) for k, v in self.criteria if _actual(entry, k) != v]

    def matching(self, journal: list[JournalEntry]) -> list[JournalEntry]:
        return [entry for entry in journal if not self.misses(entry)]

    def described(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.criteria)

    def report(self, journal: list[JournalEntry], head: str) -> str:
        """``head``, then the requests that matched and the three closest that did not,
        each with how it differs."""
        if not journal:
            return f"{head}: this test made no request to secretmock"
        matching = self.matching(journal)
        others = [entry for entry in journal if entry not in matching]
        closest = sorted(others, key=lambda e: len(self.misses(e)))[:3]
        lines = [head + ("; the closest were:" if not matching else f"; {len(matching)} did:")]
        lines += [f"  {_describe(entry)}" for entry in matching]
        if matching and closest:
            lines.append("the closest others were:")
        lines += [f"  {_describe(e)} differs in {self._differences(e)}" for e in closest]
        return "\n".join(lines)

    def _differences(self, entry: JournalEntry) -> str:
        return "; ".join(
            f"{k}: {_actual(entry, k)!r}" + (" (redacted)" if _actual(entry, k) == REDACTED else "")
            for k, _ in self.misses(entry)
        )


def _describe(entry: JournalEntry) -> str:
    return (
        f"#{entry.seq} {entry.method} {entry.vendor}{entry.path} -> {entry.status} "
        f"[{entry.operation_id}]"
    )


def _actual(entry: JournalEntry, key: str) -> Any:
    if key.startswith("body."):
        return entry.body.get(key[5:]) if isinstance(entry.body, dict) else None
    return getattr(entry, key)
