"""``secretmock proxy`` and ``secretmock drift replay`` as commands: a proxy process in
front of an upstream emulator, its files written at SIGTERM, no secret value and no
credential in any of them nor in what it prints; a recording replayed offline; what
the commands refuse at start-up.
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from secretmock.cli import main
from secretmock.drift.profiles import PROFILES
from secretmock.drift.record import Recorder
from secretmock.engine.emulator import Emulator
from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.store import Credential
from secretmock.serve.background import BackgroundServer
from secretmock.web.app import build_app
from tests.drift.corpus import (
    OLDER_VERSIONS,
    SENTINELS,
    SEQUENCES,
    Exchange,
    emulator,
    rig,
    run_sequence,
    table_requests,
)
from tests.drift.sockets import answer_from
from tests.robustness.serve import wait_for_ready_file

COMMAND = [sys.executable, "-m", "secretmock"]
SENTINEL_TOKENS = {
    ("fireworks", "acme", "fw-test-acme"): "fw-sentinel-token-1f2e",
    ("instabase", "acme-org", "ib-test-admin"): "ib-sentinel-token-3d4c",
    ("langwatch", "project-demo", "sk-lw-test-demo"): "sk-lw-sentinel-token-5b6a",
    ("prismeai", "ws1", "prisme-test-ws1"): "prisme-sentinel-token-7a8b",
}
"""Credentials the upstream knows and the proxy's fixtures do not, standing in for the
sequences' own (the banner prints the fixtures' tokens, as ``serve``'s does). InsForge
keeps its fixture key, the stored API_KEY; its sentinel is the key its rotation makes."""


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[Emulator, BackgroundServer]]:
    """An upstream emulator that also knows the sentinel tokens."""
    upstream = emulator(1, 0)
    for (vendor, tenant_id, known), token in SENTINEL_TOKENS.items():
        store = upstream.pipelines[vendor].store
        tenant = store.get(tenant_id)
        assert tenant is not None
        credential = tenant.credentials[known]
        tenant.credentials[token] = Credential(token, tenant_id, credential.role, credential.user)
    with BackgroundServer(build_app(upstream)) as server:
        yield upstream, server


class Through:
    """The sequences' requests sent to a proxy process, the sentinel tokens in place of
    the fixtures' (a :class:`~tests.drift.corpus.Target`)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.session = requests.Session()
        self.session.headers.clear()
        self.sent = 0

    def send(self, vendor: str, request: IncomingRequest) -> Exchange:
        headers = dict(request.headers)
        for (name, _, known), token in SENTINEL_TOKENS.items():
            if name == vendor:
                headers = {k: v.replace(known, token) for k, v in headers.items()}
        query = f"?{request.query_string}" if request.query_string else ""
        response = self.session.request(
            request.method,
            f"{self.root}/{vendor}{request.path}{query}",
            headers=headers,
            data=request.body or None,
            timeout=30,
        )
        self.sent += 1
        return Exchange(vendor, request, answer_from(response), [])


def test_the_proxy_forwards_records_and_reports_and_no_secret_is_written_or_said(
    upstream: tuple[Emulator, BackgroundServer], tmp_path: Path
) -> None:
    _, server = upstream
    files = {name: tmp_path / name for name in ("rec.ndjson", "d.json", "d.xml", "d.html")}
    ready = tmp_path / "ready.json"
    arguments = [f"--upstream={v}={server.url}/{v}" for v in ("prismeai", "langwatch", "insforge")]
    arguments += [
        f"--upstream=instabase={server.url}/instabase/api",
        f"--upstream=fireworks={server.url}/fireworks",
    ]
    process = subprocess.Popen(
        [
            *COMMAND,
            "proxy",
            "--port",
            "0",
            "--ready-file",
            str(ready),
            *arguments,
            "--record",
            str(files["rec.ndjson"]),
            "--drift-report",
            str(files["d.json"]),
            "--drift-junit",
            str(files["d.xml"]),
            "--drift-html",
            str(files["d.html"]),
            "--access-log",
            "--log-level",
            "debug",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        root = wait_for_ready_file(ready, process)["url"]
        through = Through(root)
        exchanges = [e for vendor in SEQUENCES for e in run_sequence(through, vendor)]
        rotated = next(e.real.body["apiKey"] for e in exchanges if "apiKey" in str(e.real.body))
        live = [
            requests.get(f"{root}/__admin__/{path}", timeout=10).text
            for path in ("drift", "journal", "report", "violations")
        ]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "drift check: fireworks forwarded to" in out
    assert f"drift check: {through.sent} exchange(s)" in out
    never = [*SENTINELS, *SENTINEL_TOKENS.values(), rotated]
    written = {name: path.read_text() for name, path in files.items()}
    for text in [*written.values(), out, err, *live]:
        for value in never:
            assert value not in text
    assert len(written["rec.ndjson"].splitlines()) == through.sent
    assert json.loads(written["d.json"])["exchanges"] == through.sent
    assert "<testsuite" in written["d.xml"] and "<html" in written["d.html"]
    assert "PATCH /prismeai/v2/workspaces/ws1/security/secrets 200" in err  # the access log

    replayed = tmp_path / "replayed.json"
    result = subprocess.run(
        [*COMMAND, "drift", "replay", str(files["rec.ndjson"]), "--drift-report", str(replayed)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(replayed.read_text())
    assert document["exchanges"] == through.sent
    assert [f for f in document["findings"] if f["severity"] == "breaking"] == []
    for value in never:
        assert value not in result.stdout + replayed.read_text()


def test_a_replay_with_a_breaking_finding_exits_1_and_names_it(tmp_path: Path) -> None:
    """A recording of the older servers (the planted drift), replayed: exit 1."""
    stream = io.StringIO()
    recorder_rig = rig(OLDER_VERSIONS, recorder=Recorder(stream, PROFILES))
    for vendor, _, sent in table_requests():
        if vendor in OLDER_VERSIONS:
            recorder_rig.send(vendor, sent)
    recording = tmp_path / "older.ndjson"
    recording.write_text(stream.getvalue())
    outputs = {flag: tmp_path / f"r.{flag}" for flag in ("json", "xml", "html")}
    result = subprocess.run(
        [
            *COMMAND,
            "drift",
            "replay",
            str(recording),
            "--drift-report",
            str(outputs["json"]),
            "--drift-junit",
            str(outputs["xml"]),
            "--drift-html",
            str(outputs["html"]),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "breaking" in result.stdout
    assert "insforge" in result.stdout and "/error" in result.stdout
    assert "<failure" in outputs["xml"].read_text()
    assert json.loads(outputs["json"].read_text())["exchanges"] > 0


def test_the_same_replay_on_the_same_server_version_exits_0(tmp_path: Path) -> None:
    stream = io.StringIO()
    recorder_rig = rig(OLDER_VERSIONS, recorder=Recorder(stream, PROFILES))
    for vendor, _, sent in table_requests():
        if vendor in OLDER_VERSIONS:
            recorder_rig.send(vendor, sent)
    recording = tmp_path / "older.ndjson"
    recording.write_text(stream.getvalue())
    versions = [f"--vendor-version={name}={version}" for name, version in OLDER_VERSIONS.items()]
    result = subprocess.run(
        [*COMMAND, "drift", "replay", str(recording), *versions],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "arguments, status, said",
    [
        pytest.param(
            ["--drift-report", "{tmp}/missing/d.json"],
            2,
            "cannot write the --drift-report file there",
            id="unwritable-report",
        ),
        pytest.param(
            ["--record", "{tmp}/missing/r.ndjson"],
            2,
            "cannot write the --record file there: no directory",
            id="unwritable-record",
        ),
        pytest.param(["--record", "{tmp}"], 2, "is a directory", id="record-a-directory"),
        pytest.param(["--drift-html", "{tmp}/no/d.html"], 2, "--drift-html", id="unwritable-html"),
        pytest.param(
            ["--vendor", "langwatch"], 2, "--vendor langwatch serves that vendor alone", id="vendor"
        ),
        pytest.param(
            ["--upstream", "fireworks=http://127.0.0.1:9/fireworks"],
            2,
            "each vendor takes one --upstream",
            id="twice",
        ),
    ],
)
def test_the_proxy_refuses_at_start_up_naming_the_problem(
    arguments: list[str],
    status: int,
    said: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["proxy", "--port", "0", "--upstream", "fireworks=http://127.0.0.1:9/fireworks"]
    argv += [a.replace("{tmp}", str(tmp_path)) for a in arguments]
    assert main(argv) == status
    assert said in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing made


@pytest.mark.parametrize(
    "value, said",
    [
        ("nobody=http://127.0.0.1:9", "VENDOR one of prismeai"),
        ("fireworks", "is not VENDOR=URL"),
        ("fireworks=ftp://example.invalid", "is not an http or https URL"),
        ("fireworks=https://", "is not an http or https URL"),
    ],
)
def test_a_bad_upstream_is_a_usage_error(
    value: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["proxy", "--upstream", value]) == 2
    assert said in capsys.readouterr().err


def test_proxy_needs_an_upstream_and_has_every_serve_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["proxy"]) == 2
    assert "--upstream" in capsys.readouterr().err
    assert main(["proxy", "--help"]) == 0
    shown = capsys.readouterr().out
    for flag in ("--upstream", "--upstream-timeout", "--record", "--drift-junit", "--port"):
        assert flag in shown
    assert "SECRETMOCK_READY_FILE" in shown


def test_a_recording_that_is_not_one_is_refused_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = tmp_path / "bad.ndjson"
    recording.write_text('{"format": 1}\n')
    assert main(["drift", "replay", str(recording)]) == 1
    assert "line 1: not a recorded exchange" in capsys.readouterr().err
    assert main(["drift", "replay", str(tmp_path / "none.ndjson")]) == 2


def test_the_environment_gives_the_proxys_options_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SECRETMOCK_UPSTREAM", "nobody=http://x")
    assert main(["proxy"]) == 2
    assert "'nobody=http://x' is not VENDOR=URL" in capsys.readouterr().err
    monkeypatch.setenv("SECRETMOCK_UPSTREAM", "fireworks=http://127.0.0.1:9")
    monkeypatch.setenv("SECRETMOCK_DRIFT_REPORT", str(tmp_path / "missing" / "d.json"))
    assert main(["proxy"]) == 2
    assert "--drift-report" in capsys.readouterr().err
