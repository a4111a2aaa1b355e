"""Fault rules through the admin API: every field, matching, the answers in each vendor's
envelope, commit, latency and dropped connections, in-process and over a real socket."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, NamedTuple

import httpx
import pytest
import requests

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from secretmock.testing.intercept import Interceptor
from secretmock.web.app import build_app
from secretmock.web.vendor_app import ConnectionDropped
from tests.conftest import Api
from tests.helpers import forbid_network, table
from tests.scenario_calls import CREATED_NAME, CREATES, FIREWORKS, LISTS, Call, stored_names


def add_rule(api: Api, **rule: Any) -> dict[str, Any]:
    answer = api.request("POST", "/__admin__/faults", json=rule)
    assert answer.status_code == 201, answer.json()
    created: dict[str, Any] = answer.json()
    return created


def rules(api: Api) -> list[dict[str, Any]]:
    answer = api.request("GET", "/__admin__/faults")
    assert answer.status_code == 200
    listed: list[dict[str, Any]] = answer.json()["faults"]
    return listed


def names_stored(emulator: Emulator, call: Call) -> set[str]:
    snapshot = emulator.tenant_snapshot(call.vendor, call.tenant)
    assert snapshot is not None
    return stored_names(snapshot["secrets"])


# -- the rule as the admin API takes and shows it ----------------------------------------


def test_a_rule_answers_201_with_its_fields_and_counters(api: Api) -> None:
    created = add_rule(api, vendor="fireworks", operation="Gateway_GetSecret", status=503)
    assert created == {
        "id": created["id"],
        "vendor": "fireworks",
        "operation": "Gateway_GetSecret",
        "tenant": None,
        "status": 503,
        "retry_after": None,
        "delay_ms": 0,
        "disconnect": False,
        "after": 0,
        "times": None,
        "commit": False,
        "hits": 0,
        "remaining": None,
    }
    assert rules(api) == [created]


def test_rules_are_listed_in_the_order_added_and_removed_by_id(api: Api) -> None:
    first = add_rule(api, vendor="fireworks", status=500, times=2)
    second = add_rule(api, vendor="langwatch", delay_ms=5)
    assert [r["id"] for r in rules(api)] == [first["id"], second["id"]]
    assert first["remaining"] == 2
    removed = api.request("DELETE", f"/__admin__/faults/{first['id']}")
    assert removed.status_code == 200 and removed.json()["id"] == first["id"]
    assert [r["id"] for r in rules(api)] == [second["id"]]
    again = api.request("DELETE", f"/__admin__/faults/{first['id']}")
    assert again.status_code == 404 and again.json()["error"] == "unknown_fault"


def test_delete_all_and_reset_remove_every_rule(api: Api) -> None:
    add_rule(api, vendor="fireworks", status=500)
    assert api.request("DELETE", "/__admin__/faults").json() == {"faults": []}
    assert rules(api) == []
    add_rule(api, vendor="fireworks", status=500)
    api.request("POST", "/__admin__/reset")
    assert rules(api) == []


class BadRule(NamedTuple):
    id: str
    rule: Any
    mentions: str


BAD_RULES = [
    BadRule("not-an-object", ["fireworks"], "must be an object"),
    BadRule("no-vendor", {"status": 500}, "'vendor' must be one of"),
    BadRule("unknown-vendor", {"vendor": "acme", "status": 500}, "'vendor' must be one of"),
    BadRule("unknown-field", {"vendor": "fireworks", "status": 500, "code": 1}, "'code'"),
    BadRule(
        "unknown-operation",
        {"vendor": "fireworks", "operation": "postApiSecrets", "status": 500},
        "'operation' 'postApiSecrets' is not an operation of fireworks",
    ),
    BadRule(
        "operation-not-a-string",
        {"vendor": "fireworks", "operation": 3, "status": 500},
        "'operation'",
    ),
    BadRule("tenant-empty", {"vendor": "fireworks", "tenant": "", "status": 500}, "'tenant'"),
    BadRule(
        "status-below-400", {"vendor": "fireworks", "status": 200}, "'status' must be from 400"
    ),
    BadRule(
        "status-a-string", {"vendor": "fireworks", "status": "503"}, "'status' must be a whole"
    ),
    BadRule(
        "status-not-declared",
        {"vendor": "fireworks", "operation": "Gateway_ListSecrets", "status": 404},
        "'status' 404 is not a response fireworks Gateway_ListSecrets declares",
    ),
    BadRule(
        "retry-after-negative",
        {"vendor": "fireworks", "status": 429, "retry_after": -1},
        "'retry_after'",
    ),
    BadRule(
        "retry-after-float",
        {"vendor": "fireworks", "status": 429, "retry_after": 1.5},
        "'retry_after'",
    ),
    BadRule(
        "retry-after-past-a-day",
        {"vendor": "fireworks", "status": 429, "retry_after": 86_401},
        "'retry_after' must be from 0 to 86400, got 86401",
    ),
    BadRule("delay-negative", {"vendor": "fireworks", "delay_ms": -5}, "'delay_ms'"),
    BadRule("disconnect-a-string", {"vendor": "fireworks", "disconnect": "yes"}, "'disconnect'"),
    BadRule("after-negative", {"vendor": "fireworks", "status": 500, "after": -1}, "'after'"),
    BadRule(
        "times-zero", {"vendor": "fireworks", "status": 500, "times": 0}, "'times' must be >= 1"
    ),
    BadRule("commit-a-number", {"vendor": "fireworks", "status": 500, "commit": 1}, "'commit'"),
    BadRule("no-effect", {"vendor": "fireworks", "times": 1}, "at least one of"),
    BadRule(
        "commit-latency-only",
        {"vendor": "fireworks", "delay_ms": 5, "commit": True},
        "'commit' needs",
    ),
    BadRule(
        "status-and-disconnect",
        {"vendor": "fireworks", "status": 503, "disconnect": True},
        "exclude each other",
    ),
]


@table(BAD_RULES)
def test_a_bad_rule_is_refused_naming_the_field(api: Api, rule: Any, mentions: str) -> None:
    answer = api.request("POST", "/__admin__/faults", json=rule)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_rule" and mentions in answer.json()["message"]
    assert rules(api) == []


# -- the fault's answer, in each vendor's envelope ---------------------------------------


class Envelope(NamedTuple):
    id: str
    vendor: str
    status: int
    body: Any


ENVELOPES = [
    Envelope(
        "prismeai-429",
        "prismeai",
        429,
        {"error": "TooManyRequests", "message": "Too many requests", "details": {"retryAfter": 7}},
    ),
    Envelope("prismeai-500", "prismeai", 500, {"error": "Internal", "message": "Internal error"}),
    Envelope(
        "prismeai-503",
        "prismeai",
        503,
        {"error": "ServiceUnavailable", "message": "Service Unavailable"},
    ),
    Envelope(
        "langwatch-429",
        "langwatch",
        429,
        {"error": "too_many_requests", "message": "Too Many Requests"},
    ),
    Envelope(
        "langwatch-500",
        "langwatch",
        500,
        {"error": "Internal server error", "message": "An unknown error occurred"},
    ),
    Envelope("langwatch-502", "langwatch", 502, {"error": "bad_gateway", "message": "Bad Gateway"}),
    Envelope("instabase-429", "instabase", 429, {"message": "Too Many Requests"}),
    Envelope("instabase-504", "instabase", 504, {"message": "Gateway Timeout"}),
    Envelope(
        "insforge-429",
        "insforge",
        429,
        {
            "error": "TOO_MANY_REQUESTS",
            "message": "Too many requests. Please slow down and try again shortly.",
            "statusCode": 429,
        },
    ),
    Envelope(
        "insforge-502",
        "insforge",
        502,
        {"error": "UPSTREAM_FAILURE", "message": "Bad Gateway", "statusCode": 502},
    ),
    Envelope(
        "insforge-500",
        "insforge",
        500,
        {"error": "INTERNAL_ERROR", "message": "Internal server error", "statusCode": 500},
    ),
    Envelope(
        "fireworks-429",
        "fireworks",
        429,
        {"code": 8, "message": "Too Many Requests", "details": []},
    ),
    Envelope(
        "fireworks-503",
        "fireworks",
        503,
        {"code": 14, "message": "Service Unavailable", "details": []},
    ),
    Envelope(
        "fireworks-504", "fireworks", 504, {"code": 4, "message": "Gateway Timeout", "details": []}
    ),
]


@table(ENVELOPES)
def test_a_status_is_answered_in_the_vendors_envelope(
    api: Api, emulator: Emulator, vendor: str, status: int, body: Any
) -> None:
    call = CREATES[vendor]
    rule = add_rule(api, vendor=vendor, status=status, retry_after=7)
    answer = call.send(api)
    assert (answer.status_code, answer.json()) == (status, body)
    assert answer.headers["retry-after"] == "7"
    [entry] = emulator.journal.entries(emulator.journal.last_seq() - 1)
    assert (entry.fault, entry.status, entry.violations) == (rule["id"], status, ())
    assert CREATED_NAME[vendor] not in names_stored(emulator, call), "a fault changes nothing"


@pytest.mark.parametrize("status", [413, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("vendor", list(CREATES))
def test_every_vendor_answers_every_outage_status_within_its_spec(
    api: Api, emulator: Emulator, vendor: str, status: int
) -> None:
    add_rule(api, vendor=vendor, status=status)
    for call in (CREATES[vendor], LISTS[vendor]):
        since = emulator.journal.last_seq()
        answer = call.send(api)
        assert answer.status_code == status and "retry-after" not in answer.headers
        [entry] = emulator.journal.entries(since)
        assert entry.violations == (), [v.describe() for v in entry.violations]


def test_prismeai_fault_answers_carry_a_correlation_id(api: Api) -> None:
    add_rule(api, vendor="prismeai", status=503)
    answer = CREATES["prismeai"].send(api, **{"x-correlation-id": "trace-1"})
    # A new id whatever the client sent, as the production gateway does (prismeai.md).
    assert answer.status_code == 503
    assert uuid.UUID(answer.headers["x-correlation-id"]).version == 4


# -- which requests a rule hits ---------------------------------------------------------


def statuses(api: Api, call: Call, count: int) -> list[int]:
    return [call.send(api).status_code for _ in range(count)]


def test_a_rule_hits_only_its_operation(api: Api) -> None:
    add_rule(api, vendor="fireworks", operation="Gateway_ListSecrets", status=503)
    assert statuses(api, LISTS["fireworks"], 1) == [503]
    assert CREATES["fireworks"].send(api).status_code == 200


def test_a_rule_hits_only_its_vendor(api: Api) -> None:
    add_rule(api, vendor="langwatch", status=503)
    assert LISTS["fireworks"].send(api).status_code == 200
    assert LISTS["langwatch"].send(api).status_code == 503


def test_a_rule_hits_only_its_tenant(api: Api, emulator: Emulator) -> None:
    emulator.put_tenant("fireworks", "globex", {"credentials": [{"token": "fw-globex"}]})
    add_rule(api, vendor="fireworks", tenant="globex", status=503)
    assert LISTS["fireworks"].send(api).status_code == 200
    globex = api.request(
        "GET",
        "/fireworks/v1/accounts/globex/secrets",
        headers={"Authorization": "Bearer fw-globex"},
    )
    assert globex.status_code == 503


def test_a_request_that_fails_authentication_is_not_hit(api: Api) -> None:
    rule = add_rule(api, vendor="fireworks", status=503)
    answer = LISTS["fireworks"].send(api, Authorization="Bearer nobody")
    assert answer.status_code == 401
    assert rules(api)[0]["hits"] == 0 == rule["hits"]


def test_after_lets_requests_through_then_times_spends_the_rule(api: Api) -> None:
    add_rule(api, vendor="fireworks", status=503, after=2, times=2)
    assert statuses(api, LISTS["fireworks"], 5) == [200, 200, 503, 503, 200]
    [shown] = rules(api)
    assert (shown["hits"], shown["remaining"]) == (2, 0)  # spent, still listed


def test_the_first_matching_rule_hits(api: Api) -> None:
    first = add_rule(api, vendor="fireworks", status=503, times=1)
    add_rule(api, vendor="fireworks", operation="Gateway_ListSecrets", status=429)
    assert statuses(api, LISTS["fireworks"], 3) == [503, 429, 429]
    hits = {r["id"]: r["hits"] for r in rules(api)}
    assert hits[first["id"]] == 1 and sum(hits.values()) == 3


def test_a_rule_in_its_after_phase_lets_the_next_rule_hit(api: Api) -> None:
    add_rule(api, vendor="fireworks", status=503, after=1)
    add_rule(api, vendor="fireworks", status=429, times=1)
    assert statuses(api, LISTS["fireworks"], 3) == [429, 503, 503]


def test_the_request_validation_comes_after_the_rule(api: Api) -> None:
    """A request that breaks the spec still gets the fault: rules hit before validation."""
    add_rule(api, vendor="fireworks", operation="Gateway_CreateSecret", status=503)
    answer = api.request(
        "POST", "/fireworks/v1/accounts/acme/secrets", headers=FIREWORKS, json={"keyName": 5}
    )
    assert answer.status_code == 503


# -- commit: the write happens, its answer is lost ----------------------------------------


@pytest.mark.parametrize("vendor", list(CREATES))
def test_commit_carries_the_write_out_and_answers_the_fault(
    api: Api, emulator: Emulator, vendor: str
) -> None:
    call = CREATES[vendor]
    add_rule(api, vendor=vendor, operation=call.operation, status=503, commit=True, times=1)
    assert call.send(api).status_code == 503
    assert CREATED_NAME[vendor] in names_stored(emulator, call)


def test_commit_gives_the_real_failure_and_keeps_the_hit(api: Api) -> None:
    add_rule(api, vendor="fireworks", status=503, commit=True, times=1)
    duplicate = api.request(
        "POST",
        "/fireworks/v1/accounts/acme/secrets",
        headers=FIREWORKS,
        json={"name": "s1", "keyName": "OTHER_NAME", "value": "v"},
    )
    assert duplicate.status_code == 409  # the real answer: the rule did not fault it
    assert rules(api)[0]["remaining"] == 1
    assert CREATES["fireworks"].send(api).status_code == 503


# -- latency ------------------------------------------------------------------------------


def test_latency_alone_answers_as_usual_and_is_journaled(api: Api, emulator: Emulator) -> None:
    rule = add_rule(api, vendor="fireworks", delay_ms=20, times=1)
    answer = CREATES["fireworks"].send(api)
    assert answer.status_code == 200 and answer.json()["keyName"] == "SCENARIO_KEY"
    assert emulator.journal.entries(emulator.journal.last_seq() - 1)[0].fault == rule["id"]
    assert rules(api)[0]["remaining"] == 0


def test_a_delayed_request_blocks_no_other(emulator: Emulator) -> None:
    """While one request waits out its latency, another request to the same vendor (and
    its store) is answered: the delay holds no lock and no thread."""
    app = build_app(emulator)
    emulator.faults.add({"vendor": "fireworks", "delay_ms": 60_000, "times": 1})

    async def both() -> tuple[bool, list[Any]]:
        delayed = asyncio.ensure_future(asgi_call(app, CREATES["fireworks"]))
        await asyncio.sleep(0)  # the delayed request is handled and starts waiting
        while emulator.faults.active[0].hits == 0:
            await asyncio.sleep(0)
        prompt = await asgi_call(app, LISTS["fireworks"])
        waiting = not delayed.done()
        delayed.cancel()
        return waiting, prompt

    waiting, prompt = asyncio.run(both())
    assert waiting
    assert prompt[0]["status"] == 200


async def asgi_call(app: Any, call: Call) -> list[Any]:
    """Calls the ASGI app directly; returns the messages it sent."""
    import json

    body = json.dumps(call.json).encode() if call.json is not None else b""
    headers = [(k.lower().encode(), v.encode()) for k, v in call.headers.items()]
    headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "method": call.method,
        "path": call.path,
        "root_path": "",
        "query_string": b"",
        "headers": headers,
    }
    sent: list[Any] = []
    received = False

    async def receive() -> dict[str, Any]:
        nonlocal received
        if received:
            await asyncio.Event().wait()  # no disconnect: the client waits
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


# -- dropped connections ------------------------------------------------------------------


@pytest.fixture
def socket_root(server: BackgroundServer) -> str:
    return server.url


def test_over_a_socket_requests_sees_the_connection_dropped(
    socket_root: str, emulator: Emulator
) -> None:
    emulator.faults.add({"vendor": "fireworks", "disconnect": True, "times": 1})
    call = LISTS["fireworks"]
    with pytest.raises(requests.exceptions.ConnectionError, match="without response"):
        requests.get(socket_root + call.path, headers=dict(call.headers), timeout=10)
    after = requests.get(socket_root + call.path, headers=dict(call.headers), timeout=10)
    assert after.status_code == 200  # the server serves on
    dropped = [e for e in emulator.journal.entries() if e.fault is not None][-1]
    assert dropped.status == 0
    # Coverage counts the statuses answered: a dropped connection answered none.
    assert 0 not in emulator.journal.coverage()[("fireworks", "Gateway_ListSecrets")]


def test_over_a_socket_httpx_sees_the_connection_dropped(
    socket_root: str, emulator: Emulator
) -> None:
    emulator.faults.add({"vendor": "fireworks", "disconnect": True, "times": 1})
    call = LISTS["fireworks"]
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(socket_root + call.path, headers=dict(call.headers), timeout=10)


def test_a_committed_write_with_a_dropped_connection_is_stored(
    socket_root: str, emulator: Emulator
) -> None:
    call = CREATES["insforge"]
    emulator.faults.add({"vendor": "insforge", "disconnect": True, "commit": True})
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(
            socket_root + call.path, headers=dict(call.headers), json=call.json, timeout=10
        )
    assert "SCENARIO_KEY" in names_stored(emulator, call)


def test_starlettes_test_client_sees_the_app_fail(
    in_process_client: Any, emulator: Emulator
) -> None:
    emulator.faults.add({"vendor": "fireworks", "disconnect": True})
    call = LISTS["fireworks"]
    with pytest.raises(ConnectionDropped):
        in_process_client.get(call.path, headers=dict(call.headers))


def test_journal_entries_name_the_rule(api: Api) -> None:
    rule = add_rule(api, vendor="fireworks", status=503, times=1)
    LISTS["fireworks"].send(api)
    LISTS["fireworks"].send(api)
    entries = api.request("GET", "/__admin__/journal").json()["entries"][-2:]
    assert [(e["status"], e["fault"]) for e in entries] == [(503, rule["id"]), (200, None)]


# -- in-process interception ---------------------------------------------------------------

FIREWORKS_HOST_LIST = "https://api.fireworks.ai/v1/accounts/acme/secrets"


@pytest.fixture
def intercepting(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    forbid_network(monkeypatch)
    with Interceptor(emulator) as interceptor:
        yield interceptor


def test_interception_raises_requests_own_error_for_a_dropped_connection(
    intercepting: Interceptor, emulator: Emulator
) -> None:
    emulator.faults.add({"vendor": "fireworks", "disconnect": True, "times": 1})
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        requests.get(FIREWORKS_HOST_LIST, headers=FIREWORKS, timeout=10)
    assert "Remote end closed connection without response" in str(raised.value)
    assert requests.get(FIREWORKS_HOST_LIST, headers=FIREWORKS, timeout=10).status_code == 200


def test_interception_raises_httpx_own_error_for_a_dropped_connection(
    intercepting: Interceptor, emulator: Emulator
) -> None:
    emulator.faults.add({"vendor": "fireworks", "disconnect": True})
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        httpx.get(FIREWORKS_HOST_LIST, headers=FIREWORKS)

    async def call() -> None:
        async with httpx.AsyncClient() as client:
            await client.get(FIREWORKS_HOST_LIST, headers=FIREWORKS)

    with pytest.raises(httpx.RemoteProtocolError):
        asyncio.run(call())


def test_interception_answers_a_fault_status_and_waits_out_latency(
    intercepting: Interceptor, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("secretmock.testing.intercept.time.sleep", slept.append)
    emulator.faults.add({"vendor": "fireworks", "status": 429, "retry_after": 3, "delay_ms": 250})
    answer = requests.get(FIREWORKS_HOST_LIST, headers=FIREWORKS, timeout=10)
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "3")
    assert httpx.get(FIREWORKS_HOST_LIST, headers=FIREWORKS).status_code == 429
    assert slept == [0.25, 0.25]


def test_a_rule_as_listed_can_be_posted_back(api: Api) -> None:
    first = add_rule(api, vendor="fireworks", status=503, times=1)
    LISTS["fireworks"].send(api)
    [listed] = rules(api)
    api.request("DELETE", "/__admin__/faults")
    again = add_rule(api, **listed)  # its id, hits and remaining are the emulator's own
    assert again["id"] != first["id"] and (again["hits"], again["remaining"]) == (0, 1)
