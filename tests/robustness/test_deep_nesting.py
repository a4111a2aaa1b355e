"""Deep nesting (newcomer review D3): a body, an admin document, a fixtures file or a
state file nested deeper than ``json_values.MAX_DEPTH`` (256) levels is refused as
unreadable, with the vendor's own malformed-body 400 on a vendor path, and nothing
changes; anything nested up to the limit is stored, answered, journaled, and the whole
state holding it reads back. Over both transports (the ``api`` fixture).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError
from secretmock.engine.json_values import DOCUMENT_DEPTH, MAX_DEPTH, UnreadableJson, loads
from secretmock.serve.state_file import StateFileError, load_state_file
from secretmock.vendors import all_vendors
from tests.conftest import Api
from tests.helpers import table
from tests.robustness.test_unreadable_values import (
    FIREWORKS,
    INSFORGE,
    INSTABASE,
    LANGWATCH,
    PRISME,
    PRISME_SECRETS,
    TENANTS,
)


def nested(levels: int) -> str:
    """A JSON array nested ``levels`` deep: ``nested(1)`` is ``[]``."""
    return "[" * levels + "]" * levels


def body_of_depth(levels: int) -> str:
    """A body nested ``levels`` deep in all, two of them its own: a Prisme.ai secret
    named ``value``, a wrong ``value`` for the other vendors."""
    return '{"value": {"value": ' + nested(levels - 2) + "}}"


class Write(NamedTuple):
    id: str
    vendor: str
    method: str
    path: str
    headers: dict[str, str]


WRITES = [
    Write("prismeai-put", "prismeai", "PUT", PRISME_SECRETS, PRISME),
    Write("prismeai-patch", "prismeai", "PATCH", PRISME_SECRETS, PRISME),
    Write("insforge-create", "insforge", "POST", "/insforge/api/secrets", INSFORGE),
    Write("insforge-update", "insforge", "PUT", "/insforge/api/secrets/STRIPE_API_KEY", INSFORGE),
    Write("instabase-create", "instabase", "POST", "/instabase/api/v2/aihub/secrets", INSTABASE),
    Write("langwatch-create", "langwatch", "POST", "/langwatch/api/secrets", LANGWATCH),
    Write(
        "fireworks-create", "fireworks", "POST", "/fireworks/v1/accounts/acme/secrets", FIREWORKS
    ),
]


def the_malformed_answer(api: Api, write: Write) -> tuple[int, Any]:
    """What the vendor answers a body that does not parse, without its message."""
    answer = api.request(write.method, write.path, headers=write.headers, data=b'{"n":')
    return answer.status_code, without_messages(answer.json())


def without_messages(body: Any) -> Any:
    """The body with every text that quotes the parser left out."""
    if isinstance(body, dict):
        return {k: without_messages(v) for k, v in body.items() if k not in {"message"}}
    if isinstance(body, list):
        return [without_messages(item) for item in body]
    return body


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 600, 100_000])
@table(WRITES)
def test_a_body_nested_too_deeply_gets_the_vendors_malformed_body_400(
    api: Api, vendor: str, method: str, path: str, headers: dict[str, str], levels: int
) -> None:
    write = Write("", vendor, method, path, headers)
    tenant_url = f"/__admin__/tenants/{vendor}/{TENANTS[vendor]}"
    before = api.request("GET", tenant_url).json()
    answer = api.request(method, path, headers=headers, data=body_of_depth(levels))
    assert (answer.status_code, without_messages(answer.json())) == the_malformed_answer(api, write)
    if vendor != "langwatch":  # its malformed-body answer does not quote the parser
        assert "nested too deeply" in json.dumps(answer.json())
    assert api.request("GET", tenant_url).json() == before
    assert api.request("GET", "/__admin__/state").status_code == 200


@table(WRITES)
def test_a_body_nested_to_the_limit_is_not_refused_as_malformed(
    api: Api, vendor: str, method: str, path: str, headers: dict[str, str]
) -> None:
    """Within the limit the body parses: it may still break the vendor's schema (every
    vendor's value but Prisme.ai's is a string), but it is never called unreadable."""
    answer = api.request(method, path, headers=headers, data=body_of_depth(MAX_DEPTH))
    assert "nested too deeply" not in json.dumps(answer.json())
    expected = {"prismeai": 200, "langwatch": 422}.get(vendor, 400)  # the schema's answer
    assert answer.status_code == expected, answer.json()
    assert answer.json() != the_malformed_answer(api, Write("", vendor, method, path, headers))


def test_the_reviews_prisme_write_is_refused_and_changes_nothing(api: Api) -> None:
    """The review's case: a 600-deep value beside a change and a new secret once gave a
    500 after deleting and changing other secrets."""
    before = api.request("GET", PRISME_SECRETS, headers=PRISME).json()
    body = (
        '{"openaiApiKey": {"value": "changed"}, "newOne": {"value": "n"}, '
        '"deep": {"value": ' + nested(600) + "}}"
    )
    for method in ("PUT", "PATCH"):
        answer = api.request(method, PRISME_SECRETS, headers=PRISME, data=body)
        assert answer.status_code == 400, answer.json()
        assert answer.json()["error"] == "RequestValidationError"
        assert api.request("GET", PRISME_SECRETS, headers=PRISME).json() == before


def test_a_value_at_the_limit_is_stored_answered_and_its_state_reads_back(api: Api) -> None:
    value = loads(nested(MAX_DEPTH - 2))
    answer = api.request("PATCH", PRISME_SECRETS, headers=PRISME, json={"deep": {"value": value}})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["deep"]["value"] == value
    read = api.request("GET", PRISME_SECRETS, headers=PRISME)
    assert read.status_code == 200 and read.json()["deep"]["value"] == value
    assert api.request("GET", "/__admin__/tenants/prismeai/ws1").status_code == 200
    assert api.request("GET", "/__admin__/journal").status_code == 200
    state = api.request("GET", "/__admin__/state")
    assert state.status_code == 200
    restored = api.request("PUT", "/__admin__/state", json=state.json())
    assert restored.status_code == 200, restored.json()
    assert restored.json() == state.json(), "the round trip is exact"


class AdminBody(NamedTuple):
    id: str
    method: str
    path: str
    body: str
    error: str


def deep_state(levels: int) -> str:
    """A state document whose one Prisme.ai record holds a value ``levels`` deep."""
    record = (
        '{"name": "deep", "id": "i", "value": ' + nested(levels) + ', "description": "", '
        '"created_at": "t", "created_by": "u", "updated_at": "t", "updated_by": "u"}'
    )
    return (
        '{"format": 1, "vendors": {"prismeai": {"tenants": {"ws1": {"credentials": [], '
        '"secrets": {"deep": ' + record + "}}}}}}"
    )


ADMIN_BODIES = [
    AdminBody(
        "tenant-past-parsing",
        "PUT",
        "/__admin__/tenants/prismeai/ws9",
        '{"secrets": [{"name": "a", "value": ' + nested(DOCUMENT_DEPTH) + "}]}",
        "malformed_json",
    ),
    AdminBody(
        "tenant-value-past-the-limit",
        "PUT",
        "/__admin__/tenants/prismeai/ws9",
        '{"secrets": [{"name": "a", "value": ' + nested(MAX_DEPTH) + "}]}",
        "invalid_tenant",
    ),
    AdminBody("state-past-parsing", "PUT", "/__admin__/state", deep_state(600), "malformed_json"),
    AdminBody(
        "state-value-past-the-limit",
        "PUT",
        "/__admin__/state",
        deep_state(MAX_DEPTH + 1),
        "invalid_state",
    ),
    AdminBody(
        "fault-rule",
        "POST",
        "/__admin__/faults",
        '{"vendor": "fireworks", "status": 503, "x": ' + nested(100_000) + "}",
        "malformed_json",
    ),
    AdminBody(
        "clock", "PUT", "/__admin__/clock", '{"now": ' + nested(DOCUMENT_DEPTH + 1) + "}",
        "malformed_json",
    ),
]  # fmt: skip


@table(ADMIN_BODIES)
def test_an_admin_body_nested_too_deeply_is_refused_and_changes_nothing(
    api: Api, method: str, path: str, body: str, error: str
) -> None:
    before = api.request("GET", "/__admin__/state").json()
    answer = api.request(method, path, headers={"Content-Type": "application/json"}, data=body)
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error"] == error
    assert "nested too deeply" in answer.json()["message"]
    assert api.request("GET", "/__admin__/state").json() == before
    assert api.request("GET", "/__admin__/faults").json() == {"faults": []}


def test_a_state_value_past_the_limit_is_named_by_its_place(api: Api) -> None:
    answer = api.request(
        "PUT",
        "/__admin__/state",
        headers={"Content-Type": "application/json"},
        data=deep_state(MAX_DEPTH + 1),
    )
    assert answer.json()["message"].startswith(
        "vendors.prismeai.tenants.ws1.secrets.deep.value: nested too deeply: more than 256"
    )


def test_a_fixtures_file_nested_too_deeply_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(
        "tenants:\n- vendor: prismeai\n  id: w\n  secrets:\n"
        f"  - {{name: a, value: {nested(MAX_DEPTH)}}}\n"
    )
    with pytest.raises(FixtureError) as refused:
        Emulator(all_vendors(), [path])
    assert str(path) in str(refused.value)
    assert "tenants[0] (prismeai/w): nested too deeply: more than 256 levels" in str(refused.value)


def test_a_fixtures_file_past_the_yaml_parsers_own_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deeper.yaml"
    path.write_text(f"tenants: {nested(5000)}\n")
    with pytest.raises(FixtureError, match="cannot read the fixtures file"):
        Emulator(all_vendors(), [path])


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 100_000])
def test_a_state_file_nested_too_deeply_is_refused_at_start(
    tmp_path: Path, emulator: Emulator, levels: int
) -> None:
    path = tmp_path / "state.json"
    path.write_text(deep_state(levels))
    with pytest.raises(StateFileError) as refused:
        load_state_file(emulator, path)
    assert str(path) in str(refused.value) and "nested too deeply" in str(refused.value)


class Depth(NamedTuple):
    id: str
    text: str
    limit: int | None
    refused: bool


DEPTHS = [
    Depth("at-the-limit", nested(MAX_DEPTH), None, False),
    Depth("one-past", nested(MAX_DEPTH + 1), None, True),
    Depth("objects-past", '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), None, True),
    Depth("brackets-in-strings-do-not-count", '["' + "[" * 1000 + '"]', None, False),
    Depth("many-but-shallow", "[" + ",".join(["[]"] * 1000) + "]", None, False),
    Depth("past-the-limit-with-escapes", '["\\u00e9",' + nested(MAX_DEPTH) + "]", None, True),
    Depth("a-document-may-nest-further", nested(DOCUMENT_DEPTH), DOCUMENT_DEPTH, False),
    Depth("but-not-past-its-own-limit", nested(DOCUMENT_DEPTH + 1), DOCUMENT_DEPTH, True),
]


@table(DEPTHS)
def test_loads_counts_every_object_and_array_level(
    text: str, limit: int | None, refused: bool
) -> None:
    if not refused:
        assert loads(text, limit) is not None
        return
    with pytest.raises(UnreadableJson, match="nested too deeply: more than"):
        loads(text, limit)
