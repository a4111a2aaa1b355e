"""LangWatch authentication: a project API key, in one of three header forms.

The server reads, in this order (``auth-middleware.ts`` ``extractCredentials``;
docs/vendors/langwatch.md):

1. ``Authorization: Basic base64(projectId:token)``;
2. ``Authorization: Bearer <token>``, with an optional ``X-Project-Id``;
3. ``X-Auth-Token: <token>`` (the documented scheme), with an optional ``X-Project-Id``.

A malformed Basic header or an empty Bearer falls through to ``X-Auth-Token``, so a
header injected by a proxy does not hide a good key. The tenant is always the key's
own project. A project id named beside the key (Basic, ``X-Project-Id``) is ignored for
a legacy project key (``sk-lw-...`` not shaped as an API key: the server looks it up by
the key alone, ``token-resolver.ts`` ``resolveLegacyProjectKey``); for an API key
(``sk-lw-<16>_<48>``, ``pat-lw-``, ``ik-lw-``) naming another project makes the
credentials invalid (chosen: every emulator key is bound to one project).

Roles: ``admin`` holds ``secrets:view`` and ``secrets:manage``; ``viewer`` holds
``secrets:view`` only (a scoped API key without the manage permission). As on the
server, where the access middleware runs before the body validator, the permission is
checked here, before the request is validated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import CredentialLookup, Principal
from secretmock.vendors.common import basic_credentials, lenient_bearer_token
from secretmock.vendors.langwatch.errors import (
    AUTH_REQUIRED,
    INVALID_CREDENTIALS,
    PermissionDenied,
    Unauthorized,
)

VIEW = "secrets:view"
MANAGE = "secrets:manage"
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({VIEW, MANAGE}),
    "viewer": frozenset({VIEW}),
}
PERMISSION_OF: dict[str, str] = {
    "getApiSecrets": VIEW,
    "getApiSecretsById": VIEW,
    "postApiSecrets": MANAGE,
    "putApiSecretsById": MANAGE,
    "deleteApiSecretsById": MANAGE,
}
"""The permission each operation requires (app.ts ``requires(...)``)."""


API_KEY_BODY = re.compile(r"[0-9A-Za-z]{16}_[0-9A-Za-z]{48}")
"""An API key's body after ``sk-lw-`` (``api-key-token.utils.ts`` ``API_KEY_BODY_REGEX``)."""
API_KEY_PREFIXES = ("pat-lw-", "ik-lw-")


def is_api_key(token: str) -> bool:
    """Whether the server reads ``token`` as an API key rather than a legacy project key
    (``getTokenType``): a ``pat-lw-``/``ik-lw-`` key, or ``sk-lw-`` with an API key's body."""
    if token.startswith(API_KEY_PREFIXES):
        return True
    return token.startswith("sk-lw-") and API_KEY_BODY.fullmatch(token[6:]) is not None


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    """The caller, on its key's project, holding the operation's permission; raises the
    middleware's 401, or the 403 ``api_key_permission_denied``, otherwise."""
    found = extract_credentials(request.headers)
    if found is None:
        raise Unauthorized(AUTH_REQUIRED)
    token, project_id = found
    credential = lookup(token)
    if credential is None:
        raise Unauthorized(INVALID_CREDENTIALS)
    if project_id not in (None, credential.tenant_id) and is_api_key(token):
        raise Unauthorized(INVALID_CREDENTIALS)
    require(credential.role, PERMISSION_OF[request.operation_id or ""])
    return Principal(credential.tenant_id, credential.role, credential.user)


def extract_credentials(headers: Mapping[str, str]) -> tuple[str, str | None] | None:
    """``(token, project id or None)`` from the first usable header form, or ``None``."""
    basic = basic_credentials(headers)
    if basic is not None:
        named_project, basic_token = basic
        return basic_token, named_project
    token = lenient_bearer_token(headers) or headers.get("x-auth-token")
    return (token, headers.get("x-project-id") or None) if token else None


def require(role: str | None, permission: str) -> None:
    """Raises the 403 ``api_key_permission_denied`` unless ``role`` grants ``permission``."""
    if permission not in ROLE_PERMISSIONS.get(role or "", frozenset()):
        raise PermissionDenied(permission)
