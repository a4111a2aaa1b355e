"""Fireworks AI's drift profile (see ``secretmock.engine.drift_profile``).

From the spec's ``rpcStatus`` (``{code, message, details}``, grpc-gateway's error body:
the gRPC ``code`` is what clients branch on), ``gatewaySecret`` (``name`` and ``keyName``
come back as the request gave them; ``value`` is INPUT_ONLY), ``auth.py`` (a Bearer key,
the account a path segment) and ``models.py`` (ids are the client's own, so nothing
generated needs mapping).
"""

from collections.abc import Mapping
from typing import Any

from secretmock.engine.drift_profile import RESYNC_VALUE, DriftProfile, Headers, PathParams
from secretmock.vendors.common import lenient_bearer_token


def _account(headers: Headers, path_params: PathParams) -> str | None:
    return path_params.get("account_id")


def _seed_entry(key: str, listed: Mapping[str, Any]) -> dict[str, Any] | None:
    """A listed ``gatewaySecret`` as a fixtures entry (its full name is a create's name)."""
    return {"name": listed["name"], "keyName": listed.get("keyName"), "value": RESYNC_VALUE}


PROFILE = DriftProfile(
    code_fields=frozenset({"code"}),
    message_fields=frozenset({"message"}),
    credential=lenient_bearer_token,
    credential_headers=frozenset({"authorization"}),
    secret_fields=frozenset({"value"}),
    echo_fields={
        "Gateway_CreateSecret": ("/name", "/keyName"),
        "Gateway_UpdateSecret": ("/name", "/keyName"),
        "Gateway_GetSecret": ("/name",),
    },
    record_keys=("name",),
    tenant=_account,
    seed_entry=_seed_entry,
)
