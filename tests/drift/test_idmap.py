"""Ids mapped between the real vendor and the emulator; format classes and masked
messages."""

from __future__ import annotations

import json

import pytest

from secretmock.drift.formats import masked_message, time_format
from secretmock.drift.idmap import IdMap
from secretmock.engine.incoming import incoming_request


def test_a_pair_is_learnt_once_both_ways() -> None:
    ids = IdMap()
    ids.learn({"r1": "s1"})
    ids.learn({"r1": "s2", "r2": "s1"})  # neither contradicts the first pair
    assert (ids.emulated_of("r1"), ids.real_of("s1"), len(ids)) == ("s1", "r1", 1)


def test_a_request_reaches_the_emulator_with_its_own_ids() -> None:
    ids = IdMap()
    ids.learn({"Xa9_real-id": "Yb0_shadow", "ik_real": "ik_shadow", "same": "same"})
    body = json.dumps({"ref": "Xa9_real-id", "keep": "other", "n": 1}).encode()
    request = incoming_request(
        "PUT",
        "/api/secrets/Xa9_real-id",
        "id=Xa9_real-id&x=1",
        [
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer ik_real"),
            ("x-api-key", "ik_real"),
        ],
        body,
    )
    rewritten = ids.rewrite(request, ("authorization", "x-api-key"))
    assert rewritten.path == "/api/secrets/Yb0_shadow"
    assert rewritten.query_string == "id=Yb0_shadow&x=1"
    assert json.loads(rewritten.body) == {"ref": "Yb0_shadow", "keep": "other", "n": 1}
    assert rewritten.headers["authorization"] == "Bearer ik_shadow"
    assert rewritten.headers["x-api-key"] == "ik_shadow"
    assert request.path == "/api/secrets/Xa9_real-id"  # the client's request is untouched


def test_percent_encoded_segments_are_mapped() -> None:
    ids = IdMap()
    ids.learn({"a b": "c/d"})
    request = incoming_request("GET", "/x/a%20b", "", [], b"")
    assert ids.rewrite(request).path == "/x/c%2Fd"


def test_nothing_to_rewrite_is_the_same_request() -> None:
    ids = IdMap()
    ids.learn({"same": "same"})
    request = incoming_request(
        "POST", "/same", "", [("content-type", "application/json")], b"{oops"
    )
    assert ids.rewrite(request) is request
    ids.learn({"r": "s"})
    assert ids.rewrite(request) is request  # a body that does not parse stays as sent


@pytest.mark.parametrize(
    ("value", "numbers", "expected"),
    [
        ("2026-01-02T03:04:05.000Z", False, "rfc3339 T 3 fraction digits, zone Z"),
        ("2026-01-02T03:04:05+02:00", False, "rfc3339 T 0 fraction digits, zone offset"),
        ("2026-01-02 03:04:05.123456", False, "rfc3339 space 6 fraction digits, zone none"),
        ("2026-01-02", False, "date"),
        ("STRIPE_API_KEY", False, None),
        (1767323045, True, "unix seconds"),
        (1767323045.5, True, "unix seconds, fraction"),
        (1767323045000, True, "unix milliseconds"),
        (1767323045000, False, None),
        (42, True, None),
        (True, True, None),
    ],
)
def test_time_format(value: object, numbers: bool, expected: str | None) -> None:
    assert time_format(value, numbers) == expected


def test_masked_message() -> None:
    assert masked_message("secret 123e4567-e89b-12d3-a456-426614174000 gone") == "secret <id> gone"
    assert masked_message("key Yb0xk2j3h4g5f6 of org 42") == "key <id> of org #"
    assert masked_message("no secret with this alias") == "no secret with this alias"
