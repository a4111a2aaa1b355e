"""InsForge's drift profile (see ``secretmock.engine.drift_profile``).

From the spec's ``ErrorResponse`` (``error`` is the code and ``statusCode`` repeats the
status: both compared exactly; ``message`` and ``nextActions`` are text), the secrets
schemas (records unique by ``key``; ``id`` a generated uuid; ``getSecret`` answers the
path's ``key`` and the secret's ``value``; rotation answers a new ``apiKey`` or
``anonKey``, secrets themselves and new credentials) and ``auth.py``/``keys.py`` (a
Bearer ``ik_`` key or ``x-api-key``, else a JWT; the tenant is the key's own project).
"""

from collections.abc import Mapping
from typing import Any

from secretmock.engine.drift_profile import RESYNC_VALUE, DriftProfile, Headers
from secretmock.vendors.insforge.auth import exact_bearer_token
from secretmock.vendors.insforge.keys import ANON_KEY_PREFIX, API_KEY_PREFIX


def _token(headers: Headers) -> str | None:
    bearer = exact_bearer_token(headers)
    if bearer and bearer.startswith(API_KEY_PREFIX):
        return bearer
    return headers.get("x-api-key") or bearer


def _seed_entry(key: str, listed: Mapping[str, Any]) -> dict[str, Any] | None:
    """A listed ``SecretMetadata`` as a fixtures entry; a soft-deleted row cannot be
    seeded (fixtures make active secrets)."""
    if listed.get("isActive") is False:
        return None
    entry = {"key": listed["key"], "value": RESYNC_VALUE}
    entry.update({name: listed[name] for name in ("isReserved", "expiresAt") if name in listed})
    return entry


PROFILE = DriftProfile(
    code_fields=frozenset({"error", "statusCode"}),
    message_fields=frozenset({"message", "nextActions"}),
    credential=_token,
    credential_headers=frozenset({"authorization", "x-api-key"}),
    secret_fields=frozenset({"value", "apiKey", "anonKey"}),
    echo_fields={"getSecret": ("/key",)},
    record_keys=("key",),
    id_fields=frozenset({"id", "apiKey", "anonKey"}),
    credential_prefixes=(API_KEY_PREFIX, ANON_KEY_PREFIX),
    seed_entry=_seed_entry,
)
