"""What the drift check must find in the drift corpus (tests/drift/corpus.py): the
documented older servers' differences, and a table of mutations of the upstream's
answers with the findings each makes. Shared by the in-process tests and those over
real sockets (test_proxy.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

from secretmock.drift import Answer, Finding
from tests.drift.corpus import FW, IF, LW, Exchange

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


BODY_PARSER_STATUSES = {
    "request entity too large": 413,
    "too many parameters": 413,
    "unsupported charset": 415,
}
"""body-parser's refusals, by the start of their message, with the status the error
middleware kept before 2026-05-22 (docs/vendors/insforge.md: the current server answers
each 500 ``INTERNAL_ERROR``)."""


def body_parser_status(status: int, code: Any, message: Any) -> int | None:
    """The older InsForge server's status for a body-parser refusal the current server
    answered ``status`` 500 ``code`` ``INTERNAL_ERROR`` with ``message``; ``None`` for
    any other answer."""
    if status != 500 or code != "INTERNAL_ERROR" or not isinstance(message, str):
        return None
    return next((s for m, s in BODY_PARSER_STATUSES.items() if message.startswith(m)), None)


def anon_rotation_unknown(status: int, code: Any) -> set[Signature]:
    """InsForge before 2026-06-11 has no anon-key rotation: Express's 404 ``NOT_FOUND``,
    whatever the request (its credentials are never read), for the current server's
    ``status`` (an error envelope's ``code`` when it refused the request)."""
    if status == 404:
        return set()
    if status < 400:
        return {("status", "breaking", "emulator_gap", "", 404, status, "status_class")}
    return {
        ("status", "breaking", "emulator_gap", "", 404, status, "status_code"),
        ("value", "breaking", "emulator_gap", "/statusCode", 404, status, "code"),
        ("value", "breaking", "emulator_gap", "/error", "NOT_FOUND", code, "code"),
        ("value", "info", "emulator_gap", "/message", "string", "string", "message"),
        ("value", "info", "emulator_gap", "/nextActions", "string", "string", "message"),
    }


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
        if exchange.request.path.endswith("/anon-key/rotate"):
            return anon_rotation_unknown(current.status, code)
        older = body_parser_status(current.status, code, body.get("message"))
        if older is not None:
            return {("status", "breaking", "emulator_gap", "", older, 500, "status_class")}
    if exchange.vendor == "langwatch":
        if current.status == 422 and body.get("error") == "validation_error":
            return ZOD_RESULT_400
        if current.status == 400 and body.get("error") == "malformed_request":
            return HONO_MALFORMED_400
    return set()


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
