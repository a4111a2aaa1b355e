"""InsForge operations, keyed by operationId: a Call in, a Reply out."""

from __future__ import annotations

from secretmock.engine.vendor_api import Call, Handler, Reply
from secretmock.vendors.insforge import models


def list_secrets(call: Call) -> Reply:
    secrets = models.newest_first(call.tenant)
    return Reply(200, {"secrets": [models.metadata(s) for s in secrets]})


def create_secret(call: Call) -> Reply:
    secret = models.create(call.tenant, call.body, call.sources)
    return Reply(201, _done(secret.key, "created") | {"id": secret.id})


def get_secret(call: Call) -> Reply:
    secret = models.read_value(call.tenant, call.path["key"], call.sources.now())
    return Reply(200, {"key": secret.key, "value": secret.value})


def update_secret(call: Call) -> Reply:
    secret = models.update(call.tenant, call.path["key"], call.body, call.sources.now())
    return Reply(200, _done(secret.key, "updated"))


def delete_secret(call: Call) -> Reply:
    secret = models.delete(call.tenant, call.path["key"], call.sources.now())
    return Reply(200, _done(secret.key, "deleted"))


def _done(key: str, what: str) -> dict[str, object]:
    return {"success": True, "message": f"Secret {key} has been {what} successfully"}


HANDLERS: dict[str, Handler] = {
    "listSecrets": list_secrets,
    "createSecret": create_secret,
    "getSecret": get_secret,
    "updateSecret": update_secret,
    "deleteSecret": delete_secret,
}
