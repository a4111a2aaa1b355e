"""Recordings: no secret value and no credential in clear, equal values equal, another
run other digests; and the offline replay of a recording against a fresh emulator."""

from __future__ import annotations

import base64
import functools
import io
import json

import pytest

from secretmock.drift import DriftChecker
from secretmock.drift.answer import Answer
from secretmock.drift.profiles import PROFILES
from secretmock.drift.record import Recorder, RecordingError, Sealer, read_recording
from tests.drift.corpus import SENTINELS, SEQUENCES, emulator, request, rig, run_sequence

TOKENS = [
    "fw-test-acme",
    "ib-test-admin",
    "sk-lw-test-demo",
    "ik_test_demo_admin",
    "prisme-test-ws1",
]
"""The default fixtures' credentials the sequences send."""
TOKEN_TAILS = ["test-acme", "test-admin", "test-demo", "test_demo_admin", "test-ws1"]
"""What follows each token's public prefix: no digest keeps any of it."""


def test_equal_values_give_equal_digests_and_keep_their_shape() -> None:
    sealer = Sealer()
    token = "sk-lw-abcdefghijklmnop_" + "Q" * 48
    sealed = sealer.text(token, ("sk-lw-",))
    assert sealed == sealer.text(token, ("sk-lw-",))
    assert sealed != token and len(sealed) == len(token)
    assert sealed.startswith("sk-lw-") and sealed[22] == "_"
    assert sealed[6:22].isalpha() and sealed[23:].isupper()
    assert sealer.text("ik_1234", ("ik_",))[3:].isdigit()


def test_another_run_gives_other_digests() -> None:
    assert Sealer().text("a-long-secret-value") != Sealer().text("a-long-secret-value")


def test_json_values_keep_their_types() -> None:
    sealer = Sealer()
    value = {"k": ["gpt4", 17, -2.5, True, None], "n": 1234}
    sealed = sealer.json(value)
    assert sealed["k"][3:] == [True, None] and set(sealed) == {"k", "n"}
    assert [type(v) for v in sealed["k"][:3]] == [str, int, float]
    assert len(str(sealed["n"])) == 4 and sealed["k"][0] != "gpt4"


def test_a_basic_credential_stays_basic_with_its_user() -> None:
    sealer = Sealer()
    header = "Basic " + base64.b64encode(b"project-demo:sk-lw-test-demo").decode()
    sealed = sealer.credential(header, ("sk-lw-",))
    user, _, password = base64.b64decode(sealed.split(" ", 1)[1]).decode().partition(":")
    assert user == "project-demo"
    assert password == sealer.text("sk-lw-test-demo", ("sk-lw-",)) != "sk-lw-test-demo"


def test_a_token_in_a_header_and_in_a_body_gives_the_same_digest() -> None:
    sealer = Sealer()
    key = "ik_" + "ab12" * 16
    assert sealer.credential(f"Bearer {key}", ("ik_",)) == f"Bearer {sealer.text(key, ('ik_',))}"
    assert sealer.document({"apiKey": key}, frozenset({"apiKey"}), ("ik_",)) == {
        "apiKey": sealer.text(key, ("ik_",))
    }


@functools.cache
def _recorded_sequences() -> tuple[str, tuple[str, ...]]:
    """Every vendor's sequence through a twin upstream, recorded; with the keys the
    upstream made (a rotated admin key), which must not appear either (made once)."""
    stream = io.StringIO()
    target = rig(recorder=Recorder(stream, PROFILES))
    made = []
    for vendor in SEQUENCES:
        target.reset()
        for exchange in run_sequence(target, vendor):
            body = exchange.real.body
            if isinstance(body, dict) and "apiKey" in body:
                made += [body["apiKey"], body["apiKey"][3:]]
    return stream.getvalue(), tuple(made)


def test_no_secret_value_or_credential_is_ever_written() -> None:
    recording, made = _recorded_sequences()
    lines = recording.splitlines()
    assert len(lines) == sum(len(steps) for steps in SEQUENCES.values())
    for secret in [*SENTINELS, *TOKENS, *TOKEN_TAILS, *made]:
        assert secret not in recording, secret
    assert "sk-test-prisme-1" not in recording  # a fixture's value the upstream answered
    first = json.loads(lines[0])
    assert set(first) == {"format", "seq", "vendor", "operation", "request", "tenant", "answer"}
    assert first["tenant"] == {"id": "acme", "role": "admin", "user": "acme-admin"}


def test_a_value_stored_then_answered_keeps_one_digest() -> None:
    recording, _ = _recorded_sequences()
    prisme = [json.loads(line) for line in recording.splitlines() if '"prismeai"' in line]
    sent = prisme[0]["request"]["body"]["driftKey"]["value"]
    answered = prisme[1]["answer"]["body"]["driftKey"]["value"]
    assert sent == answered != "pr-sentinel-1"


def test_only_the_headers_the_vendor_reads_are_kept() -> None:
    stream = io.StringIO()
    recorder = Recorder(stream, PROFILES)
    sent = request(
        "instabase",
        "GET",
        "/api/v2/aihub/secrets",
        {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org", "Cookie": "s=1"},
    )
    answer = Answer(200, {"content-type": "application/json", "set-cookie": "s=2"}, {"secrets": []})
    recorder.write("instabase", "list_secrets", sent, answer, None)
    line = json.loads(stream.getvalue())
    assert set(line["request"]["headers"]) == {"authorization", "ib-context"}
    assert line["request"]["headers"]["ib-context"] == "acme-org"
    assert set(line["answer"]["headers"]) == {"content-type"}


def test_a_malformed_body_is_kept_only_as_its_digest() -> None:
    stream = io.StringIO()
    recorder = Recorder(stream, PROFILES)
    sent = request("langwatch", "POST", "/api/secrets", {"X-Auth-Token": "sk-lw-test-demo"})
    sent = type(sent)(
        sent.method,
        sent.path,
        "",
        {"content-type": "application/json"},
        b'{"value": "hunter2" oops',
    )
    recorder.write("langwatch", "postApiSecrets", sent, Answer(400, {}, {"error": "x"}), None)
    line = json.loads(stream.getvalue())
    assert "hunter2" not in stream.getvalue()
    assert line["request"]["text"].startswith('{"')


def test_a_replay_of_a_recording_against_a_fresh_emulator_finds_no_drift() -> None:
    recording, _ = _recorded_sequences()
    shadow, twin = emulator(11, 1.5), emulator(12, 4.75)
    checker = DriftChecker(shadow, twin)
    for recorded in read_recording(recording.splitlines()):
        findings = checker.exchange(
            recorded.vendor, recorded.request, recorded.answer, recorded.tenancy
        )
        assert [f for f in findings if f.severity != "info"] == [], recorded.seq
    document = checker.report.document()
    assert document["exchanges"] == len(recording.splitlines())
    # The digested credentials joined their fixtures' tenants: no tenant of their own.
    assert {t["id"] for t in shadow.tenants()} == {
        "acme",
        "acme-org",
        "project-demo",
        "ws1",
        "demo-project",
    }


def test_a_replay_finds_drift_the_recording_holds() -> None:
    recording, _ = _recorded_sequences()
    lines = [json.loads(line) for line in recording.splitlines()]
    create = next(line for line in lines if line["operation"] == "Gateway_CreateSecret")
    create["answer"]["body"]["keyName"] = "ANOTHER"
    checker = DriftChecker(emulator(11, 1.5), emulator(12, 4.75))
    [recorded] = read_recording([json.dumps(create)])
    findings = checker.exchange(
        recorded.vendor, recorded.request, recorded.answer, recorded.tenancy
    )
    assert [(f.kind, f.detail, f.location) for f in findings] == [("value", "echo", "/keyName")]


@pytest.mark.parametrize(
    "line",
    ["not json", '{"format": 2}', '{"format": 1, "seq": 1}', "[]"],
)
def test_a_bad_line_is_named(line: str) -> None:
    with pytest.raises(RecordingError, match="line 2"):
        list(read_recording(["", line]))


def test_no_secret_reaches_the_report_or_the_shadows_journals() -> None:
    target = rig({"insforge": "before-2026-05-16", "langwatch": "before-2026-07-22"})
    for vendor in SEQUENCES:
        target.reset()
        run_sequence(target, vendor)
    written = json.dumps(target.checker.report.document())
    for emulator_ in (target.shadow, target.twin):
        written += json.dumps([entry.as_dict() for entry in emulator_.journal.entries()])
    assert target.checker.report.document()["findings"], "the older servers differ"
    for secret in [*SENTINELS, *TOKENS]:
        assert secret not in written, secret


def test_a_form_body_keeps_its_fields_with_its_secret_values_digested() -> None:
    """InsForge parses forms as the JSON body they stand for: a recorded form keeps its
    names (repeated ones too) and the non-secret values, digests the secret ones, and
    replays as the same form."""
    stream = io.StringIO()
    recorder = Recorder(stream, PROFILES)
    headers = {
        "Authorization": "Bearer ik_test_demo_admin",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    form = b"key=FORM_KEY&value=hunter2&x=1&x=2"
    sent = request("insforge", "POST", "/api/secrets", headers, data=form)
    recorder.write("insforge", "createSecret", sent, Answer(201, {}, {"success": True}), None)
    text = stream.getvalue()
    assert "hunter2" not in text and "ik_test_demo_admin" not in text
    fields = json.loads(text)["request"]["form"]
    assert [name for name, _ in fields] == ["key", "value", "x", "x"]
    assert fields[0] == ["key", "FORM_KEY"] and fields[2:] == [["x", "1"], ["x", "2"]]
    [replayed] = read_recording(text.splitlines())
    assert replayed.request.body.startswith(b"key=FORM_KEY&value=")
    assert replayed.request.body.endswith(b"&x=1&x=2")
