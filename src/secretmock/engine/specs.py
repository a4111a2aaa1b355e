"""Loading a vendor's OpenAPI document, once per process.

:func:`load_spec` reads the YAML, checks it with openapi-spec-validator, and lists
its operations. Nothing here is repeated per request.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from openapi_spec_validator import validate as validate_spec

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
    host_url: str
    """Scheme and host of the first server, for openapi-core's server matching."""
    base_path: str
    """Path part of the first server URL ('' or e.g. '/api'): clients put it after the mount."""


@functools.cache
def load_spec(path: Path) -> LoadedSpec:
    """Loads and checks the spec at ``path`` (cached: one load per process and file)."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"{path}: cannot read the spec: {exc}") from exc
    try:
        validate_spec(document)
    except Exception as exc:  # the validator raises several unrelated types
        raise SpecError(f"{path}: not a valid OpenAPI document: {exc}") from exc
    host_url, base_path = _first_server(document)
    return LoadedSpec(path, document, _operations(path, document), host_url, base_path)


def _first_server(document: dict[str, Any]) -> tuple[str, str]:
    servers = document.get("servers") or [{"url": "/"}]
    parts = urlsplit(servers[0]["url"])
    host_url = f"{parts.scheme}://{parts.netloc}" if parts.netloc else "http://localhost"
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
