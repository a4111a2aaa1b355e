"""Prisme.ai authentication, as the API gateway does it (``services/api-gateway``).

* ``Authorization: Bearer <token>``: a session JWT or an access token;
* an access token (``at:...``) is also read from ``Authorization`` without the
  ``Bearer`` scheme, and from the legacy header ``x-prismeai-token`` when no
  ``Authorization`` is sent (``authentication/init.ts``: ``authorization ||
  x-prismeai-token``); the emulator's tokens that start with ``at:`` are access tokens;
* ``x-prismeai-api-key``: a workspace API key. A valid API key passes even beside an
  invalid Bearer: the gateway only notes an ``authError`` then (``allowApiKeyOnly`` in
  ``policies/authentication.ts``).

The tenant is the ``workspaceId`` path segment; a credential of another workspace is
still authenticated, with no role there (``Principal.role is None``): the handlers then
filter its reads to nothing and refuse its writes, as the permissions layer does.
"""

from __future__ import annotations

from collections.abc import Mapping

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.store import Credential
from secretmock.engine.vendor_api import CredentialLookup, Principal
from secretmock.vendors.common import lenient_bearer_token
from secretmock.vendors.prismeai.errors import MALFORMED_TOKEN, NO_TOKEN, AuthenticationError

API_KEY_HEADER = "x-prismeai-api-key"
LEGACY_TOKEN_HEADER = "x-prismeai-token"
ACCESS_TOKEN_PREFIX = "at:"


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    credential = _credential(request, lookup)
    workspace_id = request.path_params.get("workspaceId", credential.tenant_id)
    role = credential.role if credential.tenant_id == workspace_id else None
    return Principal(workspace_id, role, credential.user)


def _credential(request: IncomingRequest, lookup: CredentialLookup) -> Credential:
    """The first of the access token, the Bearer token and the API key that names a
    known credential."""
    headers = request.headers
    candidates = (
        access_token(headers),
        lenient_bearer_token(headers),
        headers.get(API_KEY_HEADER, "").strip(),
    )
    for token in candidates:
        credential = lookup(token) if token else None
        if credential is not None:
            return credential
    raise AuthenticationError(_refusal(headers))


def access_token(headers: Mapping[str, str]) -> str | None:
    """An access token from ``Authorization``, else from ``x-prismeai-token``, with or
    without ``Bearer `` (init.ts reads no other token from the legacy header)."""
    raw = headers.get("authorization") or headers.get(LEGACY_TOKEN_HEADER) or ""
    token = raw[len("Bearer ") :] if raw.startswith("Bearer ") else raw
    return token if token.startswith(ACCESS_TOKEN_PREFIX) else None


def _refusal(headers: Mapping[str, str]) -> str:
    """The 401's message: the gateway's ``authError`` for the Bearer it could not use;
    with an API key sent, the workspaces service decides (chosen: ``Unauthenticated``)."""
    if headers.get(API_KEY_HEADER, "").strip():
        return AuthenticationError.default_message
    return MALFORMED_TOKEN if lenient_bearer_token(headers) else NO_TOKEN
