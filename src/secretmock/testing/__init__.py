"""secretmock's testing face, with or without pytest (docs/pytest.md).

* :class:`Session`: one emulator on a free port of 127.0.0.1; :meth:`Session.fresh`
  gives a test its :class:`SecretMock` handle on the state of the fixtures.
* :class:`SecretMock`: one test's view of the emulator (state, journal assertions,
  fault rules, the clock, snapshots, in-process interception).
* :func:`httpx_transport` and :func:`requests_adapter`: in-process answers without
  patching, for code that takes a transport or mounts an adapter.

The pytest plugin (:mod:`secretmock.testing.plugin`) is fixtures over these.
"""

from secretmock.testing.handles import ClockHandle, FaultHandle, HandleEndedError
from secretmock.testing.intercept import (
    ClientAdapter,
    Interceptor,
    httpx_transport,
    requests_adapter,
)
from secretmock.testing.mock import CallFilters, SecretMock, SpecViolationError
from secretmock.testing.session import Session, SessionError, Settings

__all__ = [
    "CallFilters",
    "ClientAdapter",
    "ClockHandle",
    "FaultHandle",
    "HandleEndedError",
    "Interceptor",
    "SecretMock",
    "Session",
    "SessionError",
    "Settings",
    "SpecViolationError",
    "httpx_transport",
    "requests_adapter",
]
