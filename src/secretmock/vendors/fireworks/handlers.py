"""Fireworks operations, keyed by operationId: a Call in, a Reply out."""

from __future__ import annotations

from secretmock.engine.vendor_api import Call, Handler, Reply
from secretmock.vendors.fireworks import models


def create_secret(call: Call) -> Reply:
    secret = models.create(call.tenant, call.body)
    return Reply(200, models.resource(call.tenant.tenant_id, secret))


def list_secrets(call: Call) -> Reply:
    secrets, next_token = models.page(
        call.tenant, call.query.get("pageSize"), call.query.get("pageToken")
    )
    account = call.tenant.tenant_id
    return Reply(
        200,
        {
            "secrets": [models.resource(account, s) for s in secrets],
            "nextPageToken": next_token,
            "totalSize": len(call.tenant.secrets),
        },
    )


def get_secret(call: Call) -> Reply:
    secret = models.get(call.tenant, call.path["secret_id"])
    return Reply(200, models.resource(call.tenant.tenant_id, secret))


def update_secret(call: Call) -> Reply:
    secret = models.update(call.tenant, call.path["secret_id"], call.body)
    return Reply(200, models.resource(call.tenant.tenant_id, secret))


def delete_secret(call: Call) -> Reply:
    models.delete(call.tenant, call.path["secret_id"])
    return Reply(200, {})


HANDLERS: dict[str, Handler] = {
    "Gateway_CreateSecret": create_secret,
    "Gateway_ListSecrets": list_secrets,
    "Gateway_GetSecret": get_secret,
    "Gateway_UpdateSecret": update_secret,
    "Gateway_DeleteSecret": delete_secret,
}
