"""InsForge authentication, as the server's ``verifyAdmin`` middleware does it.

Credentials, in the server's order of precedence:

1. ``Authorization: Bearer ik_...``: the project's admin API key;
2. header ``x-api-key: <key>`` (kept by InsForge for backward compatibility), whatever
   the key looks like;
3. any other ``Authorization: Bearer <token>``: a JWT, which must carry the admin role.

The tenant is the project the credential belongs to: every InsForge project is a server
of its own, so a credential never reaches another project's secrets. Every secrets
operation requires admin; a valid non-admin credential (role ``user``) is refused.

An API key (forms 1 and 2) is accepted only when it is one of the project's admin keys
still valid on the emulated clock (``verifyApiKey``: the stored ``API_KEY``, or a
rotated one in its grace period, see ``keys``); anything else is 401 "Invalid API key".
"""

from __future__ import annotations

from collections.abc import Mapping

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.store import Credential
from secretmock.engine.vendor_api import CredentialLookup, Principal
from secretmock.vendors.insforge.errors import (
    CHECK_ADMIN_TOKEN,
    CHECK_API_KEY,
    CHECK_TOKEN,
    AdminRequired,
    InvalidApiKey,
    InvalidCredentials,
)
from secretmock.vendors.insforge.keys import ADMIN, API_KEY_PREFIX, is_admin_key


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    bearer = exact_bearer_token(request.headers)
    api_key = bearer if bearer and bearer.startswith(API_KEY_PREFIX) else None
    api_key = api_key or request.headers.get("x-api-key") or None
    if api_key is not None:
        credential = lookup(api_key)
        if credential is None or not is_admin_key(credential, request.sources.now):
            raise InvalidApiKey("Invalid API key", CHECK_API_KEY)
    elif bearer is None:
        raise InvalidCredentials("No admin token provided", CHECK_TOKEN)
    else:
        credential = lookup(bearer)
        if credential is None:
            raise InvalidCredentials("Invalid admin token", CHECK_ADMIN_TOKEN)
    return _admin(credential)


def exact_bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of ``Authorization: Bearer <token>``, or ``None``.

    Exactly as the server reads it (``startsWith('Bearer ')``, docs/vendors/insforge.md):
    the scheme is case-sensitive and followed by one space; an empty token counts as
    none. The other vendors read it leniently (``common.lenient_bearer_token``)."""
    header = headers.get("authorization", "")
    token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
    return token or None


def _admin(credential: Credential) -> Principal:
    if credential.role != ADMIN:
        raise AdminRequired("Admin access required", CHECK_ADMIN_TOKEN)
    return Principal(credential.tenant_id, credential.role, credential.user)
