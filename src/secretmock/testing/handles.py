"""The pytest handle's scenario control: fault rules and the emulated clock
(``secretmock.fault(...)``, ``secretmock.clock``; docs/pytest.md, docs/scenarios.md),
and the lease that ends every handle of a test when the test ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import TracebackType

from secretmock.engine.clock import EmulatedClock, parse_time
from secretmock.engine.faults import FaultRule, FaultRules


class HandleEndedError(RuntimeError):
    """A handle was used after the test it belongs to ended: it would drive (or read)
    the emulator of whichever test runs now."""


class Lease:
    """How long a test's handles may drive the emulator: until :meth:`end` (the end of
    the test, or the next :meth:`Session.fresh <secretmock.testing.Session.fresh>`).
    ``owner`` names the test in the error a late use raises."""

    def __init__(self, owner: str | None = None) -> None:
        self.owner = owner or "an earlier test"
        self.ended = False

    def check(self) -> None:
        """Raises :class:`HandleEndedError` once the lease has ended."""
        if self.ended:
            raise HandleEndedError(
                f"this secretmock handle belongs to {self.owner}, which has ended; "
                "use the handle the running test received (each test gets its own)"
            )

    def end(self) -> None:
        self.ended = True


class FaultHandle:
    """One fault rule a test added: its ``id``, its live ``hits`` and ``remaining``, and
    :meth:`remove`. As a context manager it removes the rule when the block ends. Its
    counters stay readable after the test; :meth:`remove` then raises
    :class:`HandleEndedError`."""

    def __init__(self, rules: FaultRules, rule: FaultRule, lease: Lease | None = None) -> None:
        self._rules = rules
        self._rule = rule
        self._lease = lease or Lease()

    @property
    def id(self) -> str:
        return self._rule.id

    @property
    def hits(self) -> int:
        """How many requests the rule has hit so far."""
        return self._rule.hits

    @property
    def remaining(self) -> int | None:
        """How many more it will hit (``None``: until removed)."""
        return self._rule.remaining

    def remove(self) -> None:
        """Removes the rule (again: nothing happens); its counters stay readable."""
        self._lease.check()
        self._rules.remove(self._rule.id)

    def __enter__(self) -> FaultHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<fault rule {self._rule.as_dict()}>"


class ClockHandle:
    """The emulated clock, as a test drives it. Every time the vendors make or compare
    (createdAt, updatedAt, expiry) comes from it; each test starts on the real time
    (or on the session's ``clock``). Used after its test, it raises
    :class:`HandleEndedError`."""

    def __init__(self, clock: EmulatedClock, lease: Lease | None = None) -> None:
        self._source = clock
        self._lease = lease or Lease()

    @property
    def _clock(self) -> EmulatedClock:
        self._lease.check()
        return self._source

    @property
    def now(self) -> datetime:
        """The emulated time (timezone-aware, UTC)."""
        return self._clock.now()

    @property
    def frozen(self) -> bool:
        return self._clock.frozen

    def set(self, moment: datetime | str) -> None:
        """Freezes the clock at ``moment``: an aware datetime or an ISO-8601 string with
        its offset (any time, past ones included)."""
        self._clock.freeze_at(parse_time(moment) if isinstance(moment, str) else moment)

    def advance(self, by: float | timedelta) -> None:
        """Moves the clock forward by ``by`` (seconds, or a timedelta); a frozen clock
        stays frozen, a running one runs on from there."""
        self._clock.advance(by if isinstance(by, timedelta) else timedelta(seconds=by))

    def run(self) -> None:
        """Lets a frozen clock run on from the time it shows."""
        self._clock.run()

    def __repr__(self) -> str:
        if self._lease.ended:
            return f"<emulated clock of {self._lease.owner}, ended>"
        state = "frozen" if self.frozen else "running"
        return f"<emulated clock {state} at {self.now.isoformat()}>"
