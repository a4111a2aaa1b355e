"""The one source of ids and time, so that runs can be made repeatable.

Every id and timestamp the emulator makes comes from a :class:`Sources`. Tests pass
a seed and a fixed clock; the server uses a random seed and the wall clock.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class Sources:
    """A seedable random generator and a controllable clock."""

    def __init__(
        self, seed: int | str | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._random = random.Random(seed)
        self._clock = clock or (lambda: datetime.now(UTC))

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        return self._clock()

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
