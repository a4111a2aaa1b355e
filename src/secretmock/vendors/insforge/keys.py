"""InsForge's own keys: the built-in reserved secrets, the admin API key, and rotation.

As in the server (``secret.service.ts``, docs/vendors/insforge.md):

* the project's stored ``API_KEY`` secret **is** its admin API key: ``verifyApiKey``
  accepts the value of the active ``API_KEY`` row, or of an ``API_KEY_OLD_<ms>`` row
  whose grace period has not ended. Here that key is the project's ``ik_`` credential:
  the fixtures' one when they give it, else a new ``ik_`` + 64 hex;
* rotation renames the active row ``<KEY>_OLD_<ms>`` with ``expiresAt`` = now + the grace
  period (still active and reserved) and inserts a new row under the key;
* the JWT signing key pair (``JWT_PRIVATE_KEY``, ``JWT_PUBLIC_KEY``, ``JWT_KEY_ID``) is
  seeded with the other built-ins.

The tenant's credentials follow the rows: the old admin key's credential gets the grace
period's end as its expiry, the new key gets a credential of its own. Every time comes
from ``sources.now()``, the emulated clock.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from secretmock.engine.sources import Sources
from secretmock.engine.store import Credential
from secretmock.engine.violations import json_type
from secretmock.vendors.common import unix_millis
from secretmock.vendors.insforge.errors import InternalError, InvalidInput
from secretmock.vendors.insforge.models import Tenant, add_reserved

ADMIN = "admin"
API_KEY_PREFIX = "ik_"
ANON_KEY_PREFIX = "anon_"
API_KEY, ANON_KEY = "API_KEY", "ANON_KEY"
API_KEY_GRACE = (24, 168)
"""Default and largest grace period in hours (shared-schemas ``rotateApiKeyRequestSchema``)."""
ANON_KEY_GRACE = (168, 720)
"""The same for the anon key (``rotateAnonKeyRequestSchema``)."""
_JS_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?Infinity")


def init_tenant(tenant: Tenant, sources: Sources) -> None:
    """The reserved secrets every project has, values made from ``sources``; raises
    ``ValueError`` when the fixtures' credentials give the project no single admin key."""
    api_key = _admin_key(tenant, sources)
    builtins = {
        API_KEY: api_key,
        ANON_KEY: ANON_KEY_PREFIX + sources.hex(64),
        "JWT_SECRET": sources.hex(64),
        "INSFORGE_BASE_URL": f"https://{tenant.tenant_id}.us-east.insforge.app",
    }
    for key, value in builtins.items():
        add_reserved(tenant, key, value, sources)
    pair_seed = sources.hex(32)
    add_reserved(tenant, "JWT_PRIVATE_KEY", "", sources, f"private:{pair_seed}")
    add_reserved(tenant, "JWT_PUBLIC_KEY", "", sources, f"public:{pair_seed}")
    add_reserved(tenant, "JWT_KEY_ID", "kid_" + sources.hex(32), sources)


def is_admin_key(credential: Credential | None, now: Callable[[], datetime]) -> bool:
    """Whether ``credential`` is one of the project's admin API keys, still accepted at
    the time ``now`` reads (read only for a key that expires)."""
    return (
        credential is not None
        and credential.token.startswith(API_KEY_PREFIX)
        and credential.role == ADMIN
        and credential.live(now)
    )


def rotate(tenant: Tenant, key: str, hours: float, sources: Sources) -> tuple[str, datetime]:
    """Rotates ``API_KEY`` or ``ANON_KEY``: ``(new value, end of the old one's grace)``.

    The old row is named after the millisecond of the rotation. On the real server two
    rotations never share one (its clock moves; were they to, the unique key would fail
    the second with a 500); under a frozen emulated clock every second rotation would, so
    the name takes the next free millisecond instead (chosen, docs/vendors/insforge.md)."""
    what = "API key" if key == API_KEY else "anon key"
    now = sources.now()
    current = tenant.secrets.get(key)
    if current is None or not current.is_active:
        raise InternalError(f"Failed to rotate {what}")
    millis = unix_millis(now)
    while f"{key}_OLD_{millis}" in tenant.secrets:
        millis += 1
    old_key = f"{key}_OLD_{millis}"
    try:
        expires_at = now + timedelta(hours=hours)
    except OverflowError:  # the emulated clock holds the years 1 to 9999 (chosen)
        raise InvalidInput("Invalid request: the grace period ends after the year 9999") from None
    prefix = API_KEY_PREFIX if key == API_KEY else ANON_KEY_PREFIX
    new_value = prefix + sources.hex(64)
    # Renamed in place: the row keeps its id, creation time and place among equals.
    tenant.secrets = {(old_key if k == key else k): s for k, s in tenant.secrets.items()}
    current.key, current.expires_at, current.updated_at = old_key, expires_at, now
    add_reserved(tenant, key, new_value, sources)
    if key == API_KEY:
        _hand_over(tenant, current.value, new_value, expires_at)
    return new_value, expires_at


def grace_period_hours(body: Any, default: int, maximum: int) -> float:
    """``gracePeriodHours`` as the server's zod schema reads it:
    ``z.coerce.number().int().nonnegative().max(maximum).optional()``; absent: ``default``.
    A refusal is 400 ``Invalid request: <zod's messages, joined by ", ">``."""
    if body is None:
        body = {}  # express.json() leaves an empty body as {}
    if not isinstance(body, dict):
        raise InvalidInput(f"Invalid request: Expected object, received {json_type(body)[0]}")
    if "gracePeriodHours" not in body:
        return default
    hours = js_number(body["gracePeriodHours"])
    if math.isnan(hours):
        raise InvalidInput("Invalid request: Expected number, received nan")
    problems = []
    if not math.isfinite(hours) or hours != int(hours):
        problems.append("Expected integer, received float")
    if hours < 0:
        problems.append("Number must be greater than or equal to 0")
    if hours > maximum:
        problems.append(f"Number must be less than or equal to {maximum}")
    if problems:
        raise InvalidInput("Invalid request: " + ", ".join(problems))
    return hours


def js_number(raw: Any) -> float:
    """JavaScript's ``Number(raw)`` for JSON values (zod's ``coerce``): ``null`` and
    ``""`` are 0, ``true`` 1, a numeric string its number, ``[]`` 0, ``[x]`` as ``x``,
    anything else NaN."""
    if isinstance(raw, bool):
        return float(raw)
    if isinstance(raw, int | float):
        return float(raw)
    if raw is None:
        return 0.0
    if isinstance(raw, list):
        return js_number(raw[0] if raw else "") if len(raw) <= 1 else math.nan
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return 0.0
        if text.lower().startswith(("0x", "0o", "0b")):
            try:
                return float(int(text, 0))
            except ValueError:
                return math.nan
        return float(text.replace("Infinity", "inf")) if _JS_NUMBER.fullmatch(text) else math.nan
    return math.nan


def _admin_key(tenant: Tenant, sources: Sources) -> str:
    """The project's admin API key: its one ``ik_`` credential, or a new one."""
    keys = [c for c in tenant.credentials.values() if c.token.startswith(API_KEY_PREFIX)]
    if any(c.role != ADMIN for c in keys):
        raise ValueError("an ik_ token is the project's admin API key: its role must be admin")
    if len(keys) > 1:
        raise ValueError(f"a project has one admin API key (ik_...), the fixtures give {len(keys)}")
    if keys:
        return keys[0].token
    token = API_KEY_PREFIX + sources.hex(64)
    tenant.credentials[token] = Credential(
        token, tenant.tenant_id, ADMIN, f"{tenant.tenant_id}-admin"
    )
    return token


def _hand_over(tenant: Tenant, old: str, new: str, old_expires_at: datetime) -> None:
    """The credentials after an admin key rotation: the old key until its grace period
    ends, the new key from now on, acting as the same user."""
    holder = tenant.credentials.get(old)
    user = holder.user if holder else f"{tenant.tenant_id}-admin"
    if holder is not None:
        tenant.credentials[old] = dataclasses.replace(holder, expires_at=old_expires_at)
    tenant.credentials[new] = Credential(new, tenant.tenant_id, ADMIN, user)
