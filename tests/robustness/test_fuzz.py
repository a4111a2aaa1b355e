"""A property-based fuzz of every operation of every spec, over a real socket.

One ``secretmock serve`` process answers every example. For each operation, hypothesis
draws a body (a well-shaped one with fields gone wrong, any JSON value with NaN,
Infinity and lone surrogates among its leaves, raw bytes, or nothing), a content type,
path segments, a query and a credential, and checks three properties:

* the answer is below 500 and is JSON (the pipeline turns an answer outside the spec
  into a 500, so this also means "valid against the vendor's spec");
* a refused request (status >= 400) leaves the tenant's state exactly as it was;
* no secret is recorded or printed: every string sent in a secret field, every string
  of a body that is not a valid one, and every bad credential carry ``MARKER``, and the
  marker is looked for, once the fuzz is over, in the journal, the violations, both
  reports (JSON and JUnit) and the server's stdout and stderr.

The draw is derandomized and the example counts bounded (``SETTINGS``), so a run is
repeatable and takes seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretmock.engine.specs import load_spec
from secretmock.resources import spec_path
from secretmock.vendors import all_vendors
from tests.robustness.serve import Served

MARKER = "ZZSECRETZZ"
"""Carried by every string the emulator must never record."""

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

ADMINS = {  # vendor -> (tenant, admin token) of the default fixtures
    "prismeai": ("ws1", "prisme-test-ws1"),
    "langwatch": ("project-demo", "sk-lw-test-demo"),
    "instabase": ("acme-org", "ib-test-admin"),
    "insforge": ("demo-project", "ik_test_demo_admin"),
    "fireworks": ("acme", "fw-test-acme"),
}
CONTEXT = {"instabase": {"IB-Context": "acme-org"}}
"""Headers a vendor needs beside the credential to reach the tenant."""
NAMES = {  # vendor -> names of stored secrets in the default fixtures, for path segments
    "prismeai": ["openaiApiKey", "allowedModels"],
    "langwatch": ["demo_openai_key_00001"],
    "instabase": ["my_secret"],
    "insforge": ["STRIPE_API_KEY", "API_KEY"],
    "fireworks": ["s1", "openai-key"],
}
TENANT_PARAMETERS = frozenset({"workspaceId", "account_id"})


class Operation(NamedTuple):
    vendor: str
    operation_id: str
    method: str
    path: str
    """With the vendor's prefix and base path: ``/insforge/api/secrets/{key}``."""
    body_schema: dict[str, Any] | None
    query: tuple[str, ...]


def _resolve(node: Any, document: dict[str, Any]) -> Any:
    """``node`` with every local ``$ref`` replaced by what it points to."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(target, document)
        return {key: _resolve(value, document) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, document) for item in node]
    return node


def _operations() -> list[Operation]:
    found = []
    for vendor in all_vendors():
        loaded = load_spec(spec_path(vendor.spec_file))
        for template, item in loaded.document["paths"].items():
            shared = _resolve(item.get("parameters", []), loaded.document)
            for method, raw in item.items():
                if method not in {"get", "put", "post", "patch", "delete"}:
                    continue
                operation = _resolve(raw, loaded.document)
                parameters = operation.get("parameters", []) + shared
                content = operation.get("requestBody", {}).get("content", {})
                found.append(
                    Operation(
                        vendor.name,
                        operation["operationId"],
                        method,
                        f"/{vendor.name}{loaded.base_path}{template}",
                        content.get("application/json", {}).get("schema"),
                        tuple(p["name"] for p in parameters if p.get("in") == "query"),
                    )
                )
    return found


OPERATIONS = _operations()

# Strategies

LONE_SURROGATES = ["\ud800", "\udfff", "a\ud83d", "\udc00b"]
odd_text = st.one_of(
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12),
    st.sampled_from(LONE_SURROGATES),
)  # any code point, lone surrogates far more often than chance would draw them
plain_text = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-0123456789",
    min_size=1,
    max_size=12,
)
marked_text = odd_text.map(lambda text: MARKER + text)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
any_json = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, marked_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(plain_text, inner, max_size=4)
    ),
    max_leaves=12,
)


def _value_for(schema: dict[str, Any], secret: bool) -> st.SearchStrategy[Any]:
    """A value of the schema's type, not always a valid one: close to valid is the point."""
    if secret:  # any type: Prisme.ai values may be numbers, NaN and Infinity included
        return st.one_of(marked_text, numbers)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type", "string")
    kind = kinds[0] if isinstance(kinds, list) else kinds
    if kind == "string":
        return st.one_of(plain_text, odd_text)
    if kind in {"integer", "number"}:
        return numbers
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(_value_for(schema.get("items", {}), False), max_size=3)
    if kind == "object":
        return _object_for(schema)
    return any_json


def _object_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    properties = schema.get("properties", {})
    if not properties:
        extra = schema.get("additionalProperties")
        values = _object_for(extra) if isinstance(extra, dict) else any_json
        return st.dictionaries(plain_text, values, max_size=3)
    fields = {name: _value_for(sub, name == "value") for name, sub in properties.items()}
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {k: v for k, v in fields.items() if k in required},
        optional={k: v for k, v in fields.items() if k not in required},
    )


def _dumps(document: Any) -> bytes:
    """JSON as a careless client writes it: NaN and Infinity as bare words, a lone
    surrogate as a ``\\ud800`` escape."""
    return json.dumps(document, allow_nan=True).encode()


def _body(operation: Operation) -> st.SearchStrategy[bytes]:
    schema = operation.body_schema
    shaped = (_object_for(schema) if schema else st.just({})).map(_dumps)
    raw = st.binary(max_size=40).map(lambda data: MARKER.encode() + data)
    return st.one_of(shaped, shaped, any_json.map(_dumps), raw, st.just(b""))


class Draw(NamedTuple):
    path: str
    query: str
    body: bytes
    content_type: str
    good_credential: bool


def _request(operation: Operation) -> st.SearchStrategy[Draw]:
    tenant, _ = ADMINS[operation.vendor]
    known = st.sampled_from(NAMES[operation.vendor])
    segment = st.one_of(known, known, known, plain_text, odd_text.filter(bool))

    def fill(values: list[str]) -> str:
        path, index = operation.path, 0
        while "{" in path:
            start, end = path.index("{"), path.index("}")
            value = tenant if path[start + 1 : end] in TENANT_PARAMETERS else values[index]
            index = (index + 1) % len(values)
            quoted = urllib.parse.quote(value.encode("utf-8", "surrogatepass"), safe="")
            path = path[:start] + quoted + path[end + 1 :]
        return path

    def encode_query(query: dict[str, str]) -> str:
        pairs = {k: v.encode("utf-8", "surrogatepass") for k, v in query.items()}
        return urllib.parse.urlencode(pairs)

    names = st.sampled_from(operation.query or ("unknown",))
    return st.builds(
        Draw,
        st.lists(segment, min_size=1, max_size=2).map(fill),
        st.dictionaries(names, st.one_of(plain_text, odd_text), max_size=2).map(encode_query),
        _body(operation),
        st.sampled_from(["application/json"] * 3 + ["application/json; charset=utf-8", ""]),
        st.sampled_from([True, True, True, False]),
    )


# The server, and what it must never record


class Fuzzed:
    """The server under fuzz, its session, and the marked strings sent to it."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.session = requests.Session()

    def tenant(self, vendor: str) -> Any:
        tenant, _ = ADMINS[vendor]
        url = f"{self.served.url}/__admin__/tenants/{vendor}/{tenant}"
        response = self.session.get(url, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    workdir = tmp_path_factory.mktemp("fuzz")
    with Served(workdir, "--report", "report.json") as served:
        yield Fuzzed(served)


def confirmed_500(operation: Operation, answer: Any) -> bool:
    """A 500 the real service gives to that very mistake (docs/vendors/insforge.md: a
    PUT with nothing to update), which the emulator gives too."""
    return (
        operation.operation_id == "updateSecret"
        and operation.vendor == "insforge"
        and isinstance(answer, dict)
        and str(answer.get("message", "")).startswith("Failed to update secret")
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=[o.operation_id for o in OPERATIONS])
def test_every_answer_is_json_below_500_and_refusals_change_nothing(
    fuzzed: Fuzzed, operation: Operation
) -> None:
    _, token = ADMINS[operation.vendor]

    @SETTINGS
    @given(draw=_request(operation))
    def check(draw: Draw) -> None:
        credential = token if draw.good_credential else f"{MARKER}-bad-token"
        headers = {"Authorization": f"Bearer {credential}", **CONTEXT.get(operation.vendor, {})}
        if draw.content_type:
            headers["Content-Type"] = draw.content_type
        before = fuzzed.tenant(operation.vendor)
        url = fuzzed.served.url + draw.path + ("?" + draw.query if draw.query else "")
        response = fuzzed.session.request(
            operation.method.upper(), url, data=draw.body, headers=headers, timeout=10
        )
        what = f"{draw!r} -> {response.status_code} {response.text[:300]}"
        assert response.headers.get("content-type", "").startswith("application/json"), what
        answer = json.loads(response.content)
        assert response.status_code < 500 or confirmed_500(operation, answer), what
        if response.status_code >= 400:
            assert fuzzed.tenant(operation.vendor) == before, what

    check()


def test_nothing_secret_is_recorded_or_printed(fuzzed: Fuzzed, tmp_path: Path) -> None:
    """Runs after the fuzz (the same module and server; alone, after the few marked
    requests it sends itself): the journal, the violations, both reports and the
    server's output hold no marked string."""
    served = fuzzed.served
    for operation in OPERATIONS:
        _, token = ADMINS[operation.vendor]
        for credential, body in ((token, [MARKER]), (f"{MARKER}-bad", {"value": MARKER})):
            fuzzed.session.request(
                operation.method.upper(),
                served.url + operation.path.replace("{", "").replace("}", ""),
                json=body,
                headers={"Authorization": f"Bearer {credential}"},
                timeout=10,
            )
    recorded = {
        endpoint: fuzzed.session.get(f"{served.url}/__admin__/{endpoint}", timeout=10).text
        for endpoint in ("journal", "violations")
    }
    junit = tmp_path / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "secretmock", "report", "--url", served.url, "--junit", str(junit)],
        capture_output=True,
        timeout=60,
    )
    assert served.stop() == 0
    recorded["junit"] = junit.read_text()
    recorded["report"] = (served.workdir / "report.json").read_text()
    recorded["stdout"], recorded["stderr"] = served.stdout(), served.stderr()
    assert len(json.loads(recorded["journal"])["entries"]) >= 2 * len(OPERATIONS)
    for name, text in recorded.items():
        at = text.find(MARKER)
        assert at == -1, f"{name} holds a marked value: ...{text[max(0, at - 100) : at + 60]}"
