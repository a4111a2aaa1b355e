"""Fireworks AI behaviour, table-driven, over both transports (see conftest ``api``)."""

from __future__ import annotations

from typing import Any, NamedTuple

from secretmock.engine.emulator import Emulator
from tests.conftest import Api
from tests.helpers import Case, case, cases, contains_key, send, table

BASE = "/fireworks/v1/accounts/acme/secrets"
AUTH = {"Authorization": "Bearer fw-test-acme"}
S1 = {"name": "accounts/acme/secrets/s1", "keyName": "WOLFRAM_ALPHA_API_KEY"}


def stored(emulator: Emulator, secret_id: str) -> dict[str, Any] | None:
    snapshot = emulator.tenant_snapshot("fireworks", "acme")
    assert snapshot is not None
    return next((s for s in snapshot["secrets"] if s["name"] == secret_id), None)


CASES = [
    case(
        "update-seed",
        "PATCH",
        f"{BASE}/s1",
        200,
        S1,
        json={"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "new"},
    ),
    case(
        "update-rename-key",
        "PATCH",
        f"{BASE}/s1",
        200,
        {"name": "accounts/acme/secrets/s1", "keyName": "WOLFRAM_KEY"},
        json={"keyName": "WOLFRAM_KEY"},
    ),
    case("update-unknown", "PATCH", f"{BASE}/nope", 404, {"code": 5}, json={"keyName": "K"}),
    case(
        "update-key-taken",
        "PATCH",
        f"{BASE}/s1",
        409,
        {"code": 6},
        json={"keyName": "OPENAI_API_KEY"},
    ),
    case("update-missing-keyname", "PATCH", f"{BASE}/s1", 400, {"code": 3}, json={"value": "v"}),
    case("update-wrong-type", "PATCH", f"{BASE}/s1", 400, {"code": 3}, json={"keyName": 5}),
    case(
        "update-bad-keyname", "PATCH", f"{BASE}/s1", 400, {"code": 3}, json={"keyName": "9 lives"}
    ),
    case(
        "update-malformed-json",
        "PATCH",
        f"{BASE}/s1",
        400,
        {"code": 3},
        data=b"{oops",
        headers={"Content-Type": "application/json"},
    ),
    case(
        "update-wrong-content-type",
        "PATCH",
        f"{BASE}/s1",
        400,
        {"code": 3},
        data=b"keyName=K",
        headers={"Content-Type": "text/plain"},
    ),
    case("update-no-body", "PATCH", f"{BASE}/s1", 400, {"code": 3}),
    case(
        "create-short-name",
        "POST",
        BASE,
        200,
        {"name": "accounts/acme/secrets/my-secret", "keyName": "MY_SECRET"},
        json={"name": "my-secret", "keyName": "MY_SECRET", "value": "v"},
    ),
    case(
        "create-full-name",
        "POST",
        BASE,
        200,
        {"name": "accounts/acme/secrets/my-secret-2"},
        json={"name": "accounts/acme/secrets/my-secret-2", "keyName": "MY_SECRET"},
    ),
    case(
        "create-other-account-name",
        "POST",
        BASE,
        400,
        {"code": 3},
        json={"name": "accounts/other/secrets/x", "keyName": "X"},
    ),
    case(
        "create-malformed-name",
        "POST",
        BASE,
        400,
        {"code": 3},
        json={"name": "projects/acme/x", "keyName": "X"},
    ),
    case("create-bad-id", "POST", BASE, 400, {"code": 3}, json={"name": "bad id!", "keyName": "X"}),
    # docs.fireworks.ai/getting-started/concepts "Resource names and IDs": 1-63 of a-z, 0-9
    # and '-', not beginning or ending with '-'.
    *[
        case(
            f"concepts-id-{rid}",
            "POST",
            BASE,
            400,
            {"code": 3},
            json={"name": name, "keyName": "X"},
        )
        for rid, name in [
            ("upper-case", "MY_SECRET"),
            ("underscore", "my_secret"),
            ("leading-hyphen", "-key"),
            ("trailing-hyphen", "key-"),
            ("64-characters", "k" * 64),
        ]
    ],
    *[
        case(
            f"concepts-id-{rid}",
            "POST",
            BASE,
            200,
            {"name": f"accounts/acme/secrets/{name}"},
            json={"name": name, "keyName": "OK"},
        )
        for rid, name in [("digit-first", "1password"), ("63-characters", "k" * 63)]
    ],
    # eval-protocol platform_api.py: keyName upper-cased, "starts with an uppercase letter".
    *[
        case(f"keyname-{rid}", "POST", BASE, 400, {"code": 3}, json={"name": "k9", "keyName": kn})
        for rid, kn in [("lower-case-first", "openai_KEY"), ("underscore-first", "_KEY")]
    ],
    case(
        "create-duplicate-id",
        "POST",
        BASE,
        409,
        {"code": 6},
        json={"name": "s1", "keyName": "OTHER"},
    ),
    case(
        "create-duplicate-keyname",
        "POST",
        BASE,
        409,
        {"code": 6},
        json={"name": "s2", "keyName": "OPENAI_API_KEY"},
    ),
    case("create-missing-keyname", "POST", BASE, 400, {"code": 3}, json={"name": "s2"}),
    case("create-missing-name", "POST", BASE, 400, {"code": 3}, json={"keyName": "K"}),
    case("get", "GET", f"{BASE}/s1", 200, S1),
    case("get-read-mask", "GET", f"{BASE}/s1?readMask=*", 200, S1),
    case("get-unknown", "GET", f"{BASE}/nope", 404, {"code": 5}),
    case("delete", "DELETE", f"{BASE}/s1", 200, {}, headers={"Content-Type": "application/json"}),
    case("delete-unknown", "DELETE", f"{BASE}/nope", 404, {"code": 5}),
    case(
        "list",
        "GET",
        BASE,
        200,
        {
            "secrets": [{"name": "accounts/acme/secrets/openai-key"}, S1],
            "nextPageToken": "",
            "totalSize": 2,
        },
    ),
    case("list-bad-page-size", "GET", f"{BASE}?pageSize=many", 400, {"code": 3}),
    case("list-negative-page-size", "GET", f"{BASE}?pageSize=-1", 400, {"code": 3}),
    case("list-bad-token", "GET", f"{BASE}?pageToken=garbage", 400, {"code": 3}),
    case("unknown-route", "GET", "/fireworks/v1/accounts/acme/models", 404, {"code": 5}),
    case("wrong-method", "PUT", f"{BASE}/s1", 404, {"code": 5}, json={}),
]


@cases(CASES)
def test_operation(api: Api, row: Case) -> None:
    body = send(api, row, AUTH).json()
    assert not contains_key(body, "value"), "Fireworks never returns a value"
    if row.status >= 400:
        assert set(body) == {"code", "message", "details"}


class AuthCase(NamedTuple):
    id: str
    headers: dict[str, str]
    path: str
    status: int
    code: int


AUTH_CASES = [
    AuthCase("no-credentials", headers={}, path=f"{BASE}/s1", status=401, code=16),
    AuthCase(
        "unknown-key",
        headers={"Authorization": "Bearer fw-nope"},
        path=f"{BASE}/s1",
        status=401,
        code=16,
    ),
    AuthCase(
        "basic-scheme",
        headers={"Authorization": "Basic Zm9vOmJhcg=="},
        path=f"{BASE}/s1",
        status=401,
        code=16,
    ),
    AuthCase(
        "empty-bearer", headers={"Authorization": "Bearer "}, path=f"{BASE}/s1", status=401, code=16
    ),
    AuthCase(
        "other-account",
        headers=AUTH,
        path="/fireworks/v1/accounts/other/secrets",
        status=403,
        code=7,
    ),
]


@table(AUTH_CASES)
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
