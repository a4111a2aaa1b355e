"""Instabase authentication: ``Authorization: Bearer <API token>`` plus ``IB-Context``.

A token belongs to one organization (the tenant) and acts as one user. Secrets belong
to organizations, and ``IB-Context: <organization id>`` is the only way to act in one
(Instabase's own spec ``instabase/aihub-openapi`` since 71ade2a: "Typically your
organization ID"; the developer quickstart: "the only way to identify a request as
coming from your organization account"). Without the header, or naming the caller's
own user id, a request selects no organization: 401, the emulator's decision (no
Instabase source says what such a call gets; 401 is the response-statuses page's answer
for missing permissions). Naming another organization or user is 401 "invalid
IB-Context": a token never sees another organization's secrets. docs/vendors/instabase.md
has both doc generations and the decision.
"""

from __future__ import annotations

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import CredentialLookup, Principal
from secretmock.vendors.common import bearer_credential
from secretmock.vendors.instabase.errors import Unauthorized

IB_CONTEXT = "ib-context"
NO_ORGANIZATION = (
    "secrets belong to an organization: set the IB-Context header to your organization ID "
    "(without it, or with your user ID, no organization is selected)"
)


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    credential = bearer_credential(request.headers, lookup, Unauthorized, "API token", "API token")
    context = request.headers.get(IB_CONTEXT, "").strip()
    if not context or context == credential.user:
        raise Unauthorized(NO_ORGANIZATION)
    if context != credential.tenant_id:
        raise Unauthorized(f"invalid IB-Context {context!r}: not an account of this token")
    return Principal(credential.tenant_id, credential.role, credential.user)
