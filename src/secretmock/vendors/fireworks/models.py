"""Fireworks secrets: records and rules, free of HTTP.

A secret is addressed by ``accounts/<account_id>/secrets/<secret_id>``. Its value is
INPUT_ONLY: stored, never shown (:func:`resource` leaves it out).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from secretmock.engine.sources import Sources
from secretmock.engine.store import TenantState
from secretmock.vendors.fireworks.errors import AlreadyExists, InvalidArgument, NotFound

SECRET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
"""Chosen (UNKNOWN): ids are what clients use in practice, lower-case-hyphen ids and the
upper-case ids of the firectl examples, up to 63 characters."""
KEY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""Chosen (INFERRED): keyName becomes an environment variable name."""
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200


@dataclass
class Secret:
    secret_id: str
    key_name: str
    value: str | None


def resource(account_id: str, secret: Secret) -> dict[str, str]:
    """The ``gatewaySecret`` the API returns: name and keyName, never the value."""
    return {"name": f"accounts/{account_id}/secrets/{secret.secret_id}", "keyName": secret.key_name}


def secret_id_from_name(account_id: str, name: str) -> str:
    """The id in ``name``: the last segment of ``accounts/<a>/secrets/<id>``, or ``name``."""
    if "/" in name:
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "accounts" or parts[2] != "secrets":
            raise InvalidArgument(
                f"invalid secret name {name!r}: expected accounts/<account-id>/secrets/<secret-id>"
            )
        if parts[1] != account_id:
            raise InvalidArgument(f"secret name {name!r} is not in account {account_id!r}")
        name = parts[3]
    if not SECRET_ID.match(name):
        raise InvalidArgument(
            f"invalid secret id {name!r}: use 1-63 letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def check_key_name(key_name: str) -> None:
    if not KEY_NAME.match(key_name):
        raise InvalidArgument(
            f"invalid keyName {key_name!r}: use letters, digits and '_', not starting with a digit"
        )


def create(tenant: TenantState, body: Mapping[str, Any]) -> Secret:
    secret_id = secret_id_from_name(tenant.tenant_id, body["name"])
    check_key_name(body["keyName"])
    if secret_id in tenant.secrets:
        raise AlreadyExists(
            f"secret accounts/{tenant.tenant_id}/secrets/{secret_id} already exists"
        )
    _check_key_name_free(tenant, body["keyName"], secret_id)
    secret = Secret(secret_id, body["keyName"], body.get("value"))
    tenant.secrets[secret_id] = secret
    return secret


def get(tenant: TenantState, secret_id: str) -> Secret:
    secret = tenant.secrets.get(secret_id)
    if secret is None:
        raise NotFound(f"secret accounts/{tenant.tenant_id}/secrets/{secret_id} not found")
    assert isinstance(secret, Secret)
    return secret


def update(tenant: TenantState, secret_id: str, body: Mapping[str, Any]) -> Secret:
    secret = get(tenant, secret_id)
    check_key_name(body["keyName"])
    _check_key_name_free(tenant, body["keyName"], secret_id)
    secret.key_name = body["keyName"]
    if "value" in body:
        secret.value = body["value"]
    return secret


def delete(tenant: TenantState, secret_id: str) -> None:
    get(tenant, secret_id)
    del tenant.secrets[secret_id]


def page(
    tenant: TenantState, page_size: int | None, page_token: str | None
) -> tuple[list[Secret], str]:
    """One page of secrets in creation order and the token of the next ('' at the end)."""
    if page_size is not None and page_size < 0:
        raise InvalidArgument("pageSize must not be negative")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    start = _offset(page_token)
    secrets = list(tenant.secrets.values())[start : start + size]
    end = start + len(secrets)
    return secrets, (_token(end) if end < len(tenant.secrets) else "")


def seed_secret(tenant: TenantState, entry: Mapping[str, Any], sources: Sources) -> None:
    """Adds a fixtures entry given in create-request fields: name, keyName, value."""
    for field in ("name", "keyName"):
        if not isinstance(entry.get(field), str):
            raise ValueError(f"'{field}' must be a string")
    if not isinstance(entry.get("value", ""), str):
        raise ValueError("'value' must be a string")
    unknown = set(entry) - {"name", "keyName", "value"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}; expected name, keyName, value")
    try:
        create(tenant, entry)
    except InvalidArgument as exc:
        raise ValueError(exc.reply.body["message"]) from exc
    except AlreadyExists as exc:
        raise ValueError(exc.reply.body["message"]) from exc


def export(secret: Secret) -> dict[str, Any]:
    """The admin API's view of a record: the create fields, value included."""
    return {"name": secret.secret_id, "keyName": secret.key_name, "value": secret.value}


def _check_key_name_free(tenant: TenantState, key_name: str, secret_id: str) -> None:
    for other in tenant.secrets.values():
        if other.key_name == key_name and other.secret_id != secret_id:
            raise AlreadyExists(f"a secret with keyName {key_name!r} already exists")


def _token(offset: int) -> str:
    return f"offset-{offset}"


def _offset(page_token: str | None) -> int:
    if not page_token:
        return 0
    prefix, _, number = page_token.partition("-")
    if prefix != "offset" or not number.isdigit():
        raise InvalidArgument(f"invalid pageToken {page_token!r}")
    return int(number)
