"""Instabase AI Hub's drift profile (see ``secretmock.engine.drift_profile``).

From the spec's ``error`` schema (``{"message"}`` alone: no code field, so the message
is what a client can tell errors by), ``secret`` (records identified by ``alias``;
``created_by`` and ``last_updated_by`` are the account's user ids; ``value`` is never
answered), ``auth.py`` (a Bearer token and the ``IB-Context`` header naming the
organization). Create, update and delete answer ``{}``: nothing is echoed.
"""

from collections.abc import Mapping
from typing import Any

from secretmock.engine.drift_profile import RESYNC_VALUE, DriftProfile, Headers, PathParams
from secretmock.vendors.common import lenient_bearer_token
from secretmock.vendors.instabase.auth import IB_CONTEXT


def _organization(headers: Headers, path_params: PathParams) -> str | None:
    return headers.get(IB_CONTEXT, "").strip() or None


_LISTED_CREATE_FIELDS = ("alias", "description", "allowed_workspaces_type", "allowed_workspaces")


def _seed_entry(key: str, listed: Mapping[str, Any]) -> dict[str, Any] | None:
    """A listed ``secret`` as a fixtures entry: its create fields (its value never listed)."""
    entry = {name: listed[name] for name in _LISTED_CREATE_FIELDS if name in listed}
    return {**entry, "value": RESYNC_VALUE}


PROFILE = DriftProfile(
    code_fields=frozenset(),
    message_fields=frozenset({"message"}),
    credential=lenient_bearer_token,
    credential_headers=frozenset({"authorization"}),
    secret_fields=frozenset({"value"}),
    record_keys=("alias",),
    id_fields=frozenset({"created_by", "last_updated_by"}),
    context_headers=frozenset({IB_CONTEXT}),
    tenant=_organization,
    seed_entry=_seed_entry,
)
