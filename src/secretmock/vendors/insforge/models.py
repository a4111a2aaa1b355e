"""InsForge secrets: records and rules, free of HTTP.

A project's secrets are keyed by ``key`` (``^[A-Z0-9_]+$``), unique across active and
soft-deleted rows. Delete only marks a secret inactive; creating its key again revives
the same row. Reserved secrets refuse update and delete. A value is returned only by
:func:`read_value`, and only while the secret is active and unexpired.

Every function checks everything it needs before it changes anything, so a refused
request leaves the tenant as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from secretmock.engine.sources import Sources
from secretmock.engine.store import StoredRecord, TenantState
from secretmock.vendors.common import iso_timestamp
from secretmock.vendors.insforge.errors import (
    BAD_KEY_FORMAT,
    MISSING_KEY_OR_VALUE,
    Forbidden,
    InternalError,
    InvalidInput,
    SecretAlreadyExists,
    SecretNotFound,
)
from secretmock.vendors.insforge.rsa_keys import rsa_pem_pair

KEY = re.compile(r"[A-Z0-9_]+")
"""Matched whole (``fullmatch``), like the server's ``/^[A-Z0-9_]+$/``: Python's ``$``
would also accept a trailing newline."""
ROTATED_KEY = re.compile(r"[A-Z_]+_OLD_-[0-9]+")
"""An old row a rotation renamed before 1970 on the emulated clock (``<KEY>_OLD_<ms>``,
the milliseconds negative): the server names it so too; every later one matches ``KEY``."""
UPDATABLE = ("value", "isActive", "isReserved", "expiresAt")
CREATE_FIELDS = frozenset({"key", "value", "isReserved", "expiresAt"})


@dataclass(slots=True)  # no __dict__ per record: see StoredRecord
class Secret(StoredRecord):
    id: str
    key: str
    value: str
    is_active: bool
    is_reserved: bool
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None = None
    generated_from: str | None = None
    """``"private:<seed>"`` or ``"public:<seed>"``: the value is that half of an RSA key
    pair made from the seed on first read (``value`` is empty until then). Pure-Python
    RSA takes about a second, too slow for every reset of every project."""

    unique_fields: ClassVar[tuple[str, ...]] = ("id",)

    def check_record(self) -> None:
        """A key as create takes it (or as a rotation names the old row), an id, and a
        generated value's seed in its one form. The value may be empty: update sets any."""
        if not (KEY.fullmatch(self.key) or ROTATED_KEY.fullmatch(self.key)):
            raise ValueError(f"key: {BAD_KEY_FORMAT}")
        if not self.id:
            raise ValueError("id: must not be empty")
        if self.generated_from is not None:
            half, _, seed = self.generated_from.partition(":")
            if half not in ("private", "public") or not seed:
                raise ValueError("generated_from: expected 'private:<seed>' or 'public:<seed>'")

    def readable(self, now: datetime) -> bool:
        """Whether the value may be read: active, and no expiry or one still ahead."""
        return self.is_active and (self.expires_at is None or self.expires_at > now)

    def current_value(self) -> str:
        """The value, made now if it is generated on first read."""
        if self.generated_from is not None:
            half, seed = self.generated_from.split(":", 1)
            private, public = rsa_pem_pair(seed)
            self.value = private if half == "private" else public
            self.generated_from = None
        return self.value


Tenant = TenantState[Secret]
"""A tenant of this vendor: its records are :class:`Secret`."""


def metadata(secret: Secret) -> dict[str, Any]:
    """A ``SecretMetadata`` list item: everything but the value."""
    return {
        "id": secret.id,
        "key": secret.key,
        "isActive": secret.is_active,
        "isReserved": secret.is_reserved,
        "lastUsedAt": _timestamp(secret.last_used_at),
        "expiresAt": _timestamp(secret.expires_at),
        "createdAt": iso_timestamp(secret.created_at),
        "updatedAt": iso_timestamp(secret.updated_at),
    }


def newest_first(tenant: Tenant) -> list[Secret]:
    """Every secret, inactive ones included, newest first (``ORDER BY created_at DESC``;
    among equal times the later created comes first)."""
    rows: list[Secret] = list(reversed(tenant.secrets.values()))
    return sorted(rows, key=lambda s: s.created_at, reverse=True)


def create(tenant: Tenant, body: Mapping[str, Any], sources: Sources) -> Secret:
    """Creates ``body["key"]``, or revives it if soft-deleted; an active one is a 409.

    A revived secret keeps its id, creation time and, when the request gives no
    ``expiresAt``, its old expiry (the server only sets a truthy one)."""
    key, value = body.get("key"), body.get("value")
    if not isinstance(key, str) or not key or not isinstance(value, str) or not value:
        raise InvalidInput(MISSING_KEY_OR_VALUE)
    if not KEY.fullmatch(key):
        raise InvalidInput(BAD_KEY_FORMAT)
    expires_at = parse_expiry(body.get("expiresAt"))
    is_reserved = bool(body.get("isReserved", False))
    existing = _find(tenant, key)
    if existing is not None and existing.is_active:
        raise SecretAlreadyExists(key)
    now = sources.now()
    if existing is not None:
        existing.value, existing.is_active, existing.is_reserved = value, True, is_reserved
        existing.expires_at = expires_at or existing.expires_at
        existing.updated_at = now
        return existing
    secret = Secret(sources.uuid4(), key, value, True, is_reserved, expires_at, now, now)
    tenant.secrets[key] = secret
    return secret


def read_value(tenant: Tenant, key: str, now: datetime) -> Secret:
    """The secret, if active and unexpired; stamps ``lastUsedAt`` (and, as the server's
    update trigger does for every write to the row, ``updatedAt``)."""
    secret = _find(tenant, key)
    if secret is None or not secret.readable(now):
        raise SecretNotFound(key)
    secret.last_used_at = secret.updated_at = now
    return secret


def update(tenant: Tenant, key: str, body: Mapping[str, Any], now: datetime) -> Secret:
    """Applies the fields ``body`` gives, inactive secrets included; ``expiresAt: null``
    clears the expiry. Reserved secrets are refused, as is a body with nothing to change."""
    secret = _existing(tenant, key)
    if secret.is_reserved:
        raise Forbidden(f"Cannot update reserved secret: {key}")
    changes = {name: body[name] for name in UPDATABLE if name in body}
    if not changes:
        # The server's service finds nothing to update and the route answers 500.
        raise InternalError(f"Failed to update secret: {key}")
    expires_at = parse_expiry(changes["expiresAt"]) if "expiresAt" in changes else None
    if "value" in changes:
        secret.value = changes["value"]
    if "isActive" in changes:
        secret.is_active = changes["isActive"]
    if "isReserved" in changes:
        secret.is_reserved = changes["isReserved"]
    if "expiresAt" in changes:
        secret.expires_at = expires_at
    secret.updated_at = now
    return secret


def delete(tenant: Tenant, key: str, now: datetime) -> Secret:
    """Marks the secret inactive (again, if it already is); reserved secrets are refused."""
    secret = _existing(tenant, key)
    if secret.is_reserved:
        raise Forbidden(f"Cannot delete reserved secret: {key}")
    secret.is_active = False
    secret.updated_at = now
    return secret


def parse_expiry(raw: Any) -> datetime | None:
    """``expiresAt`` as a UTC time; ``None`` for null or absent. A time without an offset
    is taken as UTC (the server runs in UTC)."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidInput("Invalid request: expiresAt must be a date-time string or null")
    try:
        moment = datetime.fromisoformat(raw)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput("Invalid request: expiresAt is not a valid date-time") from exc


def add_reserved(
    tenant: Tenant, key: str, value: str, sources: Sources, generated_from: str | None = None
) -> Secret:
    """Adds a built-in reserved secret, as the server's start-up code inserts it."""
    now = sources.now()
    secret = Secret(sources.uuid4(), key, value, True, True, None, now, now)
    secret.generated_from = generated_from
    tenant.secrets[key] = secret
    return secret


def seed_secret(tenant: Tenant, entry: Mapping[str, Any], sources: Sources) -> None:
    """Adds a fixtures entry given in create-request fields: key, value, isReserved?,
    expiresAt?; raises ``ValueError`` naming the problem."""
    unknown = set(entry) - CREATE_FIELDS
    if unknown:
        raise ValueError(
            f"unknown fields {sorted(unknown)}; expected key, value, isReserved, expiresAt"
        )
    for field in ("key", "value"):
        if not isinstance(entry.get(field), str) or not entry[field]:
            raise ValueError(f"'{field}' must be a non-empty string")
    if not isinstance(entry.get("isReserved", False), bool):
        raise ValueError("'isReserved' must be a boolean")
    if entry["key"] in tenant.secrets:
        raise ValueError(f"the key {entry['key']!r} is already taken")
    expires_at = entry.get("expiresAt")
    if isinstance(expires_at, datetime):  # YAML reads an unquoted timestamp as a datetime
        entry = {**entry, "expiresAt": expires_at.isoformat()}
    try:
        create(tenant, entry, sources)
    except InvalidInput as exc:
        raise ValueError(exc.message) from exc


def export(secret: Secret) -> dict[str, Any]:
    """The admin API's view of a record: the create fields, value included, and its state."""
    return {**metadata(secret), "value": secret.current_value()}


def _existing(tenant: Tenant, key: str) -> Secret:
    """The secret with ``key``, active or not."""
    secret = _find(tenant, key)
    if secret is None:
        raise SecretNotFound(key)
    return secret


def _find(tenant: Tenant, key: str) -> Secret | None:
    return tenant.secrets.get(key)


def _timestamp(moment: datetime | None) -> str | None:
    return iso_timestamp(moment) if moment is not None else None
