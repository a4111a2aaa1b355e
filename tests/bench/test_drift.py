"""The drift benchmark's pieces without timing them: the recording it replays reads
back whole and replays with no finding, and its proxy command names every vendor."""

from __future__ import annotations

from bench import drift
from bench.workloads import SEED_UPDATES
from secretmock.drift import DriftChecker
from secretmock.drift.record import read_recording
from secretmock.serve.proxy import shadow_emulators
from secretmock.serve.settings import ServeSettings


def test_the_recording_replays_with_no_finding() -> None:
    exchanges = list(read_recording(drift.recording(20).splitlines()))
    assert len(exchanges) == 20
    assert {e.vendor for e in exchanges} == set(SEED_UPDATES)
    assert all(e.answer.status == 200 for e in exchanges)
    checker = DriftChecker(*shadow_emulators(ServeSettings(), set(SEED_UPDATES), 1))
    for exchange in exchanges:
        checker.exchange(exchange.vendor, exchange.request, exchange.answer, exchange.tenancy)
    assert checker.report.document()["findings"] == []


def test_the_proxy_command_forwards_every_vendor_to_its_base_url() -> None:
    command = drift.proxy_command(9001, 9000)
    assert command[command.index("proxy") + 1 :][:2] == ["--port", "9001"]
    upstreams = [a.removeprefix("--upstream=") for a in command if a.startswith("--upstream=")]
    assert "instabase=http://127.0.0.1:9000/instabase/api" in upstreams
    assert len(upstreams) == len(SEED_UPDATES)
