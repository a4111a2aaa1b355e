"""LangWatch behaviour, table-driven, over both transports (see conftest ``api``)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any, NamedTuple

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError
from secretmock.engine.sources import Sources
from secretmock.vendors.langwatch import models
from secretmock.vendors.langwatch.errors import Conflict, Unprocessable
from tests.conftest import Api
from tests.helpers import Case, case, cases, contains_key, send, table

BASE = "/langwatch/api/secrets"
PROJECT = "project-demo"
SEEDED_ID = "demo_openai_key_00001"
SEEDED_VALUE = "sk-test-lw-1"
ADMIN = {"X-Auth-Token": "sk-lw-test-demo"}
VIEWER = {"X-Auth-Token": "sk-lw-test-viewer"}
JSON = {"Content-Type": "application/json"}
SEEDED = {"id": SEEDED_ID, "projectId": PROJECT, "name": "OPENAI_API_KEY"}
NOT_FOUND = {"error": "Secret not found"}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NANOID = re.compile(r"^[A-Za-z0-9_-]{21}$")
AUTH_REQUIRED = (
    "Authentication required. Use Authorization: Basic base64(projectId:token), "
    "Authorization: Bearer <token>, or X-Auth-Token header."
)
NAME_RULE = (
    "name must contain only uppercase letters, digits, and underscores, "
    "and must start with a letter"
)


def schema_failure(*reasons: tuple[str, str, str]) -> dict[str, Any]:
    """The 422 ``validation_error`` body naming (field, zod issue type, message)."""
    return {
        "error": "validation_error",
        "message": "The request body didn't match the expected shape.",
        "target": "json",
        "fields": [field for field, _, _ in reasons],
        "reasons": [
            {"code": "schema_failure", "meta": {"field": f, "type": t, "message": m}}
            for f, t, m in reasons
        ],
    }


MALFORMED = {
    "error": "malformed_request",
    "message": "The request body could not be parsed.",
    "target": "json",
    "detail": "Malformed JSON in request body",
}
REQUIRED_VALUE = ("value", "invalid_type", "Required")
REQUIRED_NAME = ("name", "invalid_type", "Required")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def stored(emulator: Emulator, project: str = PROJECT) -> dict[str, dict[str, Any]]:
    """The project's stored secrets by id, values included."""
    snapshot = emulator.tenant_snapshot("langwatch", project)
    assert snapshot is not None
    return {s["id"]: s for s in snapshot["secrets"]}


def tenant_entry(token: str, secrets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"credentials": [{"token": token}], "secrets": secrets}


def create(api: Api, name: str) -> Any:
    """Creates ``name`` with the admin key."""
    return api.request("POST", BASE, headers=ADMIN, json={"name": name, "value": "v"})


def many(count: int) -> list[dict[str, str]]:
    return [{"name": f"KEY_{i:03d}", "value": f"v{i}"} for i in range(count)]


CASES = [
    case("update-seed", "PUT", f"{BASE}/{SEEDED_ID}", 200, SEEDED, json={"value": "sk-rotated"}),
    case(
        "update-name-cannot-change",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        200,
        SEEDED,
        json={"value": "v", "name": "RENAMED"},
    ),
    case("update-unknown", "PUT", f"{BASE}/nope", 404, NOT_FOUND, json={"value": "v"}),
    case(
        "update-missing-value",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        422,
        schema_failure(REQUIRED_VALUE),
        json={},
    ),
    case(
        "update-empty-value",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        422,
        schema_failure(("value", "too_small", "value is required")),
        json={"value": ""},
    ),
    case(
        "update-value-too-long",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        422,
        schema_failure(("value", "too_big", "value is too long")),
        json={"value": "x" * 10_001},
    ),
    case(
        "update-longest-value",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        200,
        SEEDED,
        json={"value": "x" * 10_000},
    ),
    case(
        "update-wrong-type",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        422,
        schema_failure(("value", "invalid_type", "Expected string, received number")),
        json={"value": 5},
    ),
    case(
        "update-null",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        422,
        schema_failure(("value", "invalid_type", "Expected string, received null")),
        json={"value": None},
    ),
    case(
        "update-unknown-id-and-bad-body",
        "PUT",
        f"{BASE}/nope",
        422,
        schema_failure(REQUIRED_VALUE),
        json={},
    ),
    case(
        "update-malformed-json",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        400,
        MALFORMED,
        data=b'{"value":',
        headers=JSON,
    ),
    case(
        "update-empty-json-body",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        400,
        MALFORMED,
        data=b"",
        headers=JSON,
    ),
    case(
        "update-wrong-content-type",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        422,
        schema_failure(REQUIRED_VALUE),
        data=b"value=v",
        headers={"Content-Type": "text/plain"},
    ),
    case("update-no-body", "PUT", f"{BASE}/{SEEDED_ID}", 422, schema_failure(REQUIRED_VALUE)),
    case(
        "create",
        "POST",
        BASE,
        201,
        {"projectId": PROJECT, "name": "ANTHROPIC_API_KEY"},
        json={"name": "ANTHROPIC_API_KEY", "value": "sk-ant"},
    ),
    case(
        "create-one-letter-name", "POST", BASE, 201, {"name": "A"}, json={"name": "A", "value": "v"}
    ),
    case(
        "create-duplicate-name",
        "POST",
        BASE,
        409,
        {"error": 'A secret with the name "OPENAI_API_KEY" already exists'},
        json={"name": "OPENAI_API_KEY", "value": "v"},
    ),
    case(
        "create-lower-case-name",
        "POST",
        BASE,
        422,
        schema_failure(("name", "invalid_string", NAME_RULE)),
        json={"name": "openai_key", "value": "v"},
    ),
    case(
        "create-digit-first",
        "POST",
        BASE,
        422,
        schema_failure(("name", "invalid_string", NAME_RULE)),
        json={"name": "1KEY", "value": "v"},
    ),
    case(
        "create-hyphen",
        "POST",
        BASE,
        422,
        schema_failure(("name", "invalid_string", NAME_RULE)),
        json={"name": "MY-KEY", "value": "v"},
    ),
    case(
        "create-reserved-name",
        "POST",
        BASE,
        422,
        schema_failure(("name", "invalid_string", NAME_RULE)),
        json={"name": "langy_vk_secret", "value": "v"},
    ),
    case(
        "create-empty-name-and-value",
        "POST",
        BASE,
        422,
        schema_failure(
            ("name", "too_small", "name is required"),
            ("name", "invalid_string", NAME_RULE),
            ("value", "too_small", "value is required"),
        ),
        json={"name": "", "value": ""},
    ),
    case(
        "create-missing-value",
        "POST",
        BASE,
        422,
        schema_failure(REQUIRED_VALUE),
        json={"name": "K"},
    ),
    case(
        "create-missing-both",
        "POST",
        BASE,
        422,
        schema_failure(REQUIRED_NAME, REQUIRED_VALUE),
        json={},
    ),
    case(
        "create-wrong-types",
        "POST",
        BASE,
        422,
        schema_failure(
            ("name", "invalid_type", "Expected string, received array"),
            ("value", "invalid_type", "Expected string, received boolean"),
        ),
        json={"name": ["K"], "value": True},
    ),
    case(
        "create-array-body",
        "POST",
        BASE,
        422,
        schema_failure(("(root)", "invalid_type", "Expected object, received array")),
        json=[],
    ),
    case("create-malformed-json", "POST", BASE, 400, MALFORMED, data=b"{oops", headers=JSON),
    case(
        "create-form-body",
        "POST",
        BASE,
        422,
        schema_failure(REQUIRED_NAME, REQUIRED_VALUE),
        data=b"name=K&value=v",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    case("create-no-body", "POST", BASE, 422, schema_failure(REQUIRED_NAME, REQUIRED_VALUE)),
    case("get", "GET", f"{BASE}/{SEEDED_ID}", 200, SEEDED),
    case("get-unknown", "GET", f"{BASE}/nope", 404, NOT_FOUND),
    case("delete", "DELETE", f"{BASE}/{SEEDED_ID}", 200, {"id": SEEDED_ID, "deleted": True}),
    case("delete-unknown", "DELETE", f"{BASE}/nope", 404, NOT_FOUND),
    case("list", "GET", BASE, 200, [SEEDED]),
    case("list-ignores-query", "GET", f"{BASE}?page=2", 200, [SEEDED]),
    case("unknown-route", "GET", "/langwatch/api/secret", 404, {"error": "Not Found"}),
    case("wrong-method", "PATCH", f"{BASE}/{SEEDED_ID}", 404, {}, json={"value": "v"}),
]


@cases(CASES)
def test_operation(api: Api, row: Case) -> None:
    body = send(api, row, ADMIN).json()
    assert not contains_key(body, "value"), "LangWatch never returns a value"
    assert SEEDED_VALUE not in json.dumps(body)
    if row.status >= 400:
        assert isinstance(body.get("error"), str)


def test_secret_response_shape(api: Api) -> None:
    created = api.request("POST", BASE, headers=ADMIN, json={"name": "NEW_KEY", "value": "v"})
    body = created.json()
    assert set(body) == {"id", "projectId", "name", "createdAt", "updatedAt"}
    assert NANOID.match(body["id"]), body["id"]
    assert ISO.match(body["createdAt"]) and body["createdAt"] == body["updatedAt"]


def test_seed_operation_as_a_user_sends_it(api: Api, emulator: Emulator) -> None:
    before = api.request("GET", f"{BASE}/{SEEDED_ID}", headers=ADMIN).json()
    response = api.request(
        "PUT", f"{BASE}/{SEEDED_ID}", headers=ADMIN, json={"value": "sk-test-lw-2"}
    )
    assert response.status_code == 200
    after = response.json()
    assert after["createdAt"] == before["createdAt"]
    assert ISO.match(after["updatedAt"]) and after["updatedAt"] > before["updatedAt"]
    assert stored(emulator)[SEEDED_ID] == {
        "id": SEEDED_ID,
        "name": "OPENAI_API_KEY",
        "value": "sk-test-lw-2",
    }
    assert api.request("GET", f"{BASE}/{SEEDED_ID}", headers=ADMIN).json() == after


ENCODED_NO_COLON = "Basic " + base64.b64encode(b"no-colon").decode()


class AuthCase(NamedTuple):
    id: str
    headers: dict[str, str]
    status: int
    message: str | None


AUTH_CASES = [
    AuthCase("no-credentials", headers={}, status=401, message=AUTH_REQUIRED),
    AuthCase("empty-x-auth-token", headers={"X-Auth-Token": ""}, status=401, message=AUTH_REQUIRED),
    AuthCase(
        "unknown-x-auth-token",
        headers={"X-Auth-Token": "sk-lw-nope"},
        status=401,
        message="Invalid credentials",
    ),
    AuthCase("x-auth-token", headers=ADMIN, status=200, message=None),
    AuthCase(
        "x-auth-token-own-project",
        headers={**ADMIN, "X-Project-Id": PROJECT},
        status=200,
        message=None,
    ),
    AuthCase(
        # A legacy project key ignores the named project (token-resolver.ts
        # resolveLegacyProjectKey, langwatch/langwatch 6ce6cbb33f).
        "legacy-key-x-auth-token-other-project-ignored",
        headers={**ADMIN, "X-Project-Id": "other"},
        status=200,
        message=None,
    ),
    AuthCase(
        "bearer", headers={"Authorization": "Bearer sk-lw-test-demo"}, status=200, message=None
    ),
    AuthCase(
        "bearer-own-project",
        headers={"Authorization": "Bearer sk-lw-test-demo", "X-Project-Id": PROJECT},
        status=200,
        message=None,
    ),
    AuthCase(
        "legacy-key-bearer-other-project-ignored",  # token-resolver.ts, as above
        headers={"Authorization": "Bearer sk-lw-test-demo", "X-Project-Id": "other"},
        status=200,
        message=None,
    ),
    AuthCase(
        "bearer-wins-over-x-auth-token",
        headers={"Authorization": "Bearer sk-lw-nope", **ADMIN},
        status=401,
        message="Invalid credentials",
    ),
    AuthCase(
        "empty-bearer-falls-through",
        headers={"Authorization": "Bearer ", **ADMIN},
        status=200,
        message=None,
    ),
    AuthCase(
        "empty-bearer-alone",
        headers={"Authorization": "Bearer "},
        status=401,
        message=AUTH_REQUIRED,
    ),
    AuthCase(
        "basic",
        headers={"Authorization": basic(PROJECT, "sk-lw-test-demo")},
        status=200,
        message=None,
    ),
    AuthCase(
        "legacy-key-basic-other-project-ignored",  # token-resolver.ts, as above
        headers={"Authorization": basic("other", "sk-lw-test-demo")},
        status=200,
        message=None,
    ),
    AuthCase(
        "basic-wins-over-x-auth-token",
        headers={"Authorization": basic(PROJECT, "sk-lw-nope"), **ADMIN},
        status=401,
        message="Invalid credentials",
    ),
    AuthCase(
        "malformed-basic-falls-through",
        headers={"Authorization": "Basic !!!", **ADMIN},
        status=200,
        message=None,
    ),
    AuthCase(
        "basic-without-colon-falls-through",
        headers={"Authorization": ENCODED_NO_COLON, **ADMIN},
        status=200,
        message=None,
    ),
    AuthCase(
        "malformed-basic-alone",
        headers={"Authorization": "Basic !!!"},
        status=401,
        message=AUTH_REQUIRED,
    ),
    AuthCase(
        "other-scheme-falls-through",
        headers={"Authorization": "Token abc", **ADMIN},
        status=200,
        message=None,
    ),
]


@table(AUTH_CASES)
def test_authentication(
    api: Api, headers: dict[str, str], status: int, message: str | None
) -> None:
    response = api.request("GET", BASE, headers=headers)
    assert response.status_code == status, response.json()
    if message is None:
        assert [s["id"] for s in response.json()] == [SEEDED_ID]
    else:
        assert response.json() == {"error": "Unauthorized", "message": message}


def test_auth_comes_before_validation_and_lookup(api: Api) -> None:
    for method, path in [("PUT", f"{BASE}/nope"), ("POST", BASE), ("DELETE", f"{BASE}/nope")]:
        response = api.request(method, path, json={"nonsense": 1})
        assert response.status_code == 401
        assert response.json()["message"] == AUTH_REQUIRED


class ViewerCase(NamedTuple):
    """A request by the viewer role (``secrets:view`` only) and the status it gets."""

    id: str
    method: str
    path: str
    body: Any
    status: int


VIEWER_CASES = [
    ViewerCase("list", method="GET", path=BASE, body=None, status=200),
    ViewerCase("get", method="GET", path=f"{BASE}/{SEEDED_ID}", body=None, status=200),
    ViewerCase(
        "create", method="POST", path=BASE, body={"name": "NEW_KEY", "value": "v"}, status=403
    ),
    ViewerCase("update", method="PUT", path=f"{BASE}/{SEEDED_ID}", body={"value": "v"}, status=403),
    ViewerCase(
        "update-unknown", method="PUT", path=f"{BASE}/nope", body={"value": "v"}, status=403
    ),
    ViewerCase("delete", method="DELETE", path=f"{BASE}/{SEEDED_ID}", body=None, status=403),
    ViewerCase(
        "create-bad-body-403-before-422", method="POST", path=BASE, body={"name": 5}, status=403
    ),
    ViewerCase(
        "update-no-value-403-before-422",
        method="PUT",
        path=f"{BASE}/{SEEDED_ID}",
        body={},
        status=403,
    ),
]


@table(VIEWER_CASES)
def test_viewer_role(
    api: Api, emulator: Emulator, method: str, path: str, body: Any, status: int
) -> None:
    before = stored(emulator)
    response = api.request(method, path, headers=VIEWER, json=body)
    assert response.status_code == status, response.json()
    if status == 403:
        assert response.json() == {
            "error": "api_key_permission_denied",
            "message": "API Key does not grant required permission: secrets:manage",
            "permission": "secrets:manage",
        }
    assert stored(emulator) == before


def test_create_stores_the_value_and_list_sorts_by_name(api: Api, emulator: Emulator) -> None:
    ids = {}
    for name in ["ZED_KEY", "ALPHA_KEY", "OPENAI_API_KEY_2"]:
        response = api.request("POST", BASE, headers=ADMIN, json={"name": name, "value": name})
        assert response.status_code == 201
        ids[name] = response.json()["id"]
    assert {ids[n]: stored(emulator)[ids[n]]["value"] for n in ids} == {ids[n]: n for n in ids}
    listed = api.request("GET", BASE, headers=ADMIN).json()
    assert [s["name"] for s in listed] == [
        "ALPHA_KEY",
        "OPENAI_API_KEY",
        "OPENAI_API_KEY_2",
        "ZED_KEY",
    ]
    assert all(s["projectId"] == PROJECT for s in listed)


def test_delete_is_permanent_and_frees_the_name(api: Api, emulator: Emulator) -> None:
    response = api.request("DELETE", f"{BASE}/{SEEDED_ID}", headers=ADMIN)
    assert response.json() == {"id": SEEDED_ID, "deleted": True}
    assert SEEDED_ID not in stored(emulator)
    assert api.request("GET", f"{BASE}/{SEEDED_ID}", headers=ADMIN).status_code == 404
    assert api.request("DELETE", f"{BASE}/{SEEDED_ID}", headers=ADMIN).status_code == 404
    again = api.request("POST", BASE, headers=ADMIN, json={"name": "OPENAI_API_KEY", "value": "n"})
    assert again.status_code == 201 and again.json()["id"] != SEEDED_ID
    assert stored(emulator)[again.json()["id"]]["value"] == "n"


FAILING_REQUESTS: list[tuple[str, str, dict[str, str], Any]] = [
    ("POST", BASE, ADMIN, {"name": "OPENAI_API_KEY", "value": "dup"}),
    ("POST", BASE, ADMIN, {"name": "bad", "value": "v"}),
    ("POST", BASE, VIEWER, {"name": "NEW_KEY", "value": "v"}),
    ("PUT", f"{BASE}/{SEEDED_ID}", ADMIN, {"value": ""}),
    ("PUT", f"{BASE}/{SEEDED_ID}", ADMIN, {"value": 7}),
    ("PUT", f"{BASE}/{SEEDED_ID}", VIEWER, {"value": "v"}),
    ("PUT", f"{BASE}/{SEEDED_ID}", {"X-Auth-Token": "sk-lw-nope"}, {"value": "v"}),
    ("DELETE", f"{BASE}/{SEEDED_ID}", VIEWER, None),
    ("DELETE", f"{BASE}/nope", ADMIN, None),
]


def test_failed_requests_change_nothing(api: Api, emulator: Emulator) -> None:
    before = stored(emulator)
    for method, path, headers, body in FAILING_REQUESTS:
        response = api.request(method, path, headers=headers, json=body)
        assert response.status_code >= 400, (method, path, body)
    malformed = api.request(
        "PUT", f"{BASE}/{SEEDED_ID}", headers={**ADMIN, **JSON}, data=b'{"value": "x"'
    )
    assert malformed.status_code == 400
    assert stored(emulator) == before


def test_fifty_secrets_per_project(api: Api, emulator: Emulator) -> None:
    emulator.put_tenant("langwatch", PROJECT, tenant_entry("sk-lw-test-demo", many(49)))
    assert create(api, "LAST").status_code == 201
    full = api.request("POST", BASE, headers=ADMIN, json={"name": "ONE_MORE", "value": "v"})
    assert full.status_code == 422
    assert full.json() == {"error": "Maximum of 50 secrets per project reached"}
    # The cap is checked before the name: a taken name at the cap still reads as the cap.
    taken = api.request("POST", BASE, headers=ADMIN, json={"name": "KEY_000", "value": "v"})
    assert taken.status_code == 422
    assert len(stored(emulator)) == 50
    first = api.request("GET", BASE, headers=ADMIN).json()[0]["id"]
    assert api.request("DELETE", f"{BASE}/{first}", headers=ADMIN).status_code == 200
    assert create(api, "AGAIN").status_code == 201


RESERVED = {"id": "langy_vk_00000000001", "name": "langy_vk_secret", "value": "lw_vk_live_x"}


def test_reserved_secret_is_hidden_but_counts(api: Api, emulator: Emulator) -> None:
    secrets = [RESERVED, *many(48)]
    emulator.put_tenant("langwatch", PROJECT, tenant_entry("sk-lw-test-demo", secrets))
    path = f"{BASE}/{RESERVED['id']}"
    assert len(api.request("GET", BASE, headers=ADMIN).json()) == 48
    assert api.request("GET", path, headers=ADMIN).json() == NOT_FOUND
    assert api.request("PUT", path, headers=ADMIN, json={"value": "mine"}).status_code == 404
    assert api.request("DELETE", path, headers=ADMIN).status_code == 404
    assert stored(emulator)[RESERVED["id"]] == RESERVED
    assert create(api, "K49").status_code == 201
    full = api.request("POST", BASE, headers=ADMIN, json={"name": "K50", "value": "v"})
    assert full.json() == {"error": "Maximum of 50 secrets per project reached"}


def test_projects_are_isolated(api: Api, emulator: Emulator) -> None:
    other_secret = {"id": "other_secret_0000001", "name": "OPENAI_API_KEY", "value": "theirs"}
    emulator.put_tenant("langwatch", "project-other", tenant_entry("sk-lw-other", [other_secret]))
    theirs = f"{BASE}/{other_secret['id']}"
    assert api.request("GET", theirs, headers=ADMIN).json() == NOT_FOUND
    assert api.request("PUT", theirs, headers=ADMIN, json={"value": "x"}).status_code == 404
    assert api.request("DELETE", theirs, headers=ADMIN).status_code == 404
    assert stored(emulator, "project-other")[other_secret["id"]] == other_secret
    other_key = {"X-Auth-Token": "sk-lw-other"}
    listed = api.request("GET", BASE, headers=other_key).json()
    assert [(s["id"], s["projectId"]) for s in listed] == [(other_secret["id"], "project-other")]
    assert api.request("GET", f"{BASE}/{SEEDED_ID}", headers=other_key).status_code == 404
    # The same name in another project is no conflict.
    made = api.request("POST", BASE, headers=other_key, json={"name": "ANOTHER", "value": "v"})
    assert made.status_code == 201 and made.json()["projectId"] == "project-other"
    assert "ANOTHER" not in {s["name"] for s in stored(emulator).values()}
    # Naming a project with Basic auth does not reach it with another project's key: a
    # legacy key acts on its own project (token-resolver.ts resolveLegacyProjectKey).
    foreign = {"Authorization": basic("project-other", "sk-lw-test-demo")}
    listed = api.request("GET", BASE, headers=foreign).json()
    assert [s["projectId"] for s in listed] == [PROJECT]


def test_create_checks_reserved_name_first() -> None:
    """The service's order (reserved, cap, duplicate), below the name schema that
    keeps the reserved name out of reach over HTTP."""
    tenant, sources = models.Tenant(PROJECT), Sources(seed=1)
    for entry in many(50):
        models.seed_secret(tenant, entry, sources)
    with pytest.raises(Unprocessable) as reserved:
        models.create(tenant, "langy_vk_secret", "v", sources)
    assert reserved.value.reply.body == {"error": 'The name "langy_vk_secret" is reserved'}
    with pytest.raises(Unprocessable) as capped:
        models.create(tenant, "KEY_000", "v", sources)
    assert capped.value.reply.body == {"error": "Maximum of 50 secrets per project reached"}
    del tenant.secrets[next(iter(tenant.secrets))]
    with pytest.raises(Conflict) as taken:
        models.create(tenant, "KEY_001", "v", sources)
    assert taken.value.reply.status == 409
    assert len(tenant.secrets) == 49


class BadFixture(NamedTuple):
    id: str
    secrets: list[dict[str, Any]]
    message: str


BAD_FIXTURE_SECRETS = [
    BadFixture("lower-case-name", secrets=[{"name": "lower", "value": "v"}], message="upper-case"),
    BadFixture("empty-value", secrets=[{"name": "K", "value": ""}], message="1 to 10000"),
    BadFixture(
        "value-not-string", secrets=[{"name": "K", "value": 5}], message="'value' must be a string"
    ),
    BadFixture("missing-name", secrets=[{"value": "v"}], message="'name' must be a string"),
    BadFixture(
        "unknown-field",
        secrets=[{"name": "K", "value": "v", "keyName": "K"}],
        message="unknown fields",
    ),
    BadFixture("bad-id", secrets=[{"id": "a/b", "name": "K", "value": "v"}], message="'id'"),
    BadFixture(
        "duplicate-id",
        secrets=[{"id": "x1", "name": "K", "value": "v"}, {"id": "x1", "name": "L", "value": "v"}],
        message="appears twice",
    ),
    BadFixture(
        "duplicate-name",
        secrets=[{"name": "K", "value": "v"}, {"name": "K", "value": "w"}],
        message="already",
    ),
    BadFixture("over-the-cap", secrets=many(51), message="Maximum of 50"),
]


@table(BAD_FIXTURE_SECRETS)
def test_bad_fixture_secrets_are_refused(
    emulator: Emulator, secrets: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(FixtureError, match=re.escape(message)):
        emulator.put_tenant("langwatch", "project-bad", tenant_entry("sk-lw-bad", secrets))
    assert emulator.tenant_snapshot("langwatch", "project-bad") is None


def test_fixture_ids_are_kept_and_missing_ones_made(emulator: Emulator) -> None:
    secrets = [{"id": "known_id", "name": "A", "value": "v"}, {"name": "B", "value": "w"}]
    emulator.put_tenant("langwatch", "project-ids", tenant_entry("sk-lw-ids", secrets))
    made = stored(emulator, "project-ids")
    assert made["known_id"] == {"id": "known_id", "name": "A", "value": "v"}
    [other] = [s for s in made.values() if s["name"] == "B"]
    assert NANOID.match(other["id"])


API_KEY = "sk-lw-" + "A" * 16 + "_" + "b" * 48
"""Shaped as a new API key (api-key-token.utils.ts API_KEY_BODY_REGEX), not a legacy key."""


class ProjectCase(NamedTuple):
    id: str
    headers: dict[str, str]
    status: int


PROJECT_CASES = [
    ProjectCase("api-key-own-project", {"X-Auth-Token": API_KEY, "X-Project-Id": PROJECT}, 200),
    ProjectCase("api-key-no-project-self-scopes", {"X-Auth-Token": API_KEY}, 200),
    ProjectCase("api-key-other-project", {"X-Auth-Token": API_KEY, "X-Project-Id": "other"}, 401),
    ProjectCase("api-key-basic-other-project", {"Authorization": basic("other", API_KEY)}, 401),
]


@table(PROJECT_CASES)
def test_api_keys_check_the_named_project(
    api: Api, emulator: Emulator, headers: dict[str, str], status: int
) -> None:
    """token-resolver.ts (6ce6cbb33f): an API key resolves the named project and must
    belong to it (one project per emulator key: another project is refused, chosen);
    without a project, a key bound to one project self-scopes."""
    emulator.put_tenant(
        "langwatch",
        PROJECT,
        {
            "credentials": [{"token": API_KEY}],
            "secrets": [{"id": SEEDED_ID, "name": "OPENAI_API_KEY", "value": SEEDED_VALUE}],
        },
    )
    response = api.request("GET", BASE, headers=headers)
    assert response.status_code == status, response.json()


@pytest.fixture
def before_2026_07_22(emulator: Emulator) -> Any:
    """LangWatch served as its servers before 2026-07-22 (--vendor-version)."""
    emulator.use_versions({"langwatch": "before-2026-07-22"})
    yield
    emulator.use_versions({})


def zod_result(*issues: dict[str, Any]) -> dict[str, Any]:
    return {"success": False, "error": {"issues": list(issues), "name": "ZodError"}}


ZOD_REQUIRED_NAME = {
    "code": "invalid_type",
    "expected": "string",
    "received": "undefined",
    "path": ["name"],
    "message": "Required",
}

# Servers before a29667a472 (2026-07-22): app.ts used hono-openapi/zod's validator, whose
# default hook answers c.json(safeParseResult, 400); a body that does not parse raised
# Hono's HTTPException, written by error-handler.ts (a29667a472^) as {error, message}.
LEGACY_CASES = [
    case(
        "a29667a472^-missing-field-400-zod-result",
        "POST",
        BASE,
        400,
        zod_result(ZOD_REQUIRED_NAME),
        json={"value": "v"},
    ),
    case(
        "a29667a472^-pattern-and-length-400-zod-result",
        "POST",
        BASE,
        400,
        zod_result(
            {
                "validation": "regex",
                "code": "invalid_string",
                "message": NAME_RULE,
                "path": ["name"],
            },
            {
                "code": "too_small",
                "minimum": 1,
                "type": "string",
                "inclusive": True,
                "exact": False,
                "path": ["value"],
                "message": "value is required",
            },
        ),
        json={"name": "lower", "value": ""},
    ),
    case(
        "a29667a472^-seed-put-wrong-type-400-zod-result",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        400,
        zod_result(
            {
                "code": "invalid_type",
                "expected": "string",
                "received": "number",
                "path": ["value"],
                "message": "Expected string, received number",
            }
        ),
        json={"value": 5},
    ),
    case(
        "a29667a472^-no-body-reads-as-empty-object",
        "PUT",
        f"{BASE}/{SEEDED_ID}",
        400,
        zod_result({**ZOD_REQUIRED_NAME, "path": ["value"]}),
        data="x",
        headers={"Content-Type": "text/plain"},
    ),
    case(
        "a29667a472^-malformed-json-400-error-message",
        "POST",
        BASE,
        400,
        {"error": "Malformed JSON in request body", "message": "Malformed JSON in request body"},
        data="{",
        headers=JSON,
    ),
    case(
        "a29667a472^-domain-errors-unchanged",
        "GET",
        f"{BASE}/nope",
        404,
        NOT_FOUND,
    ),
]


@cases(LEGACY_CASES)
def test_servers_before_2026_07_22(api: Api, before_2026_07_22: None, row: Case) -> None:
    send(api, row, ADMIN)


def test_the_current_server_is_the_default(api: Api, emulator: Emulator) -> None:
    """validation.ts (a29667a472, 2026-07-22): 422 validation_error is today's answer."""
    assert emulator.versions()["langwatch"] == "current"
    response = api.request("POST", BASE, headers=ADMIN, json={"value": "v"})
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_an_unknown_version_is_refused(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="known: current, before-2026-07-22"):
        emulator.use_versions({"langwatch": "2020"})
    with pytest.raises(ValueError, match="unknown vendor"):
        emulator.use_versions({"nope": "current"})


def test_no_versioned_secrets_api_in_the_code_read(api: Api) -> None:
    """langwatch/langwatch up to 6ce6cbb33f (every branch and pull request): no
    /api/v1/secret, no by-name value route, no Deprecation or Warning header on
    /api/secrets (docs/vendors/langwatch.md). The emulator invents none of them."""
    listed = api.request("GET", BASE, headers=ADMIN)
    assert listed.status_code == 200
    assert "deprecation" not in {k.lower() for k in listed.headers}
    assert "warning" not in {k.lower() for k in listed.headers}
    for path in ("/langwatch/api/v1/secret", f"{BASE}/by-name/OPENAI_API_KEY/value"):
        assert api.request("GET", path, headers=ADMIN).status_code == 404
