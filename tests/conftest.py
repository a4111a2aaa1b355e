"""Shared fixtures: one emulator per test session, reset before every test, reachable
in-process (Starlette's TestClient) and over a real socket (uvicorn + requests).

Vendor behaviour tests take the ``api`` fixture, which runs each test twice: once
per transport.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Protocol

import pytest
import requests

from secretmock.engine.clock import FixedClock
from secretmock.engine.emulator import Emulator
from secretmock.engine.sources import Sources
from secretmock.resources import default_fixtures_path
from secretmock.serve.background import BackgroundServer
from secretmock.vendors import all_vendors
from secretmock.web.app import build_app

# The shared table runner asserts on behalf of every vendor test: give its failures
# pytest's detailed messages too (must run before tests.helpers is first imported).
pytest.register_assert_rewrite("tests.helpers")

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class Response(Protocol):
    status_code: int
    headers: Any

    def json(self) -> Any: ...


class Api(Protocol):
    def request(self, method: str, url: str, **kwargs: Any) -> Response: ...


@pytest.fixture(scope="session")
def emulator() -> Emulator:
    return Emulator(
        all_vendors(), [default_fixtures_path()], Sources(seed=7, clock=FixedClock(START))
    )


@pytest.fixture(scope="session")
def server(emulator: Emulator) -> Iterator[BackgroundServer]:
    with BackgroundServer(build_app(emulator)) as running:
        yield running


@pytest.fixture(scope="session")
def in_process_client(emulator: Emulator) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    return TestClient(build_app(emulator), base_url="http://127.0.0.1")


class _SocketApi:
    """``requests`` against the background server, with paths relative to its root."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._session = requests.Session()

    def request(self, method: str, url: str, **kwargs: Any) -> Response:
        return self._session.request(method, self._root + url, timeout=10, **kwargs)


@pytest.fixture(autouse=True)
def _fresh_state(emulator: Emulator) -> None:
    emulator.reset()


@pytest.fixture(params=["in-process", "socket"])
def api(request: pytest.FixtureRequest, in_process_client: Any) -> Api:
    """The emulator, reached through one transport per test run."""
    if request.param == "in-process":
        return in_process_client  # type: ignore[no-any-return]
    server: BackgroundServer = request.getfixturevalue("server")
    return _SocketApi(server.url)
