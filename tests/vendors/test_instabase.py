"""Instabase AI Hub behaviour, table-driven, over both transports (see conftest ``api``)."""

from __future__ import annotations

from typing import Any

import pytest

from secretmock.engine.emulator import Emulator
from tests.conftest import START, Api
from tests.helpers import assert_subset, contains_key, table

BASE = "/instabase/api/v2/aihub/secrets"
ORG = "acme-org"
ADMIN = {"Authorization": "Bearer ib-test-admin", "IB-Context": ORG}
MEMBER = {"Authorization": "Bearer ib-test-member", "IB-Context": ORG}
JSON = {"Content-Type": "application/json"}
START_MS = int(START.timestamp() * 1000)

MY_SECRET = {
    "alias": "my_secret",
    "description": "Demo secret",
    "allowed_workspaces_type": "ALL",
    "allowed_workspaces": [],
    "org": ORG,
    "created_by": "acme-org-admin",
    "last_updated_by": "acme-org-admin",
}
BILLING_KEY = {
    "alias": "billing_key",
    "description": "",
    "allowed_workspaces_type": "SOME",
    "allowed_workspaces": ["billing"],
    "org": ORG,
    "created_by": "acme-org-admin",
}
SECRET_FIELDS = {
    "alias",
    "description",
    "allowed_workspaces_type",
    "allowed_workspaces",
    "org",
    "created_at",
    "created_by",
    "updated_at",
    "last_updated_by",
}
SEED_CURL = {"alias": "my_secret", "value": "new password", "allowed_workspaces_type": "ALL"}
NEW = {"alias": "new_one", "value": "v1", "allowed_workspaces_type": "NONE"}


def stored(emulator: Emulator, alias: str, tenant: str = ORG) -> dict[str, Any] | None:
    snapshot = emulator.tenant_snapshot("instabase", tenant)
    assert snapshot is not None
    return next((s for s in snapshot["secrets"] if s["alias"] == alias), None)


def aliases(response: Any) -> list[str]:
    return [s["alias"] for s in response.json()["secrets"]]


# (id, caller headers, method, path, request kwargs, status, expected body subset)
CASES = [
    ("update-seed-curl", ADMIN, "PATCH", BASE, {"json": SEED_CURL}, 200, {}),
    ("update-alias-only", ADMIN, "PATCH", BASE, {"json": {"alias": "my_secret"}}, 200, {}),
    (
        "update-to-some",
        ADMIN,
        "PATCH",
        BASE,
        {
            "json": {
                "alias": "my_secret",
                "allowed_workspaces_type": "SOME",
                "allowed_workspaces": ["ws1"],
            }
        },
        200,
        {},
    ),
    (
        "update-to-some-without-list",
        ADMIN,
        "PATCH",
        BASE,
        {"json": {"alias": "my_secret", "allowed_workspaces_type": "SOME"}},
        400,
        {
            "message": "invalid body field 'allowed_workspaces': required (non-empty) when "
            "allowed_workspaces_type is SOME"
        },
    ),
    (
        "update-some-empty-list",
        ADMIN,
        "PATCH",
        BASE,
        {"json": {"alias": "billing_key", "allowed_workspaces": []}},
        400,
        {},
    ),
    ("update-unknown", ADMIN, "PATCH", BASE, {"json": {"alias": "nope"}}, 404, {}),
    ("update-missing-alias", ADMIN, "PATCH", BASE, {"json": {"value": "v"}}, 400, {}),
    ("update-alias-wrong-type", ADMIN, "PATCH", BASE, {"json": {"alias": 5}}, 400, {}),
    (
        "update-bad-enum",
        ADMIN,
        "PATCH",
        BASE,
        {"json": {"alias": "my_secret", "allowed_workspaces_type": "FEW"}},
        400,
        {},
    ),
    (
        "update-workspaces-not-strings",
        ADMIN,
        "PATCH",
        BASE,
        {"json": {"alias": "billing_key", "allowed_workspaces": [1]}},
        400,
        {},
    ),
    (
        "update-null-description",
        ADMIN,
        "PATCH",
        BASE,
        {"json": {"alias": "my_secret", "description": None}},
        400,
        {},
    ),
    ("update-body-not-object", ADMIN, "PATCH", BASE, {"json": ["my_secret"]}, 400, {}),
    (
        "update-malformed-json",
        {**ADMIN, **JSON},
        "PATCH",
        BASE,
        {"data": b'{"alias": '},
        400,
        {},
    ),
    (
        "update-wrong-content-type",
        {**ADMIN, "Content-Type": "text/plain"},
        "PATCH",
        BASE,
        {"data": b'{"alias": "my_secret"}'},
        400,
        {},
    ),
    ("update-no-body", ADMIN, "PATCH", BASE, {}, 400, {}),
    (
        "update-no-content-type",
        ADMIN,
        "PATCH",
        BASE,
        {"data": b'{"alias": "my_secret"}'},
        400,
        {"message": "unsupported content type '': send Content-Type: application/json"},
    ),
    (
        "update-json-with-charset",
        {**ADMIN, "Content-Type": "application/json; charset=utf-8"},
        "PATCH",
        BASE,
        {"data": b'{"alias": "my_secret"}'},
        200,
        {},
    ),
    ("update-not-utf8", {**ADMIN, **JSON}, "PATCH", BASE, {"data": b"\xff"}, 400, {}),
    ("update-by-member", MEMBER, "PATCH", BASE, {"json": SEED_CURL}, 401, {}),
    ("create", ADMIN, "POST", BASE, {"json": NEW}, 200, {}),
    (
        "create-some",
        ADMIN,
        "POST",
        BASE,
        {"json": {**NEW, "allowed_workspaces_type": "SOME", "allowed_workspaces": ["a", "b"]}},
        200,
        {},
    ),
    (
        "create-some-without-list",
        ADMIN,
        "POST",
        BASE,
        {"json": {**NEW, "allowed_workspaces_type": "SOME"}},
        400,
        {},
    ),
    ("create-duplicate", ADMIN, "POST", BASE, {"json": {**NEW, "alias": "my_secret"}}, 409, {}),
    ("create-empty-alias", ADMIN, "POST", BASE, {"json": {**NEW, "alias": ""}}, 400, {}),
    (
        "create-missing-value",
        ADMIN,
        "POST",
        BASE,
        {"json": {"alias": "x", "allowed_workspaces_type": "ALL"}},
        400,
        {"message": "invalid body field 'value': 'value' is a required property"},
    ),
    (
        "create-missing-type",
        ADMIN,
        "POST",
        BASE,
        {"json": {"alias": "x", "value": "v"}},
        400,
        {},
    ),
    ("create-value-wrong-type", ADMIN, "POST", BASE, {"json": {**NEW, "value": 42}}, 400, {}),
    ("create-by-member", MEMBER, "POST", BASE, {"json": NEW}, 401, {}),
    ("create-extra-field-ignored", ADMIN, "POST", BASE, {"json": {**NEW, "extra": 1}}, 200, {}),
    ("delete", ADMIN, "DELETE", BASE, {"json": {"alias": "my_secret"}}, 200, {}),
    ("delete-unknown", ADMIN, "DELETE", BASE, {"json": {"alias": "nope"}}, 404, {}),
    ("delete-no-body", ADMIN, "DELETE", BASE, {}, 400, {}),
    ("delete-alias-in-query", ADMIN, "DELETE", f"{BASE}?alias=my_secret", {}, 400, {}),
    ("delete-by-member", MEMBER, "DELETE", BASE, {"json": {"alias": "my_secret"}}, 401, {}),
    ("list", ADMIN, "GET", BASE, {}, 200, {"secrets": [MY_SECRET, BILLING_KEY]}),
    (
        "list-by-alias",
        ADMIN,
        "GET",
        f"{BASE}?alias=billing_key",
        {},
        200,
        {"secrets": [BILLING_KEY]},
    ),
    ("list-unknown-alias", ADMIN, "GET", f"{BASE}?alias=nope", {}, 200, {"secrets": []}),
    ("list-empty-alias", ADMIN, "GET", f"{BASE}?alias=", {}, 400, {}),
    (
        "list-workspace-billing",
        ADMIN,
        "GET",
        f"{BASE}?workspace=billing",
        {},
        200,
        {"secrets": [MY_SECRET, BILLING_KEY]},
    ),
    (
        "list-workspace-other",
        ADMIN,
        "GET",
        f"{BASE}?workspace=sales",
        {},
        200,
        {"secrets": [MY_SECRET]},
    ),
    (
        "list-member-workspace",
        MEMBER,
        "GET",
        f"{BASE}?workspace=billing",
        {},
        200,
        {"secrets": [MY_SECRET, BILLING_KEY]},
    ),
    (
        "list-member-workspace-alias",
        MEMBER,
        "GET",
        f"{BASE}?workspace=sales&alias=billing_key",
        {},
        200,
        {"secrets": []},
    ),
    ("list-member-all", MEMBER, "GET", BASE, {}, 401, {}),
    ("list-member-alias-only", MEMBER, "GET", f"{BASE}?alias=my_secret", {}, 401, {}),
    (
        "unknown-route",
        ADMIN,
        "GET",
        "/instabase/api/v2/aihub/secret",
        {},
        404,
        {"message": "Not Found"},
    ),
    ("wrong-method", ADMIN, "PUT", BASE, {"json": SEED_CURL}, 404, {"message": "Not Found"}),
]


@table("headers, method, path, kwargs, status, expected", CASES)
def test_operation(
    api: Api,
    headers: dict[str, str],
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    expected: Any,
) -> None:
    response = api.request(method, path, headers=headers, **kwargs)
    body = response.json()
    assert response.status_code == status, body
    assert response.headers["content-type"] == "application/json"
    assert_subset(body, expected)
    assert not contains_key(body, "value"), "Instabase never returns a value"
    if status >= 400:
        assert set(body) == {"message"} and isinstance(body["message"], str), body
    elif method != "GET":
        assert body == {}
    else:
        assert all(set(s) == SECRET_FIELDS for s in body["secrets"])


def test_seed_curl_example_as_documented(api: Api, emulator: Emulator) -> None:
    """The page's curl: PATCH with Bearer token, IB-Context and a JSON body answers {}."""
    headers = {**ADMIN, "Content-Type": "application/json"}
    data = (
        b'{\n "alias": "my_secret",\n "value": "new password",\n'
        b' "allowed_workspaces_type": "ALL"\n}'
    )
    response = api.request("PATCH", BASE, headers=headers, data=data)
    assert response.status_code == 200
    assert response.json() == {}
    assert_subset(
        stored(emulator, "my_secret"), {"value": "new password", "description": "Demo secret"}
    )


AUTH_CASES = [
    ("no-credentials", {}, "missing API token"),
    ("unknown-token", {"Authorization": "Bearer ib-nope"}, "invalid API token"),
    ("basic-scheme", {"Authorization": "Basic aWI6dGVzdA=="}, "missing API token"),
    ("empty-bearer", {"Authorization": "Bearer "}, "missing API token"),
    ("other-org-context", {**ADMIN, "IB-Context": "globex"}, "invalid IB-Context"),
    ("other-user-context", {**ADMIN, "IB-Context": "acme-org-member"}, "invalid IB-Context"),
]


@table("headers, message", AUTH_CASES)
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_authentication(api: Api, headers: dict[str, str], message: str, method: str) -> None:
    body = None if method == "GET" else {"alias": "my_secret"}
    response = api.request(method, BASE, headers=headers, json=body)
    assert response.status_code == 401
    assert set(response.json()) == {"message"}
    assert response.json()["message"].startswith(message)


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer ib-test-admin"},  # no IB-Context: the token's own org
        {"Authorization": "Bearer ib-test-admin", "IB-Context": ""},  # blank: as absent
        {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org-admin"},  # user id
        {"Authorization": "bearer ib-test-admin", "IB-Context": ORG},  # scheme in any case
    ],
    ids=["no-context", "blank-context", "user-id-context", "lower-case-scheme"],
)
def test_context_resolves_to_the_token_org(api: Api, headers: dict[str, str]) -> None:
    response = api.request("GET", BASE, headers=headers)
    assert response.status_code == 200
    assert aliases(response) == ["my_secret", "billing_key"]


def test_auth_comes_before_validation(api: Api) -> None:
    response = api.request("PATCH", BASE, json={"nonsense": 1})
    assert response.status_code == 401


def test_validation_comes_before_permissions(api: Api) -> None:
    response = api.request("POST", BASE, headers=MEMBER, json={"alias": "x"})
    assert response.status_code == 400
    assert "'value'" in response.json()["message"]


def test_create_then_list_update_delete(api: Api, emulator: Emulator) -> None:
    body = {**NEW, "description": "made here", "allowed_workspaces": ["ignored"]}
    assert api.request("POST", BASE, headers=ADMIN, json=body).json() == {}
    record = stored(emulator, "new_one")
    assert record is not None
    assert_subset(
        record,
        {
            "value": "v1",
            "description": "made here",
            "allowed_workspaces_type": "NONE",
            "allowed_workspaces": [],
            "created_by": "acme-org-admin",
        },
    )
    listed = api.request("GET", f"{BASE}?alias=new_one", headers=ADMIN).json()["secrets"]
    assert listed == [
        {
            "alias": "new_one",
            "description": "made here",
            "allowed_workspaces_type": "NONE",
            "allowed_workspaces": [],
            "org": ORG,
            "created_at": record["created_at"],
            "created_by": "acme-org-admin",
            "updated_at": record["updated_at"],
            "last_updated_by": "acme-org-admin",
        }
    ]
    assert aliases(api.request("GET", f"{BASE}?workspace=billing", headers=ADMIN)) == [
        "my_secret",
        "billing_key",
    ], "a NONE secret is usable in no workspace"
    patch = {"alias": "new_one", "value": "v2"}
    assert api.request("PATCH", BASE, headers=ADMIN, json=patch).json() == {}
    assert_subset(stored(emulator, "new_one"), {"value": "v2", "description": "made here"})
    assert api.request("DELETE", BASE, headers=ADMIN, json={"alias": "new_one"}).json() == {}
    assert stored(emulator, "new_one") is None
    assert api.request("GET", f"{BASE}?alias=new_one", headers=ADMIN).json() == {"secrets": []}


def test_timestamps_are_unix_milliseconds(api: Api, emulator: Emulator) -> None:
    api.request("POST", BASE, headers=ADMIN, json=NEW)
    created = stored(emulator, "new_one")
    assert created is not None and created["created_at"] == created["updated_at"]
    api.request("PATCH", BASE, headers=ADMIN, json={"alias": "new_one", "description": "d"})
    updated = stored(emulator, "new_one")
    assert updated is not None
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_at"] > created["updated_at"]
    assert START_MS <= created["created_at"] < START_MS + 24 * 3600 * 1000
    listed = api.request("GET", f"{BASE}?alias=new_one", headers=ADMIN).json()["secrets"][0]
    assert isinstance(listed["created_at"], int) and isinstance(listed["updated_at"], int)


def test_update_keeps_omitted_fields(api: Api, emulator: Emulator) -> None:
    before = stored(emulator, "billing_key")
    assert before is not None
    api.request("PATCH", BASE, headers=ADMIN, json={"alias": "billing_key", "value": "bk-2"})
    after = stored(emulator, "billing_key")
    assert after == {**before, "value": "bk-2", "updated_at": after["updated_at"]}
    api.request(
        "PATCH", BASE, headers=ADMIN, json={"alias": "billing_key", "allowed_workspaces": ["x"]}
    )
    assert_subset(stored(emulator, "billing_key"), {"value": "bk-2", "allowed_workspaces": ["x"]})


def test_update_workspace_type_rules(api: Api, emulator: Emulator) -> None:
    to_all = {"alias": "billing_key", "allowed_workspaces_type": "ALL"}
    assert api.request("PATCH", BASE, headers=ADMIN, json=to_all).status_code == 200
    assert_subset(
        stored(emulator, "billing_key"),
        {"allowed_workspaces_type": "ALL", "allowed_workspaces": []},
    )
    ignored = {"alias": "my_secret", "allowed_workspaces": ["ws1"]}
    assert api.request("PATCH", BASE, headers=ADMIN, json=ignored).status_code == 200
    assert_subset(stored(emulator, "my_secret"), {"allowed_workspaces": []})


def test_update_records_the_editor(api: Api, emulator: Emulator) -> None:
    emulator.put_tenant(
        "instabase",
        ORG,
        {
            "credentials": [
                {"token": "ib-test-admin", "role": "admin", "user": "alice"},
                {"token": "ib-bob", "role": "admin", "user": "bob"},
            ],
            "secrets": [{"alias": "s", "value": "v", "allowed_workspaces_type": "ALL"}],
        },
    )
    bob = {"Authorization": "Bearer ib-bob", "IB-Context": ORG}
    api.request("PATCH", BASE, headers=bob, json={"alias": "s", "description": "by bob"})
    secret = api.request("GET", BASE, headers=bob).json()["secrets"][0]
    assert (secret["created_by"], secret["last_updated_by"]) == ("alice", "bob")


@pytest.mark.parametrize(
    ("headers", "method", "body"),
    [
        (ADMIN, "PATCH", {"alias": "my_secret", "value": 5}),
        (ADMIN, "PATCH", {"alias": "my_secret", "allowed_workspaces_type": "SOME"}),
        (ADMIN, "PATCH", {"alias": "nope", "value": "x"}),
        (MEMBER, "PATCH", {"alias": "my_secret", "value": "x"}),
        (ADMIN, "POST", {"alias": "my_secret", "value": "x", "allowed_workspaces_type": "ALL"}),
        (MEMBER, "DELETE", {"alias": "my_secret"}),
        (ADMIN, "DELETE", {"alias": "nope"}),
        ({**ADMIN, "IB-Context": "globex"}, "DELETE", {"alias": "my_secret"}),
    ],
    ids=[
        "wrong-type",
        "some-without-list",
        "unknown",
        "member-update",
        "duplicate",
        "member-delete",
        "delete-unknown",
        "foreign-context",
    ],
)
def test_failed_request_changes_nothing(
    api: Api, emulator: Emulator, headers: dict[str, str], method: str, body: Any
) -> None:
    before = emulator.tenant_snapshot("instabase", ORG)
    response = api.request(method, BASE, headers=headers, json=body)
    assert response.status_code >= 400
    assert emulator.tenant_snapshot("instabase", ORG) == before


def test_tenants_are_isolated(api: Api, emulator: Emulator) -> None:
    emulator.put_tenant(
        "instabase",
        "globex",
        {
            "credentials": [{"token": "ib-globex"}],
            "secrets": [{"alias": "my_secret", "value": "g", "allowed_workspaces_type": "ALL"}],
        },
    )
    other = {"Authorization": "Bearer ib-globex"}
    for method, body in [("GET", None), ("PATCH", SEED_CURL), ("DELETE", {"alias": "my_secret"})]:
        response = api.request(method, BASE, headers={**other, "IB-Context": ORG}, json=body)
        assert response.status_code == 401
    mine = api.request("GET", BASE, headers=other).json()["secrets"]
    assert [(s["alias"], s["org"]) for s in mine] == [("my_secret", "globex")]
    assert api.request("DELETE", BASE, headers=other, json={"alias": "my_secret"}).json() == {}
    assert stored(emulator, "my_secret", "globex") is None
    assert_subset(stored(emulator, "my_secret"), {"value": "password"})


def test_values_never_appear_in_any_answer(api: Api) -> None:
    api.request("POST", BASE, headers=ADMIN, json={**NEW, "value": "s3cr3t-marker"})
    answers = [
        api.request("GET", BASE, headers=ADMIN),
        api.request("GET", f"{BASE}?alias=new_one", headers=ADMIN),
        api.request("POST", BASE, headers=ADMIN, json={**NEW, "value": "s3cr3t-marker"}),
        api.request("PATCH", BASE, headers=ADMIN, json={"alias": "new_one", "value": 1}),
    ]
    for response in answers:
        assert "s3cr3t-marker" not in str(response.json())
        assert "password" not in str(response.json())


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"alias": "a", "value": "v"}, "allowed_workspaces_type"),
        ({"alias": "a", "value": "v", "allowed_workspaces_type": "SOME"}, "allowed_workspaces"),
        ({"alias": "a", "value": 1, "allowed_workspaces_type": "ALL"}, "'value'"),
        ({"alias": "a", "value": "v", "allowed_workspaces_type": "ALL", "name": "x"}, "unknown"),
        (
            {
                "alias": "a",
                "value": "v",
                "allowed_workspaces_type": "SOME",
                "allowed_workspaces": "billing",
            },
            "list of strings",
        ),
    ],
    ids=["missing-type", "some-without-list", "value-type", "unknown-field", "workspaces-type"],
)
def test_bad_fixture_entries_are_refused(
    emulator: Emulator, entry: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        emulator.put_tenant("instabase", "bad", {"secrets": [entry]})
    assert emulator.tenant_snapshot("instabase", "bad") is None


def test_duplicate_fixture_aliases_are_refused(emulator: Emulator) -> None:
    twice = {"alias": "a", "value": "v", "allowed_workspaces_type": "ALL"}
    with pytest.raises(ValueError, match="already exists"):
        emulator.put_tenant("instabase", "bad", {"secrets": [twice, twice]})


def test_unknown_role_is_refused(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="role 'viewer'"):
        emulator.put_tenant("instabase", "bad", {"credentials": [{"token": "t", "role": "viewer"}]})
