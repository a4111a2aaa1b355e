"""The request context: built alike by every transport, routed into a new one."""

from __future__ import annotations

import pytest

from secretmock.engine.incoming import incoming_request
from secretmock.engine.sources import Sources


@pytest.mark.parametrize(
    "method, headers, body, too_large, expected_method, expected_headers, expected_body",
    [
        pytest.param(
            "get", [("Content-Type", "application/json")], b"{}", False,
            "GET", {"content-type": "application/json"}, b"{}",
            id="names-lower-cased-method-upper-cased",
        ),
        pytest.param(
            "POST", [("X-Auth-Token", "t")], b"part of a large body", True,
            "POST", {"x-auth-token": "t"}, b"",
            id="too-large-body-not-kept",
        ),
    ],
)  # fmt: skip
def test_one_constructor_for_every_transport(
    method: str,
    headers: list[tuple[str, str]],
    body: bytes,
    too_large: bool,
    expected_method: str,
    expected_headers: dict[str, str],
    expected_body: bytes,
) -> None:
    request = incoming_request(method, "/v1/x", "a=1", headers, body, too_large)
    assert (request.method, request.path, request.query_string) == (expected_method, "/v1/x", "a=1")
    assert (request.headers, request.body) == (expected_headers, expected_body)
    assert request.body_too_large is too_large
    assert (request.operation_id, dict(request.path_params)) == (None, {})


def test_routing_makes_a_new_request_and_leaves_the_received_one_alone() -> None:
    received = incoming_request("PUT", "/items/a", "", [("A", "b")], b"{}")
    sources = Sources(seed=3)
    routed = received.routed(sources, {"name": "a"}, "putItem")
    assert (routed.operation_id, dict(routed.path_params), routed.sources) == (
        "putItem",
        {"name": "a"},
        sources,
    )
    assert (routed.method, routed.path, routed.headers, routed.body) == (
        "PUT",
        "/items/a",
        {"a": "b"},
        b"{}",
    )
    assert (received.operation_id, dict(received.path_params)) == (None, {})
    assert received.sources is not sources
