"""Loading a vendor's OpenAPI document, once per process.

:func:`load_spec` reads the YAML, checks it with openapi-spec-validator, and lists
its operations. Nothing here is repeated per request.

Checking a spec takes longer than the rest of start-up together, so a passed check is
remembered: a stamp named by the digest of the spec's bytes and the validator's
version, in ``$SECRETMOCK_CACHE_DIR`` (default ``~/.cache/secretmock``). The same
bytes checked by the same validator need no second check; any change is checked
again. Where the cache cannot be written, every start-up checks.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from secretmock.engine.yaml_files import YAMLError, read_yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class SpecError(Exception):
    """A spec file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # lower case, as in the spec
    path_template: str  # as in the spec, e.g. /v1/accounts/{account_id}/secrets


@dataclass(frozen=True)
class LoadedSpec:
    """A checked spec and what the engine derives from it."""

    path: Path
    document: dict[str, Any]
    operations: tuple[Operation, ...]
    host_url: str | None
    """Scheme and host of the first server URL; ``None`` when it has none (a bare path)."""
    base_path: str
    """Path part of the first server URL ('' or e.g. '/api'): clients put it after the mount."""


@functools.cache
def load_spec(path: Path) -> LoadedSpec:
    """Loads and checks the spec at ``path`` (cached: one load per process and file)."""
    try:
        document = read_yaml(path)
    except (OSError, YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the spec: {exc}") from exc
    _check(path, document)
    host_url, base_path = _first_server(document)
    return LoadedSpec(path, document, _operations(path, document), host_url, base_path)


def check_spec_file(path: Path) -> None:
    """Checks the spec at ``path`` with openapi-spec-validator now, whatever was checked
    before (``secretmock specs``); raises SpecError naming the file and the problem."""
    try:
        document = read_yaml(path)
    except (OSError, YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the spec: {exc}") from exc
    _check(path, document, remembered=False)


def _check(path: Path, document: Any, remembered: bool = True) -> None:
    """Raises SpecError unless ``document`` passes openapi-spec-validator (or, when
    ``remembered``, these very bytes passed it before: see the module docstring)."""
    stamp = _stamp(path)
    if remembered and stamp is not None and stamp.exists():
        return
    from openapi_spec_validator import validate as validate_spec  # slow import: only here

    try:
        validate_spec(document)
    except Exception as exc:  # the validator raises several unrelated types
        raise SpecError(f"{path}: not a valid OpenAPI document: {exc}") from exc
    if stamp is not None:
        try:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.touch()
        except OSError:
            pass  # a read-only home: check again next time


def _stamp(path: Path) -> Path | None:
    try:
        content = path.read_bytes()
    except OSError:
        return None
    checker = version("openapi-spec-validator")
    digest = hashlib.sha256(content + b"\0" + checker.encode()).hexdigest()
    root = os.environ.get("SECRETMOCK_CACHE_DIR") or Path.home() / ".cache" / "secretmock"
    return Path(root) / "checked-specs" / digest


def _first_server(document: dict[str, Any]) -> tuple[str | None, str]:
    servers = document.get("servers") or [{"url": "/"}]
    parts = urlsplit(servers[0]["url"])
    host_url = f"{parts.scheme}://{parts.netloc}" if parts.netloc else None
    return host_url, parts.path.rstrip("/")


def _operations(path: Path, document: dict[str, Any]) -> tuple[Operation, ...]:
    found = []
    for template, item in document.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation_id = item[method].get("operationId")
            if not operation_id:
                raise SpecError(f"{path}: {method.upper()} {template} has no operationId")
            found.append(Operation(operation_id, method, template))
    return tuple(found)


def resolve_refs(node: Any, document: dict[str, Any]) -> Any:
    """``node``, following local references (``{"$ref": "#/..."}``) in ``document`` to
    what they name; raises ``ValueError`` for any other kind of reference."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        if len(node) > 1 or not str(node["$ref"]).startswith("#/") or seen > 32:
            raise ValueError(f"unsupported reference {node!r}")
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node, seen = target, seen + 1
    return node
