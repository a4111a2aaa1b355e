"""Prisme.ai behaviour, table-driven, over both transports (see conftest ``api``)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError
from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.sources import Sources
from secretmock.engine.specs import load_spec
from secretmock.resources import spec_path
from secretmock.vendors.prismeai import VENDOR
from tests.conftest import Api
from tests.helpers import Case, case, cases, send

WS1 = "/prismeai/v2/workspaces/ws1/security/secrets"
WS2 = "/prismeai/v2/workspaces/ws2/security/secrets"
API_KEY = {"x-prismeai-api-key": "prisme-test-ws1"}
BEARER = {"Authorization": "Bearer prisme-test-ws1"}
EDITOR = {"x-prismeai-api-key": "prisme-test-ws1-editor"}
SEED_BODY = {
    "openaiApiKey": {"value": "some secret api key"},
    "allowedModels": {"value": ["gpt4", "gpt4o"]},
}
DEFAULT_MAP = {
    "openaiApiKey": {"value": "sk-test-prisme-1", "type": "string", "permissions": {}},
    "allowedModels": {"value": ["gpt4", "gpt4o"], "type": "object", "permissions": {}},
}
NOT_FOUND = {"error": "ObjectNotFoundError", "message": "Secret 'openaiApiKey' not found"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def snapshot(emulator: Emulator, tenant: str = "ws1") -> dict[str, dict[str, Any]]:
    """The stored secrets of ``tenant``, by name, values included."""
    found = emulator.tenant_snapshot("prismeai", tenant)
    assert found is not None
    return {secret["name"]: secret for secret in found["secrets"]}


def put_ws2(emulator: Emulator) -> None:
    emulator.put_tenant(
        "prismeai",
        "ws2",
        {
            "credentials": [{"token": "prisme-test-ws2"}],
            "secrets": [{"name": "ws2Only", "value": "v2"}],
        },
    )


# For 200 answers the body's names must be exactly the expected ones.
CASES = [
    case("seed-put-api-key", "PUT", WS1, 200, SEED_BODY, headers=API_KEY, json=SEED_BODY),
    case("seed-put-bearer", "PUT", WS1, 200, SEED_BODY, headers=BEARER, json=SEED_BODY),
    case(
        "put-replaces",
        "PUT",
        WS1,
        200,
        {"openaiApiKey": {"value": "rotated", "type": "string"}},
        headers=API_KEY,
        json={"openaiApiKey": {"value": "rotated"}},
    ),
    case("put-empty-deletes-all", "PUT", WS1, 200, {}, headers=API_KEY, json={}),
    case(
        "patch-merges",
        "PATCH",
        WS1,
        200,
        {**DEFAULT_MAP, "maxTokens": {"value": 42, "type": "number", "description": "cap"}},
        headers=API_KEY,
        json={"maxTokens": {"value": 42, "description": "cap"}},
    ),
    case("patch-empty", "PATCH", WS1, 200, DEFAULT_MAP, headers=API_KEY, json={}),
    case("get", "GET", WS1, 200, DEFAULT_MAP, headers=API_KEY),
    case("get-bearer", "GET", WS1, 200, DEFAULT_MAP, headers=BEARER),
    case(
        "get-unknown-bearer-valid-key",
        "GET",
        WS1,
        200,
        DEFAULT_MAP,
        headers={"Authorization": "Bearer nope", **API_KEY},
    ),
    case("get-editor", "GET", WS1, 200, DEFAULT_MAP, headers=EDITOR),
    case("get-other-workspace", "GET", WS2, 200, {}, headers=API_KEY),
    case(
        "get-unknown-workspace",
        "GET",
        "/prismeai/v2/workspaces/zz/security/secrets",
        200,
        {},
        headers=BEARER,
    ),
    case(
        "delete",
        "DELETE",
        f"{WS1}/openaiApiKey",
        200,
        {"secretName": "openaiApiKey"},
        headers=API_KEY,
    ),
    case(
        "delete-unknown",
        "DELETE",
        f"{WS1}/nope",
        404,
        {"error": "ObjectNotFoundError", "message": "Secret 'nope' not found"},
        headers=API_KEY,
    ),
    case("delete-editor", "DELETE", f"{WS1}/openaiApiKey", 404, NOT_FOUND, headers=EDITOR),
    case(
        "delete-other-workspace", "DELETE", f"{WS2}/openaiApiKey", 404, NOT_FOUND, headers=API_KEY
    ),
    case(
        "put-editor",
        "PUT",
        WS1,
        403,
        {"error": "ForbiddenError", "details": {"action": "update", "name": "openaiApiKey"}},
        headers=EDITOR,
        json=SEED_BODY,
    ),
    case(
        "patch-editor",
        "PATCH",
        WS1,
        403,
        {"error": "ForbiddenError", "message": 'Cannot execute "create" on "secrets" k'},
        headers=EDITOR,
        json={"k": {"value": "v"}},
    ),
    case(
        "put-other-workspace",
        "PUT",
        WS2,
        403,
        {"error": "ForbiddenError"},
        headers=API_KEY,
        json={"k": {"value": "v"}},
    ),
    case(
        "patch-other-workspace",
        "PATCH",
        WS2,
        403,
        {"error": "ForbiddenError"},
        headers=BEARER,
        json={"k": {"value": "v"}},
    ),
    case(
        "put-system-name",
        "PUT",
        WS1,
        403,
        {"error": "ForbiddenError", "details": {"action": "create", "name": "prismeai_ratelimit"}},
        headers=API_KEY,
        json={**SEED_BODY, "prismeai_ratelimit": {"value": 10}},
    ),
    case(
        "patch-system-name",
        "PATCH",
        WS1,
        403,
        {"error": "ForbiddenError"},
        headers=API_KEY,
        json={"prismeai_x": {"value": "v"}},
    ),
    case(
        "missing-value",
        "PUT",
        WS1,
        400,
        {
            "error": "RequestValidationError",
            "details": [{"path": "/body/k/value", "errorCode": "required.openapi.validation"}],
        },
        headers=API_KEY,
        json={"k": {"description": "no value"}},
    ),
    case(
        "entry-not-object",
        "PATCH",
        WS1,
        400,
        {"error": "RequestValidationError", "details": [{"path": "/body/k"}]},
        headers=API_KEY,
        json={"k": "v"},
    ),
    case(
        "body-not-object",
        "PUT",
        WS1,
        400,
        {"error": "RequestValidationError", "message": "request/body must be object"},
        headers=API_KEY,
        json=[{"value": "v"}],
    ),
    case(
        "description-wrong-type",
        "PATCH",
        WS1,
        400,
        {"error": "RequestValidationError", "details": [{"path": "/body/k/description"}]},
        headers=API_KEY,
        json={"k": {"value": "v", "description": 5}},
    ),
    case(
        "id-wrong-type",
        "PATCH",
        WS1,
        400,
        {"error": "RequestValidationError", "details": [{"path": "/body/k/id"}]},
        headers=API_KEY,
        json={"k": {"value": "v", "id": 5}},
    ),
    case(
        "empty-name",
        "PATCH",
        WS1,
        400,
        {"error": "RequestValidationError"},
        headers=API_KEY,
        json={"": {"value": "v"}},
    ),
    case(
        "malformed-json",
        "PUT",
        WS1,
        400,
        {"error": "RequestValidationError", "details": [{"path": "/body"}]},
        headers={**API_KEY, **{"Content-Type": "application/json"}},
        data=b"{oops",
    ),
    case(
        "wrong-content-type",
        "PATCH",
        WS1,
        400,
        {
            "error": "RequestValidationError",
            "message": "request/headers/content-type unsupported media type text/plain",
        },
        headers={**API_KEY, **{"Content-Type": "text/plain"}},
        data=b"k=v",
    ),
    case(
        "no-body",
        "PUT",
        WS1,
        400,
        {"error": "RequestValidationError", "message": "request/body is required"},
        headers=API_KEY,
    ),
    case(
        "unknown-route",
        "GET",
        "/prismeai/v2/workspaces/ws1/automations",
        404,
        {"error": "RequestValidationError", "message": "not found"},
        headers=API_KEY,
    ),
    case(
        "wrong-method",
        "GET",
        f"{WS1}/openaiApiKey",
        400,
        {"error": "RequestValidationError", "message": "GET method not allowed"},
        headers=API_KEY,
    ),
]


@cases(CASES)
def test_operation(api: Api, row: Case) -> None:
    response = send(api, row)
    body = response.json()
    assert UUID.match(response.headers["x-correlation-id"])
    if row.status == 200:
        assert set(body) == set(row.expected)
    else:
        assert set(body) <= {"error", "message", "details"} and body["message"]


NO_TOKEN = "No authentication token found"
MALFORMED = "Malformed authentication token"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    ("headers", "message"),
    [
        # The gateway's 401 carries req.authError (api-gateway authentication/init.ts,
        # policies/authentication.ts, HP319193/prisme.ai db8041a5): passport-jwt's
        # "No auth token" and "jwt malformed" in its own words.
        pytest.param({}, NO_TOKEN, id="init.ts-none"),
        pytest.param({"Authorization": "Bearer nope"}, MALFORMED, id="init.ts-unknown-bearer"),
        pytest.param({"x-prismeai-api-key": "nope"}, "Unauthenticated", id="unknown-key"),
        pytest.param({"Authorization": "Bearer "}, NO_TOKEN, id="init.ts-empty-bearer"),
        pytest.param(
            {"Authorization": "Basic cHJpc21lLXRlc3Qtd3MxOg=="}, NO_TOKEN, id="init.ts-basic"
        ),
        pytest.param({"Authorization": "prisme-test-ws1"}, NO_TOKEN, id="init.ts-no-scheme"),
        pytest.param(
            # init.ts reads only an access token (at:...) from x-prismeai-token.
            {"x-prismeai-token": "prisme-test-ws1"},
            NO_TOKEN,
            id="init.ts-legacy-header-carries-no-jwt",
        ),
        pytest.param(
            {"x-prismeai-token": "at:unknown"}, NO_TOKEN, id="init.ts-legacy-unknown-access-token"
        ),
        pytest.param(
            # authorization || x-prismeai-token: the legacy header is not read beside it.
            {"Authorization": "Bearer nope", "x-prismeai-token": "at:ws1-access"},
            MALFORMED,
            id="init.ts-authorization-hides-legacy-header",
        ),
    ],
)
def test_authentication(
    api: Api, emulator: Emulator, method: str, headers: dict[str, str], message: str
) -> None:
    add_access_token(emulator)
    path = f"{WS1}/openaiApiKey" if method == "DELETE" else WS1
    body: dict[str, Any] = {"json": {}} if method in {"PUT", "PATCH"} else {}
    response = api.request(method, path, headers=headers, **body)
    assert response.status_code == 401
    assert response.json() == {"error": "AuthenticationError", "message": message}
    assert UUID.match(response.headers["x-correlation-id"])


def add_access_token(emulator: Emulator) -> None:
    """ws1 with an access token (at:...) beside the default fixtures' credentials."""
    emulator.put_tenant(
        "prismeai",
        "ws1",
        {
            "credentials": [
                {"token": "prisme-test-ws1"},
                {"token": "at:ws1-access"},
            ],
            "secrets": [{"name": "openaiApiKey", "value": "sk-test-prisme-1"}],
        },
    )


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"x-prismeai-token": "at:ws1-access"}, id="init.ts-legacy-header"),
        pytest.param({"x-prismeai-token": "Bearer at:ws1-access"}, id="init.ts-legacy-bearer"),
        pytest.param({"Authorization": "at:ws1-access"}, id="init.ts-no-scheme-access-token"),
        pytest.param({"Authorization": "Bearer at:ws1-access"}, id="bearer-access-token"),
        pytest.param(
            # policies/authentication.ts: allowApiKeyOnly; an invalid Bearer only sets
            # req.authError, and the API key carries the request.
            {"Authorization": "Bearer not-a-jwt", "x-prismeai-api-key": "prisme-test-ws1"},
            id="authentication.ts-api-key-beside-invalid-bearer",
        ),
    ],
)
def test_access_tokens_and_api_keys_pass(
    api: Api, emulator: Emulator, headers: dict[str, str]
) -> None:
    add_access_token(emulator)
    response = api.request("GET", WS1, headers=headers)
    assert response.status_code == 200, response.json()
    assert list(response.json()) == ["openaiApiKey"]


def test_auth_comes_before_validation(api: Api) -> None:
    response = api.request("PUT", WS1, json={"k": "not an entry"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("value", "js_type"),
    [
        ("text", "string"),
        ("", "string"),
        (0, "number"),
        (1.5, "number"),
        (True, "boolean"),
        (False, "boolean"),
        (None, "object"),
        ([], "object"),
        (["gpt4", 1, {"deep": [None, True]}], "object"),
        ({"url": "https://x", "retries": 3, "nested": {"on": False}}, "object"),
    ],
)
def test_values_of_every_json_type_round_trip(
    api: Api, emulator: Emulator, value: Any, js_type: str
) -> None:
    written = api.request("PATCH", WS1, headers=API_KEY, json={"k": {"value": value}}).json()
    assert written["k"]["value"] == value and written["k"]["type"] == js_type
    read = api.request("GET", WS1, headers=API_KEY).json()
    assert read["k"]["value"] == value and type(read["k"]["value"]) is type(value)
    assert snapshot(emulator)["k"]["value"] == value


def test_put_replaces_the_whole_set(api: Api, emulator: Emulator) -> None:
    body = {"allowedModels": {"value": ["gpt4o"]}, "region": {"value": "eu"}}
    answer = api.request("PUT", WS1, headers=API_KEY, json=body).json()
    assert list(answer) == ["allowedModels", "region"]
    stored = snapshot(emulator)
    assert set(stored) == {"allowedModels", "region"}
    assert stored["allowedModels"]["value"] == ["gpt4o"]


def test_patch_merges_and_keeps_the_rest(api: Api, emulator: Emulator) -> None:
    before = snapshot(emulator)
    body = {"allowedModels": {"value": ["gpt4o"]}, "region": {"value": "eu"}}
    answer = api.request("PATCH", WS1, headers=BEARER, json=body).json()
    assert list(answer) == ["openaiApiKey", "allowedModels", "region"]
    stored = snapshot(emulator)
    assert stored["openaiApiKey"] == before["openaiApiKey"]
    assert stored["allowedModels"]["value"] == ["gpt4o"]
    assert stored["region"]["value"] == "eu"


def test_unchanged_write_answers_the_map_as_it_is(api: Api, emulator: Emulator) -> None:
    current = api.request("GET", WS1, headers=API_KEY).json()
    before = snapshot(emulator)
    for method in ("PUT", "PATCH"):
        answer = api.request(method, WS1, headers=API_KEY, json=current)
        assert answer.status_code == 200 and answer.json() == current
    assert snapshot(emulator) == before


def test_server_managed_fields_do_not_count_as_changes(api: Api, emulator: Emulator) -> None:
    before = snapshot(emulator)
    managed = {
        "id": "forged",
        "createdAt": "1999-01-01T00:00:00.000Z",
        "updatedAt": "1999-01-01T00:00:00.000Z",
        "createdBy": "mallory",
        "updatedBy": "mallory",
        "permissions": {"mallory": {"role": "owner", "policies": {"read": True}}},
        "type": "boolean",
        "colour": "blue",  # unknown fields are ignored too
    }
    body = {"openaiApiKey": {"value": "sk-test-prisme-1", **managed}}
    answer = api.request("PATCH", WS1, headers=API_KEY, json=body).json()
    assert "colour" not in answer["openaiApiKey"]
    assert answer["openaiApiKey"]["id"] == before["openaiApiKey"]["id"]
    assert answer["openaiApiKey"]["type"] == "string"
    assert answer["openaiApiKey"]["permissions"] == {}
    assert snapshot(emulator) == before


def test_update_moves_updated_fields_only(api: Api, emulator: Emulator) -> None:
    emulator.put_tenant(
        "prismeai",
        "ws1",
        {
            "credentials": [
                {"token": "alice-token", "user": "alice"},
                {"token": "bob-token", "user": "bob"},
            ],
            "secrets": [{"name": "k", "value": "v1"}],
        },
    )
    before = api.request("GET", WS1, headers={"x-prismeai-api-key": "alice-token"}).json()["k"]
    assert before["createdBy"] == before["updatedBy"] == "alice"
    bob = {"Authorization": "Bearer bob-token"}
    after = api.request("PATCH", WS1, headers=bob, json={"k": {"value": "v2"}}).json()["k"]
    assert (after["id"], after["createdAt"], after["createdBy"]) == (
        before["id"],
        before["createdAt"],
        "alice",
    )
    assert after["updatedBy"] == "bob" and after["updatedAt"] > before["updatedAt"]
    created = api.request("PATCH", WS1, headers=bob, json={"n": {"value": 1}}).json()["n"]
    assert created["createdBy"] == created["updatedBy"] == "bob"
    assert created["createdAt"] == created["updatedAt"]
    for stamp in (after["createdAt"], after["updatedAt"], created["createdAt"]):
        assert ISO.match(stamp)
    assert re.fullmatch(r"[0-9a-f]{24}", created["id"])


@pytest.mark.parametrize(
    ("stored", "sent", "changed"),
    [
        (1, 1.0, False),
        (1, True, True),
        (0, False, True),
        ("1", 1, True),
        (None, None, False),
        ([1, 2], [2, 1], True),
        ({"a": 1, "b": [True]}, {"b": [True], "a": 1.0}, False),
        ({"a": None}, {}, True),
    ],
)
def test_changes_are_found_as_javascript_compares(
    api: Api, emulator: Emulator, stored: Any, sent: Any, changed: bool
) -> None:
    emulator.put_tenant(
        "prismeai",
        "ws1",
        {
            "credentials": [{"token": "prisme-test-ws1"}],
            "secrets": [{"name": "k", "value": stored}],
        },
    )
    before = snapshot(emulator)["k"]
    api.request("PATCH", WS1, headers=API_KEY, json={"k": {"value": sent}})
    after = snapshot(emulator)["k"]
    assert (after["updatedAt"] != before["updatedAt"]) is changed
    assert after["value"] == (sent if changed else stored)


def test_names_are_taken_from_the_decoded_path(api: Api, emulator: Emulator) -> None:
    api.request("PATCH", WS1, headers=API_KEY, json={"my key": {"value": "v"}})
    response = api.request("DELETE", f"{WS1}/my%20key", headers=API_KEY)
    assert response.json() == {"secretName": "my key"}
    assert "my key" not in snapshot(emulator)


def test_description_is_stored_empty_and_omitted_on_read(api: Api, emulator: Emulator) -> None:
    answer = api.request(
        "PATCH", WS1, headers=API_KEY, json={"k": {"value": "v", "description": ""}}
    ).json()
    assert "description" not in answer["k"]
    assert snapshot(emulator)["k"]["description"] == ""
    described = {"k": {"value": "v", "description": "used by the router"}}
    answer = api.request("PATCH", WS1, headers=API_KEY, json=described).json()
    assert answer["k"]["description"] == "used by the router"
    # An entry sent without its description clears it: the entry is replaced as a whole.
    answer = api.request("PATCH", WS1, headers=API_KEY, json={"k": {"value": "v"}}).json()
    assert "description" not in answer["k"]
    assert snapshot(emulator)["k"]["description"] == ""


def test_client_given_id_is_kept_on_create(api: Api) -> None:
    body = {"a": {"value": 1, "id": "my-id"}, "b": {"value": 2, "id": "my-id"}}
    answer = api.request("PATCH", WS1, headers=API_KEY, json=body).json()
    assert answer["a"]["id"] == "my-id"
    assert answer["b"]["id"] != "my-id", "ids stay unique in a workspace"


@pytest.mark.parametrize(
    ("method", "headers", "body"),
    [
        pytest.param(
            "PATCH", API_KEY, {"ok": {"value": "v"}, "prismeai_x": {"value": "v"}}, id="system-name"
        ),
        pytest.param(
            "PUT",
            API_KEY,
            {"openaiApiKey": {"value": "changed"}, "prismeai_x": {"value": "v"}},
            id="put-system-name",
        ),
        pytest.param("PUT", EDITOR, {}, id="editor-put"),
        pytest.param("PATCH", EDITOR, {"openaiApiKey": {"value": "changed"}}, id="editor-patch"),
        pytest.param(
            "PUT",
            API_KEY,
            {"ok": {"value": "v"}, "bad": {"value": "v", "description": 1}},
            id="invalid",
        ),
        pytest.param(
            "PUT",
            {"x-prismeai-api-key": "prisme-test-ws2"},
            {"openaiApiKey": {"value": "x"}},
            id="ws2-key",
        ),
    ],
)
def test_failed_write_changes_nothing(
    api: Api, emulator: Emulator, method: str, headers: dict[str, str], body: Any
) -> None:
    put_ws2(emulator)
    before = snapshot(emulator)
    response = api.request(method, WS1, headers=headers, json=body)
    assert response.status_code in {400, 403}
    assert snapshot(emulator) == before


def test_editor_may_send_back_an_unchanged_map(api: Api, emulator: Emulator) -> None:
    current = api.request("GET", WS1, headers=EDITOR).json()
    response = api.request("PUT", WS1, headers=EDITOR, json=current)
    assert response.status_code == 200 and response.json() == current


def test_system_secrets_are_invisible_to_workspace_roles(api: Api, emulator: Emulator) -> None:
    emulator.put_tenant(
        "prismeai",
        "ws1",
        {
            "credentials": [{"token": "prisme-test-ws1"}],
            "secrets": [
                {"name": "prismeai_ratelimit_requests", "value": 100},
                {"name": "mine", "value": "v"},
            ],
        },
    )
    assert list(api.request("GET", WS1, headers=API_KEY).json()) == ["mine"]
    assert api.request("PUT", WS1, headers=API_KEY, json={}).json() == {}
    response = api.request("DELETE", f"{WS1}/prismeai_ratelimit_requests", headers=API_KEY)
    assert response.status_code == 404
    assert list(snapshot(emulator)) == ["prismeai_ratelimit_requests"]


def test_delete_then_create_again(api: Api, emulator: Emulator) -> None:
    old_id = snapshot(emulator)["openaiApiKey"]["id"]
    assert api.request("DELETE", f"{WS1}/openaiApiKey", headers=BEARER).status_code == 200
    assert "openaiApiKey" not in snapshot(emulator)
    again = api.request("DELETE", f"{WS1}/openaiApiKey", headers=BEARER)
    assert again.status_code == 404 and again.json() == NOT_FOUND
    body = {"openaiApiKey": {"value": "fresh"}}
    created = api.request("PATCH", WS1, headers=BEARER, json=body).json()
    assert created["openaiApiKey"]["id"] != old_id


def test_official_client_practice(api: Api, emulator: Emulator) -> None:
    """The SDK and console: PATCH the whole edited map, one DELETE per removed name,
    then read the values back with GET."""
    current = api.request("GET", WS1, headers=BEARER).json()
    edited = {name: dict(entry) for name, entry in current.items() if name != "allowedModels"}
    edited["openaiApiKey"]["value"] = "sk-rotated"
    edited["temperature"] = {"value": 0.2, "description": "sampling"}
    patched = api.request("PATCH", WS1, headers=BEARER, json=edited)
    assert patched.status_code == 200
    assert set(patched.json()) == {"openaiApiKey", "allowedModels", "temperature"}
    for removed in set(current) - set(edited):
        deleted = api.request("DELETE", f"{WS1}/{removed}", headers=BEARER)
        assert deleted.json() == {"secretName": removed}
    values = {k: v["value"] for k, v in api.request("GET", WS1, headers=BEARER).json().items()}
    assert values == {"openaiApiKey": "sk-rotated", "temperature": 0.2}
    assert snapshot(emulator)["temperature"]["description"] == "sampling"


def test_workspaces_are_isolated(api: Api, emulator: Emulator) -> None:
    put_ws2(emulator)
    ws2_key = {"x-prismeai-api-key": "prisme-test-ws2"}
    assert api.request("GET", WS1, headers=ws2_key).json() == {}
    assert api.request("DELETE", f"{WS1}/openaiApiKey", headers=ws2_key).status_code == 404
    patch = api.request("PATCH", WS1, headers=ws2_key, json={"openaiApiKey": {"value": "x"}})
    assert patch.status_code == 403
    assert list(api.request("GET", WS2, headers=ws2_key).json()) == ["ws2Only"]
    assert list(api.request("GET", WS2, headers=API_KEY).json()) == []
    assert snapshot(emulator)["openaiApiKey"]["value"] == "sk-test-prisme-1"


def test_correlation_id_is_overwritten(api: Api) -> None:
    """traceability.ts extractRequestCorrelationId (db8041a5): OVERWRITE_CORRELATION_ID_HEADER
    defaults to !DEBUG, so a production gateway answers a new UUID whatever was sent."""
    given = {**API_KEY, "x-correlation-id": "trace-123"}
    answered = api.request("GET", WS1, headers=given).headers["x-correlation-id"]
    assert UUID.match(answered) and answered != "trace-123"
    failed = api.request("DELETE", f"{WS1}/nope", headers=given)
    assert UUID.match(failed.headers["x-correlation-id"])
    first = api.request("GET", WS1, headers=API_KEY).headers["x-correlation-id"]
    second = api.request("GET", WS1, headers=API_KEY).headers["x-correlation-id"]
    assert UUID.match(first) and first != second


def test_secret_values_never_appear_in_errors(api: Api) -> None:
    body = {"k": {"value": "sk-very-secret", "description": 5}}
    response = api.request("PATCH", WS1, headers=API_KEY, json=body)
    assert response.status_code == 400
    assert "sk-very-secret" not in str(response.json())


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        pytest.param({"value": "v"}, "'name' must be a non-empty string", id="no-name"),
        pytest.param(
            {"name": "", "value": "v"}, "'name' must be a non-empty string", id="empty-name"
        ),
        pytest.param({"name": "k"}, "'value' is required", id="no-value"),
        pytest.param(
            {"name": "k", "value": "v", "description": 3},
            "'description' must be a string",
            id="number-description",
        ),
        pytest.param(
            {"name": "k", "value": "v", "keyName": "K"},
            "unknown fields ['keyName']",
            id="unknown-field",
        ),
    ],
)
def test_fixture_secrets_are_checked(
    emulator: Emulator, secret: dict[str, Any], problem: str
) -> None:
    with pytest.raises(FixtureError, match=re.escape(problem)):
        emulator.put_tenant("prismeai", "ws9", {"secrets": [secret]})


def test_fixture_secret_names_are_unique(emulator: Emulator) -> None:
    secrets = [{"name": "k", "value": 1}, {"name": "k", "value": 2}]
    with pytest.raises(FixtureError, match="appears twice"):
        emulator.put_tenant("prismeai", "ws9", {"secrets": secrets})


def test_internal_error_is_the_services_500() -> None:
    path = "/v2/workspaces/ws1/security/secrets"
    request = IncomingRequest("GET", path, "", {}, b"").routed(
        Sources(seed=1), {"workspaceId": "ws1"}, "getWorkspaceSecrets"
    )
    finish = VENDOR.finish  # the gateway's header, on every answer the engine sends
    assert finish is not None
    reply = finish(VENDOR.errors.internal(request), request)
    assert (reply.status, reply.body) == (500, {"error": "Internal", "message": "Internal error"})
    assert UUID.match(reply.headers["x-correlation-id"])
    given = replace(request, headers={"x-correlation-id": "abc"})
    traced = finish(VENDOR.errors.internal(given), given)
    assert UUID.match(traced.headers["x-correlation-id"])


def test_every_operation_declares_every_status_it_can_answer() -> None:
    spec = load_spec(spec_path(VENDOR.spec_file))
    for operation in spec.operations:
        declared = spec.document["paths"][operation.path_template][operation.method]["responses"]
        assert {"200", "400", "401", "403", "404", "500"} <= set(declared), operation.operation_id
