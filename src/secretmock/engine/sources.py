"""The one source of ids and time, so that runs can be made repeatable.

Every id and timestamp the emulator makes comes from a :class:`Sources`; every time it
makes or compares comes from its :class:`EmulatedClock` (``sources.now()``). Tests pass
a seed and a fixed clock; the server uses a random seed and the wall clock. The clock
can be frozen at a time, or run at an offset from the real time (the admin API's
``/__admin__/clock``, ``serve --clock``, the pytest ``secretmock.clock``).
"""

from __future__ import annotations

import random
import string
import threading
import uuid
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
        """The emulated time, timezone-aware (UTC)."""
        setting = self._setting
        if setting.frozen_at is not None:
            return setting.frozen_at
        return self._real() + setting.offset

    @property
    def frozen(self) -> bool:
        return self._setting.frozen_at is not None

    @property
    def setting(self) -> ClockSetting:
        return self._setting

    def freeze_at(self, moment: datetime) -> None:
        """Stops the clock at ``moment`` (any time, past ones included)."""
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
        """Puts a setting back (a reset gives :data:`REAL_TIME`; a state document its own)."""
        self._set(setting)

    def _set(self, setting: ClockSetting) -> None:
        with self._lock:
            self._replace(setting)

    def _replace(self, setting: ClockSetting) -> None:
        self._setting = setting
        self.version += 1


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a time needs a UTC offset (such as Z or +00:00)")
    return moment.astimezone(UTC)


def parse_time(text: str) -> datetime:
    """An ISO-8601 time with an offset (``Z`` accepted), as an aware UTC datetime;
    ``ValueError`` naming the problem otherwise."""
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


class Sources:
    """A seedable random generator and the emulated clock."""

    def __init__(
        self,
        seed: int | str | None = None,
        clock: EmulatedClock | RealTime | None = None,
    ) -> None:
        """``clock``: the emulator's clock to share, or a function giving the real time
        (a test's fixed clock) for a new one; the wall clock by default."""
        self._random = random.Random(seed)
        if isinstance(clock, EmulatedClock):
            self.clock = clock
        else:
            self.clock = EmulatedClock(clock or wall_clock)

    def now(self) -> datetime:
        """The emulated time, timezone-aware (UTC)."""
        return self.clock.now()

    def reseed(self, seed: int | str) -> None:
        """Starts the random sequence again from ``seed`` (a test session does, before
        each test, so that each test sees the same ids whatever ran before it)."""
        self._random.seed(seed)

    def token(self, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        """A random string of ``length`` characters from ``alphabet``."""
        return "".join(self._random.choices(alphabet, k=length))

    def hex(self, length: int) -> str:
        """A random lower-case hexadecimal string of ``length`` digits."""
        return self.token(length, "0123456789abcdef")

    def uuid4(self) -> str:
        """A random version-4 UUID in its canonical text form."""
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


class FixedClock:
    """A clock for tests: returns ``start`` and moves on by ``step`` seconds per reading."""

    def __init__(self, start: datetime, step: float = 1.0) -> None:
        self._now = start
        self._step = step

    def __call__(self) -> datetime:
        current = self._now
        self._now = current + timedelta(seconds=self._step)
        return current
