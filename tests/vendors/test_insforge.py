"""InsForge behaviour, table-driven, over both transports (see conftest ``api``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError
from secretmock.engine.sources import Sources
from secretmock.vendors.insforge import models
from tests.conftest import START, Api
from tests.helpers import Case, assert_subset, case, cases, contains_key, send, table

BASE = "/insforge/api/secrets"
AUTH = {"Authorization": "Bearer ik_test_demo_admin"}
API_KEY_HEADER = {"x-api-key": "ik_test_demo_admin"}
BUILTINS = ["API_KEY", "ANON_KEY", "JWT_SECRET", "INSFORGE_BASE_URL"]
MISSING = "Both key and value are required"
BAD_KEY = (
    "Invalid key format. Use uppercase letters, numbers, and underscores only "
    "(e.g., STRIPE_API_KEY)"
)
PAST, FUTURE = "2020-01-01T00:00:00Z", "2100-01-01T00:00:00.000Z"
FAR = "9999-12-31T23:59:59-23:59"  # a valid RFC 3339 time beyond the last UTC one
ERROR_KEYS = {"error", "message", "statusCode", "nextActions"}


def done(key: str, what: str) -> dict[str, Any]:
    return {"success": True, "message": f"Secret {key} has been {what} successfully"}


def error(code: str, message: str) -> dict[str, Any]:
    return {"error": code, "message": message}


def stored(emulator: Emulator, key: str) -> dict[str, Any] | None:
    snapshot = emulator.tenant_snapshot("insforge", "demo-project")
    assert snapshot is not None
    return next((s for s in snapshot["secrets"] if s["key"] == key), None)


def listed(api: Api, headers: dict[str, str] = AUTH) -> list[dict[str, Any]]:
    response = api.request("GET", BASE, headers=headers)
    assert response.status_code == 200
    return response.json()["secrets"]  # type: ignore[no-any-return]


def put_demo(emulator: Emulator, secrets: list[dict[str, Any]], **extra: Any) -> None:
    """Replaces the demo project with ``secrets`` (and any extra credentials)."""
    credentials = [{"token": "ik_test_demo_admin"}, *extra.get("credentials", [])]
    emulator.put_tenant(
        "insforge", "demo-project", {"credentials": credentials, "secrets": secrets}
    )


JSON = {"Content-Type": "application/json"}

CASES = [
    case(
        "update-seed",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        200,
        done("STRIPE_API_KEY", "updated"),
        json={"value": "sk_test_new"},
    ),
    case(
        "update-seed-x-api-key",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        200,
        done("STRIPE_API_KEY", "updated"),
        json={"value": "sk_test_new"},
        headers={"Authorization": "", **API_KEY_HEADER},
    ),
    case(
        "update-all-fields",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        200,
        done("STRIPE_API_KEY", "updated"),
        json={"value": "v", "isActive": True, "isReserved": False, "expiresAt": FUTURE},
    ),
    case(
        "update-clear-expiry",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        200,
        done("STRIPE_API_KEY", "updated"),
        json={"expiresAt": None},
    ),
    case(
        "update-empty-value",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        200,
        done("STRIPE_API_KEY", "updated"),
        json={"value": ""},
    ),
    case(
        "update-unknown",
        "PUT",
        f"{BASE}/NOPE",
        404,
        error("SECRET_NOT_FOUND", "Secret not found: NOPE"),
        json={"value": "v"},
    ),
    case(
        "update-malformed-key",
        "PUT",
        f"{BASE}/stripe-key",
        404,
        error("SECRET_NOT_FOUND", "Secret not found: stripe-key"),
        json={"value": "v"},
    ),
    case(
        "update-malformed-key-and-body",
        "PUT",
        f"{BASE}/lower",
        404,
        error("SECRET_NOT_FOUND", "Secret not found: lower"),
        json={"value": 5},
    ),
    case(
        "update-reserved",
        "PUT",
        f"{BASE}/API_KEY",
        403,
        error("FORBIDDEN", "Cannot update reserved secret: API_KEY"),
        json={"value": "ik_mine"},
    ),
    case(
        "update-nothing-to-change",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        400,
        error("INVALID_INPUT", "Failed to update secret: STRIPE_API_KEY"),
        json={},
    ),
    case(
        "update-only-unknown-fields",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        400,
        error("INVALID_INPUT", "Failed to update secret: STRIPE_API_KEY"),
        json={"name": "x"},
    ),
    case(
        "update-nothing-unknown-key",
        "PUT",
        f"{BASE}/NOPE",
        404,
        {"error": "SECRET_NOT_FOUND"},
        json={},
    ),
    case(
        "update-value-wrong-type",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        400,
        error("INVALID_INPUT", "Invalid request: value is not of type 'string'"),
        json={"value": 5},
    ),
    case(
        "update-is-active-wrong-type",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        400,
        error("INVALID_INPUT", "Invalid request: isActive is not of type 'boolean'"),
        json={"isActive": "yes"},
    ),
    case(
        "update-bad-expiry",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        400,
        error("INVALID_INPUT", "Invalid request: expiresAt is not a valid 'date-time'"),
        json={"expiresAt": "next week"},
    ),
    case(
        "update-body-not-object",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        400,
        {"error": "INVALID_INPUT", "nextActions": "Check the request body format"},
        json=["value"],
    ),
    case(
        "update-malformed-json",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        400,
        {
            "error": "INVALID_INPUT",
            "nextActions": "Please ensure your request body contains valid JSON",
        },
        data=b"{oops",
        headers=JSON,
    ),
    case(
        "update-wrong-content-type",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        400,
        {"error": "INVALID_INPUT"},
        data=b"value=v",
        headers={"Content-Type": "text/plain"},
    ),
    case(
        "update-no-body",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        400,
        error("INVALID_INPUT", "Invalid request: a request body is required"),
    ),
    case(
        "create",
        "POST",
        BASE,
        201,
        done("OPENAI_API_KEY", "created"),
        json={"key": "OPENAI_API_KEY", "value": "sk-1"},
    ),
    case(
        "create-digit-first-reserved-expiring",
        "POST",
        BASE,
        201,
        done("9LIVES", "created"),
        json={"key": "9LIVES", "value": "v", "isReserved": True, "expiresAt": FUTURE},
    ),
    case(
        "create-null-expiry",
        "POST",
        BASE,
        201,
        done("K", "created"),
        json={"key": "K", "value": "v", "expiresAt": None},
    ),
    case(
        "create-mode-strict-not-emulated",
        "POST",
        BASE,
        201,
        done("STRICT", "created"),
        json={"key": "STRICT", "value": "v", "mode": "strict"},
    ),
    case(
        "create-active-duplicate",
        "POST",
        BASE,
        409,
        error("SECRET_ALREADY_EXISTS", "Secret already exists: STRIPE_API_KEY"),
        json={"key": "STRIPE_API_KEY", "value": "v"},
    ),
    case(
        "create-builtin-duplicate",
        "POST",
        BASE,
        409,
        error("SECRET_ALREADY_EXISTS", "Secret already exists: API_KEY"),
        json={"key": "API_KEY", "value": "ik_x"},
    ),
    case(
        "create-missing-value",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", MISSING),
        json={"key": "K"},
    ),
    case(
        "create-missing-key",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", MISSING),
        json={"value": "v"},
    ),
    case(
        "create-empty-value",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", MISSING),
        json={"key": "K", "value": ""},
    ),
    case(
        "create-empty-key",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", MISSING),
        json={"key": "", "value": "v"},
    ),
    case(
        "create-null-value",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", MISSING),
        json={"key": "K", "value": None},
    ),
    case(
        "create-bad-key-missing-value",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", MISSING),
        json={"key": "bad key"},
    ),
    case(
        "create-lower-case-key",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", BAD_KEY),
        json={"key": "stripe_key", "value": "v"},
    ),
    case(
        "create-dashed-key",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", BAD_KEY),
        json={"key": "MY-KEY", "value": "v"},
    ),
    case(
        "create-key-trailing-newline",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", BAD_KEY),
        json={"key": "MY_KEY\n", "value": "v"},
    ),
    case(
        "create-value-wrong-type",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", "Invalid request: value is not of type 'string'"),
        json={"key": "K", "value": 5},
    ),
    case(
        "create-reserved-wrong-type",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", "Invalid request: isReserved is not of type 'boolean'"),
        json={"key": "K", "value": "v", "isReserved": "yes"},
    ),
    case(
        "create-bad-expiry",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", "Invalid request: expiresAt is not a valid 'date-time'"),
        json={"key": "K", "value": "v", "expiresAt": "tomorrow"},
    ),
    case(
        "create-expiry-out-of-range",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", "Invalid request: expiresAt is not a valid date-time"),
        json={"key": "K", "value": "v", "expiresAt": FAR},
    ),
    case("create-body-array", "POST", BASE, 400, error("INVALID_INPUT", MISSING), json=[]),
    case("create-no-body", "POST", BASE, 400, error("INVALID_INPUT", MISSING)),
    case(
        "create-wrong-content-type",
        "POST",
        BASE,
        400,
        error("INVALID_INPUT", MISSING),
        data=b"key=K&value=v",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    case(
        "create-malformed-json",
        "POST",
        BASE,
        400,
        {"error": "INVALID_INPUT", "statusCode": 400},
        data=b'{"key":',
        headers=JSON,
    ),
    case(
        "get",
        "GET",
        f"{BASE}/STRIPE_API_KEY",
        200,
        {"key": "STRIPE_API_KEY", "value": "sk_test_stripe_1"},
    ),
    case("get-builtin", "GET", f"{BASE}/INSFORGE_BASE_URL", 200, {"key": "INSFORGE_BASE_URL"}),
    case(
        "get-unknown",
        "GET",
        f"{BASE}/NOPE",
        404,
        error("SECRET_NOT_FOUND", "Secret not found: NOPE"),
    ),
    case(
        "get-malformed-key",
        "GET",
        f"{BASE}/stripe_api_key",
        404,
        error("SECRET_NOT_FOUND", "Secret not found: stripe_api_key"),
    ),
    case("delete", "DELETE", f"{BASE}/STRIPE_API_KEY", 200, done("STRIPE_API_KEY", "deleted")),
    case(
        "delete-unknown",
        "DELETE",
        f"{BASE}/NOPE",
        404,
        error("SECRET_NOT_FOUND", "Secret not found: NOPE"),
    ),
    case(
        "delete-malformed-key",
        "DELETE",
        f"{BASE}/a.b",
        404,
        error("SECRET_NOT_FOUND", "Secret not found: a.b"),
    ),
    *[
        case(
            f"delete-reserved-{key}",
            "DELETE",
            f"{BASE}/{key}",
            403,
            error("FORBIDDEN", f"Cannot delete reserved secret: {key}"),
        )
        for key in BUILTINS
    ],
    case("list", "GET", BASE, 200, {"secrets": [{"key": "STRIPE_API_KEY"}] + [{}] * 4}),
    case("list-ignores-query", "GET", f"{BASE}?unknown=1", 200, {"secrets": [{}] * 5}),
    case(
        "unknown-route",
        "GET",
        "/insforge/api/secrets/A/B",
        404,
        {
            "error": "NOT_FOUND",
            "message": "Endpoint /api/secrets/A/B not found",
            "nextActions": "Please check the API documentation for available endpoints",
        },
    ),
    case("wrong-method", "PATCH", f"{BASE}/STRIPE_API_KEY", 404, {"error": "NOT_FOUND"}, json={}),
    case(
        "rotation-not-emulated",
        "POST",
        f"{BASE}/api-key/rotate",
        404,
        {"error": "NOT_FOUND"},
        json={},
    ),
]


@cases(CASES)
def test_operation(api: Api, row: Case) -> None:
    body = send(api, row, AUTH).json()
    if row.status >= 400:
        assert set(body) <= ERROR_KEYS and body["statusCode"] == row.status
        assert {"error", "message", "statusCode"} <= set(body)
    listing = row.method == "GET" and row.path.startswith(BASE) and "secrets" in body
    if listing and row.status == 200:
        assert not contains_key(body, "value"), "the list never shows values"


class AuthCase(NamedTuple):
    id: str
    headers: dict[str, str]
    status: int
    code: str
    message: str
    next_actions: str


AUTH_CASES = [
    AuthCase(
        "no-credentials",
        headers={},
        status=401,
        code="AUTH_INVALID_CREDENTIALS",
        message="No admin token provided",
        next_actions="Check the token is valid or login to get a new token.",
    ),
    AuthCase(
        "empty-bearer",
        headers={"Authorization": "Bearer "},
        status=401,
        code="AUTH_INVALID_CREDENTIALS",
        message="No admin token provided",
        next_actions="Check the token is valid or login to get a new token.",
    ),
    AuthCase(
        "lower-case-scheme",
        headers={"Authorization": "bearer ik_test_demo_admin"},
        status=401,
        code="AUTH_INVALID_CREDENTIALS",
        message="No admin token provided",
        next_actions="Check the token is valid or login to get a new token.",
    ),
    AuthCase(
        "basic-scheme",
        headers={"Authorization": "Basic Zm9vOmJhcg=="},
        status=401,
        code="AUTH_INVALID_CREDENTIALS",
        message="No admin token provided",
        next_actions="Check the token is valid or login to get a new token.",
    ),
    AuthCase(
        "unknown-api-key",
        headers={"Authorization": "Bearer ik_nope"},
        status=401,
        code="AUTH_INVALID_API_KEY",
        message="Invalid API key",
        next_actions="Check the API key is valid or generate a new API key.",
    ),
    AuthCase(
        "unknown-x-api-key",
        headers={"x-api-key": "nope"},
        status=401,
        code="AUTH_INVALID_API_KEY",
        message="Invalid API key",
        next_actions="Check the API key is valid or generate a new API key.",
    ),
    AuthCase(
        "unknown-jwt",
        headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x"},
        status=401,
        code="AUTH_INVALID_CREDENTIALS",
        message="Invalid admin token",
        next_actions="Check the admin token is valid or login as admin to get a new token.",
    ),
    AuthCase(
        "x-api-key-wins-over-jwt",
        headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "x-api-key": "nope"},
        status=401,
        code="AUTH_INVALID_API_KEY",
        message="Invalid API key",
        next_actions="Check the API key is valid or generate a new API key.",
    ),
    AuthCase(
        "bearer-api-key-wins-over-x-api-key",
        headers={"Authorization": "Bearer ik_nope", **API_KEY_HEADER},
        status=401,
        code="AUTH_INVALID_API_KEY",
        message="Invalid API key",
        next_actions="Check the API key is valid or generate a new API key.",
    ),
    AuthCase(
        "anon-key-is-not-an-admin-credential",
        headers={"Authorization": "Bearer anon_0123"},
        status=401,
        code="AUTH_INVALID_CREDENTIALS",
        message="Invalid admin token",
        next_actions="Check the admin token is valid or login as admin to get a new token.",
    ),
]


@table(AUTH_CASES)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", BASE), ("POST", BASE), ("GET", f"{BASE}/STRIPE_API_KEY"), ("DELETE", f"{BASE}/X")],
)
def test_authentication(
    api: Api,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    code: str,
    message: str,
    next_actions: str,
) -> None:
    response = api.request(method, path, headers=headers, json={"key": "K", "value": "v"})
    assert response.status_code == status
    assert response.json() == {
        "error": code,
        "message": message,
        "statusCode": status,
        "nextActions": next_actions,
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", BASE, None, id="list"),
        pytest.param("POST", BASE, {"key": "K", "value": "v"}, id="create"),
        pytest.param("GET", f"{BASE}/STRIPE_API_KEY", None, id="get"),
        pytest.param("PUT", f"{BASE}/STRIPE_API_KEY", {"value": "v"}, id="update"),
        pytest.param("DELETE", f"{BASE}/STRIPE_API_KEY", None, id="delete"),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Authorization": "Bearer user-jwt"}, id="bearer"),
        pytest.param({"x-api-key": "user-jwt"}, id="x-api-key"),
    ],
)
def test_non_admin_is_refused_everywhere(
    api: Api,
    emulator: Emulator,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
) -> None:
    put_demo(
        emulator,
        [{"key": "STRIPE_API_KEY", "value": "sk_test_stripe_1"}],
        credentials=[{"token": "user-jwt", "role": "user"}],
    )
    before = stored(emulator, "STRIPE_API_KEY")
    response = api.request(method, path, headers=headers, json=body)
    assert response.status_code == 403
    assert response.json() == {
        "error": "AUTH_UNAUTHORIZED",
        "message": "Admin access required",
        "statusCode": 403,
        "nextActions": "Check the admin token is valid or login as admin to get a new token.",
    }
    assert stored(emulator, "STRIPE_API_KEY") == before


def test_auth_comes_before_validation(api: Api) -> None:
    response = api.request("POST", BASE, json={"key": "bad key"})
    assert response.status_code == 401
    response = api.request("PUT", f"{BASE}/bad-key", headers={"x-api-key": "ik_x"}, json={})
    assert response.json()["error"] == "AUTH_INVALID_API_KEY"


def test_seed_update_stores_the_value(api: Api, emulator: Emulator) -> None:
    response = api.request(
        "PUT", f"{BASE}/STRIPE_API_KEY", headers=AUTH, json={"value": "sk_test_new"}
    )
    assert response.json() == done("STRIPE_API_KEY", "updated")
    assert_subset(stored(emulator, "STRIPE_API_KEY"), {"value": "sk_test_new", "isActive": True})
    got = api.request("GET", f"{BASE}/STRIPE_API_KEY", headers=API_KEY_HEADER).json()
    assert got == {"key": "STRIPE_API_KEY", "value": "sk_test_new"}


def test_update_applies_only_the_given_fields(api: Api, emulator: Emulator) -> None:
    before = stored(emulator, "STRIPE_API_KEY")
    assert before is not None
    api.request("PUT", f"{BASE}/STRIPE_API_KEY", headers=AUTH, json={"expiresAt": FUTURE})
    after = stored(emulator, "STRIPE_API_KEY")
    assert after is not None
    assert after["expiresAt"] == "2100-01-01T00:00:00.000Z"
    assert after["value"] == before["value"] and after["createdAt"] == before["createdAt"]
    assert after["updatedAt"] > before["updatedAt"]
    api.request("PUT", f"{BASE}/STRIPE_API_KEY", headers=AUTH, json={"expiresAt": None})
    assert_subset(
        stored(emulator, "STRIPE_API_KEY"), {"expiresAt": None, "value": "sk_test_stripe_1"}
    )


def test_expiry_offsets_are_normalised_to_utc(api: Api, emulator: Emulator) -> None:
    body = {"expiresAt": "2100-01-01T02:00:00.5+02:00"}
    api.request("PUT", f"{BASE}/STRIPE_API_KEY", headers=AUTH, json=body)
    assert_subset(stored(emulator, "STRIPE_API_KEY"), {"expiresAt": "2100-01-01T00:00:00.500Z"})


def test_reserved_by_update_then_refused(api: Api, emulator: Emulator) -> None:
    path = f"{BASE}/STRIPE_API_KEY"
    assert api.request("PUT", path, headers=AUTH, json={"isReserved": True}).status_code == 200
    refused = api.request("PUT", path, headers=AUTH, json={"isReserved": False})
    assert refused.status_code == 403
    assert refused.json()["message"] == "Cannot update reserved secret: STRIPE_API_KEY"
    assert api.request("DELETE", path, headers=AUTH).status_code == 403
    assert_subset(stored(emulator, "STRIPE_API_KEY"), {"isReserved": True, "isActive": True})


def test_soft_delete_keeps_the_row_and_can_be_undone(api: Api, emulator: Emulator) -> None:
    path = f"{BASE}/STRIPE_API_KEY"
    before = stored(emulator, "STRIPE_API_KEY")
    assert before is not None
    assert api.request("DELETE", path, headers=AUTH).status_code == 200
    assert api.request("GET", path, headers=AUTH).status_code == 404
    [row] = [s for s in listed(api) if s["key"] == "STRIPE_API_KEY"]
    assert row["isActive"] is False and row["id"] == before["id"]
    again = api.request("DELETE", path, headers=AUTH)
    assert again.status_code == 200 and again.json() == done("STRIPE_API_KEY", "deleted")
    # PUT finds inactive secrets and may re-activate them.
    reactivated = api.request("PUT", path, headers=AUTH, json={"isActive": True})
    assert reactivated.status_code == 200
    assert api.request("GET", path, headers=AUTH).json()["value"] == "sk_test_stripe_1"


def test_update_of_an_inactive_secret_keeps_it_inactive(api: Api, emulator: Emulator) -> None:
    path = f"{BASE}/STRIPE_API_KEY"
    api.request("DELETE", path, headers=AUTH)
    assert api.request("PUT", path, headers=AUTH, json={"value": "v2"}).status_code == 200
    assert_subset(stored(emulator, "STRIPE_API_KEY"), {"value": "v2", "isActive": False})
    assert api.request("GET", path, headers=AUTH).status_code == 404


def test_create_revives_a_deleted_secret(api: Api, emulator: Emulator) -> None:
    before = stored(emulator, "STRIPE_API_KEY")
    assert before is not None
    api.request("DELETE", f"{BASE}/STRIPE_API_KEY", headers=AUTH)
    body = {"key": "STRIPE_API_KEY", "value": "sk_revived", "isReserved": True, "expiresAt": FUTURE}
    response = api.request("POST", BASE, headers=AUTH, json=body)
    assert response.status_code == 201
    assert response.json() == {**done("STRIPE_API_KEY", "created"), "id": before["id"]}
    assert_subset(
        stored(emulator, "STRIPE_API_KEY"),
        {
            "id": before["id"],
            "createdAt": before["createdAt"],
            "value": "sk_revived",
            "isActive": True,
            "isReserved": True,
            "expiresAt": "2100-01-01T00:00:00.000Z",
        },
    )
    assert [s["key"] for s in listed(api)].count("STRIPE_API_KEY") == 1


def test_revive_without_expiry_keeps_the_old_one(api: Api, emulator: Emulator) -> None:
    put_demo(emulator, [{"key": "OLD", "value": "v", "expiresAt": PAST}])
    api.request("DELETE", f"{BASE}/OLD", headers=AUTH)
    created = api.request("POST", BASE, headers=AUTH, json={"key": "OLD", "value": "new"})
    assert created.status_code == 201
    assert_subset(
        stored(emulator, "OLD"), {"isActive": True, "expiresAt": "2020-01-01T00:00:00.000Z"}
    )
    assert api.request("GET", f"{BASE}/OLD", headers=AUTH).status_code == 404


def test_create_then_read_and_list(api: Api, emulator: Emulator) -> None:
    response = api.request("POST", BASE, headers=AUTH, json={"key": "NEW_ONE", "value": "v1"})
    new_id = response.json()["id"]
    assert_subset(
        stored(emulator, "NEW_ONE"),
        {"id": new_id, "value": "v1", "isActive": True, "isReserved": False, "expiresAt": None},
    )
    first = listed(api)[0]
    assert first == {
        "id": new_id,
        "key": "NEW_ONE",
        "isActive": True,
        "isReserved": False,
        "lastUsedAt": None,
        "expiresAt": None,
        "createdAt": first["createdAt"],
        "updatedAt": first["createdAt"],
    }
    assert api.request("GET", f"{BASE}/NEW_ONE", headers=AUTH).json() == {
        "key": "NEW_ONE",
        "value": "v1",
    }


def test_list_is_newest_first_and_shows_builtins(api: Api) -> None:
    api.request("POST", BASE, headers=AUTH, json={"key": "A", "value": "v"})
    api.request("POST", BASE, headers=AUTH, json={"key": "B", "value": "v"})
    secrets = listed(api)
    assert [s["key"] for s in secrets] == ["B", "A", "STRIPE_API_KEY", *reversed(BUILTINS)]
    times = [s["createdAt"] for s in secrets]
    assert times == sorted(times, reverse=True)
    assert all(s["isReserved"] for s in secrets if s["key"] in BUILTINS)
    assert not any(s["isReserved"] for s in secrets if s["key"] not in BUILTINS)


def test_reading_stamps_last_used_at(api: Api, emulator: Emulator) -> None:
    before = stored(emulator, "STRIPE_API_KEY")
    assert before is not None and before["lastUsedAt"] is None
    api.request("GET", f"{BASE}/STRIPE_API_KEY", headers=AUTH)
    [row] = [s for s in listed(api) if s["key"] == "STRIPE_API_KEY"]
    assert row["lastUsedAt"] is not None and row["lastUsedAt"] > before["createdAt"]
    assert row["updatedAt"] == row["lastUsedAt"], "the row's update trigger stamps updatedAt"
    api.request("GET", f"{BASE}/NOPE", headers=AUTH)
    assert stored(emulator, "STRIPE_API_KEY") == {
        **before,
        **{k: row[k] for k in ("lastUsedAt", "updatedAt")},
    }


@pytest.mark.parametrize(
    ("expires_at", "status"),
    [
        pytest.param(PAST, 404, id="past"),
        pytest.param(FUTURE, 200, id="future"),
        pytest.param(None, 200, id="none"),
    ],
)
def test_expired_secrets_are_not_readable(
    api: Api, emulator: Emulator, expires_at: str | None, status: int
) -> None:
    put_demo(emulator, [{"key": "TEMP", "value": "v", "expiresAt": expires_at}])
    assert api.request("GET", f"{BASE}/TEMP", headers=AUTH).status_code == status
    [row] = [s for s in listed(api) if s["key"] == "TEMP"]
    assert row["isActive"] is True, "an expired secret stays listed and active"


def test_builtins_are_deterministic_per_project(api: Api, emulator: Emulator) -> None:
    first = {
        key: api.request("GET", f"{BASE}/{key}", headers=AUTH).json()["value"] for key in BUILTINS
    }
    assert first["API_KEY"].startswith("ik_") and len(first["API_KEY"]) == 67
    assert first["ANON_KEY"].startswith("anon_")
    assert first["INSFORGE_BASE_URL"] == "https://demo-project.us-east.insforge.app"
    emulator.reset()
    again = {
        key: api.request("GET", f"{BASE}/{key}", headers=AUTH).json()["value"] for key in BUILTINS
    }
    assert again == first
    emulator.put_tenant("insforge", "other-project", {"credentials": [{"token": "ik_other"}]})
    other = {"Authorization": "Bearer ik_other"}
    theirs = api.request("GET", f"{BASE}/API_KEY", headers=other).json()["value"]
    assert theirs.startswith("ik_") and theirs != first["API_KEY"]


def test_failed_requests_change_nothing(api: Api, emulator: Emulator) -> None:
    api.request("DELETE", f"{BASE}/STRIPE_API_KEY", headers=AUTH)
    before = emulator.tenant_snapshot("insforge", "demo-project")
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        ("PUT", f"{BASE}/API_KEY", {"json": {"value": "x"}}),
        ("PUT", f"{BASE}/STRIPE_API_KEY", {"json": {}}),
        ("PUT", f"{BASE}/STRIPE_API_KEY", {"json": {"value": "x", "isActive": "yes"}}),
        ("PUT", f"{BASE}/STRIPE_API_KEY", {"json": {"value": "x", "expiresAt": "soon"}}),
        ("POST", BASE, {"json": {"key": "STRIPE_API_KEY", "value": "x", "isReserved": 1}}),
        ("POST", BASE, {"json": {"key": "STRIPE_API_KEY", "value": "x", "expiresAt": "soon"}}),
        ("POST", BASE, {"json": {"key": "STRIPE_API_KEY", "value": "x", "expiresAt": FAR}}),
        ("PUT", f"{BASE}/STRIPE_API_KEY", {"json": {"value": "x", "expiresAt": FAR}}),
        ("POST", BASE, {"json": {"key": "API_KEY", "value": "x"}}),
        ("POST", BASE, {"json": {"key": "bad", "value": "x"}}),
        ("DELETE", f"{BASE}/JWT_SECRET", {}),
        ("DELETE", f"{BASE}/NOPE", {}),
        (
            "POST",
            BASE,
            {"json": {"key": "X", "value": "x"}, "headers": {"Authorization": "Bearer ik_x"}},
        ),
    ]
    for method, path, kwargs in attempts:
        headers = {**AUTH, **kwargs.pop("headers", {})}
        response = api.request(method, path, headers=headers, **kwargs)
        assert 400 <= response.status_code < 500, (method, path, response.json())
    assert emulator.tenant_snapshot("insforge", "demo-project") == before


def test_values_never_leak_into_errors_or_lists(api: Api) -> None:
    marker = "sk_live_do_not_leak"
    attempts: list[tuple[str, str, Any]] = [
        ("POST", BASE, {"key": "bad key", "value": marker}),
        ("POST", BASE, {"key": "STRIPE_API_KEY", "value": marker}),
        ("POST", BASE, {"key": "K", "value": marker, "isReserved": marker}),
        ("POST", BASE, {"key": marker.upper(), "value": [marker]}),
        ("PUT", f"{BASE}/API_KEY", {"value": marker}),
        ("PUT", f"{BASE}/STRIPE_API_KEY", {"value": marker, "expiresAt": marker}),
        ("PUT", f"{BASE}/STRIPE_API_KEY", {"value": {"nested": marker}}),
    ]
    for method, path, body in attempts:
        response = api.request(method, path, headers=AUTH, json=body)
        assert response.status_code >= 400 and marker not in json.dumps(response.json())
    api.request("PUT", f"{BASE}/STRIPE_API_KEY", headers=AUTH, json={"value": marker})
    assert marker not in json.dumps(listed(api))


def test_wrong_typed_fields_never_fail_the_emulator(api: Api) -> None:
    wrong: list[Any] = [None, 1, 1.5, True, [], {}, "", "x" * 5000, ["a"], {"a": 1}]
    fields = {
        "POST": ("key", "value", "isReserved", "expiresAt"),
        "PUT": ("value", "isActive", "isReserved", "expiresAt"),
    }
    for method, names in fields.items():
        path = BASE if method == "POST" else f"{BASE}/STRIPE_API_KEY"
        for name in names:
            for value in wrong:
                body = (
                    {"key": "K", "value": "v", name: value} if method == "POST" else {name: value}
                )
                response = api.request(method, path, headers=AUTH, json=body)
                assert response.status_code < 500, (method, name, value, response.json())
                assert set(response.json()) <= ERROR_KEYS | {"success", "message", "id"}


def test_tenants_are_isolated(api: Api, emulator: Emulator) -> None:
    emulator.put_tenant(
        "insforge",
        "other-project",
        {"credentials": [{"token": "ik_other"}], "secrets": [{"key": "THEIRS", "value": "t"}]},
    )
    other = {"Authorization": "Bearer ik_other"}
    keys = [s["key"] for s in listed(api, other)]
    assert "THEIRS" in keys and "STRIPE_API_KEY" not in keys
    assert api.request("GET", f"{BASE}/STRIPE_API_KEY", headers=other).status_code == 404
    assert (
        api.request("PUT", f"{BASE}/STRIPE_API_KEY", headers=other, json={"value": "x"}).status_code
        == 404
    )
    assert api.request("DELETE", f"{BASE}/STRIPE_API_KEY", headers=other).status_code == 404
    # The same key may exist in both projects, each with its own value.
    created = api.request("POST", BASE, headers=other, json={"key": "STRIPE_API_KEY", "value": "o"})
    assert created.status_code == 201
    assert (
        api.request("GET", f"{BASE}/STRIPE_API_KEY", headers=AUTH).json()["value"]
        == "sk_test_stripe_1"
    )
    assert "THEIRS" not in [s["key"] for s in listed(api)]


def test_fixture_entries_with_every_create_field(emulator: Emulator) -> None:
    moment = datetime(2100, 1, 1, tzinfo=UTC)  # YAML reads an unquoted timestamp as a datetime
    put_demo(
        emulator,
        [
            {"key": "A", "value": "a", "isReserved": True, "expiresAt": "2100-01-01T00:00:00Z"},
            {"key": "B", "value": "b", "expiresAt": moment},
        ],
    )
    snapshot = emulator.tenant_snapshot("insforge", "demo-project")
    assert snapshot is not None
    rows = {s["key"]: s for s in snapshot["secrets"]}
    assert set(rows) == {*BUILTINS, "A", "B"}
    assert_subset(
        rows["A"], {"value": "a", "isReserved": True, "expiresAt": "2100-01-01T00:00:00.000Z"}
    )
    assert_subset(rows["B"], {"isReserved": False, "expiresAt": "2100-01-01T00:00:00.000Z"})


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        pytest.param({"key": "bad key", "value": "v"}, "Invalid key format", id="bad-key"),
        pytest.param({"key": "K"}, "'value' must be a non-empty string", id="no-value"),
        pytest.param(
            {"key": "K", "value": ""}, "'value' must be a non-empty string", id="empty-value"
        ),
        pytest.param(
            {"key": "K", "value": 5}, "'value' must be a non-empty string", id="number-value"
        ),
        pytest.param({"value": "v"}, "'key' must be a non-empty string", id="no-key"),
        pytest.param(
            {"key": "K", "value": "v", "isReserved": "yes"},
            "'isReserved' must be a boolean",
            id="string-is-reserved",
        ),
        pytest.param(
            {"key": "K", "value": "v", "expiresAt": "soon"},
            "expiresAt is not a valid date-time",
            id="bad-expires-at",
        ),
        pytest.param(
            {"key": "K", "value": "v", "name": "x"}, "unknown fields ['name']", id="unknown-field"
        ),
        pytest.param(
            {"key": "API_KEY", "value": "v"},
            "the key 'API_KEY' is already taken",
            id="built-in-key",
        ),
    ],
)
def test_bad_fixture_entries_are_refused(
    emulator: Emulator, entry: dict[str, Any], problem: str
) -> None:
    with pytest.raises(FixtureError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        put_demo(emulator, [entry])
    assert stored(emulator, "STRIPE_API_KEY") is not None, "a refused entry changes nothing"


def test_equal_creation_times_list_the_later_created_first() -> None:
    tenant = models.Tenant("t")
    clock = iter([START, START, START - timedelta(days=1)])
    sources = Sources(seed=1, clock=lambda: next(clock))
    for key in ("FIRST", "SECOND", "BACKDATED"):
        models.create(tenant, {"key": key, "value": "v"}, sources)
    assert [s.key for s in models.newest_first(tenant)] == ["SECOND", "FIRST", "BACKDATED"]


def test_non_admin_role_is_declared() -> None:
    from secretmock.vendors.insforge import VENDOR

    assert VENDOR.roles == {"admin", "user"}
