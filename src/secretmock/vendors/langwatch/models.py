"""LangWatch project secrets: records and rules, free of HTTP.

A tenant is a project; its secrets are keyed by their server-made id (a nanoid). The
name is unique in the project and never changes. The value is stored and never shown
(:func:`resource` leaves it out).

The product owns one secret per project, ``langy_vk_secret`` (the Langy assistant's
virtual key). The API cannot create it (its name fails the name pattern) and answers
404 for it; it exists here only when fixtures seed it, and it counts toward the cap.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from secretmock.engine.sources import Sources
from secretmock.engine.store import StoredRecord, TenantState
from secretmock.vendors.common import iso_timestamp
from secretmock.vendors.langwatch.errors import Conflict, NotFound, Unprocessable

MAX_SECRETS_PER_PROJECT = 50
MAX_VALUE_LENGTH = 10_000
NAME_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]*$")
RESERVED_NAMES = frozenset({"langy_vk_secret"})
NANOID_ALPHABET = string.ascii_letters + string.digits + "_-"
NANOID_LENGTH = 21
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
"""Ids a fixture may give: URL-safe, like the nanoids the server makes (chosen)."""
BAD_ID = "must be a non-empty string of letters, digits, '_' or '-'"


@dataclass(slots=True)  # no __dict__ per record: see StoredRecord
class Secret(StoredRecord):
    id: str
    name: str
    value: str
    created_at: datetime
    updated_at: datetime

    @property
    def reserved(self) -> bool:
        return self.name in RESERVED_NAMES

    unique_fields: ClassVar[tuple[str, ...]] = ("name",)

    def check_record(self) -> None:
        """The id, name and value rules a fixture's secret meets (the reserved secret
        only needs its name)."""
        if not ID_PATTERN.match(self.id):
            raise ValueError(f"id: {BAD_ID}")
        if not self.reserved:
            _check_seed_fields(self.name, self.value)


Tenant = TenantState[Secret]
"""A tenant of this vendor: its records are :class:`Secret`."""


def resource(project_id: str, secret: Secret) -> dict[str, str]:
    """The SecretResponse the API returns: metadata, never the value."""
    return {
        "id": secret.id,
        "projectId": project_id,
        "name": secret.name,
        "createdAt": iso_timestamp(secret.created_at),
        "updatedAt": iso_timestamp(secret.updated_at),
    }


def listing(tenant: Tenant) -> list[Secret]:
    """The project's secrets as the list shows them: reserved ones hidden, by name."""
    visible = [s for s in tenant.secrets.values() if not s.reserved]
    return sorted(visible, key=lambda s: s.name)


def get(tenant: Tenant, secret_id: str) -> Secret:
    """The secret ``secret_id`` of this project; reserved ones read as not found."""
    secret = tenant.secrets.get(secret_id)
    if secret is None or secret.reserved:
        raise NotFound()
    return secret


def create(
    tenant: Tenant, name: str, value: str, sources: Sources, secret_id: str | None = None
) -> Secret:
    """Creates a secret after the service's checks, in its order: reserved name (422),
    50 secrets reached (422), name taken (409). Nothing changes when one fails.
    ``secret_id`` is for fixtures; the API always makes a fresh nanoid."""
    if name in RESERVED_NAMES:
        raise Unprocessable(f'The name "{name}" is reserved')
    if len(tenant.secrets) >= MAX_SECRETS_PER_PROJECT:
        raise Unprocessable(f"Maximum of {MAX_SECRETS_PER_PROJECT} secrets per project reached")
    _check_name_free(tenant, name)
    return _add(tenant, secret_id or _new_id(tenant, sources), name, value, sources.now())


def update(tenant: Tenant, secret_id: str, value: str, sources: Sources) -> Secret:
    """Replaces the value; the name and ``created_at`` stay, ``updated_at`` moves."""
    secret = get(tenant, secret_id)
    secret.value = value
    secret.updated_at = sources.now()
    return secret


def delete(tenant: Tenant, secret_id: str) -> None:
    """Removes the secret for good: its name can be used again."""
    get(tenant, secret_id)
    del tenant.secrets[secret_id]


def seed_secret(tenant: Tenant, entry: Mapping[str, Any], sources: Sources) -> None:
    """Adds a fixtures entry: the create-request fields ``name`` and ``value``, and
    optionally ``id`` (so tests and docs can address a known secret).

    The rules of create apply, except that the reserved name is accepted: seeding it
    stands for the product provisioning its own secret, which skips the checks."""
    unknown = set(entry) - {"id", "name", "value"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}; expected id, name, value")
    name, value = _seed_string(entry, "name"), _seed_string(entry, "value")
    secret_id = _seed_id(tenant, entry)
    try:
        if name in RESERVED_NAMES:
            _check_name_free(tenant, name)
            _add(tenant, secret_id or _new_id(tenant, sources), name, value, sources.now())
        else:
            _check_seed_fields(name, value)
            create(tenant, name, value, sources, secret_id)
    except (Conflict, Unprocessable) as exc:
        raise ValueError(exc.message) from exc


def export(secret: Secret) -> dict[str, Any]:
    """The admin API's view of a record: the fixtures fields, value included."""
    return {"id": secret.id, "name": secret.name, "value": secret.value}


def _add(tenant: Tenant, secret_id: str, name: str, value: str, now: datetime) -> Secret:
    secret = Secret(secret_id, name, value, now, now)
    tenant.secrets[secret_id] = secret
    return secret


def _check_name_free(tenant: Tenant, name: str) -> None:
    if any(s.name == name for s in tenant.secrets.values()):
        raise Conflict(f'A secret with the name "{name}" already exists')


def _new_id(tenant: Tenant, sources: Sources) -> str:
    """A fresh nanoid (21 URL-safe characters), unused in this project."""
    while True:
        candidate = sources.token(NANOID_LENGTH, NANOID_ALPHABET)
        if candidate not in tenant.secrets:
            return candidate


def _seed_string(entry: Mapping[str, Any], field: str) -> str:
    value = entry.get(field)
    if not isinstance(value, str):
        raise ValueError(f"'{field}' must be a string")
    return value


def _check_seed_fields(name: str, value: str) -> None:
    """The name and value rules of create, as ``ValueError`` naming the field first."""
    if not NAME_PATTERN.match(name):
        raise ValueError(
            f"name: {name!r} must start with an upper-case letter and hold only "
            "upper-case letters, digits and '_'"
        )
    if not 1 <= len(value) <= MAX_VALUE_LENGTH:
        raise ValueError(f"value: must hold 1 to {MAX_VALUE_LENGTH} characters")


def _seed_id(tenant: Tenant, entry: Mapping[str, Any]) -> str | None:
    if "id" not in entry:
        return None
    secret_id = entry["id"]
    if not isinstance(secret_id, str) or not ID_PATTERN.match(secret_id):
        raise ValueError(f"'id' {BAD_ID}")
    if secret_id in tenant.secrets:
        raise ValueError(f"the id {secret_id!r} appears twice")
    return secret_id
