"""The request path's shortcuts give what the long way gives: the accepted texts a
schema check keeps, the journal's one-walk redaction and size, the compact encoder,
the JSON copy and the UUIDs formatted directly."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest

from secretmock.engine.journal import BODY_BYTES, redact, redact_sized, size
from secretmock.engine.json_values import copy_json, dumps
from secretmock.engine.sources import Sources
from secretmock.engine.specs import load_spec
from secretmock.engine.validation import SpecValidator
from secretmock.engine.validation.compiled import ACCEPTED_KEPT
from secretmock.resources import spec_path

DOCUMENTS: list[Any] = [
    {"a": [1, "xy", {"value": "s", "b": None}], "value": {"x": 1}},
    {"k": [True, 2.5, -3, "é\u2028", {"nested": ["value"]}]},
    [],
    {},
    "text",
    None,
    1e300,
]


def fireworks_update() -> Any:
    spec = load_spec(spec_path("fireworks.yaml"))
    return SpecValidator(spec)["Gateway_UpdateSecret"]


def test_an_accepted_text_is_known_and_a_refused_one_is_refused_every_time() -> None:
    operation = fireworks_update()
    good = {"name": "accounts/acme/secrets/s1", "keyName": "K"}
    bad = {"name": 7, "keyName": "K"}
    for _ in range(3):
        assert operation.check_response(200, dumps(good), good, True) == []
        broken = operation.check_response(200, dumps(bad), bad, True)
        assert [v.location for v in broken] == ["/name"]


def test_bytes_that_may_not_match_the_body_are_not_trusted() -> None:
    """A caller that does not say the bytes are the body encoded (the drift check's
    changed answers) gets the body walked, whatever text was accepted before."""
    operation = fireworks_update()
    good = {"name": "accounts/acme/secrets/s1", "keyName": "K"}
    assert operation.check_response(200, dumps(good), good, True) == []
    changed = {"name": {"not": "a string"}, "keyName": "K"}
    assert [v.location for v in operation.check_response(200, dumps(good), changed)] == ["/name"]


def test_a_check_keeps_a_bounded_number_of_accepted_texts() -> None:
    operation = fireworks_update()
    for n in range(ACCEPTED_KEPT * 3):
        body = {"name": f"accounts/acme/secrets/s{n}", "keyName": "K"}
        assert operation.check_response(200, dumps(body), body, True) == []
    kept = [check for check in operation.checks() if check._accepted]
    assert kept and all(len(check._accepted) <= ACCEPTED_KEPT for check in kept)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_redact_sized_is_redact_and_size(document: Any) -> None:
    redacted, counted = redact_sized(document, frozenset({"value"}))
    assert redacted == redact(document, ["value"])
    assert counted == size(redacted, BODY_BYTES)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_dumps_is_json_dumps_compact(document: Any) -> None:
    expected = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    assert dumps(document) == expected


def test_copy_json_copies_every_container() -> None:
    document = {"a": [{"b": [1]}], "c": "s"}
    copied = copy_json(document)
    assert copied == document
    copied["a"][0]["b"].append(2)
    assert document == {"a": [{"b": [1]}], "c": "s"}


def test_uuid4_is_the_standard_librarys_uuid_of_the_same_bits() -> None:
    sources = Sources(seed=7)
    replay = random.Random()
    for _ in range(500):
        replay.setstate(sources._random.getstate())
        assert sources.uuid4() == str(uuid.UUID(int=replay.getrandbits(128), version=4))
