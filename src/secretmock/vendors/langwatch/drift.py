"""LangWatch's drift profile (see ``secretmock.engine.drift_profile``).

From ``errors.py`` and the spec's ``Error`` (``error`` is the code a client branches on;
the current server adds ``reasons[].code`` and zod's issue ``type``; ``message`` and
``detail`` are text), ``SecretResponse`` (``id`` is a generated nanoid, ``projectId`` the
key's own project; ``name`` comes back as created; records are unique by name), and
``auth.py`` (three header forms; the tenant is the key's own project, or the one a
Basic header or ``X-Project-Id`` names).
"""

from collections.abc import Mapping
from typing import Any

from secretmock.engine.drift_profile import RESYNC_VALUE, DriftProfile, Headers, PathParams
from secretmock.vendors.common import basic_credentials
from secretmock.vendors.langwatch.auth import API_KEY_PREFIXES, extract_credentials


def _token(headers: Headers) -> str | None:
    found = extract_credentials(headers)
    return found[0] if found else None


def _project(headers: Headers, path_params: PathParams) -> str | None:
    basic = basic_credentials(headers)
    return basic[0] if basic else headers.get("x-project-id") or None


def _seed_entry(key: str, listed: Mapping[str, Any]) -> dict[str, Any] | None:
    """A listed ``SecretResponse`` as a fixtures entry, keeping the vendor's id."""
    entry = {"name": listed["name"], "value": RESYNC_VALUE}
    if isinstance(listed.get("id"), str):
        entry["id"] = listed["id"]
    return entry


PROFILE = DriftProfile(
    code_fields=frozenset({"error", "code", "type"}),
    message_fields=frozenset({"message", "detail"}),
    credential=_token,
    credential_headers=frozenset({"authorization", "x-auth-token"}),
    secret_fields=frozenset({"value"}),
    echo_fields={
        "postApiSecrets": ("/name",),
        "getApiSecretsById": ("/id",),
        "putApiSecretsById": ("/id",),
        "deleteApiSecretsById": ("/id",),
    },
    record_keys=("name",),
    id_fields=frozenset({"id", "projectId"}),
    credential_prefixes=("sk-lw-", *API_KEY_PREFIXES),
    context_headers=frozenset({"x-project-id"}),
    tenant=_project,
    seed_entry=_seed_entry,
)
