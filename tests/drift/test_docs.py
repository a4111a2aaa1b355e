"""docs/drift.md stays true: its Python example runs as written, and each vendor's recipe
(the proxy against the vendor, a suite through it, the recording replayed in CI) runs in
bash against a local upstream standing in for the real vendor."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from secretmock.serve.background import BackgroundServer

DOC = Path(__file__).resolve().parents[2] / "docs" / "drift.md"
TEXT = DOC.read_text()
BASH = re.findall(r"```bash\n(.*?)```", TEXT, re.S)
RECIPES = {
    re.search(r"--upstream (\w+)=", block).group(1): block  # type: ignore[union-attr]
    for block in BASH
    if "secretmock proxy" in block
}
[CI_BLOCK] = [block for block in BASH if "secretmock drift replay" in block]

LOCAL = {
    "prismeai": ("/prismeai", {"PRISMEAI_API_KEY": "prisme-test-ws1"}),
    "langwatch": ("/langwatch", {"LANGWATCH_API_KEY": "sk-lw-test-demo"}),
    "instabase": (
        "/instabase/api",
        {"INSTABASE_API_KEY": "ib-test-admin", "INSTABASE_CONTEXT": "acme-org"},
    ),
    "insforge": ("/insforge", {"INSFORGE_API_KEY": "ik_test_demo_admin"}),
    "fireworks": ("/fireworks", {"FIREWORKS_API_KEY": "fw-test-acme"}),
}
"""Each vendor's base path on the local upstream and the credentials its fixtures have,
for the variables the recipe exports."""

SUITE = '''\
"""The recipes' "your suite": a listing and a lookup through the proxy, with the
credentials and the base URL the recipe gives, as the user's suite would."""
import json, os, sys, urllib.error, urllib.request

vendor = sys.argv[1]
env = os.environ
calls = {
    "prismeai": (env.get("PRISMEAI_BASE_URL"), "/v2/workspaces/ws1/security/secrets",
                 {"x-prismeai-api-key": env.get("PRISMEAI_API_KEY", "")}),
    "langwatch": (env.get("LANGWATCH_ENDPOINT"), "/api/secrets",
                  {"X-Auth-Token": env.get("LANGWATCH_API_KEY", "")}),
    "instabase": (env.get("INSTABASE_API_ROOT"), "/v2/aihub/secrets",
                  {"Authorization": "Bearer " + env.get("INSTABASE_API_KEY", ""),
                   "IB-Context": env.get("INSTABASE_CONTEXT", "")}),
    "insforge": (env.get("INSFORGE_BASE_URL"), "/api/secrets",
                 {"Authorization": "Bearer " + env.get("INSFORGE_API_KEY", "")}),
    "fireworks": (env.get("FIREWORKS_BASE_URL"), "/v1/accounts/acme/secrets",
                  {"Authorization": "Bearer " + env.get("FIREWORKS_API_KEY", "")}),
}
base, path, headers = calls[vendor]
for suffix in ("", "/no-such-secret"):
    request = urllib.request.Request(base + path + suffix, headers=headers)
    try:
        status = urllib.request.urlopen(request, timeout=30).status
    except urllib.error.HTTPError as refused:
        status = refused.code
    print(vendor, path + suffix, status)
'''


def test_the_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", TEXT, re.S)
    assert blocks, "docs/drift.md has a Python example"
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})  # the page's own code, as written


def test_there_is_a_recipe_per_vendor() -> None:
    assert set(RECIPES) == set(LOCAL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_run_here(vendor: str, recipe: str, upstream: str, port: int) -> str:
    """The recipe with a local upstream for the real vendor, the fixtures' credentials
    for the user's, a free port and the test's suite for ``pytest``."""
    base_path, credentials = LOCAL[vendor]
    real = re.search(rf"--upstream {vendor}=(\S+)", recipe).group(1)  # type: ignore[union-attr]
    script = recipe.replace(real, upstream + base_path).replace("8080", str(port))
    for name, value in credentials.items():
        script = re.sub(rf"\b{name}=\S+", f"{name}={value}", script)
    suite = f"{sys.executable} suite.py {vendor}"
    return re.sub(r"pytest  # your suite", suite, script)


@pytest.mark.parametrize("vendor", sorted(LOCAL))
def test_the_recipe_records_through_the_proxy_and_ci_replays_it(
    vendor: str, server: BackgroundServer, tmp_path: Path
) -> None:
    (tmp_path / "suite.py").write_text(SUITE)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    script = as_run_here(vendor, RECIPES[vendor], server.url, free_port())
    recorded = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert f"{vendor} " in recorded.stdout and " 200" in recorded.stdout  # the suite ran
    recording = tmp_path / "drift" / f"{vendor}.ndjson"
    assert len(recording.read_text().splitlines()) == 2
    report = json.loads((tmp_path / "drift" / f"{vendor}.json").read_text())
    assert report["exchanges"] == 2
    assert [f for f in report["findings"] if f["severity"] != "info"] == []
    for credential in LOCAL[vendor][1].values():
        if credential != "acme-org":  # the organization is a name, not a credential
            assert credential not in recording.read_text()
    replayed = subprocess.run(
        ["bash", "-c", CI_BLOCK], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "drift check: 2 exchange(s)" in replayed.stdout
    assert "<testsuite" in (tmp_path / "drift" / f"{vendor}.xml").read_text()
