"""InsForge operations, keyed by operationId: a Call in, a Reply out."""

from __future__ import annotations

from datetime import datetime

from secretmock.engine.vendor_api import Call, Handler, Reply
from secretmock.vendors.common import iso_timestamp
from secretmock.vendors.insforge import keys, models

ROTATED = "{} rotated successfully. Old key will remain valid during grace period."


def list_secrets(call: Call) -> Reply:
    secrets = models.newest_first(call.tenant)
    return Reply(200, {"secrets": [models.metadata(s) for s in secrets]})


def create_secret(call: Call) -> Reply:
    secret = models.create(call.tenant, call.body, call.sources)
    return Reply(201, _done(secret.key, "created") | {"id": secret.id})


def get_secret(call: Call) -> Reply:
    secret = models.read_value(call.tenant, call.path["key"], call.sources.now())
    return Reply(200, {"key": secret.key, "value": secret.current_value()})


def update_secret(call: Call) -> Reply:
    secret = models.update(call.tenant, call.path["key"], call.body, call.sources.now())
    return Reply(200, _done(secret.key, "updated"))


def delete_secret(call: Call) -> Reply:
    secret = models.delete(call.tenant, call.path["key"], call.sources.now())
    return Reply(200, _done(secret.key, "deleted"))


def rotate_api_key(call: Call) -> Reply:
    hours = keys.grace_period_hours(call.body, *keys.API_KEY_GRACE)
    new_key, old_expires_at = keys.rotate(call.tenant, keys.API_KEY, hours, call.sources)
    return Reply(200, _rotated("API key", "apiKey", new_key, old_expires_at))


def rotate_anon_key(call: Call) -> Reply:
    hours = keys.grace_period_hours(call.body, *keys.ANON_KEY_GRACE)
    new_key, old_expires_at = keys.rotate(call.tenant, keys.ANON_KEY, hours, call.sources)
    return Reply(200, _rotated("Anon key", "anonKey", new_key, old_expires_at))


def _done(key: str, what: str) -> dict[str, object]:
    return {"success": True, "message": f"Secret {key} has been {what} successfully"}


def _rotated(what: str, field: str, new_key: str, old_expires_at: datetime) -> dict[str, object]:
    return {
        "success": True,
        "message": ROTATED.format(what),
        field: new_key,
        "oldKeyExpiresAt": iso_timestamp(old_expires_at),
    }


HANDLERS: dict[str, Handler] = {
    "listSecrets": list_secrets,
    "createSecret": create_secret,
    "getSecret": get_secret,
    "updateSecret": update_secret,
    "deleteSecret": delete_secret,
    "rotateApiKey": rotate_api_key,
    "rotateAnonKey": rotate_anon_key,
}
