"""Fireworks authentication: ``Authorization: Bearer <API key>``, one key per account.

The account is the ``account_id`` path segment. A key used on another account's
path is refused with PERMISSION_DENIED (403): it never sees that account's secrets.
"""

from __future__ import annotations

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import CredentialLookup, Principal
from secretmock.vendors.common import bearer_credential
from secretmock.vendors.fireworks.errors import PermissionDenied, Unauthenticated


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    credential = bearer_credential(
        request.headers, lookup, Unauthenticated, "API key", "FIREWORKS_API_KEY"
    )
    account_id = request.path_params.get("account_id", credential.tenant_id)
    if account_id != credential.tenant_id:
        raise PermissionDenied(f"permission denied on account {account_id!r}")
    return Principal(account_id, credential.role, credential.user)
