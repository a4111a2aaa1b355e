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

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

import pytest

from secretmock.drift import Answer, Finding
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
from tests.helpers import table

Signature = tuple[str, str, str, str, Any, Any, str]


def signature(finding: Finding) -> Signature:
    return (
        str(finding.kind),
        str(finding.severity),
        str(finding.attribution),
        finding.location,
        finding.real,
        finding.emulated,
        finding.detail,
    )


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


# -- the planted drift: the documented older servers --------------------------------------

LEGACY_CODES = {"SECRET_NOT_FOUND": "NOT_FOUND", "SECRET_ALREADY_EXISTS": "INVALID_INPUT"}
ZOD_RESULT_400: set[Signature] = {
    ("status", "breaking", "vendor_off_spec", "", 400, 422, "status_code"),
    ("type", "breaking", "vendor_off_spec", "/error", "object", "string", ""),
    ("removed", "breaking", "vendor_off_spec", "/message", None, "string", ""),
    ("removed", "breaking", "spec_gap", "/target", None, "string", ""),
    ("removed", "breaking", "spec_gap", "/fields", None, "array", ""),
    ("removed", "breaking", "spec_gap", "/reasons", None, "array", ""),
    ("added", "info", "spec_gap", "/success", "boolean", None, ""),
    ("response_off_spec", "warning", "vendor_off_spec", "/error", "object", None, "type"),
}
"""LangWatch before 2026-07-22: a schema failure is 400 with zod's raw result
``{"success": false, "error": {"issues", "name"}}`` instead of the 422 envelope; the
older ``error`` is an object, outside the spec's Error."""
HONO_MALFORMED_400: set[Signature] = {
    (
        "value",
        "breaking",
        "emulator_gap",
        "/error",
        "Malformed JSON in request body",
        "malformed_request",
        "code",
    ),
    ("removed", "breaking", "spec_gap", "/target", None, "string", ""),
    ("removed", "breaking", "spec_gap", "/detail", None, "string", ""),
    ("value", "info", "emulator_gap", "/message", "string", "string", "message"),
}
"""LangWatch before 2026-07-22: a body that does not parse is Hono's
``{"error": "Malformed JSON in request body", "message": ...}``."""


def documented_differences(exchange: Exchange) -> set[Signature]:
    """The findings docs/vendors/insforge.md and docs/vendors/langwatch.md make this
    exchange carry, read from what the current server answers (``current``)."""
    current = exchange.current
    assert current is not None
    body = current.body if isinstance(current.body, dict) else {}
    if exchange.vendor == "insforge":
        code = body.get("error")
        if code in LEGACY_CODES:
            return {
                ("value", "breaking", "emulator_gap", "/error", LEGACY_CODES[code], code, "code")
            }
        if exchange.request.path.endswith("/anon-key/rotate") and current.status == 200:
            return {("status", "breaking", "emulator_gap", "", 404, 200, "status_class")}
    if exchange.vendor == "langwatch":
        if current.status == 422 and body.get("error") == "validation_error":
            return ZOD_RESULT_400
        if current.status == 400 and body.get("error") == "malformed_request":
            return HONO_MALFORMED_400
    return set()


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


# -- mutations of the upstream's answers ------------------------------------------------


def mutated_body(change: Callable[[Any], None]) -> Callable[[Answer], Answer]:
    def mutate(answer: Answer) -> Answer:
        body = copy.deepcopy(answer.body)
        change(body)
        return replace(answer, body=body)

    return mutate


def _rename(body: dict[str, Any], old: str, new: str) -> None:
    body[new] = body.pop(old)


def _reformat_time(entry: dict[str, Any], key: str) -> None:
    entry[key] = entry[key].replace(".000Z", "+00:00").replace("Z", "+00:00")


class Mutation(NamedTuple):
    id: str
    vendor: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    mutate: Callable[[Answer], Answer]
    expected: set[Signature]


FW_S1 = "/v1/accounts/acme/secrets/s1"
PR_BASE = "/v2/workspaces/ws1/security/secrets"

MUTATIONS = [
    Mutation(
        "rename-a-field",
        "insforge",
        "GET",
        "/api/secrets",
        IF,
        None,
        mutated_body(lambda b: _rename(b["secrets"][0], "lastUsedAt", "last_used_at")),
        {
            ("removed", "breaking", "emulator_gap", "/secrets/0/lastUsedAt", None, "null", ""),
            ("added", "info", "spec_gap", "/secrets/0/last_used_at", "null", None, ""),
        },
    ),
    Mutation(
        "remove-a-field",
        "insforge",
        "GET",
        "/api/secrets",
        IF,
        None,
        mutated_body(lambda b: b["secrets"][1].pop("expiresAt")),
        {("removed", "breaking", "emulator_gap", "/secrets/1/expiresAt", None, "null", "")},
    ),
    Mutation(
        "add-a-field",
        "fireworks",
        "GET",
        FW_S1,
        FW,
        None,
        mutated_body(lambda b: b.update(createTime="2026-01-02T03:04:05Z")),
        {("added", "info", "spec_gap", "/createTime", "string", None, "")},
    ),
    Mutation(
        "retype-a-field",
        "langwatch",
        "GET",
        "/api/secrets/demo_openai_key_00001",
        LW,
        None,
        mutated_body(lambda b: b.update(name=["OPENAI_API_KEY"])),
        {
            ("type", "breaking", "vendor_off_spec", "/name", "array", "string", ""),
            ("response_off_spec", "warning", "vendor_off_spec", "/name", "array", None, "type"),
        },
    ),
    Mutation(
        "a-scalar-become-an-object-is-one-type-finding",
        "fireworks",
        "GET",
        "/v1/accounts/acme/secrets/nope",
        FW,
        None,
        mutated_body(lambda b: b.update(message={f"k{i}": i for i in range(30)})),
        {
            ("type", "breaking", "vendor_off_spec", "/message", "object", "string", ""),
            ("response_off_spec", "warning", "vendor_off_spec", "/message", "object", None, "type"),
        },
    ),
    Mutation(
        "201-for-200",
        "fireworks",
        "POST",
        "/v1/accounts/acme/secrets",
        FW,
        {"name": "new-key", "keyName": "NEW_KEY", "value": "v"},
        lambda a: replace(a, status=201),
        {
            ("status", "breaking", "vendor_off_spec", "", 201, 200, "status_code"),
            ("response_off_spec", "warning", "vendor_off_spec", "", 201, None, "status"),
        },
    ),
    Mutation(
        "another-error-code",
        "fireworks",
        "GET",
        "/v1/accounts/acme/secrets/nope",
        FW,
        None,
        mutated_body(lambda b: b.update(code=7)),
        {("value", "breaking", "emulator_gap", "/code", 7, 5, "code")},
    ),
    Mutation(
        "a-reordered-list",
        "fireworks",
        "GET",
        "/v1/accounts/acme/secrets",
        FW,
        None,
        mutated_body(lambda b: b["secrets"].reverse()),
        {("value", "warning", "emulator_gap", "/secrets", None, None, "order")},
    ),
    Mutation(
        "another-timestamp-format",
        "langwatch",
        "GET",
        "/api/secrets/demo_openai_key_00001",
        LW,
        None,
        mutated_body(lambda b: _reformat_time(b, "createdAt")),
        {
            (
                "value",
                "warning",
                "emulator_gap",
                "/createdAt",
                "rfc3339 T 0 fraction digits, zone offset",
                "rfc3339 T 3 fraction digits, zone Z",
                "format",
            )
        },
    ),
    Mutation(
        "a-deprecation-header",
        "langwatch",
        "GET",
        "/api/secrets",
        LW,
        None,
        lambda a: replace(a, headers={**a.headers, "deprecation": "@1767225600"}),
        {("deprecation", "warning", "spec_gap", "header:deprecation", "present", "absent", "")},
    ),
    Mutation(
        "a-warning-299-header",
        "fireworks",
        "GET",
        "/v1/accounts/acme/secrets",
        FW,
        None,
        lambda a: replace(a, headers={**a.headers, "warning": '299 - "Deprecated API"'}),
        {("deprecation", "warning", "spec_gap", "header:warning", "299", None, "")},
    ),
    Mutation(
        "a-removed-vendor-header",
        "prismeai",
        "GET",
        "/v2/workspaces/ws1/security/secrets",
        {"x-prismeai-api-key": "prisme-test-ws1"},
        None,
        lambda a: replace(
            a, headers={k: v for k, v in a.headers.items() if k != "x-correlation-id"}
        ),
        {("header", "warning", "spec_gap", "header:x-correlation-id", "absent", "present", "")},
    ),
    Mutation(
        "another-echoed-value",
        "fireworks",
        "PATCH",
        FW_S1,
        FW,
        {"keyName": "RENAMED_KEY"},
        mutated_body(lambda b: b.update(keyName="OTHER_KEY")),
        {("value", "breaking", "emulator_gap", "/keyName", "string", "string", "echo")},
    ),
    Mutation(
        "an-error-envelope-of-only-a-message-reworded",
        "instabase",
        "PATCH",
        "/api/v2/aihub/secrets",
        {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"},
        {"alias": "nope"},
        mutated_body(lambda b: b.update(message="no such secret")),
        {("value", "warning", "emulator_gap", "/message", "string", "string", "message")},
    ),
    Mutation(
        "a-media-type",
        "fireworks",
        "GET",
        FW_S1,
        FW,
        None,
        lambda a: replace(a, headers={**a.headers, "content-type": "application/problem+json"}),
        {
            (
                "header",
                "warning",
                "emulator_gap",
                "header:content-type",
                "application/problem+json",
                "application/json",
                "",
            )
        },
    ),
    Mutation(
        "an-upstream-503",
        "fireworks",
        "GET",
        FW_S1,
        FW,
        None,
        lambda a: replace(a, status=503, body={"code": 14, "message": "x", "details": []}),
        {("could_not_check", "warning", "could_not_check", "", 503, 200, "upstream failure")},
    ),
    Mutation(
        "a-dropped-connection",
        "fireworks",
        "GET",
        FW_S1,
        FW,
        None,
        lambda a: Answer.unanswered("dropped"),
        {("could_not_check", "warning", "could_not_check", "", None, None, "dropped")},
    ),
]


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
