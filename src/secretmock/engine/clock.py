"""The emulated clock: the time every vendor makes or compares.

It runs on the real time, or is frozen at a time, or runs at an offset from the real
time (the admin API's ``/__admin__/clock``, ``serve --clock``, the pytest
``secretmock.clock``). :func:`parse_time` and :func:`format_time` are the one reading and
writing of a time the admin API, the CLI and the state document share.

It stays within the years 1 to 9999 (UTC), the range of Python's ``datetime`` and so of
every time a vendor writes (four-digit years in ISO-8601, Unix milliseconds): a setting
or an advance that would leave the range is refused (``ValueError``, ``OverflowError``
for an advance), and a running clock that reaches an end stops there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

RealTime = Callable[[], datetime]


def wall_clock() -> datetime:
    """The real time, timezone-aware (UTC)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ClockSetting:
    """Frozen at ``frozen_at``, or (when it is ``None``) running ``offset`` ahead of the
    real time (a negative offset: behind it)."""

    frozen_at: datetime | None = None
    offset: timedelta = timedelta(0)


REAL_TIME = ClockSetting()
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)
"""The ends of the emulated clock: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z."""
_OUT_OF_RANGE = "leaves the years 1 to 9999 (UTC)"


class EmulatedClock:
    """The emulator's time: the real time, moved by a :class:`ClockSetting`.

    Reading takes no lock (the setting is one immutable object, replaced whole); the
    changes take one, so that two concurrent ``advance`` calls both count.
    """

    def __init__(self, real: RealTime = wall_clock) -> None:
        self._real = real
        self._setting = REAL_TIME
        self._lock = threading.Lock()
        self.version = 0
        """Bumped by every change of setting (the state file's writer watches it)."""

    def now(self) -> datetime:
        """The emulated time, timezone-aware (UTC); a running clock that has reached an
        end of the years 1 to 9999 stays there."""
        setting = self._setting
        if setting.frozen_at is not None:
            return setting.frozen_at
        try:
            return self._real() + setting.offset
        except OverflowError:
            return LATEST if setting.offset > timedelta(0) else EARLIEST

    @property
    def frozen(self) -> bool:
        return self._setting.frozen_at is not None

    @property
    def setting(self) -> ClockSetting:
        return self._setting

    def reading(self) -> ClockSetting:
        """The setting as the clock reads now: a running clock that has stopped at an end
        of the range is frozen there (what a state document keeps)."""
        setting = self._setting
        if setting.frozen_at is None:
            try:
                self._real() + setting.offset
            except OverflowError:
                return ClockSetting(frozen_at=self.now())
        return setting

    def freeze_at(self, moment: datetime) -> None:
        """Stops the clock at ``moment`` (any time, past ones included); ``ValueError``
        when it has no UTC offset or leaves the years 1 to 9999 once in UTC."""
        self._set(ClockSetting(frozen_at=_utc(moment)))

    def freeze(self) -> None:
        """Stops the clock at the time it shows now (a frozen clock stays as it is)."""
        with self._lock:
            if self._setting.frozen_at is None:
                self._replace(ClockSetting(frozen_at=self.now()))

    def advance(self, delta: timedelta) -> None:
        """Moves the clock forward by ``delta`` (>= 0); a frozen clock stays frozen.
        ``OverflowError`` (and no change) when that leaves the years 1 to 9999."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward; set a time to go back")
        with self._lock:
            setting = self._setting
            if setting.frozen_at is not None:
                self._replace(ClockSetting(frozen_at=setting.frozen_at + delta))
            else:
                offset = setting.offset + delta
                self._real() + offset  # OverflowError now, rather than at every reading
                self._replace(ClockSetting(offset=offset))

    def run(self) -> None:
        """Lets a frozen clock run on from the time it shows."""
        with self._lock:
            setting = self._setting
            if setting.frozen_at is not None:
                self._replace(ClockSetting(offset=setting.frozen_at - self._real()))

    def restore(self, setting: ClockSetting) -> None:
        """Puts a setting back (a reset gives :data:`REAL_TIME`; a state document its
        own); ``ValueError`` (and no change) when :meth:`check` refuses it."""
        self.check(setting)
        self._set(setting)

    def check(self, setting: ClockSetting) -> None:
        """``ValueError`` when ``setting`` would show a time outside the years 1 to 9999
        now: a time with no UTC offset, or an offset that takes the real time past an end
        (one that reaches an end later stops there)."""
        if setting.frozen_at is not None:
            _utc(setting.frozen_at)
            return
        try:
            self._real() + setting.offset
        except OverflowError:
            seconds = setting.offset.total_seconds()
            raise ValueError(f"an offset of {seconds:g} seconds {_OUT_OF_RANGE}") from None

    def _set(self, setting: ClockSetting) -> None:
        with self._lock:
            self._replace(setting)

    def _replace(self, setting: ClockSetting) -> None:
        self._setting = setting
        self.version += 1


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a time needs a UTC offset (such as Z or +00:00)")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in the year 0 in UTC
        raise ValueError(f"{moment.isoformat()} {_OUT_OF_RANGE}") from None


def parse_time(text: str) -> datetime:
    """An ISO-8601 time with an offset (``Z`` accepted), as an aware UTC datetime;
    ``ValueError`` naming the problem otherwise (one that leaves the years 1 to 9999 once
    in UTC included)."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{text!r} is not an ISO-8601 time") from exc
    return _utc(moment)


def format_time(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, every digit kept (the year zero-padded,
    which ``strftime`` does not do on every platform)."""
    utc = moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond:06d}Z"
    )


class FixedClock:
    """A clock for tests: returns ``start`` and moves on by ``step`` seconds per reading."""

    def __init__(self, start: datetime, step: float = 1.0) -> None:
        self._now = start
        self._step = step

    def __call__(self) -> datetime:
        current = self._now
        self._now = current + timedelta(seconds=self._step)
        return current
