"""The ``secretmock`` command, run as a user would: in a subprocess."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from secretmock import __version__
from secretmock.vendors import all_vendors

COMMAND = [sys.executable, "-m", "secretmock"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(*args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    process = subprocess.Popen(
        [*COMMAND, "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{root}/__admin__/health", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        yield root, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_version() -> None:
    result = subprocess.run([*COMMAND, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"secretmock {__version__}"


def test_specs_lists_every_operation_as_implemented() -> None:
    result = subprocess.run([*COMMAND, "specs"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    for vendor in all_vendors():
        assert f"{vendor.name}: {vendor.spec_file} valid" in result.stdout
        for operation_id in vendor.handlers:
            line = next(x for x in result.stdout.splitlines() if f" {operation_id} " in x)
            assert line.rstrip().endswith("implemented") and "NOT" not in line


def test_serve_prints_base_urls_and_default_credentials_and_answers() -> None:
    with serving() as (root, process):
        response = requests.patch(
            f"{root}/fireworks/v1/accounts/acme/secrets/s1",
            headers={"Authorization": "Bearer fw-test-acme"},
            json={"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "x"},
            timeout=5,
        )
        assert response.status_code == 200
        process.terminate()
        banner = process.communicate(timeout=10)[0]
    assert f"base URL {root}/fireworks" in banner
    assert "token fw-test-acme (admin)" in banner
    assert "sk-test-1" not in banner, "secret values are never printed"


def test_serve_one_vendor_at_the_root() -> None:
    with serving("--vendor", "fireworks") as (root, _):
        response = requests.get(
            f"{root}/v1/accounts/acme/secrets",
            headers={"Authorization": "Bearer fw-test-acme"},
            timeout=5,
        )
        assert response.status_code == 200
        assert len(response.json()["secrets"]) == 2


def test_serve_stops_on_broken_fixtures_naming_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("tenants: [{vendor: fireworks}]")
    result = subprocess.run(
        [*COMMAND, "serve", "--fixtures", str(broken), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert f"{broken}: tenants[0]" in result.stderr and "'id'" in result.stderr


def test_serve_warms_up_in_the_background() -> None:
    with serving() as (root, _):
        deadline = time.monotonic() + 20
        while not requests.get(f"{root}/__admin__/health", timeout=5).json()["warm"]:
            assert time.monotonic() < deadline, "the server never finished warming up"
            time.sleep(0.1)
        refused = requests.patch(
            f"{root}/fireworks/v1/accounts/acme/secrets/s1",
            headers={"Authorization": "Bearer fw-test-acme"},
            json={"value": "no keyName"},
            timeout=5,
        )
        assert refused.status_code == 400 and "keyName" in refused.json()["message"]
