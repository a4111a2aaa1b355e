"""The handle a test gets from the ``secretmock`` pytest fixture, or from
:meth:`Session.fresh <secretmock.testing.Session.fresh>` without pytest.

It sees one running emulator from one moment on (the start of the test): the base URL of
each vendor, the tenants' state, the requests made since, and the spec violations they
caused. It also drives the scenario: fault rules (:meth:`SecretMock.fault`), the
emulated clock (:attr:`SecretMock.clock`) and whole-state snapshots. Once its test has
ended (:meth:`SecretMock.end`), every use raises
:class:`~secretmock.testing.handles.HandleEndedError`: a handle kept past its test must
not drive the next test's emulator.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypedDict, Unpack

from secretmock.engine.emulator import Emulator
from secretmock.engine.journal import REDACTED, JournalEntry, Query, QueryFilters
from secretmock.engine.state import restore_state, state_document
from secretmock.engine.violations import Violation
from secretmock.testing.handles import ClockHandle, FaultHandle, Lease
from secretmock.testing.intercept import Interceptor


class SpecViolationError(AssertionError):
    """A test's requests broke a vendor's spec (contract mode)."""


class CallFilters(TypedDict, total=False):
    """The filters :meth:`SecretMock.assert_called` takes besides vendor and operation
    (:class:`~secretmock.engine.journal.QueryFilters`; ``None``: any)."""

    tenant: str | None
    status: int | None
    method: str | None
    path: str | None
    body: Mapping[str, Any] | None


class SecretMock:
    """One test's view of the emulator. See docs/pytest.md."""

    def __init__(
        self, emulator: Emulator, root_url: str, strict: bool = True, *, owner: str | None = None
    ) -> None:
        """``owner`` names the test in the error a use after :meth:`end` raises."""
        self._lease = Lease(owner)
        self._emulator = emulator
        self.root_url = root_url
        self.strict = strict
        self._start = emulator.journal.last_seq()
        self._expected: list[tuple[int, int]] = []  # seq ranges where violations are expected
        self.clock = ClockHandle(emulator.clock, self._lease)
        """The emulated clock: ``now``, ``set(moment)``, ``advance(seconds)``."""

    @property
    def emulator(self) -> Emulator:
        """The :class:`~secretmock.engine.emulator.Emulator` itself (while the test runs)."""
        self._lease.check()
        return self._emulator

    def end(self) -> None:
        """Ends the handle (the plugin calls it when the test ends): from now on every
        use raises :class:`~secretmock.testing.handles.HandleEndedError`, and so does
        every use of its clock and fault handles."""
        self._lease.end()

    @property
    def ended(self) -> bool:
        return self._lease.ended

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
        return FaultHandle(rules, rules.add(rule), self._lease)

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
            self._expected.append((low, self._emulator.journal.last_seq()))

    def assert_called(
        self,
        vendor: str,
        operation_id: str,
        *,
        count: int | None = None,
        **filters: Unpack[CallFilters],
    ) -> JournalEntry:
        """The latest request matching every given criterion (``tenant``, ``status``,
        ``method``, ``path``, ``body``). With ``count``, exactly that many requests (at
        least one) must match. On failure the AssertionError lists the matching
        requests, if any, and those that came closest. ``body`` matches by top-level
        fields (secret values are redacted and cannot be matched)."""
        if count is not None and count < 1:
            raise ValueError(f"count must be at least 1 (got {count}); use assert_not_called")
        query = Query(QueryFilters(vendor=vendor, operation_id=operation_id, **filters))
        journal = self.journal
        matching = query.matching(journal)
        if matching and count in (None, len(matching)):
            return matching[-1]
        if count is None:
            head = f"no request matched {query.described()}"
        else:
            head = f"expected {count} request(s) matching {query.described()}"
        raise AssertionError(_report(query, journal, head))

    def assert_not_called(
        self, vendor: str, operation_id: str, **filters: Unpack[CallFilters]
    ) -> None:
        """No request since the test began matches every given criterion (the filters of
        :meth:`assert_called`); on failure the AssertionError lists those that did."""
        query = Query(QueryFilters(vendor=vendor, operation_id=operation_id, **filters))
        journal = self.journal
        if query.matching(journal):
            head = f"expected no request matching {query.described()}"
            raise AssertionError(_report(query, journal, head))

    # -- interception -----------------------------------------------------------------

    @contextmanager
    def intercept(self, **base_urls: str) -> Iterator[Interceptor]:
        """Sends ``requests``, ``urllib3`` and ``httpx`` calls for the vendors' real hosts
        (and the base URLs named here, e.g. ``insforge="https://demo.insforge.app"``) to
        the emulator."""
        with Interceptor(self.emulator, base_urls, check=self._lease.check) as interceptor:
            yield interceptor

    def violation_report(self) -> str:
        """A message that teaches: one line per unexpected violation."""
        lines = [
            f"{entry.vendor} {entry.operation_id or '?'} ({entry.method} {entry.path}): "
            + violation.describe()
            for entry, violation in self.unexpected_violations()
        ]
        return "requests broke the vendor's spec:\n  " + "\n  ".join(lines)


def _report(query: Query, journal: list[JournalEntry], head: str) -> str:
    """``head``, then the requests that matched and the three closest that did not,
    each with how it differs."""
    if not journal:
        return f"{head}: this test made no request to secretmock"
    matching = query.matching(journal)
    closest = query.closest(journal)
    lines = [head + ("; the closest were:" if not matching else f"; {len(matching)} did:")]
    lines += [f"  {_describe(entry)}" for entry in matching]
    if matching and closest:
        lines.append("the closest others were:")
    lines += [f"  {_describe(e)} differs in {_differences(query, e)}" for e in closest]
    return "\n".join(lines)


def _differences(query: Query, entry: JournalEntry) -> str:
    return "; ".join(
        f"{key}: {actual!r}" + (" (redacted)" if actual == REDACTED else "")
        for key, actual in query.differences(entry).items()
    )


def _describe(entry: JournalEntry) -> str:
    return (
        f"#{entry.seq} {entry.method} {entry.vendor}{entry.path} -> {entry.status} "
        f"[{entry.operation_id}]"
    )
