"""Routing by the spec's own paths."""

from __future__ import annotations

import pytest

from secretmock.engine.routing import Match, RouteTable, WrongMethod
from secretmock.engine.specs import Operation

OPERATIONS = (
    Operation("list", "get", "/api/secrets"),
    Operation("get", "get", "/api/secrets/{key}"),
    Operation("rotate", "post", "/api/secrets/api-key/rotate"),
    Operation("put", "put", "/api/secrets/{key}"),
)
CASES = [
    ("GET", "/api/secrets", "list", {}),
    ("GET", "/api/secrets/STRIPE", "get", {"key": "STRIPE"}),
    ("put", "/api/secrets/A_B", "put", {"key": "A_B"}),
    ("POST", "/api/secrets/api-key/rotate", "rotate", {}),
    ("GET", "/api/secrets/a/b", None, None),
    ("GET", "/api/secret", None, None),
    ("GET", "/api/secrets/", None, None),
]


@pytest.mark.parametrize(("method", "path", "operation_id", "params"), CASES)
def test_match(
    method: str, path: str, operation_id: str | None, params: dict[str, str] | None
) -> None:
    match = RouteTable(OPERATIONS).match(method, path)
    if operation_id is None:
        assert match is None
    else:
        assert isinstance(match, Match)
        assert (match.operation.operation_id, match.path_params) == (operation_id, params)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/api/secrets/STRIPE", ("GET", "PUT")),
        ("GET", "/api/secrets/api-key/rotate", ("POST",)),
        ("post", "/api/secrets", ("GET",)),
    ],
)
def test_a_known_path_with_another_method_is_a_partial_match(
    method: str, path: str, allowed: tuple[str, ...]
) -> None:
    """No operation, but the path is the spec's: the match names the methods it has
    (a vendor answers 405, or its 404, from that)."""
    assert RouteTable(OPERATIONS).match(method, path) == WrongMethod(allowed)


def test_base_path_of_the_server_url_comes_first() -> None:
    table = RouteTable((Operation("list", "get", "/v2/aihub/secrets"),), base_path="/api")
    assert isinstance(table.match("GET", "/api/v2/aihub/secrets"), Match)
    assert table.match("GET", "/v2/aihub/secrets") is None


def test_parameter_names_that_are_not_identifiers() -> None:
    table = RouteTable((Operation("get", "get", "/things/{thing-id}/x.{fmt}"),))
    match = table.match("GET", "/things/t1/x.json")
    assert isinstance(match, Match) and match.path_params == {"thing-id": "t1", "fmt": "json"}
