"""Prisme.ai's drift profile (see ``secretmock.engine.drift_profile``).

From ``errors.py`` and the spec's error schemas (``error`` names the error class and
``details[].errorCode`` the validator's rule; ``message`` is text), ``WorkspaceSecrets``
(one map keyed by secret name, so no list to align; each entry's ``id`` is generated,
``createdBy``/``updatedBy`` are the account's users; PUT and PATCH answer the map with
the values the request gave, and DELETE the path's ``secretName``), ``auth.py`` (a
Bearer token, an ``at:`` access token, or ``x-prismeai-api-key``; the workspace is a
path segment) and the ``x-correlation-id`` every answer carries.
"""

from collections.abc import Mapping
from typing import Any

from secretmock.engine.drift_profile import DriftProfile, Headers, PathParams
from secretmock.vendors.common import lenient_bearer_token
from secretmock.vendors.prismeai.auth import (
    ACCESS_TOKEN_PREFIX,
    API_KEY_HEADER,
    LEGACY_TOKEN_HEADER,
    access_token,
)


def _token(headers: Headers) -> str | None:
    return (
        access_token(headers)
        or lenient_bearer_token(headers)
        or headers.get(API_KEY_HEADER, "").strip()
        or None
    )


def _workspace(headers: Headers, path_params: PathParams) -> str | None:
    return path_params.get("workspaceId")


def _seed_entry(key: str, listed: Mapping[str, Any]) -> dict[str, Any] | None:
    """An entry of the secrets map as a fixtures entry: the map shows the value."""
    entry = {"name": key, "value": listed.get("value")}
    if isinstance(listed.get("description"), str):
        entry["description"] = listed["description"]
    return entry


PROFILE = DriftProfile(
    code_fields=frozenset({"error", "errorCode"}),
    message_fields=frozenset({"message"}),
    credential=_token,
    credential_headers=frozenset({"authorization", API_KEY_HEADER, LEGACY_TOKEN_HEADER}),
    secret_fields=frozenset({"value"}),
    echo_fields={
        "updateWorkspaceSecrets": ("/*/value",),
        "patchWorkspaceSecrets": ("/*/value",),
        "deleteWorkspaceSecret": ("/secretName",),
    },
    id_fields=frozenset({"id", "createdBy", "updatedBy"}),
    credential_prefixes=(ACCESS_TOKEN_PREFIX,),
    vendor_headers=frozenset({"x-correlation-id"}),
    tenant=_workspace,
    seed_entry=_seed_entry,
)
