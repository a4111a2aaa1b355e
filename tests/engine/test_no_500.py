"""No request of any shape makes any vendor answer 500 or leave its envelope.

For every operation of every spec, a battery of bad requests (odd bodies, content
types, query strings and wrong-typed fields) is sent with a valid credential. The
pipeline turns a response that breaks the spec into a 500, so "below 500" also
means "every answer validated against the vendor's spec".
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.specs import Operation
from tests.conftest import Api

BODIES: list[tuple[str, bytes, str]] = [
    ("no-body", b"", "application/json"),
    ("null", b"null", "application/json"),
    ("array", b"[]", "application/json"),
    ("string", b'"x"', "application/json"),
    ("number", b"1e999", "application/json"),
    ("empty-object", b"{}", "application/json"),
    ("malformed", b'{"a":', "application/json"),
    ("not-utf8", b"\xff\xfe{}", "application/json"),
    ("deeply-nested", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("charset", b"{}", "application/json; charset=utf-8"),
    ("text", b"hello", "text/plain"),
    ("form", b"a=b", "application/x-www-form-urlencoded"),
    ("no-content-type", b"{}", ""),
]
WRONG_VALUES: list[Any] = [None, 12345, 1.5, True, [], {}, "", "x" * 20_000, ["a"], {"a": 1}]
QUERIES = [
    "",
    "?pageSize=99999999999999999999",
    "?pageSize=-5",
    "?alias=%ff&workspace=",
    "?unknown=1&unknown=2",
]


def admin_credentials(emulator: Emulator) -> dict[str, tuple[str, str]]:
    """vendor -> (tenant id, admin token) from the default fixtures."""
    found = {}
    for fixture in emulator.fixtures:
        for credential in fixture.entry.get("credentials", []):
            if credential.get("role", "admin") == "admin" and fixture.vendor not in found:
                found[fixture.vendor] = (fixture.tenant_id, credential["token"])
    return found


def operations(emulator: Emulator) -> list[tuple[str, Operation]]:
    return [(name, op) for name, p in emulator.pipelines.items() for op in p.spec.operations]


def url(emulator: Emulator, vendor: str, operation: Operation, tenant: str) -> str:
    """The operation's URL: the first path parameter is the tenant, the others a name."""
    path, first = operation.path_template, True
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + (tenant if first else "SOME_NAME") + path[end + 1 :]
        first = False
    return f"{emulator.pipelines[vendor].base_path}{path}"


def wrong_typed_bodies(emulator: Emulator, vendor: str, operation: Operation) -> list[bytes]:
    document = emulator.pipelines[vendor].spec.document
    item = document["paths"][operation.path_template][operation.method]
    schema = (
        item.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    )
    properties = list(schema.get("properties", {})) or ["anything"]
    return [json.dumps({name: value}).encode() for name in properties for value in WRONG_VALUES]


def assert_vendor_answer(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    assert response.headers["content-type"].startswith("application/json"), what
    json.loads(response.content)


def test_every_vendor_has_an_admin_in_the_default_fixtures(emulator: Emulator) -> None:
    assert set(admin_credentials(emulator)) == set(emulator.pipelines)


@pytest.mark.parametrize("body_id", [b[0] for b in BODIES])
def test_odd_bodies(api: Api, emulator: Emulator, body_id: str) -> None:
    [(_, body, content_type)] = [b for b in BODIES if b[0] == body_id]
    credentials = admin_credentials(emulator)
    for vendor, operation in operations(emulator):
        tenant, token = credentials[vendor]
        headers = {"Authorization": f"Bearer {token}"}
        if content_type:
            headers["Content-Type"] = content_type
        target = url(emulator, vendor, operation, tenant)
        response = api.request(operation.method.upper(), target, headers=headers, data=body)
        assert_vendor_answer(response, f"{vendor} {operation.operation_id} {body_id}")


def test_wrong_typed_fields_and_odd_queries(api: Api, emulator: Emulator) -> None:
    credentials = admin_credentials(emulator)
    for vendor, operation in operations(emulator):
        tenant, token = credentials[vendor]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        target = url(emulator, vendor, operation, tenant)
        for body in wrong_typed_bodies(emulator, vendor, operation):
            response = api.request(operation.method.upper(), target, headers=headers, data=body)
            assert_vendor_answer(response, f"{vendor} {operation.operation_id} {body[:60]!r}")
        for query in QUERIES:
            response = api.request(operation.method.upper(), target + query, headers=headers)
            assert_vendor_answer(response, f"{vendor} {operation.operation_id} {query}")


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic !!!"}, {"Authorization": ""}],
)
def test_bad_credentials_get_the_vendor_401(
    api: Api, emulator: Emulator, headers: dict[str, str]
) -> None:
    credentials = admin_credentials(emulator)
    for vendor, operation in operations(emulator):
        tenant, _ = credentials[vendor]
        target = url(emulator, vendor, operation, tenant)
        response = api.request(operation.method.upper(), target, headers=headers, json={})
        assert response.status_code == 401, f"{vendor} {operation.operation_id}"
        assert_vendor_answer(response, f"{vendor} {operation.operation_id}")
