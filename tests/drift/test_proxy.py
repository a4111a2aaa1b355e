"""The drift check through the proxy, over real sockets (tests/drift/sockets.py): the
same corpus and expectations as in-process (test_end_to_end.py), and what only a real
upstream shows: its faults, a dead upstream, what the client gets back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests

from secretmock.drift import Answer
from secretmock.serve.background import BackgroundServer
from secretmock.serve.proxy import build_proxy
from secretmock.web.app import build_app
from secretmock.web.proxy_app import Upstream
from tests.drift.corpus import (
    FW,
    LW,
    OLDER_VERSIONS,
    SEQUENCES,
    Exchange,
    emulator,
    request,
    run_sequence,
    table_requests,
)
from tests.drift.expected import (
    FW_S1,
    MUTATIONS,
    Signature,
    documented_differences,
    signature,
)
from tests.drift.sockets import CapturingChecker, SocketRig, socket_rig
from tests.helpers import table

PROXY_TIMEOUT_S = 0.5
"""The fault rig's upstream timeout: a delay above it is a timed-out upstream."""


@pytest.fixture(scope="module")
def twin() -> Iterator[SocketRig]:
    rig = socket_rig()
    yield rig
    rig.stop()


def beyond_info(exchange: Exchange) -> list[Signature]:
    return [signature(f) for f in exchange.findings if f.severity != "info"]


def test_a_twin_upstream_gives_no_finding_beyond_info_on_every_operation(twin: SocketRig) -> None:
    exchanges = []
    for vendor, row_id, sent in table_requests():
        twin.reset()
        exchange = twin.send(vendor, sent)
        assert beyond_info(exchange) == [], row_id
        exchanges.append(exchange)
    for vendor in SEQUENCES:
        twin.reset()
        for exchange in run_sequence(twin, vendor):
            assert beyond_info(exchange) == [], (vendor, exchange.request.path)
            exchanges.append(exchange)
    document = requests.get(f"{twin.proxy_server.url}/__admin__/drift", timeout=10).json()
    assert document["exchanges"] >= len(exchanges) > 250
    assert [f for f in document["findings"] if f["severity"] != "info"] == []
    seen = {(op["vendor"], op["operation"]) for op in document["operations"]}
    every = {
        (name, op.operation_id)
        for name, pipeline in twin.upstream.pipelines.items()
        for op in pipeline.spec.operations
    }
    assert every <= seen, sorted(every - seen)


def test_the_client_gets_the_upstreams_answer_unchanged(twin: SocketRig) -> None:
    twin.reset()
    sent = request("langwatch", "GET", "/api/secrets", LW)
    through = twin.call("langwatch", sent)
    direct = requests.get(
        f"{twin.upstream_server.url}/langwatch/api/secrets", headers=LW, timeout=10
    )
    assert through.status_code == direct.status_code == 200
    assert through.content == direct.content
    # Only the server's own headers differ (its date); none is doubled.
    assert {k.lower() for k in through.headers} == {k.lower() for k in direct.headers}
    assert through.raw.headers.getlist("date") == [through.headers["date"]]


def test_the_older_servers_give_exactly_their_documented_differences() -> None:
    rig = socket_rig(OLDER_VERSIONS)
    try:
        exchanges = []
        for vendor, row_id, sent in table_requests():
            rig.reset()
            exchanges.append((row_id, rig.send(vendor, sent)))
    finally:
        rig.stop()
    for vendor in SEQUENCES:
        # A fresh rig each, as in-process: the older answers' generated values differ.
        fresh = socket_rig(OLDER_VERSIONS)
        try:
            exchanges += [(vendor, e) for e in run_sequence(fresh, vendor)]
        finally:
            fresh.stop()
    planted = found = 0
    for row_id, exchange in exchanges:
        expected = documented_differences(exchange)
        got = {signature(f) for f in exchange.findings}
        assert got == expected, row_id
        planted += len(expected)
        found += len(expected & got)
    assert found == planted > 150


@table(MUTATIONS)
def test_each_mutation_is_found_as_its_kind_and_nothing_else(
    twin: SocketRig,
    vendor: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any,
    mutate: Callable[[Answer], Answer],
    expected: set[Signature],
) -> None:
    twin.reset()
    sent = request(vendor, method, path, headers, body)
    twin.stub.mutations[(method, f"/{vendor}{sent.path}")] = mutate
    exchange = twin.send(vendor, sent)
    assert {signature(f) for f in exchange.findings} == expected
    assert len(exchange.findings) == len(expected)
    if any(s[-1] == "dropped" for s in expected):  # a dropped connection: the vendor's 502
        assert exchange.real.status == 502
        assert exchange.real.body == {"code": 14, "message": "Bad Gateway", "details": []}


def test_a_dropped_retry_after_is_a_header_finding(twin: SocketRig) -> None:
    twin.reset()
    rule = {"vendor": "fireworks", "status": 429, "retry_after": 3}
    for each in (twin.upstream, twin.checker.shadow.emulator):
        each.faults.add(rule)
    assert twin.checker.twin is not None
    twin.checker.twin.emulator.faults.add(rule)

    def drop(answer: Answer) -> Answer:
        kept = {k: v for k, v in answer.headers.items() if k != "retry-after"}
        return replace(answer, headers=kept)

    twin.stub.mutations[("GET", f"/fireworks{FW_S1}")] = drop
    try:
        exchange = twin.send("fireworks", request("fireworks", "GET", FW_S1, FW))
    finally:
        for each in (twin.upstream, twin.checker.shadow.emulator, twin.checker.twin.emulator):
            each.faults.clear()
    assert exchange.real.status == 429 and "retry-after" not in exchange.real.headers
    assert [signature(f) for f in exchange.findings] == [
        ("header", "warning", "spec_gap", "header:retry-after", "absent", "seconds", "")
    ]


# -- the upstream's own faults ------------------------------------------------------------


@pytest.fixture(scope="module")
def faulty() -> Iterator[SocketRig]:
    rig = socket_rig(timeout=PROXY_TIMEOUT_S)
    yield rig
    rig.stop()


BAD_GATEWAY = {
    "prismeai": {"error": "BadGateway", "message": "Bad Gateway"},
    "langwatch": {"error": "bad_gateway", "message": "Bad Gateway"},
    "instabase": {"message": "Bad Gateway"},
    "insforge": {"error": "UPSTREAM_FAILURE", "message": "Bad Gateway", "statusCode": 502},
    "fireworks": {"code": 14, "message": "Bad Gateway", "details": []},
}
"""Each vendor's own 502, in its envelope (its ``status_error``)."""
LISTINGS = {
    "prismeai": ("/v2/workspaces/ws1/security/secrets", {"x-prismeai-api-key": "prisme-test-ws1"}),
    "langwatch": ("/api/secrets", LW),
    "instabase": (
        "/api/v2/aihub/secrets",
        {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"},
    ),
    "insforge": ("/api/secrets", {"Authorization": "Bearer ik_test_demo_admin"}),
    "fireworks": ("/v1/accounts/acme/secrets", FW),
}


def faulted(rig: SocketRig, vendor: str, rule: dict[str, Any]) -> Exchange:
    """A listing of ``vendor`` through the proxy, the upstream under ``rule``."""
    rig.reset()
    rig.upstream.faults.add({"vendor": vendor, **rule})
    try:
        path, headers = LISTINGS[vendor]
        return rig.send(vendor, request(vendor, "GET", path, headers))
    finally:
        rig.upstream.faults.clear()


@pytest.mark.parametrize("vendor", sorted(LISTINGS))
def test_a_dropped_connection_gives_the_vendors_502_and_could_not_check(
    faulty: SocketRig, vendor: str
) -> None:
    exchange = faulted(faulty, vendor, {"disconnect": True})
    assert exchange.real.status == 502
    assert exchange.real.body == BAD_GATEWAY[vendor]
    assert [signature(f) for f in exchange.findings] == [
        ("could_not_check", "warning", "could_not_check", "", None, None, "dropped")
    ]


def test_an_upstream_slower_than_the_timeout_gives_502_and_could_not_check(
    faulty: SocketRig,
) -> None:
    delay_ms = int(PROXY_TIMEOUT_S * 1000) * 4
    exchange = faulted(faulty, "langwatch", {"delay_ms": delay_ms})
    assert exchange.real.status == 502
    assert exchange.real.body == BAD_GATEWAY["langwatch"]
    assert [signature(f) for f in exchange.findings] == [
        ("could_not_check", "warning", "could_not_check", "", None, None, "timeout")
    ]


def test_an_upstream_503_reaches_the_client_as_it_is_and_is_could_not_check(
    faulty: SocketRig,
) -> None:
    exchange = faulted(faulty, "insforge", {"status": 503, "retry_after": 7})
    assert exchange.real.status == 503
    assert exchange.real.headers["retry-after"] == "7"
    assert exchange.real.body["statusCode"] == 503
    assert [signature(f) for f in exchange.findings] == [
        ("could_not_check", "warning", "could_not_check", "", 503, 200, "upstream failure")
    ]


def test_an_unreachable_upstream_gives_502_and_could_not_check(unused_port: int) -> None:
    served, shadow = emulator(4, 0), emulator(5, 0)
    checker = CapturingChecker(shadow)
    upstreams = {"fireworks": Upstream("fireworks", f"http://127.0.0.1:{unused_port}")}
    app = build_proxy(served, build_app(served), upstreams, checker, PROXY_TIMEOUT_S)
    with BackgroundServer(app) as proxy:
        answer = requests.get(
            f"{proxy.url}/fireworks/v1/accounts/acme/secrets", headers=FW, timeout=10
        )
        # Another vendor, with no upstream, is served by the emulator as serve would.
        served_too = requests.get(f"{proxy.url}/langwatch/api/secrets", headers=LW, timeout=10)
    assert answer.status_code == 502 and answer.json() == BAD_GATEWAY["fireworks"]
    assert [signature(f) for f in checker.last] == [
        ("could_not_check", "warning", "could_not_check", "", None, None, "unreachable")
    ]
    assert served_too.status_code == 200
    assert checker.report.exchanges == 1
    assert [e.vendor for e in served.journal.entries(0)] == ["langwatch"]


def test_the_drift_document_is_answered_by_a_proxy_only(
    twin: SocketRig, server: BackgroundServer
) -> None:
    assert requests.get(f"{twin.proxy_server.url}/__admin__/drift", timeout=10).status_code == 200
    plain = requests.get(f"{server.url}/__admin__/drift", timeout=10)
    assert plain.status_code == 404
    assert plain.json()["error"] == "no_drift_check"


def test_a_body_over_the_vendors_limit_is_not_forwarded(twin: SocketRig) -> None:
    twin.reset()
    before = len(twin.upstream.journal.entries(0))
    limit = twin.served.pipelines["prismeai"].max_body_bytes
    body = json.dumps({"k": {"value": "x" * limit}}).encode()
    sent = request(
        "prismeai",
        "PATCH",
        "/v2/workspaces/ws1/security/secrets",
        {"x-prismeai-api-key": "prisme-test-ws1", "Content-Type": "application/json"},
        data=body,
    )
    exchange = twin.send("prismeai", sent)
    assert exchange.real.status == 413
    assert len(twin.upstream.journal.entries(0)) == before
    assert [signature(f) for f in exchange.findings] == [
        ("could_not_check", "warning", "could_not_check", "", None, None, "not forwarded")
    ]


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_one_vendor_served_alone_at_the_root_is_proxied_there(twin: SocketRig) -> None:
    twin.reset()
    served, shadow = emulator(4, 0), emulator(5, 0)
    checker = CapturingChecker(shadow)
    upstreams = {"fireworks": Upstream("fireworks", f"{twin.upstream_server.url}/fireworks")}
    inner = build_app(served, only_vendor="fireworks")
    app = build_proxy(served, inner, upstreams, checker, only_vendor="fireworks")
    with BackgroundServer(app) as proxy:
        answer = requests.get(f"{proxy.url}/v1/accounts/acme/secrets", headers=FW, timeout=10)
        drift = requests.get(f"{proxy.url}/__admin__/drift", timeout=10)
    assert answer.status_code == 200 and answer.json()["totalSize"] == 2
    assert checker.last == [] and checker.report.exchanges == 1
    assert drift.json()["operations"][0]["operation"] == "Gateway_ListSecrets"
    assert served.journal.entries(0) == []  # forwarded, not served
