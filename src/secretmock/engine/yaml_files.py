"""Reading YAML files, with libyaml's parser when PyYAML has it (about ten times faster
than the pure-Python one: the specs are read at every start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YAMLError = yaml.YAMLError


def read_yaml(path: Path) -> Any:
    """The document in the YAML file at ``path`` (safe loading: plain data only)."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
