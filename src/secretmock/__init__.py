"""secretmock: an offline emulator of five vendors' secrets-management APIs.

The public face, imported on first use (the CLI and the server import this package for
``__version__`` alone, and must not pay for the rest)::

    import secretmock

    with secretmock.start(seed=7) as session:     # a secretmock.testing.Session
        mock = session.fresh()                     # a secretmock.testing.SecretMock
        print(mock.url("fireworks"))

``Emulator`` (the engine), ``BackgroundServer`` (uvicorn in a thread), ``SecretMock``
and ``Session`` (the testing face: docs/pytest.md).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from secretmock.engine.emulator import Emulator
    from secretmock.serve.background import BackgroundServer
    from secretmock.testing import SecretMock, Session

__all__ = ["BackgroundServer", "Emulator", "SecretMock", "Session", "__version__", "start"]

_LAZY = {
    "Emulator": "secretmock.engine.emulator",
    "BackgroundServer": "secretmock.serve.background",
    "SecretMock": "secretmock.testing",
    "Session": "secretmock.testing",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'secretmock' has no attribute {name!r}")


def start(**settings: Any) -> Session:
    """A started :class:`~secretmock.testing.Session` (a context manager that stops it);
    ``settings`` are those of :class:`~secretmock.testing.Settings`: ``fixtures``,
    ``seed``, ``clock``, ``vendors``, ``vendor_versions``, ``strict``."""
    from secretmock.testing import Session

    return Session(**settings).start()
