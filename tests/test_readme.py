"""The README's examples are run as written."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click
import pytest
import requests

from secretmock.cli import serve
from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from secretmock.vendors import all_vendors

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
DOCUMENTED_ROOT = "http://127.0.0.1:8080"


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)


def curl_commands() -> list[str]:
    block = next(b for b in code_blocks("bash") if "curl -X" in b)
    joined = block.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("curl ")]


def as_request(command: str) -> dict[str, Any]:
    """The method, URL, headers and body of a ``curl -X M URL -H ... -d ...`` command."""
    words = shlex.split(command)[1:]
    request: dict[str, Any] = {"method": "GET", "headers": {}, "data": None}
    while words:
        word = words.pop(0)
        if word == "-X":
            request["method"] = words.pop(0)
        elif word == "-H":
            name, _, value = words.pop(0).partition(":")
            request["headers"][name.strip()] = value.strip()
        elif word in ("-d", "--data"):
            request["data"] = words.pop(0).encode()
        else:
            request["url"] = word
    return request


def test_the_readme_starts_with_the_two_commands() -> None:
    first_block = code_blocks("bash")[0]
    assert [line.split("#")[0].strip() for line in first_block.splitlines()] == [
        "make run",
        "make test",
    ]


CURLS = curl_commands()


def test_there_is_one_curl_example_per_vendor() -> None:
    vendors = {as_request(c)["url"].split("/")[3] for c in CURLS}
    assert vendors == {"prismeai", "langwatch", "instabase", "insforge", "fireworks"}


@pytest.mark.parametrize("command", CURLS, ids=[as_request(c)["url"].split("/")[3] for c in CURLS])
def test_curl_example_answers_200(server: BackgroundServer, command: str) -> None:
    request = as_request(command)
    url = request.pop("url").replace(DOCUMENTED_ROOT, server.url)
    response = requests.request(url=url, timeout=10, **request)
    assert response.status_code == 200, response.text


def test_python_example_passes(tmp_path: Path) -> None:
    [example] = [b for b in code_blocks("python") if b.startswith("# test_rotation.py")]
    (tmp_path / "test_rotation.py").write_text(example)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_rotation.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def ci_block() -> str:
    """The README's CI example, as the bash script it is."""
    return next(b for b in code_blocks("bash") if "secretmock report" in b)


def test_ci_example_stops_with_sigterm_and_writes_its_report(tmp_path: Path) -> None:
    """Runs the README's CI block in bash, on a free port, with one spec-breaking request
    as "your test suite": the report command exits 1, the server stops on the block's
    SIGTERM and writes the JSON report (exit 0: the block's own exit status)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    suite = (
        f"{shlex.quote(sys.executable)} -c 'import requests; requests.patch("
        f'"http://127.0.0.1:{port}/fireworks/v1/accounts/acme/secrets/s1", json={{"value": "x"}},'
        f' headers={{"Authorization": "Bearer fw-test-acme"}}, timeout=10)\''
    )
    lines = [
        suite if line.startswith("# ... run your test suite") else line
        for line in ci_block().replace("8080", port).splitlines()
    ]
    script = "\n".join(lines)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 contract violation(s)" in result.stdout
    assert "Gateway_UpdateSecret" in (tmp_path / "secretmock.xml").read_text()
    html = (tmp_path / "secretmock-report.html").read_text()
    assert "Violations (1)" in html and "body /keyName" in html
    written = json.loads((tmp_path / "secretmock-report.json").read_text())
    assert [v["location"] for v in written["violations"]] == ["/keyName"]


REPOSITORY = Path(__file__).resolve().parent.parent


def readme_options() -> dict[str, str]:
    """The README's table of serve options: each row's flag and its variable."""
    rows = re.findall(r"^\| `(--[a-z-]+)[^`]*` \| `(SECRETMOCK_[A-Z_]+)`", README, re.MULTILINE)
    return dict(rows)


def test_the_readme_table_is_the_serve_commands_options() -> None:
    """Every row names an option of ``serve`` and its variable; every option has a row."""
    command = {}
    for option in serve.params:
        assert isinstance(option, click.Option)
        [flag] = option.opts
        command[flag] = option.envvar
    assert readme_options() == command


def test_make_run_passes_args_to_serve() -> None:
    [line] = [x for x in README.splitlines() if x.startswith("`make run ARGS=")]
    args = line.split('"')[1]
    result = subprocess.run(
        ["make", "-n", "run", f"ARGS={args}"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"/secretmock serve {args}" in result.stdout


def ready_file_commands() -> list[str]:
    block = next(b for b in code_blocks("bash") if "--ready-file" in b)
    return [line.split("#")[0].strip().rstrip("&").strip() for line in block.splitlines()]


@pytest.mark.parametrize("command", ready_file_commands(), ids=["flags", "variables"])
def test_ready_file_example_finds_the_server(tmp_path: Path, command: str) -> None:
    words = shlex.split(command)
    env = dict(os.environ)
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[0] == "secretmock"
    server = subprocess.Popen(
        [sys.executable, "-m", *words],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ready = tmp_path / "secretmock.json"
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert server.poll() is None and time.monotonic() < deadline, "no ready file"
            time.sleep(0.05)
        announced = json.loads(ready.read_text())
        assert announced["pid"] == server.pid
        health = requests.get(announced["url"] + "/__admin__/health", timeout=5)
        assert health.json()["status"] == "ok"
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
    assert not ready.exists()


def test_admin_token_example(tmp_path: Path) -> None:
    """The README's admin-token block: its server, then its curl, which resets (and the
    same curl without the header gets 401)."""
    block = next(b for b in code_blocks("bash") if "--admin-token s3cret" in b)
    serve_line, curl_line = (line.split("#")[0].strip() for line in block.splitlines()[:2])
    words = shlex.split(serve_line.rstrip("&"))
    ready = tmp_path / "ready.json"
    server = subprocess.Popen(
        [sys.executable, "-m", *words, "--port", "0", "--ready-file", str(ready)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert server.poll() is None and time.monotonic() < deadline, "no ready file"
            time.sleep(0.05)
        root = json.loads(ready.read_text())["url"]
        curl = shlex.split(curl_line.replace("http://127.0.0.1:8080", root))
        reset = subprocess.run(curl, capture_output=True, text=True, timeout=30)
        assert json.loads(reset.stdout) == {"status": "reset"}
        bare = [w for w in curl if w not in {"-H", "Authorization: Bearer s3cret"}]
        refused = subprocess.run(bare, capture_output=True, text=True, timeout=30)
        assert json.loads(refused.stdout)["error"] == "unauthorized"
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


# -- scenarios: faults, clock, state ---------------------------------------------------------


def test_retry_example_passes(tmp_path: Path) -> None:
    [example] = [b for b in code_blocks("python") if b.startswith("# test_retry.py")]
    (tmp_path / "test_retry.py").write_text(example)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_retry.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_fault_curl_example_adds_a_rule(server: BackgroundServer) -> None:
    block = next(b for b in code_blocks("bash") if "/__admin__/faults" in b)
    [command] = [c for c in block.replace("\\\n", " ").splitlines() if c.startswith("curl ")]
    request = as_request(command)
    url = request.pop("url").replace(DOCUMENTED_ROOT, server.url)
    added = requests.request(url=url, timeout=10, **request)
    assert added.status_code == 201, added.text
    read = f"{server.url}/insforge/api/secrets/STRIPE_API_KEY"
    auth = {"Authorization": "Bearer ik_test_demo_admin"}
    answers = [requests.get(read, headers=auth, timeout=10) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["retry-after"] == "5"
    assert answers[0].json()["error"] == "UPSTREAM_FAILURE"


def test_ci_scenario_example_keeps_its_state(tmp_path: Path) -> None:
    [faults] = [b for b in code_blocks("yaml") if b.startswith("# faults.yaml")]
    (tmp_path / "faults.yaml").write_text(faults)
    block = next(b for b in code_blocks("bash") if "--state" in b)
    lines = [line.split("#")[0].strip().rstrip("&").strip() for line in block.splitlines()]
    [serve] = [shlex.split(line) for line in lines if line.startswith("secretmock serve")]
    assert "kill -INT %1" in lines, "the example stops the server with SIGINT"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = str(sock.getsockname()[1])
    command = [sys.executable, "-m", *[port if w == "8080" else w for w in serve]]
    root = f"http://127.0.0.1:{port}"
    accounts = f"{root}/fireworks/v1/accounts/acme/secrets"
    auth = {"Authorization": "Bearer fw-test-acme"}
    server = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(root, server)
        body = {"name": "ci-made", "keyName": "CI_MADE", "value": "v"}
        lost = requests.post(accounts, headers=auth, json=body, timeout=10)
        assert lost.status_code == 503  # the write happened; its answer was lost
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
    server = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL)
    try:
        wait_until_up(root, server)
        listed = requests.get(accounts, headers=auth, timeout=10).json()
        assert "accounts/acme/secrets/ci-made" in [s["name"] for s in listed["secrets"]]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)


def wait_until_up(root: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            requests.get(f"{root}/__admin__/health", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("the server did not start")


def test_fixtures_example_loads_with_its_vendor_versions(tmp_path: Path) -> None:
    [example] = [b for b in code_blocks("yaml") if b.startswith("tenants:")]
    path = tmp_path / "fixtures.yaml"
    path.write_text(example)
    emulator = Emulator(all_vendors(), [path])
    assert emulator.versions()["langwatch"] == "before-2026-07-22"
    assert emulator.versions()["fireworks"] == "current"
    snapshot = emulator.tenant_snapshot("fireworks", "acme")
    assert snapshot is not None and [s["keyName"] for s in snapshot["secrets"]] == [
        "OPENAI_API_KEY"
    ]
    overridden = Emulator(all_vendors(), [path], vendor_versions={"langwatch": "current"})
    assert overridden.versions()["langwatch"] == "current"
