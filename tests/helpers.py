"""The table runner and small assertions shared by the vendor behaviour tables."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

import pytest

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
