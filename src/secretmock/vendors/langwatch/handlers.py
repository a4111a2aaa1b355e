"""LangWatch operations, keyed by operationId: a Call in, a Reply out."""

from __future__ import annotations

from typing import Any

from secretmock.engine.vendor_api import Call, Handler, Reply
from secretmock.vendors.langwatch import models
from secretmock.vendors.langwatch.errors import MalformedRequest, SchemaFailure
from secretmock.vendors.langwatch.zod import missing_fields


def list_secrets(call: Call) -> Reply:
    project = call.tenant.tenant_id
    return Reply(200, [models.resource(project, s) for s in models.listing(call.tenant)])


def create_secret(call: Call) -> Reply:
    body = _body(call)
    secret = models.create(call.tenant, body["name"], body["value"], call.sources)
    return Reply(201, models.resource(call.tenant.tenant_id, secret))


def get_secret(call: Call) -> Reply:
    secret = models.get(call.tenant, call.path["id"])
    return Reply(200, models.resource(call.tenant.tenant_id, secret))


def update_secret(call: Call) -> Reply:
    value = _body(call)["value"]
    secret = models.update(call.tenant, call.path["id"], value, call.sources)
    return Reply(200, models.resource(call.tenant.tenant_id, secret))


def delete_secret(call: Call) -> Reply:
    secret_id = call.path["id"]
    models.delete(call.tenant, secret_id)
    return Reply(200, {"id": secret_id, "deleted": True})


def _body(call: Call) -> dict[str, Any]:
    """The validated JSON body. The spec does not mark the body required, so a request
    without one reaches the handler: Hono then fails to parse an empty JSON body (400)
    and reads a body of any other type as ``{}`` (422, every field missing)."""
    if isinstance(call.body, dict):
        return call.body
    content_type = call.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        raise MalformedRequest()
    raise SchemaFailure(missing_fields(call.operation_id))


HANDLERS: dict[str, Handler] = {
    "getApiSecrets": list_secrets,
    "postApiSecrets": create_secret,
    "getApiSecretsById": get_secret,
    "putApiSecretsById": update_secret,
    "deleteApiSecretsById": delete_secret,
}
