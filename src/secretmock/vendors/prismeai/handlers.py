"""Prisme.ai operations, keyed by operationId: a Call in, a Reply out.

Every answer, error or not, gets its ``x-correlation-id`` from the vendor's reply hook
(``errors.finish``).
"""

from __future__ import annotations

from typing import Any

from secretmock.engine.vendor_api import Call, Handler, Reply
from secretmock.vendors.prismeai import models


def get_secrets(call: Call) -> Reply:
    return Reply(200, models.read_map(call.tenant, call.principal.role))


def update_secrets(call: Call) -> Reply:
    """PUT: the body is the whole map; names it leaves out are deleted."""
    return Reply(200, _write(call, replace=True))


def patch_secrets(call: Call) -> Reply:
    """PATCH: the body's names are created or updated; the others stay."""
    return Reply(200, _write(call, replace=False))


def delete_secret(call: Call) -> Reply:
    name = call.path["secretName"]
    models.delete(call.tenant, call.principal.role, name)
    return Reply(200, {"secretName": name})


def _write(call: Call, replace: bool) -> dict[str, dict[str, Any]]:
    principal = call.principal
    return models.write(
        call.tenant, principal.role, principal.user, call.body, replace, call.sources
    )


HANDLERS: dict[str, Handler] = {
    "getWorkspaceSecrets": get_secrets,
    "updateWorkspaceSecrets": update_secrets,
    "patchWorkspaceSecrets": patch_secrets,
    "deleteWorkspaceSecret": delete_secret,
}
