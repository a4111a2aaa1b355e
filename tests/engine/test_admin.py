"""The admin API (README, "Admin API"), over both transports."""

from __future__ import annotations

from secretmock import __version__
from tests.conftest import Api

FW = {"Authorization": "Bearer fw-test-acme"}
TENANT = {
    "credentials": [{"token": "fw-globex", "role": "admin", "user": "ops@globex.test"}],
    "secrets": [{"name": "g1", "keyName": "G1", "value": "secret-g1"}],
}


def test_health(api: Api) -> None:
    body = api.request("GET", "/__admin__/health").json()
    assert body["status"] == "ok" and body["version"] == __version__
    assert "fireworks" in body["vendors"]


def test_put_then_get_tenant_and_use_its_credential(api: Api) -> None:
    response = api.request("PUT", "/__admin__/tenants/fireworks/globex", json=TENANT)
    assert response.status_code == 200
    state = api.request("GET", "/__admin__/tenants/fireworks/globex").json()
    assert state == {
        "vendor": "fireworks",
        "id": "globex",
        "credentials": [{"token": "fw-globex", "role": "admin", "user": "ops@globex.test"}],
        "secrets": [{"name": "g1", "keyName": "G1", "value": "secret-g1"}],
    }
    listed = api.request(
        "GET",
        "/fireworks/v1/accounts/globex/secrets",
        headers={"Authorization": "Bearer fw-globex"},
    ).json()
    assert [s["keyName"] for s in listed["secrets"]] == ["G1"]


def test_put_replaces_a_tenant_and_its_old_credentials(api: Api) -> None:
    api.request(
        "PUT", "/__admin__/tenants/fireworks/acme", json={"credentials": [{"token": "fw-new"}]}
    )
    assert api.request("GET", "/fireworks/v1/accounts/acme/secrets", headers=FW).status_code == 401
    fresh = api.request(
        "GET", "/fireworks/v1/accounts/acme/secrets", headers={"Authorization": "Bearer fw-new"}
    ).json()
    assert fresh["secrets"] == []


def test_reset_goes_back_to_the_fixtures(api: Api) -> None:
    api.request("DELETE", "/fireworks/v1/accounts/acme/secrets/s1", headers=FW)
    api.request("PUT", "/__admin__/tenants/fireworks/globex", json=TENANT)
    assert api.request("POST", "/__admin__/reset").json() == {"status": "reset"}
    assert (
        api.request("GET", "/fireworks/v1/accounts/acme/secrets/s1", headers=FW).status_code == 200
    )
    assert api.request("GET", "/__admin__/tenants/fireworks/globex").status_code == 404


def test_bad_tenant_bodies_are_400_and_change_nothing(api: Api) -> None:
    before = api.request("GET", "/__admin__/tenants/fireworks/acme").json()
    for body in [{"credentials": [{"role": "admin"}]}, {"secrets": [{"name": "x"}]}, [1]]:
        response = api.request("PUT", "/__admin__/tenants/fireworks/acme", json=body)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_tenant"
    malformed = api.request(
        "PUT",
        "/__admin__/tenants/fireworks/acme",
        data=b"{",
        headers={"Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.json()["error"] == "malformed_json"
    assert api.request("GET", "/__admin__/tenants/fireworks/acme").json() == before


def test_unknown_vendor_and_tenant_are_404(api: Api) -> None:
    assert api.request("PUT", "/__admin__/tenants/nobody/x", json={}).status_code == 404
    assert api.request("GET", "/__admin__/tenants/nobody/x").status_code == 404
    assert api.request("GET", "/__admin__/tenants/fireworks/nobody").status_code == 404


def test_journal_records_requests_with_values_redacted(api: Api) -> None:
    since = api.request("GET", "/__admin__/journal").json()["entries"]
    start = since[-1]["seq"] if since else 0
    url = "/fireworks/v1/accounts/acme/secrets/s1"
    api.request("PATCH", url, headers=FW, json={"keyName": "K", "value": "sk-live-TOP"})
    api.request("PATCH", url, headers=FW, json={"value": "sk-live-TOP"})
    entries = api.request("GET", f"/__admin__/journal?since={start}").json()["entries"]
    assert [(e["operation_id"], e["status"], e["tenant"]) for e in entries] == [
        ("Gateway_UpdateSecret", 200, "acme"),
        ("Gateway_UpdateSecret", 400, "acme"),
    ]
    assert entries[0]["body"] == {"keyName": "K", "value": "<redacted>"}
    assert entries[0]["violations"] == [] and entries[0]["duration_ms"] >= 0
    [violation] = entries[1]["violations"]
    assert (violation["part"], violation["location"], violation["rule"]) == (
        "body",
        "/keyName",
        "required",
    )
    everything = str(api.request("GET", "/__admin__/journal").json())
    assert "sk-live-TOP" not in everything


def test_violations_and_clearing_the_journal(api: Api) -> None:
    api.request("DELETE", "/__admin__/journal")
    api.request("GET", "/fireworks/v1/accounts/acme/secrets?pageSize=x", headers=FW)
    [violation] = api.request("GET", "/__admin__/violations").json()["violations"]
    assert violation["vendor"] == "fireworks"
    assert violation["operationId"] == "Gateway_ListSecrets"
    assert (violation["part"], violation["location"]) == ("query", "/pageSize")
    assert api.request("DELETE", "/__admin__/journal").json() == {"status": "cleared"}
    assert api.request("GET", "/__admin__/journal").json() == {"entries": []}
    assert api.request("GET", "/__admin__/violations?since=x").status_code == 400


def test_a_path_outside_every_mount_is_a_json_404(api: Api) -> None:
    response = api.request("GET", "/nothing/here")
    assert response.status_code == 404
    assert response.json()["message"].startswith("secretmock serves under /__admin__, /fireworks")


def test_list_tenants_counts_each_tenants_secrets(api: Api) -> None:
    api.request("PUT", "/__admin__/tenants/fireworks/globex", json=TENANT)
    tenants = api.request("GET", "/__admin__/tenants").json()["tenants"]
    assert {"vendor": "fireworks", "id": "acme", "secrets": 2} in tenants
    assert {"vendor": "fireworks", "id": "globex", "secrets": 1} in tenants
    assert {t["vendor"] for t in tenants} == {
        "prismeai",
        "langwatch",
        "instabase",
        "insforge",
        "fireworks",
    }


def test_list_tenants_follows_deletes(api: Api) -> None:
    api.request("DELETE", "/fireworks/v1/accounts/acme/secrets/s1", headers=FW)
    tenants = api.request("GET", "/__admin__/tenants").json()["tenants"]
    assert {"vendor": "fireworks", "id": "acme", "secrets": 1} in tenants


# -- the journal query: POST /__admin__/journal/find and /count -------------------------------


def _two_reads_and_a_refused_update(api: Api) -> int:
    """The journal's last seq before: two reads of s1, then a 409 update."""
    entries = api.request("GET", "/__admin__/journal").json()["entries"]
    start = entries[-1]["seq"] if entries else 0
    url = "/fireworks/v1/accounts/acme/secrets/s1"
    for _ in range(2):
        api.request("GET", url, headers=FW)
    api.request("PATCH", url, headers=FW, json={"keyName": "OPENAI_API_KEY"})
    return int(start)


def test_find_answers_the_matching_entries_and_the_closest_others(api: Api) -> None:
    start = _two_reads_and_a_refused_update(api)
    filters = {"vendor": "fireworks", "operation_id": "Gateway_GetSecret", "status": 200}
    found = api.request("POST", f"/__admin__/journal/find?since={start}", json=filters).json()
    assert [(e["operation_id"], e["status"]) for e in found["entries"]] == [
        ("Gateway_GetSecret", 200),
        ("Gateway_GetSecret", 200),
    ]
    [closest] = found["closest"]
    assert closest["entry"]["operation_id"] == "Gateway_UpdateSecret"
    assert closest["differs"] == {"operation_id": "Gateway_UpdateSecret", "status": 409}


def test_find_by_body_sees_only_kept_fields(api: Api) -> None:
    start = _two_reads_and_a_refused_update(api)
    by_key = {"body": {"keyName": "OPENAI_API_KEY"}, "method": "PATCH"}
    found = api.request("POST", f"/__admin__/journal/find?since={start}", json=by_key).json()
    assert [e["status"] for e in found["entries"]] == [409]
    assert [c["differs"] for c in found["closest"]] == [
        {"method": "GET", "body.keyName": None},
        {"method": "GET", "body.keyName": None},
    ]


def test_count_and_an_empty_body_counting_everything(api: Api) -> None:
    start = _two_reads_and_a_refused_update(api)
    url = f"/__admin__/journal/count?since={start}"
    assert api.request("POST", url, json={"status": 200}).json() == {"count": 2}
    assert api.request("POST", url, json={"tenant": "globex"}).json() == {"count": 0}
    assert api.request("POST", url).json() == {"count": 3}


def test_bad_filters_are_400_naming_the_problem(api: Api) -> None:
    for route in ("find", "count"):
        answer = api.request("POST", f"/__admin__/journal/{route}", json={"operationId": "x"})
        assert answer.status_code == 400
        assert answer.json() == {
            "error": "invalid_filters",
            "message": "unknown filter(s) 'operationId'; "
            "known: vendor, operation_id, tenant, status, method, path, body",
        }
    bad_since = api.request("POST", "/__admin__/journal/count?since=x", json={})
    assert bad_since.status_code == 400 and bad_since.json()["error"] == "invalid_parameter"
    assert api.request("GET", "/__admin__/journal/find").status_code == 405


def test_every_route_is_one_row_of_the_table() -> None:
    from secretmock.web.admin import ROUTES

    rows = {(method, path) for method, path, _ in ROUTES}
    assert len(rows) == len(ROUTES)
    assert {("POST", "/journal/find"), ("POST", "/journal/count"), ("PUT", "/clock")} <= rows
    assert all(handler.__module__.startswith("secretmock.web.admin") for *_, handler in ROUTES)
