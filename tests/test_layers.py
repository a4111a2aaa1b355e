"""The floor plan as a test: each package imports only the packages below it.

    engine <- vendors <- report <- drift <- web <- serve <- testing <- cli

(``resources`` holds the package's data files and stands beside the engine; the
package's ``__init__`` and ``__main__`` are its public face and may import anything.)
An import inside ``if TYPE_CHECKING:`` counts too: a type that names a higher layer is
a dependency all the same. The engine also promises to know no ASGI framework.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "secretmock"

LAYERS = ["resources", "engine", "vendors", "report", "drift", "web", "serve", "testing", "cli"]
"""Bottom first; ``resources`` and ``engine`` may import each other's lower parts only."""

RANK = {name: rank for rank, name in enumerate(LAYERS)}
RANK["resources"] = RANK["engine"]  # data files: beside the engine, below everything else

FACES = {"__init__", "__main__"}


def _layer(module: str) -> str | None:
    """The layer a ``secretmock.x.y`` module belongs to (``None``: the public face)."""
    parts = module.split(".")
    if len(parts) < 2 or parts[0] != "secretmock":
        return None
    return None if parts[1] in FACES else parts[1]


def _module_name(path: Path) -> str:
    relative = path.relative_to(SRC.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``secretmock`` module ``path`` imports, with the line, resolved when relative."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
    return [(line, name) for line, name in found if name.startswith("secretmock")]


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def upward_imports() -> list[str]:
    """Each import of a higher layer, as ``file:line: layer imports layer``."""
    problems = []
    for path in _sources():
        own = _layer(_module_name(path))
        if own is None:
            continue
        for line, name in _imports(path):
            target = _layer(name)
            if target is not None and RANK[target] > RANK[own]:
                where = path.relative_to(SRC)
                problems.append(f"{where}:{line}: {own} imports {target} ({name})")
    return problems


def test_every_package_has_a_layer() -> None:
    packages = {layer for p in _sources() if (layer := _layer(_module_name(p))) is not None}
    assert packages <= set(LAYERS), f"place {sorted(packages - set(LAYERS))} in LAYERS"


def test_no_package_imports_a_higher_layer() -> None:
    assert upward_imports() == []


def test_the_engine_knows_no_asgi_framework() -> None:
    engine = [p for p in _sources() if _layer(_module_name(p)) == "engine"]
    assert engine, "no engine modules found: SRC is wrong"
    for path in engine:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names.append(getattr(node, "module", None) or "")
                assert not any(n.split(".")[0] in {"starlette", "uvicorn"} for n in names), (
                    f"{path.relative_to(SRC)}:{node.lineno} imports an ASGI framework"
                )


@pytest.mark.parametrize(
    ("importer", "imported", "upward"),
    [
        ("secretmock.engine.store", "secretmock.web.app", True),
        ("secretmock.web.app", "secretmock.engine.store", False),
        ("secretmock.testing.plugin", "secretmock.serve.standalone", False),
        ("secretmock.vendors.fireworks.models", "secretmock.drift.compare", True),
    ],
)
def test_the_rank_says_which_way_an_import_goes(importer: str, imported: str, upward: bool) -> None:
    own, target = _layer(importer), _layer(imported)
    assert own is not None and target is not None
    assert (RANK[target] > RANK[own]) is upward
