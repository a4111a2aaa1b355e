"""Small assertions shared by the vendor behaviour tables."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest


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


def table(names: str, rows: list[tuple[Any, ...]]) -> pytest.MarkDecorator:
    """``parametrize`` over rows of ``(id, *values)``; ``names`` names the values,
    comma-separated (the style of every behaviour table in these tests)."""
    return pytest.mark.parametrize(names, [row[1:] for row in rows], ids=[row[0] for row in rows])


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
