"""Routing by the spec's own paths."""

from __future__ import annotations

import pytest

from secretmock.engine.routing import RouteTable
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
    ("DELETE", "/api/secrets/STRIPE", None, None),
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
        assert match is not None
        assert (match.operation.operation_id, match.path_params) == (operation_id, params)


def test_base_path_of_the_server_url_comes_first() -> None:
    table = RouteTable((Operation("list", "get", "/v2/aihub/secrets"),), base_path="/api")
    assert table.match("GET", "/api/v2/aihub/secrets") is not None
    assert table.match("GET", "/v2/aihub/secrets") is None


def test_parameter_names_that_are_not_identifiers() -> None:
    table = RouteTable((Operation("get", "get", "/things/{thing-id}/x.{fmt}"),))
    match = table.match("GET", "/things/t1/x.json")
    assert match is not None and match.path_params == {"thing-id": "t1", "fmt": "json"}
