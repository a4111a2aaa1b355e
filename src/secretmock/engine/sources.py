"""The one source of ids and time, so that runs can be made repeatable.

Every id and timestamp the emulator makes comes from a :class:`Sources`; every time it
makes or compares comes from its :class:`~secretmock.engine.clock.EmulatedClock`
(``sources.now()``). Tests pass a seed and a fixed clock; the server uses a random seed
and the wall clock.
"""

from __future__ import annotations

import random
import string
import uuid
from datetime import datetime

from secretmock.engine.clock import EmulatedClock, RealTime, wall_clock


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
