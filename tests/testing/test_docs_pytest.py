"""docs/pytest.md's Python blocks are complete files, run as written: the test files by
pytest in a subprocess (a ``conftest.py`` block applies to the test file after it), the
script without pytest by Python."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

PAGE = (Path(__file__).resolve().parents[2] / "docs" / "pytest.md").read_text()
BLOCKS = re.findall(r"```python\n# (\S+)\n(.*?)```", PAGE, re.DOTALL)
"""(file name, code) of every Python block; each starts with ``# <file name>``."""


def test_every_python_block_names_its_file() -> None:
    assert len(BLOCKS) == len(re.findall(r"```python\n", PAGE)) >= 6
    assert [name for name, _ in BLOCKS if name.startswith("test_")] == [
        "test_scenarios.py",
        "test_repeatable.py",
        "test_in_process.py",
        "test_without_patching.py",
    ]


def groups() -> list[dict[str, str]]:
    """The test files to run together (one pytest run each, as they take seconds): those
    after a conftest.py block with it, alone; all the others in one run."""
    alone, together, conftest = [], {}, None
    for name, code in BLOCKS:
        if name == "conftest.py":
            conftest = code
        elif name.startswith("test_") and conftest is not None:
            alone.append({"conftest.py": conftest, name: code})
            conftest = None
        elif name.startswith("test_"):
            together[name] = code
    return [together, *alone]


@pytest.mark.parametrize("files", groups(), ids=lambda files: "+".join(sorted(files)))
def test_the_test_files_pass(pytester: pytest.Pytester, files: dict[str, str]) -> None:
    for name, code in files.items():
        (pytester.path / name).write_text(code)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=180)
    tests = len(re.findall(r"^def test_", "".join(files.values()), re.MULTILINE))
    result.assert_outcomes(passed=tests)


def test_the_script_without_pytest_runs(tmp_path: Path) -> None:
    [code] = [code for name, code in BLOCKS if name == "without_pytest.py"]
    script = tmp_path / "without_pytest.py"
    script.write_text(code)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "secretmock-report.json").exists()
    assert (tmp_path / "secretmock-report.html").read_text().startswith("<!doctype html>")
