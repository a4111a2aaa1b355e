"""Prisme.ai authentication: ``Authorization: Bearer <token>`` or ``x-prismeai-api-key``.

Both headers name a credential of the same table (docs/vendors/prismeai.md). The tenant is
the ``workspaceId`` path segment; a credential of another workspace is still
authenticated, with no role there (``Principal.role is None``): the handlers then
filter its reads to nothing and refuse its writes, as the permissions layer does.
"""

from __future__ import annotations

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.store import Credential
from secretmock.engine.vendor_api import CredentialLookup, Principal
from secretmock.vendors.common import lenient_bearer_token
from secretmock.vendors.prismeai.errors import AuthenticationError

API_KEY_HEADER = "x-prismeai-api-key"


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    credential = _credential(request, lookup)
    workspace_id = request.path_params.get("workspaceId", credential.tenant_id)
    role = credential.role if credential.tenant_id == workspace_id else None
    return Principal(workspace_id, role, credential.user)


def _credential(request: IncomingRequest, lookup: CredentialLookup) -> Credential:
    """The first of the Bearer token and the API key that names a known credential."""
    headers = request.headers
    for token in (lenient_bearer_token(headers), headers.get(API_KEY_HEADER, "").strip()):
        credential = lookup(token) if token else None
        if credential is not None:
            return credential
    raise AuthenticationError().with_correlation(request)
