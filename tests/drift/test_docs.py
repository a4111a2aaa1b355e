"""docs/drift.md stays true: its Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "drift.md"


def test_the_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    assert blocks, "docs/drift.md has a Python example"
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})  # the page's own code, as written
