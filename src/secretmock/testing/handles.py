"""The pytest handle's scenario control: fault rules and the emulated clock
(``secretmock.fault(...)``, ``secretmock.clock``; docs/pytest.md, docs/scenarios.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import TracebackType

from secretmock.engine.clock import EmulatedClock, parse_time
from secretmock.engine.faults import FaultRule, FaultRules


class FaultHandle:
    """One fault rule a test added: its ``id``, its live ``hits`` and ``remaining``, and
    :meth:`remove`. As a context manager it removes the rule when the block ends."""

    def __init__(self, rules: FaultRules, rule: FaultRule) -> None:
        self._rules = rules
        self._rule = rule

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
    (createdAt, updatedAt, expiry) comes from it; each test starts on the real time."""

    def __init__(self, clock: EmulatedClock) -> None:
        self._clock = clock

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
        state = "frozen" if self.frozen else "running"
        return f"<emulated clock {state} at {self.now.isoformat()}>"
