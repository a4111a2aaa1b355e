"""Fireworks AI behaviour, table-driven, over both transports (see conftest ``api``)."""

from __future__ import annotations

from typing import Any

from secretmock.engine.emulator import Emulator
from tests.conftest import Api
from tests.helpers import assert_subset, contains_key, table

BASE = "/fireworks/v1/accounts/acme/secrets"
AUTH = {"Authorization": "Bearer fw-test-acme"}
S1 = {"name": "accounts/acme/secrets/s1", "keyName": "WOLFRAM_ALPHA_API_KEY"}


def stored(emulator: Emulator, secret_id: str) -> dict[str, Any] | None:
    snapshot = emulator.tenant_snapshot("fireworks", "acme")
    assert snapshot is not None
    return next((s for s in snapshot["secrets"] if s["name"] == secret_id), None)


# (id, method, path, request kwargs, status, expected body subset)
CASES = [
    (
        "update-seed",
        "PATCH",
        f"{BASE}/s1",
        {"json": {"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "new"}},
        200,
        S1,
    ),
    (
        "update-rename-key",
        "PATCH",
        f"{BASE}/s1",
        {"json": {"keyName": "WOLFRAM_KEY"}},
        200,
        {"name": "accounts/acme/secrets/s1", "keyName": "WOLFRAM_KEY"},
    ),
    ("update-unknown", "PATCH", f"{BASE}/nope", {"json": {"keyName": "K"}}, 404, {"code": 5}),
    (
        "update-key-taken",
        "PATCH",
        f"{BASE}/s1",
        {"json": {"keyName": "OPENAI_API_KEY"}},
        409,
        {"code": 6},
    ),
    ("update-missing-keyname", "PATCH", f"{BASE}/s1", {"json": {"value": "v"}}, 400, {"code": 3}),
    ("update-wrong-type", "PATCH", f"{BASE}/s1", {"json": {"keyName": 5}}, 400, {"code": 3}),
    (
        "update-bad-keyname",
        "PATCH",
        f"{BASE}/s1",
        {"json": {"keyName": "9 lives"}},
        400,
        {"code": 3},
    ),
    (
        "update-malformed-json",
        "PATCH",
        f"{BASE}/s1",
        {"data": b"{oops", "headers": {"Content-Type": "application/json"}},
        400,
        {"code": 3},
    ),
    (
        "update-wrong-content-type",
        "PATCH",
        f"{BASE}/s1",
        {"data": b"keyName=K", "headers": {"Content-Type": "text/plain"}},
        400,
        {"code": 3},
    ),
    ("update-no-body", "PATCH", f"{BASE}/s1", {}, 400, {"code": 3}),
    (
        "create-short-name",
        "POST",
        BASE,
        {"json": {"name": "my-secret", "keyName": "MY_SECRET", "value": "v"}},
        200,
        {"name": "accounts/acme/secrets/my-secret", "keyName": "MY_SECRET"},
    ),
    (
        "create-full-name",
        "POST",
        BASE,
        {"json": {"name": "accounts/acme/secrets/MY_SECRET", "keyName": "MY_SECRET"}},
        200,
        {"name": "accounts/acme/secrets/MY_SECRET"},
    ),
    (
        "create-other-account-name",
        "POST",
        BASE,
        {"json": {"name": "accounts/other/secrets/x", "keyName": "X"}},
        400,
        {"code": 3},
    ),
    (
        "create-malformed-name",
        "POST",
        BASE,
        {"json": {"name": "projects/acme/x", "keyName": "X"}},
        400,
        {"code": 3},
    ),
    (
        "create-bad-id",
        "POST",
        BASE,
        {"json": {"name": "bad id!", "keyName": "X"}},
        400,
        {"code": 3},
    ),
    (
        "create-duplicate-id",
        "POST",
        BASE,
        {"json": {"name": "s1", "keyName": "OTHER"}},
        409,
        {"code": 6},
    ),
    (
        "create-duplicate-keyname",
        "POST",
        BASE,
        {"json": {"name": "s2", "keyName": "OPENAI_API_KEY"}},
        409,
        {"code": 6},
    ),
    ("create-missing-keyname", "POST", BASE, {"json": {"name": "s2"}}, 400, {"code": 3}),
    ("create-missing-name", "POST", BASE, {"json": {"keyName": "K"}}, 400, {"code": 3}),
    ("get", "GET", f"{BASE}/s1", {}, 200, S1),
    ("get-read-mask", "GET", f"{BASE}/s1?readMask=*", {}, 200, S1),
    ("get-unknown", "GET", f"{BASE}/nope", {}, 404, {"code": 5}),
    ("delete", "DELETE", f"{BASE}/s1", {"headers": {"Content-Type": "application/json"}}, 200, {}),
    ("delete-unknown", "DELETE", f"{BASE}/nope", {}, 404, {"code": 5}),
    (
        "list",
        "GET",
        BASE,
        {},
        200,
        {
            "secrets": [{"name": "accounts/acme/secrets/openai-key"}, S1],
            "nextPageToken": "",
            "totalSize": 2,
        },
    ),
    ("list-bad-page-size", "GET", f"{BASE}?pageSize=many", {}, 400, {"code": 3}),
    ("list-negative-page-size", "GET", f"{BASE}?pageSize=-1", {}, 400, {"code": 3}),
    ("list-bad-token", "GET", f"{BASE}?pageToken=garbage", {}, 400, {"code": 3}),
    ("unknown-route", "GET", "/fireworks/v1/accounts/acme/models", {}, 404, {"code": 5}),
    ("wrong-method", "PUT", f"{BASE}/s1", {"json": {}}, 404, {"code": 5}),
]


@table("method, path, kwargs, status, expected", CASES)
def test_operation(
    api: Api, method: str, path: str, kwargs: dict[str, Any], status: int, expected: Any
) -> None:
    kwargs = dict(kwargs)  # the table is shared by both transports: never change it
    headers = {**AUTH, **kwargs.pop("headers", {})}
    response = api.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.json()
    assert_subset(response.json(), expected)
    assert not contains_key(response.json(), "value"), "Fireworks never returns a value"
    if status >= 400:
        assert set(response.json()) == {"code", "message", "details"}


AUTH_CASES = [
    ("no-credentials", {}, f"{BASE}/s1", 401, 16),
    ("unknown-key", {"Authorization": "Bearer fw-nope"}, f"{BASE}/s1", 401, 16),
    ("basic-scheme", {"Authorization": "Basic Zm9vOmJhcg=="}, f"{BASE}/s1", 401, 16),
    ("empty-bearer", {"Authorization": "Bearer "}, f"{BASE}/s1", 401, 16),
    ("other-account", AUTH, "/fireworks/v1/accounts/other/secrets", 403, 7),
]


@table("headers, path, status, code", AUTH_CASES)
def test_authentication(
    api: Api, headers: dict[str, str], path: str, status: int, code: int
) -> None:
    response = api.request("GET", path, headers=headers)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_auth_comes_before_validation(api: Api) -> None:
    response = api.request("PATCH", f"{BASE}/s1", json={"nonsense": 1})
    assert response.status_code == 401


def test_update_stores_value_and_keeps_it_when_absent(api: Api, emulator: Emulator) -> None:
    api.request("PATCH", f"{BASE}/s1", headers=AUTH, json={"keyName": "W", "value": "rotated"})
    assert stored(emulator, "s1") == {"name": "s1", "keyName": "W", "value": "rotated"}
    api.request("PATCH", f"{BASE}/s1", headers=AUTH, json={"keyName": "W2"})
    assert stored(emulator, "s1") == {"name": "s1", "keyName": "W2", "value": "rotated"}


def test_failed_update_changes_nothing(api: Api, emulator: Emulator) -> None:
    before = stored(emulator, "s1")
    api.request("PATCH", f"{BASE}/s1", headers=AUTH, json={"keyName": "OPENAI_API_KEY"})
    api.request("PATCH", f"{BASE}/s1", headers=AUTH, json={"keyName": "K", "value": 5})
    assert stored(emulator, "s1") == before


def test_create_then_get_list_delete(api: Api, emulator: Emulator) -> None:
    body = {"name": "accounts/acme/secrets/new-one", "keyName": "NEW_ONE", "value": "v1"}
    assert api.request("POST", BASE, headers=AUTH, json=body).status_code == 200
    assert stored(emulator, "new-one") == {"name": "new-one", "keyName": "NEW_ONE", "value": "v1"}
    names = [s["name"] for s in api.request("GET", BASE, headers=AUTH).json()["secrets"]]
    assert names == [f"accounts/acme/secrets/{i}" for i in ("new-one", "openai-key", "s1")]
    assert api.request("DELETE", f"{BASE}/new-one", headers=AUTH).json() == {}
    assert api.request("GET", f"{BASE}/new-one", headers=AUTH).status_code == 404
    assert stored(emulator, "new-one") is None


def test_pagination_follows_next_page_token(api: Api, emulator: Emulator) -> None:
    secrets = [{"name": f"k{i:03d}", "keyName": f"K{i:03d}", "value": "v"} for i in range(250)]
    emulator.put_tenant(
        "fireworks", "acme", {"credentials": [{"token": "fw-test-acme"}], "secrets": secrets}
    )
    first = api.request("GET", BASE, headers=AUTH).json()
    assert len(first["secrets"]) == 50 and first["totalSize"] == 250
    capped = api.request("GET", f"{BASE}?pageSize=1000", headers=AUTH).json()
    assert len(capped["secrets"]) == 200
    seen, query = [], "pageSize=70"
    while True:
        page = api.request("GET", f"{BASE}?{query}", headers=AUTH).json()
        seen += [s["keyName"] for s in page["secrets"]]
        if not page["nextPageToken"]:
            break
        query = f"pageSize=70&pageToken={page['nextPageToken']}"
    assert seen == [f"K{i:03d}" for i in range(250)]


def test_pages_neither_repeat_nor_skip_when_secrets_change_between_them(
    api: Api, emulator: Emulator
) -> None:
    secrets = [{"name": f"k{i:02d}", "keyName": f"K{i:02d}"} for i in range(10)]
    emulator.put_tenant(
        "fireworks", "acme", {"credentials": [{"token": "fw-test-acme"}], "secrets": secrets}
    )
    first = api.request("GET", f"{BASE}?pageSize=4", headers=AUTH).json()
    api.request("DELETE", f"{BASE}/k01", headers=AUTH)
    api.request("DELETE", f"{BASE}/k05", headers=AUTH)
    api.request("POST", BASE, headers=AUTH, json={"name": "k00a", "keyName": "EARLY"})
    api.request("POST", BASE, headers=AUTH, json={"name": "k07a", "keyName": "LATE"})
    token = first["nextPageToken"]
    rest = api.request("GET", f"{BASE}?pageSize=50&pageToken={token}", headers=AUTH).json()
    assert [s["keyName"] for s in first["secrets"]] == ["K00", "K01", "K02", "K03"]
    assert [s["keyName"] for s in rest["secrets"]] == ["K04", "K06", "K07", "LATE", "K08", "K09"]


def test_tenants_are_isolated(api: Api, emulator: Emulator) -> None:
    emulator.put_tenant(
        "fireworks",
        "globex",
        {"credentials": [{"token": "fw-globex"}], "secrets": [{"name": "s1", "keyName": "G"}]},
    )
    other = {"Authorization": "Bearer fw-globex"}
    assert api.request("GET", BASE, headers=other).status_code == 403
    assert (
        api.request("PATCH", f"{BASE}/s1", headers=other, json={"keyName": "X"}).status_code == 403
    )
    mine = api.request("GET", "/fireworks/v1/accounts/globex/secrets", headers=other).json()
    assert [s["keyName"] for s in mine["secrets"]] == ["G"]
