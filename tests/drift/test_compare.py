"""The comparison's rules, one table row per rule: two answers in, exactly the expected
findings out. Together the rows cover every kind, severity and attribution a finding
can have (checked at the end), and the lessons learnt when the rules were tried: noise
never hides a removal or a type change, and a scalar that became an object is one
``type`` finding."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import pytest

from secretmock.drift.answer import EMPTY, UNREADABLE, Answer
from secretmock.drift.compare import KEY_NOISE, Context, compare
from secretmock.drift.findings import Attribution, Kind, Severity, Where
from secretmock.drift.idmap import IdMap
from secretmock.drift.schema import SchemaNode, response_schema
from secretmock.engine.drift_profile import DriftProfile
from secretmock.engine.violations import Violation
from tests.helpers import table

ITEM = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
}
BODY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "uid": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "createdAt": {"type": "string", "format": "date-time"},
        "count": {"type": "integer"},
        "error": {"type": "string"},
        "message": {"type": "string"},
        "value": {"type": "string"},
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
        "map": {"type": "object", "additionalProperties": {"type": "object"}},
        "closed": {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "additionalProperties": False,
        },
    },
}
DOCUMENT: dict[str, Any] = {
    "paths": {
        "/things": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {"schema": BODY_SCHEMA}}},
                    "4XX": {"content": {"application/json": {"schema": BODY_SCHEMA}}},
                }
            }
        }
    },
    "components": {"schemas": {"Item": ITEM}},
}
PROFILE = DriftProfile(
    code_fields=frozenset({"error"}),
    message_fields=frozenset({"message"}),
    credential=lambda headers: None,
    credential_headers=frozenset({"authorization"}),
    secret_fields=frozenset({"value"}),
    echo_fields={"getThings": ("/name",)},
    record_keys=("name",),
    id_fields=frozenset({"id"}),
    vendor_headers=frozenset({"x-correlation-id"}),
)
MESSAGE_ONLY = DriftProfile(
    code_fields=frozenset(),
    message_fields=frozenset({"message"}),
    credential=lambda headers: None,
    credential_headers=frozenset(),
)
WHERE = Where("acme", "getThings", "GET", "/things")
JSON = {"content-type": "application/json"}


def ok(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer(status, {**JSON, **(headers or {})}, body)


def violation(location: str, rule: str, actual: str | None, part: str = "response") -> Violation:
    return Violation(part, location, rule, actual=actual)


class Row(NamedTuple):
    id: str
    real: Answer
    emulated: Answer
    options: Mapping[str, Any]
    """Context fields besides the defaults (noise, violations, ids, secrets, profile)."""
    expected: list[tuple[str, str, str, str, Any, Any, str]]


def row(
    id: str,
    real: Answer,
    emulated: Answer,
    expected: list[tuple[str, str, str, str, Any, Any, str]],
    **options: Any,
) -> Row:
    return Row(id, real, emulated, options, expected)


def noise(*paths: str) -> Callable[[str], bool]:
    return frozenset(paths).__contains__


def ids(**pairs: str) -> IdMap:
    mapped = IdMap()
    mapped.learn(pairs)
    return mapped


ROWS = [
    row(
        "equal-answers-no-finding", ok({"name": "a", "count": 1}), ok({"name": "a", "count": 1}), []
    ),
    # 1. status
    row(
        "status-code-same-class",
        ok({"name": "a"}, 201),
        ok({"name": "a"}),
        [("status", "breaking", "emulator_gap", "", 201, 200, "status_code")],
    ),
    row(
        "status-class-nothing-else-compared",
        ok({"error": "NOPE"}, 404),
        ok({"name": "a", "count": 1}),
        [("status", "breaking", "emulator_gap", "", 404, 200, "status_class")],
    ),
    row(
        "status-undeclared-is-the-vendors",
        ok({"name": "a"}, 202),
        ok({"name": "a"}),
        [
            ("response_off_spec", "warning", "vendor_off_spec", "", 202, None, "status"),
            ("status", "breaking", "vendor_off_spec", "", 202, 200, "status_code"),
        ],
        response_violations=(Violation("response", "", "status", actual="202"),),
    ),
    row(
        "request-off-spec-accepted-by-the-vendor",
        ok({"name": "a"}),
        ok({"error": "BAD"}, 400),
        [
            ("request_off_spec", "warning", "spec_gap", "/name", None, None, "maxLength"),
            ("status", "breaking", "spec_gap", "", 200, 400, "status_class"),
        ],
        request_violations=(violation("/name", "maxLength", "string", part="body"),),
    ),
    row(
        "request-off-spec-refused-by-both-is-no-finding",
        ok({"error": "BAD"}, 400),
        ok({"error": "BAD"}, 400),
        [],
        request_violations=(violation("/name", "maxLength", "string", part="body"),),
    ),
    # 2. error envelopes
    row(
        "error-code-exactly",
        ok({"error": "NOT_FOUND", "message": "x"}, 404),
        ok({"error": "SECRET_NOT_FOUND", "message": "x"}, 404),
        [("value", "breaking", "emulator_gap", "/error", "NOT_FOUND", "SECRET_NOT_FOUND", "code")],
    ),
    row(
        "message-text-is-info",
        ok({"error": "E", "message": "Secret 42 is gone"}, 404),
        ok({"error": "E", "message": "No such secret"}, 404),
        [("value", "info", "emulator_gap", "/message", "string", "string", "message")],
    ),
    row(
        "message-only-envelope-masked-equal",
        ok({"message": "secret 123e4567-e89b-12d3-a456-426614174000 not in org 42"}, 404),
        ok({"message": "secret 0f0f0f0f-e89b-42d3-a456-426614174111 not in org 7"}, 404),
        [],
        profile=MESSAGE_ONLY,
    ),
    row(
        "message-only-envelope-reworded-is-a-warning",
        ok({"message": "no secret with this alias"}, 404),
        ok({"message": "secret not found"}, 404),
        [("value", "warning", "emulator_gap", "/message", "string", "string", "message")],
        profile=MESSAGE_ONLY,
    ),
    # 3. bodies by type path
    row(
        "removed-declared",
        ok({}),
        ok({"count": 1}),
        [("removed", "breaking", "emulator_gap", "/count", None, "number", "")],
    ),
    row(
        "removed-undeclared",
        ok({}),
        ok({"extra": 1}),
        [("removed", "breaking", "spec_gap", "/extra", None, "number", "")],
    ),
    row(
        "removed-from-an-off-spec-answer",
        ok({"count": "1"}),
        ok({"count": 1, "name": "a"}),
        [
            ("response_off_spec", "warning", "vendor_off_spec", "/count", "string", None, "type"),
            ("removed", "breaking", "vendor_off_spec", "/name", None, "string", ""),
            ("type", "breaking", "vendor_off_spec", "/count", "string", "number", ""),
        ],
        response_violations=(violation("/count", "type", "string"),),
    ),
    row(
        "added-is-info",
        ok({"extra": True}),
        ok({}),
        [("added", "info", "spec_gap", "/extra", "boolean", None, "")],
    ),
    row(
        "added-declared-that-the-emulator-omits",
        ok({"count": 2}),
        ok({}),
        [("added", "info", "emulator_gap", "/count", "number", None, "")],
    ),
    row(
        "added-where-the-spec-forbids-it-is-a-warning",
        ok({"closed": {"a": "x", "b": 1}}),
        ok({"closed": {"a": "x"}}),
        [
            (
                "response_off_spec",
                "warning",
                "vendor_off_spec",
                "/closed",
                "object",
                None,
                "additionalProperties",
            ),
            ("added", "warning", "spec_gap", "/closed/b", "number", None, ""),
        ],
        response_violations=(violation("/closed", "additionalProperties", "object"),),
    ),
    row(
        "a-scalar-that-became-an-object-is-one-type-finding",
        ok({"error": {f"k{i}": i for i in range(30)}}, 400),
        ok({"error": "BAD"}, 400),
        [("type", "breaking", "emulator_gap", "/error", "object", "string", "")],
    ),
    row(
        "type-undeclared",
        ok({"extra": [1]}),
        ok({"extra": 1}),
        [("type", "breaking", "spec_gap", "/extra", "array", "number", "")],
    ),
    row(
        "a-body-missing",
        Answer(200, JSON, EMPTY),
        ok({"name": "a"}),
        [("type", "breaking", "emulator_gap", "", "none", "object", "")],
    ),
    # 4. noise: values only
    row(
        "noise-hides-a-value",
        ok({"count": 1}),
        ok({"count": 2}),
        [],
        noise=noise("/count"),
    ),
    row(
        "noise-never-hides-a-removal",
        ok({}),
        ok({"count": 2}),
        [("removed", "breaking", "emulator_gap", "/count", None, "number", "")],
        noise=noise("/count"),
    ),
    row(
        "noise-never-hides-a-type-change",
        ok({"count": "2"}),
        ok({"count": 2}),
        [("type", "breaking", "emulator_gap", "/count", "string", "number", "")],
        noise=noise("/count"),
    ),
    row(
        "a-generated-format-is-noise",
        ok({"uid": "123e4567-e89b-12d3-a456-426614174000"}),
        ok({"uid": "0f0f0f0f-e89b-42d3-a456-426614174111"}),
        [],
    ),
    row(
        "a-value-that-differs",
        ok({"count": 1, "name": "a"}),
        ok({"count": 2, "name": "a"}),
        [("value", "warning", "emulator_gap", "/count", 1, 2, "value")],
        profile=MESSAGE_ONLY,
    ),
    row(
        "a-value-where-the-spec-is-silent",
        ok({"extra": True}),
        ok({"extra": False}),
        [("value", "warning", "spec_gap", "/extra", True, False, "value")],
    ),
    # 5. timestamps keep their format class
    row(
        "a-timestamp-in-another-format",
        ok({"createdAt": "2026-01-02T03:04:05+00:00"}),
        ok({"createdAt": "2026-01-02T03:04:07.123Z"}),
        [
            (
                "value",
                "warning",
                "emulator_gap",
                "/createdAt",
                "rfc3339 T 0 fraction digits, zone offset",
                "rfc3339 T 3 fraction digits, zone Z",
                "format",
            )
        ],
    ),
    row(
        "a-generated-number-in-seconds-instead-of-milliseconds",
        ok({"count": 1767323045}),
        ok({"count": 1767323047000}),
        [
            (
                "value",
                "warning",
                "emulator_gap",
                "/count",
                "unix seconds",
                "unix milliseconds",
                "format",
            )
        ],
        noise=noise("/count"),
    ),
    # 6. echo fields
    row(
        "an-echo-that-differs",
        ok({"name": "a"}),
        ok({"name": "b"}),
        [("value", "breaking", "emulator_gap", "/name", "string", "string", "echo")],
    ),
    # 7. secrets
    row(
        "a-secret-it-was-given-must-come-back",
        ok({"value": "other"}),
        ok({"value": "given"}),
        [("value", "breaking", "emulator_gap", "/value", "string", "string", "secret")],
        known_secret=lambda value: value == "given",
    ),
    row(
        "a-secret-it-made-itself-is-not-compared",
        ok({"value": "vendor-made"}),
        ok({"value": "emulator-made"}),
        [],
    ),
    row(
        "a-secret-keeps-its-type",
        ok({"value": ["a"]}),
        ok({"value": "a"}),
        [("type", "breaking", "emulator_gap", "/value", "array", "string", "")],
    ),
    # ids
    row(
        "ids-mapped-stand-for-each-other",
        ok({"id": "real-1"}),
        ok({"id": "shadow-1"}),
        [],
        ids=ids(**{"real-1": "shadow-1"}),
    ),
    row(
        "an-id-that-contradicts-the-map",
        ok({"id": "real-1"}),
        ok({"id": "shadow-2"}),
        [("value", "warning", "emulator_gap", "/id", "string", "string", "id")],
        ids=ids(**{"real-1": "shadow-1"}),
    ),
    # 8. arrays of records
    row(
        "records-aligned-by-key-order-apart",
        ok({"items": [{"name": "b", "size": 2}, {"name": "a", "size": 1}]}),
        ok({"items": [{"name": "a", "size": 1}, {"name": "b", "size": 3}]}),
        [
            ("value", "warning", "emulator_gap", "/items", None, None, "order"),
            ("value", "warning", "emulator_gap", "/items/0/size", 2, 3, "value"),
        ],
    ),
    row(
        "records-only-one-side-has-are-a-state-divergence",
        ok({"items": [{"name": "a"}, {"name": "c"}]}),
        ok({"items": [{"name": "a"}]}),
        [("state_divergence", "warning", "could_not_check", "/items", 1, 0, "records")],
    ),
    row(
        "generated-record-keys-are-paired-when-the-twin-says-so",
        ok({"items": [{"name": "KEY_OLD_1"}]}),
        ok({"items": [{"name": "KEY_OLD_2"}]}),
        [],
        noise=noise("/items" + KEY_NOISE, "/items/*/name"),
    ),
    row(
        "a-map-of-records",
        ok({"map": {"a": {}, "b": {}}}),
        ok({"map": {"a": {}}}),
        [("state_divergence", "warning", "could_not_check", "/map", 1, 0, "records")],
    ),
    row(
        "arrays-of-values-by-index",
        ok({"extra": [1, 2]}),
        ok({"extra": [1, 2, 3]}),
        [("removed", "breaking", "spec_gap", "/extra/2", None, "number", "")],
    ),
    # 9. headers
    row(
        "a-vendor-header-missing",
        ok({}),
        ok({}, headers={"x-correlation-id": "1"}),
        [("header", "warning", "spec_gap", "header:x-correlation-id", "absent", "present", "")],
    ),
    row(
        "retry-after-by-form",
        ok({"error": "SLOW"}, 429, {"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}),
        ok({"error": "SLOW"}, 429, {"retry-after": "3"}),
        [("header", "warning", "spec_gap", "header:retry-after", "http-date", "seconds", "")],
    ),
    row(
        "www-authenticate-by-scheme",
        ok({"error": "AUTH"}, 401, {"www-authenticate": 'Basic realm="x"'}),
        ok({"error": "AUTH"}, 401, {"www-authenticate": "Bearer"}),
        [("header", "warning", "spec_gap", "header:www-authenticate", "basic", "bearer", "")],
    ),
    row(
        "location-by-presence",
        ok({}, headers={"location": "/things/1"}),
        ok({}),
        [("header", "warning", "spec_gap", "header:location", "present", "absent", "")],
    ),
    row(
        "not-json-at-all",
        Answer(200, {"content-type": "text/html"}, EMPTY),
        ok({"name": "a"}),
        [
            (
                "header",
                "breaking",
                "vendor_off_spec",
                "header:content-type",
                "text/html",
                "application/json",
                "",
            ),
            ("type", "breaking", "emulator_gap", "", "none", "object", ""),
        ],
    ),
    row(
        "a-sunset-header",
        ok({}, headers={"sunset": "Wed, 21 Oct 2026 07:28:00 GMT"}),
        ok({}),
        [("deprecation", "warning", "spec_gap", "header:sunset", "present", "absent", "")],
    ),
    # 10. could not check
    row(
        "an-upstream-5xx",
        ok({"error": "DOWN"}, 503),
        ok({"name": "a"}),
        [("could_not_check", "warning", "could_not_check", "", 503, 200, "upstream failure")],
    ),
    row(
        "an-upstream-timeout",
        Answer.unanswered("timeout"),
        ok({"name": "a"}),
        [("could_not_check", "warning", "could_not_check", "", None, None, "timeout")],
    ),
    row(
        "the-same-5xx-from-both-is-compared",
        ok({"error": "INTERNAL_ERROR"}, 500),
        ok({"error": "INTERNAL"}, 500),
        [("value", "breaking", "spec_gap", "/error", "INTERNAL_ERROR", "INTERNAL", "code")],
    ),
]


def _context(options: Mapping[str, Any], status: int) -> Context:
    return Context(
        where=WHERE,
        profile=options.get("profile", PROFILE),
        schema=response_schema(DOCUMENT, "/things", "get", status),
        request_violations=options.get("request_violations", ()),
        response_violations=options.get("response_violations", ()),
        noise=options.get("noise", noise()),
        ids=options.get("ids", IdMap()),
        known_secret=options.get("known_secret", lambda value: False),
    )


def _signatures(real: Answer, emulated: Answer, options: Mapping[str, Any]) -> list[Any]:
    findings = compare(real, emulated, _context(options, real.status)).findings
    return [
        (str(f.kind), str(f.severity), str(f.attribution), f.location, f.real, f.emulated, f.detail)
        for f in findings
    ]


@table(ROWS)
def test_rule(
    real: Answer, emulated: Answer, options: Mapping[str, Any], expected: list[Any]
) -> None:
    assert sorted(_signatures(real, emulated, options), key=repr) == sorted(expected, key=repr)


POSSIBLE = {
    (Kind.STATUS, Severity.BREAKING, Attribution.EMULATOR_GAP),
    (Kind.STATUS, Severity.BREAKING, Attribution.VENDOR_OFF_SPEC),
    (Kind.STATUS, Severity.BREAKING, Attribution.SPEC_GAP),
    (Kind.REMOVED, Severity.BREAKING, Attribution.EMULATOR_GAP),
    (Kind.REMOVED, Severity.BREAKING, Attribution.VENDOR_OFF_SPEC),
    (Kind.REMOVED, Severity.BREAKING, Attribution.SPEC_GAP),
    (Kind.ADDED, Severity.INFO, Attribution.SPEC_GAP),
    (Kind.ADDED, Severity.INFO, Attribution.EMULATOR_GAP),
    (Kind.ADDED, Severity.WARNING, Attribution.SPEC_GAP),
    (Kind.TYPE, Severity.BREAKING, Attribution.EMULATOR_GAP),
    (Kind.TYPE, Severity.BREAKING, Attribution.VENDOR_OFF_SPEC),
    (Kind.TYPE, Severity.BREAKING, Attribution.SPEC_GAP),
    (Kind.VALUE, Severity.BREAKING, Attribution.EMULATOR_GAP),
    (Kind.VALUE, Severity.BREAKING, Attribution.SPEC_GAP),
    (Kind.VALUE, Severity.WARNING, Attribution.EMULATOR_GAP),
    (Kind.VALUE, Severity.WARNING, Attribution.SPEC_GAP),
    (Kind.VALUE, Severity.INFO, Attribution.EMULATOR_GAP),
    (Kind.HEADER, Severity.WARNING, Attribution.SPEC_GAP),
    (Kind.HEADER, Severity.BREAKING, Attribution.VENDOR_OFF_SPEC),
    (Kind.DEPRECATION, Severity.WARNING, Attribution.SPEC_GAP),
    (Kind.REQUEST_OFF_SPEC, Severity.WARNING, Attribution.SPEC_GAP),
    (Kind.RESPONSE_OFF_SPEC, Severity.WARNING, Attribution.VENDOR_OFF_SPEC),
    (Kind.COULD_NOT_CHECK, Severity.WARNING, Attribution.COULD_NOT_CHECK),
    (Kind.STATE_DIVERGENCE, Severity.WARNING, Attribution.COULD_NOT_CHECK),
}
"""Every (kind, severity, attribution) the rules can give."""


def test_the_rows_cover_every_kind_severity_and_attribution() -> None:
    covered = {
        (Kind(kind), Severity(severity), Attribution(attribution))
        for r in ROWS
        for kind, severity, attribution, *_ in r.expected
    }
    assert covered == POSSIBLE
    assert {k for k, _, _ in covered} == set(Kind)
    assert {s for _, s, _ in covered} == set(Severity)
    assert {a for _, _, a in covered} == set(Attribution)


def test_a_could_not_check_is_never_breaking() -> None:
    for r in ROWS:
        for kind, severity, *_ in r.expected:
            if kind in ("could_not_check", "state_divergence"):
                assert severity != "breaking"


def test_ids_are_learnt_from_successful_answers_only() -> None:
    created = compare(ok({"id": "r1"}), ok({"id": "s1"}), _context({}, 200))
    assert created.learned_ids == {"r1": "s1"}
    refused = compare(ok({"id": "r1"}, 404), ok({"id": "s1"}, 404), _context({}, 404))
    assert refused.learned_ids == {}


def test_parted_records_are_named_for_the_resync() -> None:
    real = ok({"items": [{"name": "a"}, {"name": "c"}]})
    emulated = ok({"items": [{"name": "a"}, {"name": "b"}]})
    [parted] = compare(real, emulated, _context({}, 200)).parted
    assert (parted.location, parted.only_real, parted.only_emulated) == ("/items", ("c",), ("b",))


def test_findings_never_show_a_string_value() -> None:
    secret = "sk-live-never-shown"
    real = ok({"name": secret, "value": secret, "extra": secret, "message": secret})
    emulated = ok({"name": "x", "value": "y", "message": "z"})
    context = _context({"known_secret": lambda value: True}, 200)
    for finding in compare(real, emulated, context).findings:
        assert secret not in repr(finding.as_dict())


def test_an_operation_the_spec_lacks_is_the_specs_gap() -> None:
    where = Where("acme", None, "GET", "/v2/secrets")
    context = Context(where=where, profile=PROFILE, schema=SchemaNode(DOCUMENT, None))
    findings = compare(ok({"items": []}), ok({"error": "NO_ROUTE"}, 404), context).findings
    assert [(f.kind, f.attribution) for f in findings] == [(Kind.STATUS, Attribution.SPEC_GAP)]


def test_an_unrouted_request_is_compared_with_no_schema() -> None:
    context = Context(
        where=Where("acme", None, "GET", "/nope"),
        profile=PROFILE,
        schema=SchemaNode(DOCUMENT, None),
    )
    findings = compare(ok({"error": "A"}, 404), ok({"error": "B"}, 404), context).findings
    assert [(f.kind, f.attribution) for f in findings] == [(Kind.VALUE, Attribution.SPEC_GAP)]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_an_upstream_that_did_not_process_the_request_is_no_drift(status: int) -> None:
    findings = compare(ok({"error": "X"}, status), ok({"name": "a"}), _context({}, status)).findings
    assert [(f.kind, f.severity) for f in findings] == [(Kind.COULD_NOT_CHECK, Severity.WARNING)]


@pytest.mark.parametrize(
    ("content_type", "data", "body"),
    [
        ("application/json; charset=utf-8", b'{"a": 1}', {"a": 1}),
        ("application/problem+json", b"[1]", [1]),
        ("", b'{"a": 1}', {"a": 1}),
        ("text/html", b"<h1>Bad gateway</h1>", UNREADABLE),
        ("application/json", b"{oops", UNREADABLE),
        ("application/json", b"", EMPTY),
    ],
)
def test_answers_from_the_wire(content_type: str, data: bytes, body: Any) -> None:
    answer = Answer.parse(200, [("Content-Type", content_type)], data)
    assert answer.body == body if isinstance(body, dict | list) else answer.body is body
    assert answer.headers == {"content-type": content_type} and answer.data == data
    assert Answer.unanswered("timeout").answered is False
