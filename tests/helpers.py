"""What several test modules share: the table runner and small assertions of the vendor
behaviour tables, the default fixtures' credentials, a fake vendor's error envelope, and
a guard that keeps tests on the loopback."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

import pytest
import requests

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import Reply
from secretmock.engine.violations import Violation
from secretmock.serve.background import BackgroundServer
from tests.conftest import Api, Response


def assert_subset(actual: Any, expected: Any, where: str = "body") -> None:
    """Every key of ``expected`` is in ``actual`` with an equal value (recursively for
    dicts); lists must match element-wise with the same length."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        for key, value in expected.items():
            assert key in actual, f"{where}: missing {key!r} in {actual!r}"
            assert_subset(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), (
            f"{where}: expected {expected!r}, got {actual!r}"
        )
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_subset(a, e, f"{where}[{index}]")
    else:
        assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def contains_key(document: Any, key: str) -> bool:
    """Whether ``key`` appears as an object key anywhere in ``document``."""
    if isinstance(document, dict):
        return key in document or any(contains_key(v, key) for v in document.values())
    if isinstance(document, list):
        return any(contains_key(v, key) for v in document)
    return False


class Case(NamedTuple):
    """One row of a vendor's operation table: a request and the answer it must get."""

    id: str
    method: str
    path: str
    status: int
    expected: Any
    """A subset of the answer's JSON body (see ``assert_subset``)."""
    headers: Mapping[str, str]
    """Sent over the test's default headers (a row's value wins)."""
    request: Mapping[str, Any]
    """The other keyword arguments of ``requests.request``: ``json``, ``data``."""


def case(
    id: str,
    method: str,
    path: str,
    status: int,
    expected: Any,
    *,
    headers: Mapping[str, str] | None = None,
    **request: Any,
) -> Case:
    """A ``Case`` row, written with the request's own keyword names (``json=``, ``data=``)."""
    return Case(id, method, path, status, expected, headers or {}, request)


def send(api: Api, row: Case, headers: Mapping[str, str] = MappingProxyType({})) -> Response:
    """Sends ``row``'s request with ``headers`` under its own, then checks the two things
    every operation row states: the status and the body subset. Returns the response for
    the vendor's own checks. The row is shared by both transports' runs: never changed."""
    response = api.request(row.method, row.path, headers={**headers, **row.headers}, **row.request)
    body = response.json()
    assert response.status_code == row.status, body
    assert_subset(body, row.expected)
    return response


def cases(rows: Sequence[Case]) -> pytest.MarkDecorator:
    """``parametrize`` a test's ``row`` argument over ``rows``, each run named by its id."""
    return pytest.mark.parametrize("row", rows, ids=[row.id for row in rows])


class Row(Protocol):
    """A table row: a NamedTuple whose first field is the run's ``id``."""

    @property
    def _fields(self) -> tuple[str, ...]: ...

    def __iter__(self) -> Iterator[Any]: ...


def table(rows: Sequence[Row]) -> pytest.MarkDecorator:
    """``parametrize`` over NamedTuple rows: each field but ``id`` becomes the test's
    argument of the same name; ``id`` names the run (the style of every behaviour table
    in these tests)."""
    names = rows[0]._fields[1:]
    assert all(row._fields[1:] == names for row in rows), "one row type per table"
    values = [tuple(row) for row in rows]
    return pytest.mark.parametrize(names, [v[1:] for v in values], ids=[v[0] for v in values])


def forbid_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes every connection to a host other than the loopback fail loudly."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise AssertionError(f"a test tried to reach {host!r} beyond 127.0.0.1")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return original_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


# The default fixtures' admin credentials, as JSON request headers, and tenants.
PRISME = {"x-prismeai-api-key": "prisme-test-ws1", "Content-Type": "application/json"}
INSFORGE = {"Authorization": "Bearer ik_test_demo_admin", "Content-Type": "application/json"}
INSTABASE = {
    "Authorization": "Bearer ib-test-admin",
    "IB-Context": "acme-org",
    "Content-Type": "application/json",
}
LANGWATCH = {"Authorization": "Bearer sk-lw-test-demo", "Content-Type": "application/json"}
FIREWORKS = {"Authorization": "Bearer fw-test-acme", "Content-Type": "application/json"}

TENANTS = {
    "prismeai": "ws1",
    "insforge": "demo-project",
    "instabase": "acme-org",
    "langwatch": "project-demo",
    "fireworks": "acme",
}
PRISME_SECRETS = "/prismeai/v2/workspaces/ws1/security/secrets"


def fireworks_status(server: BackgroundServer, method: str, path: str, **kwargs: Any) -> int:
    """The status of one request to the default Fireworks tenant's secrets."""
    url = f"{server.url}/fireworks/v1/accounts/acme/secrets{path}"
    return requests.request(
        method, url, headers={"Authorization": "Bearer fw-test-acme"}, timeout=10, **kwargs
    ).status_code


class Envelope:
    """A fake vendor's error envelope: every answer names the envelope method that wrote
    it, so a test sees which step of the pipeline answered."""

    def no_route(self, request: IncomingRequest, allowed: tuple[str, ...]) -> Reply:
        detail = f"{request.method} {request.path}" + (f" (allowed: {allowed})" if allowed else "")
        return Reply(404, {"error": "no_route", "detail": detail})

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        return Reply(400, {"error": "malformed_body", "detail": detail})

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        return Reply(400, {"error": "invalid_request", "detail": str(request.operation_id)})

    def internal(self, request: IncomingRequest) -> Reply:
        return Reply(500, {"error": "internal"})

    def status_error(self, request: IncomingRequest, status: int, retry_after: int | None) -> Reply:
        return Reply(status, {"error": "status_error", "detail": str(retry_after)})
