"""Instabase AI Hub operations, keyed by operationId: a Call in, a Reply out.

All four verbs share ``/v2/aihub/secrets``; create, update and delete answer ``{}``.
Permission checks come after request validation (docs/architecture.md: auth, validation, rules).
"""

from __future__ import annotations

from secretmock.engine.vendor_api import Call, Handler, Reply
from secretmock.vendors.instabase import models
from secretmock.vendors.instabase.errors import Unauthorized


def create_secret(call: Call) -> Reply:
    models.require_admin(call.principal.role, "create secrets")
    models.create(call.tenant, call.body, _actor(call))
    return Reply(200, {})


def list_secrets(call: Call) -> Reply:
    workspace, alias = call.query.get("workspace"), call.query.get("alias")
    if workspace is None and call.principal.role != models.ADMIN:
        raise Unauthorized(
            "missing permissions: only organization admins can list all secrets; "
            "specify a workspace"
        )
    secrets = models.visible(call.tenant, workspace, alias)
    org = call.tenant.tenant_id
    return Reply(200, {"secrets": [models.resource(org, s) for s in secrets]})


def update_secret(call: Call) -> Reply:
    models.require_admin(call.principal.role, "update secrets")
    models.update(call.tenant, call.body, _actor(call))
    return Reply(200, {})


def delete_secret(call: Call) -> Reply:
    models.require_admin(call.principal.role, "delete secrets")
    models.delete(call.tenant, call.body["alias"])
    return Reply(200, {})


def _actor(call: Call) -> models.Actor:
    return models.Actor.now(call.principal.user, call.sources)


HANDLERS: dict[str, Handler] = {
    "create_secret": create_secret,
    "list_secrets": list_secrets,
    "update_secret": update_secret,
    "delete_secret": delete_secret,
}
