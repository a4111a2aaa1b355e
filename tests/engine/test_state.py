"""The whole state as one document: ``GET/PUT /__admin__/state``, an exact round trip
(soft-deleted records, credentials, the clock), and every bad document refused with
nothing changed; in-process and over a real socket."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, NamedTuple

from tests.conftest import Api
from tests.helpers import table
from tests.scenario_calls import CREATES, INSFORGE, LISTS

FROZEN = "2031-05-06T07:08:09.123456Z"


def state(api: Api) -> Any:
    answer = api.request("GET", "/__admin__/state")
    assert answer.status_code == 200
    return answer.json()


def put_state(api: Api, document: Any) -> Any:
    answer = api.request("PUT", "/__admin__/state", json=document)
    assert answer.status_code == 200, answer.json()
    return answer.json()


def lists(api: Api) -> dict[str, Any]:
    """Every vendor's list answer (status and body)."""
    answers = {}
    for vendor, call in LISTS.items():
        answer = call.send(api)
        answers[vendor] = (answer.status_code, answer.json())
    return answers


def test_the_document_holds_every_vendor_tenant_credential_and_record(api: Api) -> None:
    document = state(api)
    assert document["format"] == 1
    assert document["clock"] == {"frozen": False, "offset_seconds": 0.0}
    assert sorted(document["vendors"]) == [
        "fireworks",
        "insforge",
        "instabase",
        "langwatch",
        "prismeai",
    ]
    acme = document["vendors"]["fireworks"]["tenants"]["acme"]
    assert acme["credentials"] == [{"token": "fw-test-acme", "role": "admin", "user": "acme-admin"}]
    assert acme["secrets"]["s1"] == {
        "secret_id": "s1",
        "key_name": "WOLFRAM_ALPHA_API_KEY",
        "value": "wolfram-test-1",
    }
    insforge = document["vendors"]["insforge"]["tenants"]["demo-project"]["secrets"]
    assert {"API_KEY", "ANON_KEY", "JWT_SECRET", "STRIPE_API_KEY"} <= set(insforge)
    assert insforge["STRIPE_API_KEY"]["is_active"] is True


def changed_everywhere(api: Api) -> None:
    """A write in every vendor, a soft delete in InsForge, the clock frozen."""
    api.request("PUT", "/__admin__/clock", json={"now": FROZEN})
    for call in CREATES.values():
        assert call.send(api).status_code == call.status
    deleted = api.request("DELETE", "/insforge/api/secrets/SCENARIO_KEY", headers=INSFORGE)
    assert deleted.status_code == 200


def test_a_round_trip_is_exact(api: Api) -> None:
    changed_everywhere(api)
    saved = state(api)
    answers = lists(api)
    assert (
        saved["vendors"]["insforge"]["tenants"]["demo-project"]["secrets"]["SCENARIO_KEY"][
            "is_active"
        ]
        is False
    )
    api.request("POST", "/__admin__/reset")
    assert state(api) != saved
    assert put_state(api, saved) == saved
    assert state(api) == saved
    assert lists(api) == answers


def test_a_restored_state_serves_as_before(api: Api) -> None:
    changed_everywhere(api)
    saved = state(api)
    api.request("POST", "/__admin__/reset")
    put_state(api, saved)
    # The soft-deleted row is still there and comes back with its id on re-create.
    row = saved["vendors"]["insforge"]["tenants"]["demo-project"]["secrets"]["SCENARIO_KEY"]
    assert (
        api.request("GET", "/insforge/api/secrets/SCENARIO_KEY", headers=INSFORGE).status_code
        == 404
    )
    revived = api.request(
        "POST",
        "/insforge/api/secrets",
        headers=INSFORGE,
        json={"key": "SCENARIO_KEY", "value": "v2"},
    )
    assert revived.status_code == 201 and revived.json()["id"] == row["id"]
    assert api.request("GET", "/__admin__/clock").json() == {"now": FROZEN, "frozen": True}


def test_a_credential_that_only_the_document_holds_authenticates(api: Api) -> None:
    document = state(api)
    acme = document["vendors"]["fireworks"]["tenants"]["acme"]
    acme["credentials"].append({"token": "fw-restored", "role": "admin", "user": "ops"})
    put_state(api, document)
    answer = api.request(
        "GET",
        "/fireworks/v1/accounts/acme/secrets",
        headers={"Authorization": "Bearer fw-restored"},
    )
    assert answer.status_code == 200 and answer.json()["totalSize"] == 2


def test_a_vendor_left_out_has_no_tenants(api: Api) -> None:
    document = state(api)
    del document["vendors"]["fireworks"]
    restored = put_state(api, document)
    assert restored["vendors"]["fireworks"] == {"tenants": {}}
    assert LISTS["fireworks"].send(api).status_code == 401


def test_the_clock_setting_round_trips(api: Api) -> None:
    document = state(api)
    put_state(api, {**document, "clock": {"frozen": True, "now": FROZEN}})
    assert api.request("GET", "/__admin__/clock").json() == {"now": FROZEN, "frozen": True}
    shown = put_state(api, {**document, "clock": {"frozen": False, "offset_seconds": -86400.5}})
    assert shown["clock"] == {"frozen": False, "offset_seconds": -86400.5}


def test_times_keep_every_digit(api: Api) -> None:
    api.request("PUT", "/__admin__/clock", json={"now": FROZEN})
    CREATES["langwatch"].send(api)
    secrets = state(api)["vendors"]["langwatch"]["tenants"]["project-demo"]["secrets"]
    created = next(s for s in secrets.values() if s["name"] == "SCENARIO_KEY")
    assert created["created_at"] == FROZEN


def edited(*path: str, value: Any = None, drop: bool = False) -> Callable[[Any], Any]:
    """A change to a document: the item at ``path`` set to ``value`` (or removed)."""

    def change(document: Any) -> Any:
        document = copy.deepcopy(document)
        *parents, last = path
        parent = document
        for key in parents:
            parent = parent[key]
        if drop:
            del parent[last]
        else:
            parent[last] = copy.deepcopy(value)
        return document

    return change


def copied(source: tuple[str, ...], *target: str, **fields: Any) -> Callable[[Any], Any]:
    """A change to a document: the record at ``source`` copied to ``target``, with
    ``fields`` changed."""

    def change(document: Any) -> Any:
        record = document
        for key in source:
            record = record[key]
        return edited(*target, value={**record, **fields})(document)

    return change


FIREWORKS = ("vendors", "fireworks", "tenants", "acme")
S1 = (*FIREWORKS, "secrets", "s1")
STRIPE = ("vendors", "insforge", "tenants", "demo-project", "secrets", "STRIPE_API_KEY")
ACME_CREDENTIAL = {"token": "fw-test-acme", "role": "admin", "user": "acme-admin"}
S1_RECORD = {"secret_id": "s1", "key_name": "WOLFRAM_ALPHA_API_KEY", "value": "wolfram-test-1"}
LANGWATCH = ("vendors", "langwatch", "tenants", "project-demo")
LANGWATCH_KEY = (*LANGWATCH, "secrets", "demo_openai_key_00001")
INSTABASE = ("vendors", "instabase", "tenants", "acme-org", "secrets")
INSTABASE_SECRET = (*INSTABASE, "my_secret")
INSTABASE_BILLING = (*INSTABASE, "billing_key")
INSFORGE_TENANT = ("vendors", "insforge", "tenants", "demo-project")
PRISME = ("vendors", "prismeai", "tenants", "ws1")
PRISME_KEY = (*PRISME, "secrets", "openaiApiKey")


class BadDocument(NamedTuple):
    id: str
    change: Callable[[Any], Any]
    mentions: str


BAD_DOCUMENTS = [
    BadDocument("not-an-object", lambda doc: [doc], "state: expected an object"),
    BadDocument("no-format", edited("format", drop=True), "missing 'format'"),
    BadDocument("other-format", edited("format", value=2), "format: expected 1, got 2"),
    BadDocument("unknown-top-field", edited("faults", value=[]), "unknown field 'faults'"),
    BadDocument(
        "unknown-vendor",
        edited("vendors", "acme", value={"tenants": {}}),
        "vendors.acme: unknown vendor",
    ),
    BadDocument(
        "no-tenants",
        edited("vendors", "fireworks", value={}),
        "vendors.fireworks: missing 'tenants'",
    ),
    BadDocument(
        "tenant-not-an-object",
        edited(*FIREWORKS, value=[]),
        "vendors.fireworks.tenants.acme: expected an object",
    ),
    BadDocument(
        "credentials-not-a-list",
        edited(*FIREWORKS, "credentials", value={}),
        "vendors.fireworks.tenants.acme.credentials: expected an array",
    ),
    BadDocument(
        "credential-without-token",
        edited(*FIREWORKS, "credentials", value=[{"role": "admin", "user": "u"}]),
        "credentials[0]: missing 'token'",
    ),
    BadDocument(
        "unknown-role",
        edited(*FIREWORKS, "credentials", value=[{**ACME_CREDENTIAL, "role": "owner"}]),
        "credentials[0].role: 'owner' is not one of ['admin']",
    ),
    BadDocument(
        "credential-expiry-not-a-time",
        edited(*FIREWORKS, "credentials", value=[{**ACME_CREDENTIAL, "expires_at": "soon"}]),
        "credentials[0].expires_at: 'soon' is not an ISO-8601 time",
    ),
    BadDocument(
        "token-in-two-tenants",
        edited(
            "vendors",
            "fireworks",
            "tenants",
            "globex",
            value={"credentials": [ACME_CREDENTIAL], "secrets": {}},
        ),
        "a token is already bound to tenant 'acme'",
    ),
    BadDocument(
        "record-missing-a-field",
        edited(*S1, "key_name", drop=True),
        "secrets.s1: missing 'key_name'",
    ),
    BadDocument(
        "record-unknown-field",
        edited(*S1, "colour", value="red"),
        "secrets.s1: unknown field 'colour'",
    ),
    BadDocument(
        "record-field-wrong-type",
        edited(*S1, "key_name", value=5),
        "secrets.s1.key_name: expected a string",
    ),
    BadDocument(
        "record-time-not-a-time",
        edited(*STRIPE, "created_at", value="yesterday"),
        "secrets.STRIPE_API_KEY.created_at: 'yesterday' is not an ISO-8601 time",
    ),
    BadDocument(
        "record-boolean-not-a-boolean",
        edited(*STRIPE, "is_active", value=1),
        "secrets.STRIPE_API_KEY.is_active: expected true or false",
    ),
    BadDocument(
        "record-under-another-key",
        edited(*FIREWORKS, "secrets", value={"s2": S1_RECORD}),
        "secrets.s2: the record's own key is 's1'",
    ),
    # -- records the vendor could never hold (newcomer review W5) -----------------------
    BadDocument(
        "fireworks-id-the-api-refuses",
        edited(*FIREWORKS, "secrets", "BAD ID!", value={**S1_RECORD, "secret_id": "BAD ID!"}),
        "secrets.BAD ID!.secret_id: invalid secret id 'BAD ID!'",
    ),
    BadDocument(
        "fireworks-key-name-the-api-refuses",
        edited(*S1, "key_name", value="not valid lower"),
        "secrets.s1.key_name: invalid keyName 'not valid lower'",
    ),
    BadDocument(
        "fireworks-key-name-twice",
        edited(*FIREWORKS, "secrets", "s2", value={**S1_RECORD, "secret_id": "s2"}),
        "secrets.s2.key_name: 'WOLFRAM_ALPHA_API_KEY' is already the key_name of 's1'",
    ),
    BadDocument(
        "langwatch-empty-name",
        edited(*LANGWATCH_KEY, "name", value=""),
        "secrets.demo_openai_key_00001.name: '' must start with an upper-case letter",
    ),
    BadDocument(
        "langwatch-value-too-long",
        edited(*LANGWATCH_KEY, "value", value="v" * 10_001),
        "secrets.demo_openai_key_00001.value: must hold 1 to 10000 characters",
    ),
    BadDocument(
        "langwatch-name-twice",
        copied(LANGWATCH_KEY, *LANGWATCH, "secrets", "other", id="other"),
        "secrets.other.name: 'OPENAI_API_KEY' is already the name of 'demo_openai_key_00001'",
    ),
    BadDocument(
        "instabase-unknown-workspace-type",
        edited(*INSTABASE_SECRET, "allowed_workspaces_type", value="MANY"),
        "secrets.my_secret.allowed_workspaces_type: must be one of ['ALL', 'SOME', 'NONE']",
    ),
    BadDocument(
        "instabase-some-with-no-workspace",
        edited(*INSTABASE_BILLING, "allowed_workspaces", value=[]),
        "secrets.billing_key.allowed_workspaces: invalid body field 'allowed_workspaces'",
    ),
    BadDocument(
        "instabase-all-with-workspaces",
        edited(*INSTABASE_SECRET, "allowed_workspaces", value=["billing"]),
        "secrets.my_secret.allowed_workspaces: must be [] unless the type is SOME",
    ),
    BadDocument(
        "insforge-key-the-api-refuses",
        copied(STRIPE, *INSFORGE_TENANT, "secrets", "lower", key="lower", id="another-id"),
        "secrets.lower.key: Invalid key format",
    ),
    BadDocument(
        "insforge-empty-id",
        edited(*STRIPE, "id", value=""),
        "secrets.STRIPE_API_KEY.id: must not be empty",
    ),
    BadDocument(
        "prismeai-empty-id",
        edited(*PRISME_KEY, "id", value=""),
        "secrets.openaiApiKey.id: must not be empty",
    ),
    BadDocument(
        "prismeai-id-twice",
        copied(PRISME_KEY, *PRISME, "secrets", "other", name="other"),
        "secrets.other.id: ",
    ),
    BadDocument(
        "tenant-id-with-a-slash",
        edited("vendors", "fireworks", "tenants", "a/b", value={"credentials": [], "secrets": {}}),
        "vendors.fireworks.tenants: the tenant id 'a/b' holds a '/'",
    ),
    BadDocument("format-true", edited("format", value=True), "format: expected 1, got True"),
    BadDocument("format-a-float", edited("format", value=1.0), "format: expected 1, got 1.0"),
    BadDocument(
        "frozen-clock-without-time",
        edited("clock", value={"frozen": True}),
        "clock.now: a frozen clock",
    ),
    BadDocument(
        "offset-not-a-number",
        edited("clock", value={"frozen": False, "offset_seconds": "5"}),
        "clock.offset_seconds: expected a number",
    ),
]


@table(BAD_DOCUMENTS)
def test_a_bad_document_is_refused_and_changes_nothing(
    api: Api, change: Callable[[Any], Any], mentions: str
) -> None:
    changed_everywhere(api)
    before = state(api)
    answer = api.request("PUT", "/__admin__/state", json=change(before))
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error"] == "invalid_state"
    assert mentions in answer.json()["message"]
    assert state(api) == before


def test_nan_in_a_document_is_refused_as_malformed(api: Api) -> None:
    before = state(api)
    answer = api.request(
        "PUT",
        "/__admin__/state",
        data=b'{"format": 1, "vendors": {}, "clock": {"frozen": false, "offset_seconds": NaN}}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400 and answer.json()["error"] == "malformed_json"
    assert state(api) == before


def test_a_rotated_key_keeps_its_grace_period_through_a_round_trip(api: Api) -> None:
    """InsForge's rotation leaves the old key valid until its grace period ends on the
    emulated clock: the document keeps that end (the credential's ``expires_at``)."""
    api.request("PUT", "/__admin__/clock", json={"now": FROZEN})
    rotated = api.request(
        "POST",
        "/insforge/api/secrets/api-key/rotate",
        headers=INSFORGE,
        json={"gracePeriodHours": 2},
    )
    assert rotated.status_code == 200, rotated.json()
    saved = state(api)
    credentials = saved["vendors"]["insforge"]["tenants"]["demo-project"]["credentials"]
    old = next(c for c in credentials if c["token"] == "ik_test_demo_admin")
    assert old["expires_at"] == "2031-05-06T09:08:09.123456Z"
    api.request("POST", "/__admin__/reset")
    assert put_state(api, saved) == saved
    assert api.request("GET", "/insforge/api/secrets", headers=INSFORGE).status_code == 200
    api.request("PUT", "/__admin__/clock", json={"advance": 7200})
    assert api.request("GET", "/insforge/api/secrets", headers=INSFORGE).status_code == 401
    new_key = {"Authorization": f"Bearer {rotated.json()['apiKey']}"}
    assert api.request("GET", "/insforge/api/secrets", headers=new_key).status_code == 200


def test_every_record_a_vendor_makes_reads_back(api: Api) -> None:
    """The vendors' own rules (W5) accept what they make themselves: here InsForge's old
    key row of a rotation before 1970 on the emulated clock, named after a negative
    millisecond, and every vendor's secrets created through its API."""
    api.request("PUT", "/__admin__/clock", json={"now": "1960-01-01T00:00:00Z"})
    rotated = api.request("POST", "/insforge/api/secrets/api-key/rotate", headers=INSFORGE, json={})
    assert rotated.status_code == 200, rotated.json()
    for call in CREATES.values():
        assert call.send(api).status_code == call.status
    document = state(api)
    keys = document["vendors"]["insforge"]["tenants"]["demo-project"]["secrets"]
    assert "API_KEY_OLD_-315619200000" in keys
    assert put_state(api, document) == document
