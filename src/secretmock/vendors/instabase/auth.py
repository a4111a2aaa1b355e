"""Instabase authentication: ``Authorization: Bearer <API token>`` plus ``IB-Context``.

A token belongs to one organization (the tenant) and acts as one user. ``IB-Context``
names the account to act in: the organization id, or the user id for the caller's
own account. Absent (or blank), the token's own account is used; in the emulator that
is the organization the token belongs to. Naming any other organization is 401
("invalid IB-Context", docs response-statuses page): a token never sees another
organization's secrets.
"""

from __future__ import annotations

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import CredentialLookup, Principal
from secretmock.vendors.common import bearer_credential
from secretmock.vendors.instabase.errors import Unauthorized

IB_CONTEXT = "ib-context"


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    credential = bearer_credential(request.headers, lookup, Unauthorized, "API token", "API token")
    context = request.headers.get(IB_CONTEXT, "").strip()
    if context and context not in (credential.tenant_id, credential.user):
        raise Unauthorized(f"invalid IB-Context {context!r}: not an account of this token")
    return Principal(credential.tenant_id, credential.role, credential.user)
