"""Instabase AI Hub's drift profile (see ``secretmock.engine.drift_profile``).

From the spec's ``error`` schema (``{"message"}`` alone: no code field, so the message
is what a client can tell errors by), ``secret`` (records identified by ``alias``;
``created_by`` and ``last_updated_by`` are the account's user ids; ``value`` is never
answered), ``auth.py`` (a Bearer token and the ``IB-Context`` header naming the
organization). Create, update and delete answer ``{}``: nothing is echoed.
"""

from secretmock.engine.drift_profile import DriftProfile, Headers, PathParams
from secretmock.vendors.common import lenient_bearer_token
from secretmock.vendors.instabase.auth import IB_CONTEXT


def _organization(headers: Headers, path_params: PathParams) -> str | None:
    return headers.get(IB_CONTEXT, "").strip() or None


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
)
