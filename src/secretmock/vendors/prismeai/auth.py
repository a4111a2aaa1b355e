"""Prisme.ai authentication, as the API gateway does it (``services/api-gateway``).

* ``Authorization: Bearer <token>``: a session JWT or an access token;
* an access token (``at:...``) is also read from ``Authorization`` without the
  ``Bearer`` scheme, and from the legacy header ``x-prismeai-token`` when no
  ``Authorization`` is sent (``authentication/init.ts``: ``authorization ||
  x-prismeai-token``); the emulator's tokens that start with ``at:`` are access tokens.
  ``init.ts`` validates such a token first, before passport and the API-key policy: an
  unknown one is 401 "Invalid access token", an expired one "Expired access token",
  whatever else the request carries;
* ``x-prismeai-api-key``: a workspace API key. A valid API key passes even beside an
  invalid Bearer: the gateway only notes an ``authError`` then (``allowApiKeyOnly`` in
  ``policies/authentication.ts``).

The tenant is the ``workspaceId`` path segment; a credential of another workspace is
still authenticated, with no role there (``Principal.role is None``): the handlers then
filter its reads to nothing and refuse its writes, as the permissions layer does.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.store import Credential
from secretmock.engine.vendor_api import CredentialLookup, Principal
from secretmock.vendors.common import lenient_bearer_token
from secretmock.vendors.prismeai.errors import (
    EXPIRED_ACCESS_TOKEN,
    INVALID_ACCESS_TOKEN,
    INVALID_TOKEN,
    MALFORMED_TOKEN,
    NO_TOKEN,
    UNKNOWN_KEY,
    AuthenticationError,
)

API_KEY_HEADER = "x-prismeai-api-key"
LEGACY_TOKEN_HEADER = "x-prismeai-token"
ACCESS_TOKEN_PREFIX = "at:"


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    credential = _credential(request, lookup)
    workspace_id = request.path_params.get("workspaceId", credential.tenant_id)
    role = credential.role if credential.tenant_id == workspace_id else None
    return Principal(workspace_id, role, credential.user)


def _credential(request: IncomingRequest, lookup: CredentialLookup) -> Credential:
    """An access token's credential, which must be known and live; otherwise the first of
    the Bearer token and the API key that names a known credential."""
    headers = request.headers
    token = access_token(headers)
    if token is not None:
        return _access_token_credential(token, lookup, request.sources.now)
    bearer = lenient_bearer_token(headers)
    if bearer is not None and bearer.startswith(ACCESS_TOKEN_PREFIX):
        bearer = None  # only init.ts takes access tokens: to passport-jwt it is no JWT
    for candidate in (bearer, headers.get(API_KEY_HEADER, "").strip()):
        credential = lookup(candidate) if candidate else None
        if credential is not None:
            return credential
    raise AuthenticationError(_refusal(headers))


def _access_token_credential(
    token: str, lookup: CredentialLookup, now: Callable[[], datetime]
) -> Credential:
    """``validateAccessToken``: the token's credential, or 401 "Invalid access token"
    (none) or "Expired access token" (``expiresAt`` before now, on the emulated clock)."""
    credential = lookup(token)
    if credential is None:
        raise AuthenticationError(INVALID_ACCESS_TOKEN)
    if credential.expires_at is not None and credential.expires_at < now():
        raise AuthenticationError(EXPIRED_ACCESS_TOKEN)
    return credential


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
    token = lenient_bearer_token(headers)
    return NO_TOKEN if token is None else jwt_refusal(token)


_JWS = re.compile(r"[A-Za-z0-9_-]+?\.[A-Za-z0-9_-]+?\.([A-Za-z0-9_-]+)?")
"""jws 3.2.2's ``JWS_REGEX``: two non-empty base64url segments and a signature."""


def jwt_refusal(token: str) -> str:
    """What passport-jwt makes of an unknown Bearer token (jsonwebtoken 9.0.2 ``verify``,
    jwks-rsa 3.0.1 ``passportJwtSecret``, as the gateway's lock file has them):

    * not three ``.``-separated parts: "jwt malformed" (``MALFORMED_TOKEN``);
    * three parts jws cannot decode (its header is no JSON): "invalid token" (also,
      chosen, for a ``typ: JWT`` header over a payload that is no JSON, where the
      gateway passes on ``JSON.parse``'s own message);
    * a decodable, signed JWT: jwks-rsa finds no key for it (no emulated token is one of
      the gateway's) and answers none, so jsonwebtoken refuses with "secret or public
      key must be provided" (``UNKNOWN_KEY``).

    An unsigned one (an empty third part) meets other jsonwebtoken checks the emulator
    does not follow: "Malformed authentication token" (chosen)."""
    parts = token.split(".")
    if len(parts) != 3:
        return MALFORMED_TOKEN
    found = _JWS.fullmatch(token)
    header = _json_segment(parts[0]) if found is not None else None
    if header is None:
        return INVALID_TOKEN
    if isinstance(header, dict) and header.get("typ") == "JWT" and _json_segment(parts[1]) is None:
        return INVALID_TOKEN  # jws throws JSON.parse's SyntaxError: its message (chosen)
    if not parts[2]:
        return MALFORMED_TOKEN
    return UNKNOWN_KEY


def _json_segment(segment: str) -> object | None:
    """A base64url segment's JSON value, when it decodes to a truthy one (jws's
    ``safeJsonParse`` of the header)."""
    try:
        decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value: object = json.loads(decoded.decode("latin-1"))
    except (binascii.Error, ValueError):
        return None
    return value if value else None
