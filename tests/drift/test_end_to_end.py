"""The drift check end to end, in-process: an upstream emulator as the real vendor.

* a twin upstream (same fixtures, other seed and clock): no finding beyond info, over
  every vendor table row and a stateful sequence per vendor, every operation of every
  vendor exercised;
* the upstream on the documented older servers: each exchange gets exactly the
  findings that the documented difference makes, and no other (100% recall, no false
  finding);
* the upstream's answers mutated from a table: each mutation found as its kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from secretmock.drift import Answer
from tests.drift.corpus import (
    FW,
    FW_BASE,
    IB,
    IB_BASE,
    IF,
    LW,
    OLDER_VERSIONS,
    PR,
    SEQUENCES,
    Exchange,
    Rig,
    request,
    rig,
    run_sequence,
    table_requests,
)
from tests.drift.expected import (
    FW_S1,
    MUTATIONS,
    PR_BASE,
    Signature,
    documented_differences,
    signature,
)
from tests.helpers import table


def beyond_info(exchange: Exchange) -> list[Signature]:
    return [signature(f) for f in exchange.findings if f.severity != "info"]


@pytest.fixture(scope="module")
def twin_rig() -> Rig:
    return rig()


def test_a_twin_upstream_gives_no_finding_beyond_info_on_every_operation(twin_rig: Rig) -> None:
    exchanges = []
    for vendor, row_id, sent in table_requests():
        twin_rig.reset()
        exchange = twin_rig.send(vendor, sent)
        assert beyond_info(exchange) == [], row_id
        exchanges.append(exchange)
    for vendor in SEQUENCES:
        twin_rig.reset()
        for exchange in run_sequence(twin_rig, vendor):
            assert beyond_info(exchange) == [], (vendor, exchange.request.path)
            exchanges.append(exchange)
    document = twin_rig.checker.report.document()
    assert document["exchanges"] == len(exchanges) > 250
    assert [f for f in document["findings"] if f["severity"] != "info"] == []
    seen = {(op["vendor"], op["operation"]) for op in document["operations"]}
    every = {
        (name, op.operation_id)
        for name, pipeline in twin_rig.upstream.pipelines.items()
        for op in pipeline.spec.operations
    }
    assert every <= seen, sorted(every - seen)


def test_the_sequences_map_generated_ids_and_learn_their_noise(twin_rig: Rig) -> None:
    twin_rig.reset()
    created = run_sequence(twin_rig, "langwatch")[0]
    for vendor in ("insforge", "prismeai"):
        run_sequence(twin_rig, vendor)
    shadow_ids = twin_rig.checker.shadow.ids
    # The ids the upstream made are mapped to the shadow's own, which differ.
    upstream_id = created.real.body["id"]
    mapped = shadow_ids["langwatch"].emulated_of(upstream_id)
    assert mapped not in (None, upstream_id)
    # The rotated admin key is mapped as well: the later calls reached the shadow with it.
    assert len(shadow_ids["insforge"]) > 0
    noise = twin_rig.checker.noise.paths(("langwatch", "getApiSecrets"))
    assert {"/*/createdAt", "/*/updatedAt"} <= noise
    assert "/*/name" not in noise  # a value the client chose is no noise


def test_the_older_servers_give_exactly_their_documented_differences() -> None:
    target = rig(OLDER_VERSIONS)
    planted = found = 0
    exchanges = []
    for vendor, row_id, sent in table_requests():
        target.reset()
        exchanges.append((row_id, target.send(vendor, sent)))
    for vendor in SEQUENCES:
        # A fresh upstream and reference each: after the older server's answers differ,
        # their generated values (new keys) do too, so the reference could not follow.
        fresh = rig(OLDER_VERSIONS)
        exchanges += [(vendor, e) for e in run_sequence(fresh, vendor)]
    for row_id, exchange in exchanges:
        expected = documented_differences(exchange)
        got = [signature(f) for f in exchange.findings]
        assert len(got) == len(set(got)), row_id
        assert set(got) == expected, row_id
        planted += len(expected)
        found += len(expected & set(got))
    assert found == planted > 150
    kinds = {f["kind"] for f in target.checker.report.document()["findings"]}
    assert kinds == {"status", "type", "removed", "added", "value", "response_off_spec"}


@table(MUTATIONS)
def test_each_mutation_is_found_as_its_kind_and_nothing_else(
    twin_rig: Rig,
    vendor: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any,
    mutate: Callable[[Answer], Answer],
    expected: set[Signature],
) -> None:
    twin_rig.reset()
    sent = request(vendor, method, path, headers, body)
    real = mutate(_upstream_answer(twin_rig, vendor, sent))
    findings = twin_rig.checker.exchange(vendor, sent, real)
    assert {signature(f) for f in findings} == expected
    assert len(findings) == len(expected)


def _upstream_answer(target: Rig, vendor: str, sent: Any) -> Answer:
    from secretmock.drift.shadow import answer_of

    return answer_of(target.upstream.pipelines[vendor].handle(sent))


def test_a_dropped_retry_after_is_a_header_finding(twin_rig: Rig) -> None:
    twin_rig.reset()
    rule = {"vendor": "fireworks", "status": 429, "retry_after": 3}
    for emulator_ in (twin_rig.upstream, twin_rig.shadow, twin_rig.twin):
        emulator_.faults.add(rule)
    sent = request("fireworks", "GET", FW_S1, FW)
    real = _upstream_answer(twin_rig, "fireworks", sent)
    assert real.status == 429 and real.headers["retry-after"] == "3"
    dropped = replace(real, headers={k: v for k, v in real.headers.items() if k != "retry-after"})
    findings = twin_rig.checker.exchange("fireworks", sent, dropped)
    assert [signature(f) for f in findings] == [
        ("header", "warning", "spec_gap", "header:retry-after", "absent", "seconds", "")
    ]


def test_a_rate_limited_upstream_is_no_drift(twin_rig: Rig) -> None:
    twin_rig.reset()
    twin_rig.upstream.faults.add({"vendor": "fireworks", "status": 429, "retry_after": 1})
    sent = request("fireworks", "GET", FW_S1, FW)
    findings = twin_rig.send("fireworks", sent).findings
    assert [signature(f) for f in findings] == [
        ("could_not_check", "warning", "could_not_check", "", 429, 200, "rate limited")
    ]


def test_a_change_the_upstream_refused_is_rolled_back_in_the_shadow(twin_rig: Rig) -> None:
    twin_rig.reset()
    twin_rig.upstream.faults.add({"vendor": "langwatch", "status": 503, "times": 1})
    create = request("langwatch", "POST", "/api/secrets", LW, {"name": "ONLY_TRIED", "value": "v"})
    assert [f.kind for f in twin_rig.send("langwatch", create).findings] == ["could_not_check"]
    listing = twin_rig.send("langwatch", request("langwatch", "GET", "/api/secrets", LW))
    assert listing.findings == []  # the shadow did not keep the create the upstream failed
    snapshot = twin_rig.shadow.tenant_snapshot("langwatch", "project-demo")
    assert snapshot is not None
    assert "ONLY_TRIED" not in {s["name"] for s in snapshot["secrets"]}


def test_states_that_part_are_reported_once_and_resynchronised(twin_rig: Rig) -> None:
    twin_rig.reset()
    # The upstream gains secrets behind the shadow's back (another client of the vendor).
    for vendor, path, body in [
        ("fireworks", FW_BASE, {"name": "elsewhere", "keyName": "ELSEWHERE", "value": "v"}),
        ("langwatch", "/api/secrets", {"name": "ELSEWHERE", "value": "v"}),
        ("insforge", "/api/secrets", {"key": "ELSEWHERE", "value": "v"}),
        (
            "instabase",
            IB_BASE,
            {"alias": "elsewhere", "value": "v", "allowed_workspaces_type": "ALL"},
        ),
        ("prismeai", PR_BASE, {"elsewhere": {"value": ["v"]}}),
    ]:
        headers = {
            "fireworks": FW,
            "langwatch": LW,
            "insforge": IF,
            "instabase": IB,
            "prismeai": PR,
        }
        method = "PATCH" if vendor == "prismeai" else "POST"
        behind = request(vendor, method, path, headers[vendor], body)
        assert twin_rig.upstream.pipelines[vendor].handle(behind).reply.status < 300
        listing = request(vendor, "GET", path, headers[vendor])
        first = twin_rig.send(vendor, listing).findings
        assert [f.kind for f in first if f.kind == "state_divergence"] == ["state_divergence"]
        assert all(f.kind not in ("removed", "added") and not f.breaking for f in first), vendor
        # The shadow adopted the record: the next listing agrees.
        assert twin_rig.send(vendor, listing).findings == [], vendor
    got = twin_rig.send("fireworks", request("fireworks", "GET", f"{FW_BASE}/elsewhere", FW))
    assert got.findings == []
