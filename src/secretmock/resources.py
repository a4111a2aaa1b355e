"""Where the specs and the default fixtures are.

An installed wheel carries them inside the package (see ``pyproject.toml``); an
editable install of a source checkout reads them from the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def data_path(*parts: str) -> Path:
    """The path of a data file, e.g. ``data_path("specs", "fireworks.yaml")``."""
    packaged = _PACKAGE.joinpath(*parts)
    return packaged if packaged.exists() else _CHECKOUT.joinpath(*parts)


def spec_path(file_name: str) -> Path:
    return data_path("specs", file_name)


def default_fixtures_path() -> Path:
    return data_path("fixtures", "default.yaml")
