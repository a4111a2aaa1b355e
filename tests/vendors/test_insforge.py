"""InsForge behaviour, table-driven, over both transports (see conftest ``api``)."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest
import requests

from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError
from secretmock.engine.sources import Sources
from secretmock.resources import default_fixtures_path
from secretmock.serve.background import BackgroundServer
from secretmock.vendors import all_vendors
from secretmock.vendors.common import iso_timestamp
from secretmock.vendors.insforge import models
from secretmock.web.app import build_app
from tests.conftest import START, Api
from tests.helpers import Case, assert_subset, case, cases, contains_key, send, table

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

BASE = "/insforge/api/secrets"
AUTH = {"Authorization": "Bearer ik_test_demo_admin"}
API_KEY_HEADER = {"x-api-key": "ik_test_demo_admin"}
BUILTINS = [
    "API_KEY",
    "ANON_KEY",
    "JWT_SECRET",
    "INSFORGE_BASE_URL",
    # secret.service.ts initializeJwtKeyPair (268d79d27): reserved, seeded at start-up.
    "JWT_PRIVATE_KEY",
    "JWT_PUBLIC_KEY",
    "JWT_KEY_ID",
]
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
        # routes index.routes.ts @ 268d79d27: updateSecret finds nothing to set, returns
        # false, the route throws AppError(..., 500, INTERNAL_ERROR), no nextActions.
        "index.routes.ts-update-nothing-to-change-500",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        500,
        {
            "error": "INTERNAL_ERROR",
            "message": "Failed to update secret: STRIPE_API_KEY",
            "statusCode": 500,
        },
        json={},
    ),
    case(
        "index.routes.ts-update-only-unknown-fields-500",
        "PUT",
        f"{BASE}/STRIPE_API_KEY",
        500,
        {
            "error": "INTERNAL_ERROR",
            "message": "Failed to update secret: STRIPE_API_KEY",
            "statusCode": 500,
        },
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
    case("list", "GET", BASE, 200, {"secrets": [{"key": "STRIPE_API_KEY"}] + [{}] * 7}),
    case("list-ignores-query", "GET", f"{BASE}?unknown=1", 200, {"secrets": [{}] * 8}),
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
        "index.routes.ts-rotate-get-is-no-route",
        "GET",
        f"{BASE}/api-key/rotate",
        404,
        {"error": "NOT_FOUND", "message": "Endpoint /api/secrets/api-key/rotate not found"},
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
    ("headers", "status", "expected"),
    [
        pytest.param(
            {"Authorization": "Bearer user-jwt"},
            403,
            {
                "error": "AUTH_UNAUTHORIZED",
                "message": "Admin access required",
                "statusCode": 403,
                "nextActions": (
                    "Check the admin token is valid or login as admin to get a new token."
                ),
            },
            id="bearer",
        ),
        pytest.param(
            # auth.ts verifyApiKey (268d79d27): an x-api-key is compared with the stored
            # API_KEY (and keys in their grace period) only: a JWT there is no API key.
            {"x-api-key": "user-jwt"},
            401,
            {
                "error": "AUTH_INVALID_API_KEY",
                "message": "Invalid API key",
                "statusCode": 401,
                "nextActions": "Check the API key is valid or generate a new API key.",
            },
            id="auth.ts-x-api-key-is-only-the-stored-key",
        ),
    ],
)
def test_non_admin_is_refused_everywhere(
    api: Api,
    emulator: Emulator,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    expected: dict[str, Any],
) -> None:
    put_demo(
        emulator,
        [{"key": "STRIPE_API_KEY", "value": "sk_test_stripe_1"}],
        credentials=[{"token": "user-jwt", "role": "user"}],
    )
    before = stored(emulator, "STRIPE_API_KEY")
    response = api.request(method, path, headers=headers, json=body)
    assert response.status_code == status
    assert response.json() == expected
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
    # secret.service.ts verifyApiKey: the stored API_KEY is the admin key, so it is the
    # fixtures' ik_ credential.
    assert first["API_KEY"] == "ik_test_demo_admin"
    assert first["JWT_PRIVATE_KEY"].startswith("-----BEGIN PRIVATE KEY-----\n")
    assert first["JWT_PUBLIC_KEY"].startswith("-----BEGIN PUBLIC KEY-----\n")
    assert re.fullmatch(r"kid_[0-9a-f]{32}", first["JWT_KEY_ID"])
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
    assert theirs == "ik_other"
    their_pem = api.request("GET", f"{BASE}/JWT_PUBLIC_KEY", headers=other).json()["value"]
    assert their_pem != first["JWT_PUBLIC_KEY"]


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
        assert response.status_code >= 400, (method, path, response.json())
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


class MovableClock:
    """A clock the test moves by hand (the emulated clock's role; times come only from
    the emulator's sources, so moving it moves every grace period)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clocked() -> Iterator[tuple[Emulator, MovableClock, BackgroundServer]]:
    clock = MovableClock(START)
    emulator = Emulator(all_vendors(), [default_fixtures_path()], Sources(seed=3, clock=clock))
    with BackgroundServer(build_app(emulator)) as server:
        yield emulator, clock, server


@pytest.fixture(params=["in-process", "socket"])
def rotation(
    request: pytest.FixtureRequest, clocked: tuple[Emulator, MovableClock, BackgroundServer]
) -> tuple[Api, MovableClock]:
    """A fresh demo project on an emulator whose clock the test moves, over one transport."""
    emulator, clock, server = clocked
    clock.now = START
    emulator.reset()
    if request.param == "socket":
        session = requests.Session()

        class Socket:
            def request(self, method: str, url: str, **kwargs: Any) -> Any:
                return session.request(method, server.url + url, timeout=10, **kwargs)

        return Socket(), clock
    return TestClient(build_app(emulator), base_url="http://127.0.0.1"), clock


ROTATED = "API key rotated successfully. Old key will remain valid during grace period."


def test_api_key_rotation_keeps_the_old_key_for_the_grace_period(
    rotation: tuple[Api, MovableClock],
) -> None:
    """index.routes.ts POST /api-key/rotate and secret.service.ts rotateApiKey /
    verifyApiKey (268d79d27): the old key is renamed API_KEY_OLD_<ms> with the grace
    period's end as expiresAt and keeps working until then; then 401."""
    api, clock = rotation
    answer = api.request(
        "POST", f"{BASE}/api-key/rotate", headers=AUTH, json={"gracePeriodHours": 2}
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    new_key = body["apiKey"]
    assert re.fullmatch(r"ik_[0-9a-f]{64}", new_key)
    assert body == {
        "success": True,
        "message": ROTATED,
        "apiKey": new_key,
        "oldKeyExpiresAt": "2026-01-02T05:04:05.000Z",
    }
    new = {"Authorization": f"Bearer {new_key}"}
    rows = {s["key"]: s for s in listed(api, new)}
    old_row = f"API_KEY_OLD_{int(START.timestamp() * 1000)}"
    assert rows[old_row]["expiresAt"] == "2026-01-02T05:04:05.000Z"
    assert rows[old_row]["isReserved"] and rows[old_row]["isActive"]
    assert api.request("GET", f"{BASE}/API_KEY", headers=new).json()["value"] == new_key
    assert api.request("GET", f"{BASE}/{old_row}", headers=new).json()["value"] == (
        "ik_test_demo_admin"
    )
    clock.now = START + timedelta(hours=2) - timedelta(milliseconds=1)
    assert api.request("GET", BASE, headers=AUTH).status_code == 200, "old key in its grace"
    assert api.request("GET", BASE, headers=API_KEY_HEADER).status_code == 200
    clock.now = START + timedelta(hours=2)
    refused = api.request("GET", BASE, headers=AUTH)
    assert refused.status_code == 401
    assert refused.json()["error"] == "AUTH_INVALID_API_KEY"
    assert api.request("GET", BASE, headers={"x-api-key": "ik_test_demo_admin"}).status_code == 401
    assert api.request("GET", BASE, headers=new).status_code == 200
    assert api.request("GET", f"{BASE}/{old_row}", headers=new).status_code == 404


class GraceCase(NamedTuple):
    id: str
    body: Any
    status: int
    expires_in_hours: float | None
    message: str | None


# shared-schemas secrets-api.schema.ts rotateApiKeyRequestSchema (268d79d27):
# z.coerce.number().int().nonnegative().max(168).optional(); default 24 in the service.
GRACE_CASES = [
    GraceCase("no-body-default-24", None, 200, 24, None),
    GraceCase("empty-object-default-24", {}, 200, 24, None),
    GraceCase("zero-ends-at-once", {"gracePeriodHours": 0}, 200, 0, None),
    GraceCase("max-168", {"gracePeriodHours": 168}, 200, 168, None),
    GraceCase("zod-coerces-a-string", {"gracePeriodHours": "12"}, 200, 12, None),
    GraceCase("zod-coerces-null-to-0", {"gracePeriodHours": None}, 200, 0, None),
    GraceCase(
        "over-max",
        {"gracePeriodHours": 169},
        400,
        None,
        "Invalid request: Number must be less than or equal to 168",
    ),
    GraceCase(
        "negative-float",
        {"gracePeriodHours": -1.5},
        400,
        None,
        "Invalid request: Expected integer, received float, "
        "Number must be greater than or equal to 0",
    ),
    GraceCase(
        "not-a-number",
        {"gracePeriodHours": "soon"},
        400,
        None,
        "Invalid request: Expected number, received nan",
    ),
    GraceCase("array-body", [1], 400, None, "Invalid request: Expected object, received array"),
]


@table(GRACE_CASES)
def test_grace_period_is_read_as_the_zod_schema_reads_it(
    rotation: tuple[Api, MovableClock],
    body: Any,
    status: int,
    expires_in_hours: float | None,
    message: str | None,
) -> None:
    api, _ = rotation
    kwargs = {} if body is None else {"json": body}
    answer = api.request("POST", f"{BASE}/api-key/rotate", headers=AUTH, **kwargs)
    assert answer.status_code == status, answer.json()
    if expires_in_hours is not None:
        expected = iso_timestamp(START + timedelta(hours=expires_in_hours))
        assert answer.json()["oldKeyExpiresAt"] == expected
        old_key_accepted = api.request("GET", BASE, headers=AUTH).status_code == 200
        assert old_key_accepted == (expires_in_hours > 0)
    else:
        assert answer.json() == {"error": "INVALID_INPUT", "message": message, "statusCode": 400}
        assert api.request("GET", BASE, headers=AUTH).status_code == 200, "nothing rotated"


def test_anon_key_rotation(rotation: tuple[Api, MovableClock]) -> None:
    """POST /anon-key/rotate (index.routes.ts, rotateAnonKey): default grace 168 hours, an
    ANON_KEY_OLD_<ms> row; an anon key is no admin credential either way."""
    api, _ = rotation
    old = api.request("GET", f"{BASE}/ANON_KEY", headers=AUTH).json()["value"]
    answer = api.request("POST", f"{BASE}/anon-key/rotate", headers=AUTH)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["message"] == (
        "Anon key rotated successfully. Old key will remain valid during grace period."
    )
    assert re.fullmatch(r"anon_[0-9a-f]{64}", body["anonKey"])
    assert body["oldKeyExpiresAt"] == iso_timestamp(START + timedelta(hours=168))
    old_row = f"ANON_KEY_OLD_{int(START.timestamp() * 1000)}"
    assert api.request("GET", f"{BASE}/{old_row}", headers=AUTH).json()["value"] == old
    assert api.request("GET", f"{BASE}/ANON_KEY", headers=AUTH).json()["value"] == body["anonKey"]
    over = api.request(
        "POST", f"{BASE}/anon-key/rotate", headers=AUTH, json={"gracePeriodHours": 721}
    )
    assert over.json()["message"] == "Invalid request: Number must be less than or equal to 720"


def test_two_rotations_on_a_frozen_clock_both_succeed(
    rotation: tuple[Api, MovableClock],
) -> None:
    """rotateApiKey names the old row API_KEY_OLD_<Date.now()>; under a frozen emulated
    clock a second rotation takes the next free millisecond (chosen: the real clock never
    stands still), and every key keeps its own grace period."""
    api, _ = rotation
    first = api.request("POST", f"{BASE}/api-key/rotate", headers=AUTH).json()["apiKey"]
    new = {"Authorization": f"Bearer {first}"}
    again = api.request("POST", f"{BASE}/api-key/rotate", headers=new)
    assert again.status_code == 200, again.json()
    millis = int(START.timestamp() * 1000)
    keys = {s["key"] for s in listed(api, {"Authorization": f"Bearer {again.json()['apiKey']}"})}
    assert {f"API_KEY_OLD_{millis}", f"API_KEY_OLD_{millis + 1}"} <= keys
    for old in (AUTH, new):
        assert api.request("GET", BASE, headers=old).status_code == 200, "both in their grace"


def test_reserved_rotation_rows_refuse_update_and_delete(
    rotation: tuple[Api, MovableClock],
) -> None:
    api, _ = rotation
    new_key = api.request("POST", f"{BASE}/api-key/rotate", headers=AUTH).json()["apiKey"]
    old_row = f"API_KEY_OLD_{int(START.timestamp() * 1000)}"
    new = {"Authorization": f"Bearer {new_key}"}
    assert (
        api.request("PUT", f"{BASE}/{old_row}", headers=new, json={"value": "x"}).status_code == 403
    )
    assert api.request("DELETE", f"{BASE}/{old_row}", headers=new).status_code == 403


def test_a_generated_admin_key_is_the_stored_api_key(emulator: Emulator, api: Api) -> None:
    """With no ik_ credential in the fixtures the project still has an admin key: the
    stored API_KEY (secret.service.ts initializeApiKey), which authenticates."""
    emulator.put_tenant("insforge", "jwt-only", {"credentials": [{"token": "admin-jwt"}]})
    jwt = {"Authorization": "Bearer admin-jwt"}
    key = api.request("GET", f"{BASE}/API_KEY", headers=jwt).json()["value"]
    assert re.fullmatch(r"ik_[0-9a-f]{64}", key)
    listed_keys = [s["key"] for s in listed(api, {"x-api-key": key})]
    assert "API_KEY" in listed_keys


@pytest.mark.parametrize(
    ("credentials", "problem"),
    [
        pytest.param(
            [{"token": "ik_a"}, {"token": "ik_b"}], "one admin API key", id="two-admin-keys"
        ),
        pytest.param(
            [{"token": "ik_a", "role": "user"}], "its role must be admin", id="ik-key-not-admin"
        ),
    ],
)
def test_fixtures_give_a_project_one_admin_key(
    emulator: Emulator, credentials: list[dict[str, str]], problem: str
) -> None:
    with pytest.raises(FixtureError, match=problem):
        emulator.put_tenant("insforge", "bad", {"credentials": credentials})


class ParseOrderCase(NamedTuple):
    id: str
    headers: dict[str, str]
    status: int
    code: str


# server.ts (268d79d27) app.use(express.json()) before apiRouter.use('/secrets'): the
# body is parsed before verifyAdmin runs.
PARSE_ORDER = [
    ParseOrderCase("server.ts-malformed-json-without-credentials-400", JSON, 400, "INVALID_INPUT"),
    ParseOrderCase(
        "server.ts-malformed-json-bad-key-400",
        {**JSON, "Authorization": "Bearer ik_nope"},
        400,
        "INVALID_INPUT",
    ),
    ParseOrderCase(
        "server.ts-not-json-type-reaches-auth-401",
        {"Content-Type": "text/plain"},
        401,
        "AUTH_INVALID_CREDENTIALS",
    ),
]


@table(PARSE_ORDER)
def test_json_is_parsed_before_authentication(
    api: Api, headers: dict[str, str], status: int, code: str
) -> None:
    response = api.request("POST", BASE, headers=headers, data="{")
    assert response.status_code == status
    assert response.json()["error"] == code


@pytest.fixture
def before_2026_05_16(emulator: Emulator) -> Iterator[None]:
    emulator.use_versions({"insforge": "before-2026-05-16"})
    yield
    emulator.use_versions({})


# d5cc4379f (2026-05-16, "Centralize error codes") renamed NOT_FOUND -> SECRET_NOT_FOUND and
# the duplicate's INVALID_INPUT -> SECRET_ALREADY_EXISTS; f7059d44c (2026-06-11) added the
# anon-key rotation.
LEGACY_CASES = [
    case(
        "d5cc4379f^-unknown-key-NOT_FOUND",
        "GET",
        f"{BASE}/NOPE",
        404,
        {"error": "NOT_FOUND", "message": "Secret not found: NOPE", "statusCode": 404},
    ),
    case(
        "d5cc4379f^-bad-path-key-NOT_FOUND",
        "DELETE",
        f"{BASE}/bad-key",
        404,
        {"error": "NOT_FOUND", "message": "Secret not found: bad-key"},
    ),
    case(
        "d5cc4379f^-duplicate-INVALID_INPUT-409",
        "POST",
        BASE,
        409,
        {"error": "INVALID_INPUT", "message": "Secret already exists: STRIPE_API_KEY"},
        json={"key": "STRIPE_API_KEY", "value": "v"},
    ),
    case(
        "d5cc4379f^-other-codes-unchanged",
        "DELETE",
        f"{BASE}/API_KEY",
        403,
        {"error": "FORBIDDEN"},
    ),
    case(
        "f7059d44c^-no-anon-key-rotation",
        "POST",
        f"{BASE}/anon-key/rotate",
        404,
        {"error": "NOT_FOUND", "message": "Endpoint /api/secrets/anon-key/rotate not found"},
    ),
    case(
        # index.routes.ts puts verifyAdmin on each route: a path no route has reaches
        # Express's catch-all without authentication.
        "f7059d44c^-no-anon-key-rotation-without-credentials",
        "POST",
        f"{BASE}/anon-key/rotate",
        404,
        {"error": "NOT_FOUND", "message": "Endpoint /api/secrets/anon-key/rotate not found"},
        headers={"Authorization": ""},
    ),
]


@cases(LEGACY_CASES)
def test_servers_before_2026_05_16(api: Api, before_2026_05_16: None, row: Case) -> None:
    send(api, row, AUTH)


def test_mode_strict_is_no_field_of_the_server(api: Api) -> None:
    """mode: "strict" exists only in 152cc22b6, on unmerged pull requests (#1766, #1973):
    main (268d79d27) ignores it, so creating a soft-deleted key revives it (201)."""
    assert api.request("DELETE", f"{BASE}/STRIPE_API_KEY", headers=AUTH).status_code == 200
    body = {"key": "STRIPE_API_KEY", "value": "again", "mode": "strict"}
    revived = api.request("POST", BASE, headers=AUTH, json=body)
    assert revived.status_code == 201, revived.json()
    assert api.request("GET", f"{BASE}/STRIPE_API_KEY", headers=AUTH).json()["value"] == "again"


def test_put_with_nothing_to_update_has_no_next_actions(api: Api) -> None:
    """index.routes.ts: AppError('Failed to update secret: KEY', 500, INTERNAL_ERROR) has no
    nextActions, and errorResponse leaves the field out."""
    answer = api.request("PUT", f"{BASE}/STRIPE_API_KEY", headers=AUTH, json={})
    assert answer.json() == {
        "error": "INTERNAL_ERROR",
        "message": "Failed to update secret: STRIPE_API_KEY",
        "statusCode": 500,
    }
