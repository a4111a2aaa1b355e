"""docs/shared-server.md's blocks, run as written: the server command (on a free port),
the curl pipeline against it, and the pytest file with the plugin's command."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.robustness.serve import Served

PAGE = (Path(__file__).resolve().parents[1] / "docs" / "shared-server.md").read_text()
BASH = re.findall(r"```bash\n(.*?)```", PAGE, re.DOTALL)
PYTHON = re.findall(r"```python\n# (\S+)\n(.*?)```", PAGE, re.DOTALL)
TOKEN = "docs-shared-token"


def test_the_page_has_its_blocks() -> None:
    assert len(BASH) == 3 and [name for name, _ in PYTHON] == ["test_shared.py"]
    assert "../shared" not in PAGE and "design.md" not in PAGE


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The page's server command, as written, on a free port (``--port 0``)."""
    argv = shlex.split(BASH[0].strip().replace('"$SECRETMOCK_ADMIN_TOKEN"', TOKEN))
    assert argv[:2] == ["secretmock", "serve"]
    port = argv.index("--port")
    del argv[port : port + 2]
    served = Served(tmp_path_factory.mktemp("shared"), *argv[2:]).start()
    yield served
    served.stop()


def _env(server: Served) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECRETMOCK_")}
    return {**env, "SECRETMOCK_URL": server.url, "SECRETMOCK_ADMIN_TOKEN": TOKEN}


def _sandboxes(server: Served) -> list[object]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    listed = requests.get(f"{server.url}/__admin__/sandboxes", headers=headers, timeout=10)
    return list(listed.json()["sandboxes"])


def test_the_curl_pipeline_runs(server: Served, tmp_path: Path) -> None:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", BASH[1]],
        cwd=tmp_path,
        env=_env(server),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '"accounts/acme/secrets/openai-key"' in done.stdout
    assert '"status":"removed"' in done.stdout.replace(" ", "")
    report = json.loads((tmp_path / "sandbox-report.json").read_text())
    assert "fireworks" in report["vendors"]
    assert _sandboxes(server) == []


def test_the_pytest_file_passes_against_the_server(server: Served, tmp_path: Path) -> None:
    [(name, code)] = PYTHON
    (tmp_path / name).write_text(code)
    argv = shlex.split(BASH[2].strip().replace('"$SECRETMOCK_URL"', server.url))
    assert argv[0] == "pytest"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", *argv[1:]],
        cwd=tmp_path,
        env=_env(server),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    assert json.loads((tmp_path / "report.json").read_text())["vendors"]["fireworks"]
    assert _sandboxes(server) == []
