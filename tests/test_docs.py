"""Every code block of every ``docs/*.md`` page is run as written (the README's are run
by ``tests/test_readme.py``, which also checks what particular blocks answer).

How a block is run depends on its fence's language:

* ``python``: every block names its file on its first line (``# test_x.py``,
  ``# pkg/module.py``). The page's files are written into one directory; each test
  file (``test_*.py``) is run there by pytest, a ``conftest.py`` block applying to the
  test file after it alone, and must pass every test it holds (and fail none); any
  other ``.py`` file at the top of the directory is a script, run by Python, exit 0.
* ``yaml``: an OpenAPI document is loaded and checked as a vendor's spec; a fixtures
  file (``tenants:``) is loaded by an emulator; a list is fault rules, each checked as
  ``POST /__admin__/faults`` checks it; a block that names its file (``# faults.yaml``)
  is also written for the page's shell blocks.
* ``json``: a state document (``"format"``) is put with ``PUT /__admin__/state``.
* ``bash``/``sh``: run by bash with ``set -e``, ``secretmock`` on the PATH, in the
  directory of the page's files. ``curl`` fails on an HTTP error status. A line that
  starts ``secretmock serve ... &`` gets a free port for ``8080`` and is waited for
  (through its ready file, or one the runner adds); a block that starts no server talks
  to the suite's background server instead. Servers still running at the end are
  stopped.

A block that cannot run (an illustration, a diagram) says so in its fence:
```` ```text not-run ````. Such blocks are not collected, by design; every other block
must have a runner, and ``RUNNABLE`` says how many runnable blocks each page has, so a
block cannot silently stop being run.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from secretmock.engine.emulator import Emulator
from secretmock.engine.specs import load_spec
from secretmock.resources import default_fixtures_path
from secretmock.serve.background import BackgroundServer
from secretmock.vendors import all_vendors

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parent.parent / "docs"
NOT_RUN = "not-run"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
FILE_NAME = re.compile(r"# ([\w./-]+\.[a-z]+)\b")

RUNNABLE = {
    "architecture.md": 0,
    "ci.md": 4,
    "contributing.md": 7,
    "dashboard.md": 0,
    "fixtures.md": 1,
    "performance.md": 0,
    "pytest.md": 6,
    "scaling.md": 3,
    "scenarios.md": 4,
    "server.md": 3,
}
"""How many runnable blocks each page has; a page not listed is still run."""

OWN_RUNNER = {
    "drift.md": "drift/test_docs.py",
    "shared-server.md": "test_docs_shared_server.py",
}
"""Pages whose blocks need a runner of their own (a shared server with sandboxes, a
proxy in front of an upstream), which runs every one of them: not run again here."""


@dataclass(frozen=True)
class Block:
    page: str
    index: int
    language: str
    code: str

    @property
    def file_name(self) -> str | None:
        """The file the block names on its first line (``# name.ext``), if any."""
        found = FILE_NAME.match(self.code)
        return found.group(1) if found else None

    @property
    def id(self) -> str:
        return f"{self.page}#{self.index}-{self.language}"


def pages() -> list[Path]:
    return sorted(page for page in DOCS.glob("*.md") if page.name not in OWN_RUNNER)


@pytest.mark.parametrize("page", sorted(OWN_RUNNER))
def test_a_page_with_its_own_runner_has_it(page: str) -> None:
    runner = Path(__file__).parent / OWN_RUNNER[page]
    assert (DOCS / page).exists() and runner.exists(), f"{page}: {runner.name} is missing"
    assert page in runner.read_text(), f"{runner.name} does not read {page}"


def all_blocks(page: Path) -> list[tuple[str, Block]]:
    """(fence info string, block) of every fenced block of ``page``."""
    found = []
    for index, match in enumerate(FENCE.finditer(page.read_text()), start=1):
        info, code = match.group(1).strip(), match.group(2)
        language = info.split()[0] if info else ""
        found.append((info, Block(page.name, index, language, code)))
    return found


def runnable(page: Path) -> list[Block]:
    return [block for info, block in all_blocks(page) if NOT_RUN not in info.split()]


def blocks_of(*languages: str) -> list[Block]:
    return [b for page in pages() for b in runnable(page) if b.language in languages]


def test_every_block_says_its_language_and_has_a_runner() -> None:
    known = {"python", "yaml", "json", "bash", "sh"}
    for page in pages():
        for info, block in all_blocks(page):
            assert info, f"{block.id}: a fence without a language (```text not-run?)"
            if NOT_RUN not in info.split():
                assert block.language in known, f"{block.id}: no runner for {info!r}"


@pytest.mark.parametrize("page", sorted(RUNNABLE))
def test_each_page_runs_its_blocks(page: str) -> None:
    assert len(runnable(DOCS / page)) == RUNNABLE[page], f"{page}: runnable blocks changed"


def test_every_python_block_names_its_file() -> None:
    for block in blocks_of("python"):
        assert block.file_name, f"{block.id}: the first line must be '# <file name>'"


# -- python ---------------------------------------------------------------------------


def python_runs() -> list[tuple[str, dict[str, str]]]:
    """(page, files) of each pytest run: per page, the test files after a conftest.py
    block with it, alone; all its other test files in one run. Every run also gets the
    page's other files (modules, specs, data)."""
    runs = []
    for page in pages():
        files = [(b.file_name or "", b.code) for b in runnable(page) if b.language == "python"]
        support = {
            b.file_name: b.code
            for b in runnable(page)
            if b.file_name and b.language != "python" and b.language not in ("bash", "sh")
        }
        support |= {n: c for n, c in files if not Path(n).name.startswith(("test_", "conftest"))}
        alone, together, conftest = [], {}, None
        for name, code in files:
            if name == "conftest.py":
                conftest = code
            elif name.startswith("test_") and conftest is not None:
                alone.append({"conftest.py": conftest, name: code})
                conftest = None
            elif name.startswith("test_"):
                together[name] = code
        runs += [(page.name, {**support, **group}) for group in [together, *alone] if group]
    return runs


def write(directory: Path, files: dict[str, str]) -> None:
    for name, code in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)


@pytest.mark.parametrize(
    ("page", "files"),
    python_runs(),
    ids=[
        f"{p}:" + "+".join(sorted(n for n in f if n.startswith(("test_", "conftest"))))
        for p, f in python_runs()
    ],
)
def test_the_test_files_pass(pytester: pytest.Pytester, page: str, files: dict[str, str]) -> None:
    write(pytester.path, files)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=180)
    tests = sum(
        len(re.findall(r"^(?:async )?def test_", code, re.MULTILINE))
        for name, code in files.items()
        if Path(name).name.startswith("test_")
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == outcomes.get("errors", 0) == 0, result.stdout.str()
    assert outcomes.get("passed", 0) >= tests  # a parametrized test passes once per row


SCRIPTS = [
    b
    for b in blocks_of("python")
    if b.file_name and "/" not in b.file_name and not b.file_name.startswith(("test_", "conftest"))
]


@pytest.mark.parametrize("block", SCRIPTS, ids=[b.id for b in SCRIPTS])
def test_the_scripts_run(tmp_path: Path, block: Block) -> None:
    write(tmp_path, {b.file_name or "": b.code for b in runnable(DOCS / block.page) if b.file_name})
    done = subprocess.run(
        [sys.executable, block.file_name or ""],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- yaml and json ----------------------------------------------------------------------


@pytest.mark.parametrize("block", blocks_of("yaml"), ids=[b.id for b in blocks_of("yaml")])
def test_the_yaml_files_load(tmp_path: Path, block: Block) -> None:
    document = yaml.safe_load(block.code)
    if isinstance(document, dict) and "openapi" in document:
        path = tmp_path / (block.file_name or "spec.yaml").replace("/", "_")
        path.write_text(block.code)
        assert load_spec(path).operations
    elif isinstance(document, dict) and "tenants" in document:
        path = tmp_path / "fixtures.yaml"
        path.write_text(block.code)
        assert Emulator(all_vendors(), [path]).tenants()
    else:
        assert isinstance(document, list) and document, f"{block.id}: neither fixtures nor rules"
        emulator = Emulator(all_vendors(), [default_fixtures_path()])
        added = emulator.faults.add_all(document, where=block.id)
        assert len(added) == len(document)


@pytest.mark.parametrize("block", blocks_of("json"), ids=[b.id for b in blocks_of("json")])
def test_the_state_documents_are_taken(server: BackgroundServer, block: Block) -> None:
    document = json.loads(block.code)
    assert document.get("format") == 1, f"{block.id}: not a state document"
    put = requests.put(f"{server.url}/__admin__/state", json=document, timeout=10)
    assert put.status_code == 200, put.text
    got = requests.get(f"{server.url}/__admin__/state", timeout=10).json()
    assert set(got["vendors"]) >= set(document["vendors"])


# -- shell ------------------------------------------------------------------------------

PRELUDE = """set -e
curl() { command curl --fail-with-body -sS "$@"; }
wait_for() { for _ in $(seq 600); do [ -f "$1" ] && return 0; sleep 0.05; done; return 1; }
stop_servers() { set +e; jobs -p | xargs -r kill 2>/dev/null; wait 2>/dev/null; }
trap 'status=$?; stop_servers; exit $status' EXIT
"""


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def shell_script(code: str, server_url: str) -> str:
    """The block as the runner runs it (see the module's docstring)."""
    joined = code.replace("\\\n", " ")
    starts_server = any(_serves(line) for line in joined.splitlines())
    port = free_port()
    if starts_server:
        joined = joined.replace("8080", port)
    else:
        joined = joined.replace("http://127.0.0.1:8080", server_url)
    lines = []
    for number, line in enumerate(joined.splitlines()):
        if not _serves(line):
            lines.append(line)
            continue
        ready = _ready_file(line) or f".ready-{number}"
        command = line.partition("#")[0].rstrip().removesuffix("&").rstrip()
        if _ready_file(line) is None:
            command += f" --ready-file {ready}"
        if "--port" not in command and "SECRETMOCK_PORT" not in command:
            command += f" --port {port}"
        line = command + " &"
        lines += [f"rm -f {shlex.quote(ready)}", line, f"wait_for {shlex.quote(ready)}"]
    return PRELUDE + "\n".join(lines) + "\n"


def _serves(line: str) -> bool:
    words = line.split("#")[0].split()
    return "serve" in words and "secretmock" in words and words[-1:] == ["&"]


def _ready_file(line: str) -> str | None:
    found = re.search(r"(?:--ready-file |SECRETMOCK_READY_FILE=)(\S+)", line.split("#")[0])
    return found.group(1) if found else None


SHELL = blocks_of("bash", "sh")


@pytest.fixture
def page_files(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    block: Block = request.getfixturevalue("block")
    write(tmp_path, {b.file_name or "": b.code for b in runnable(DOCS / block.page) if b.file_name})
    yield tmp_path


@pytest.mark.parametrize("block", SHELL, ids=[b.id for b in SHELL])
def test_the_shell_blocks_run(server: BackgroundServer, page_files: Path, block: Block) -> None:
    env: dict[str, Any] = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "-c", shell_script(block.code, server.url)],
        cwd=page_files,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- what particular pages promise ----------------------------------------------------


def test_pytest_md_holds_its_four_test_files() -> None:
    python = [b for b in runnable(DOCS / "pytest.md") if b.language == "python"]
    assert len(python) >= 6
    assert [b.file_name for b in python if (b.file_name or "").startswith("test_")] == [
        "test_scenarios.py",
        "test_repeatable.py",
        "test_in_process.py",
        "test_without_patching.py",
    ]


def test_pytest_md_script_writes_its_reports(tmp_path: Path) -> None:
    [block] = [b for b in SCRIPTS if b.page == "pytest.md" and b.file_name == "without_pytest.py"]
    script = tmp_path / "without_pytest.py"
    script.write_text(block.code)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "secretmock-report.json").exists()
    assert (tmp_path / "secretmock-report.html").read_text().startswith("<!doctype html>")
