"""The handle a test gets from the ``secretmock`` pytest fixture (usable without pytest).

It sees one running emulator from one moment on (the start of the test): the base URL of
each vendor, the tenants' state, the requests made since, and the spec violations they
caused.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from secretmock.engine.emulator import Emulator
from secretmock.engine.journal import REDACTED, JournalEntry
from secretmock.engine.violations import Violation
from secretmock.intercept import Interceptor


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
    ) -> JournalEntry:
        """The latest request matching every given criterion; on failure the
        AssertionError lists the requests that came closest. ``body`` matches by
        top-level fields (secret values are redacted and cannot be matched)."""
        wanted = {
            "vendor": vendor,
            "operation_id": operation_id,
            "tenant": tenant,
            "status": status,
        }
        for entry in reversed(self.journal):
            if _score(entry, wanted, body) == _perfect(wanted, body):
                return entry
        raise AssertionError(_near_misses(self.journal, wanted, body))

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


def _criteria(wanted: Mapping[str, Any], body: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    found = [(k, v) for k, v in wanted.items() if v is not None]
    return found + [(f"body.{k}", v) for k, v in (body or {}).items()]


def _perfect(wanted: Mapping[str, Any], body: Mapping[str, Any] | None) -> int:
    return len(_criteria(wanted, body))


def _score(entry: JournalEntry, wanted: Mapping[str, Any], body: Mapping[str, Any] | None) -> int:
    return sum(1 for key, value in _criteria(wanted, body) if _actual(entry, key) == value)


def _actual(entry: JournalEntry, key: str) -> Any:
    if key.startswith("body."):
        return entry.body.get(key[5:]) if isinstance(entry.body, dict) else None
    return getattr(entry, key)


def _near_misses(
    journal: list[JournalEntry], wanted: Mapping[str, Any], body: Mapping[str, Any] | None
) -> str:
    criteria = _criteria(wanted, body)
    described = ", ".join(f"{k}={v!r}" for k, v in criteria)
    if not journal:
        return f"no request matched {described}: this test made no request to secretmock"
    ranked = sorted(journal, key=lambda e: _score(e, wanted, body), reverse=True)[:3]
    lines = [f"no request matched {described}; the closest were:"]
    for entry in ranked:
        misses = [
            f"{k}: {_actual(entry, k)!r}" + (" (redacted)" if _actual(entry, k) == REDACTED else "")
            for k, v in criteria
            if _actual(entry, k) != v
        ]
        lines.append(
            f"  #{entry.seq} {entry.method} {entry.vendor}{entry.path} -> {entry.status} "
            f"[{entry.operation_id}] differs in " + "; ".join(misses)
        )
    return "\n".join(lines)
