"""The one source of ids and time, so that runs can be made repeatable.

Every id and timestamp the emulator makes comes from a :class:`Sources`; every time it
makes or compares comes from its :class:`~secretmock.engine.clock.EmulatedClock`
(``sources.now()``). Tests pass a seed and a fixed clock; the server uses a random seed
and the wall clock.
"""

from __future__ import annotations

import random
import string
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
        # uuid.UUID(int=..., version=4), formatted directly (a third of its cost).
        number = (self._random.getrandbits(128) & _UUID_KEEP) | _UUID_V4
        text = f"{number:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_UUID_KEEP = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
"""The bits of a random number a version-4 UUID keeps (not its variant or version)."""
_UUID_V4 = (0x8000 << 48) | (4 << 76)
"""The RFC 4122 variant and version 4, as ``uuid.UUID(version=4)`` sets them."""
