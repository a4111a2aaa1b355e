"""Fireworks secrets: records and rules, free of HTTP.

A secret is addressed by ``accounts/<account_id>/secrets/<secret_id>``. Its value is
INPUT_ONLY: stored, never shown (:func:`resource` leaves it out).
"""

from __future__ import annotations

import base64
import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from secretmock.engine.sources import Sources
from secretmock.engine.store import StoredRecord, TenantState
from secretmock.vendors.fireworks.errors import AlreadyExists, InvalidArgument, NotFound

SECRET_ID = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
"""Fireworks' rule for every resource id (docs "Resource names and IDs",
docs.fireworks.ai/getting-started/concepts): 1 to 63 characters of ``a-z``, ``0-9`` and
``-``, not beginning or ending with ``-``. Matched whole."""
KEY_NAME = re.compile(r"[A-Z][A-Za-z0-9_]*")
"""INFERRED: an upper-case letter first (eval-protocol's ``platform_api.py`` makes sure of
it for the server's "new rules"), then environment-variable characters (chosen)."""
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
INDEX = "fireworks"


@dataclass(slots=True)  # no __dict__ per record: see StoredRecord
class Secret(StoredRecord):
    secret_id: str
    key_name: str
    value: str | None

    unique_fields: ClassVar[tuple[str, ...]] = ("key_name",)

    def check_record(self) -> None:
        """The id's and the keyName's rules, as create checks them."""
        for field, check, value in (
            ("secret_id", check_secret_id, self.secret_id),
            ("key_name", check_key_name, self.key_name),
        ):
            try:
                check(value)
            except InvalidArgument as exc:
                raise ValueError(f"{field}: {exc.message}") from exc


Tenant = TenantState[Secret]
"""A tenant of this vendor: its records are :class:`Secret`."""


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
    check_secret_id(name)
    return name


def check_secret_id(secret_id: str) -> None:
    if not SECRET_ID.fullmatch(secret_id):
        raise InvalidArgument(
            f"invalid secret id {secret_id!r}: use 1-63 characters of a-z, 0-9 and '-', "
            "not beginning or ending with '-'"
        )


def check_key_name(key_name: str) -> None:
    if not KEY_NAME.fullmatch(key_name):
        raise InvalidArgument(
            f"invalid keyName {key_name!r}: start with an upper-case letter, then use "
            "letters, digits and '_'"
        )


@dataclass
class _Index:
    """A tenant's secret ids in order, and which id holds each keyName: the lookups that
    keep list pages and keyName checks independent of the number of secrets."""

    ids: list[str]
    key_names: dict[str, str]


def _index(tenant: Tenant) -> _Index:
    index: _Index | None = tenant.indexes.get(INDEX)
    if index is None:
        secrets = tenant.secrets.values()
        index = _Index(sorted(tenant.secrets), {s.key_name: s.secret_id for s in secrets})
        tenant.indexes[INDEX] = index
    return index


def create(tenant: Tenant, body: Mapping[str, Any]) -> Secret:
    secret_id = secret_id_from_name(tenant.tenant_id, body["name"])
    check_key_name(body["keyName"])
    if secret_id in tenant.secrets:
        raise AlreadyExists(
            f"secret accounts/{tenant.tenant_id}/secrets/{secret_id} already exists"
        )
    index = _index(tenant)
    _check_key_name_free(index, body["keyName"], secret_id)
    secret = Secret(secret_id, body["keyName"], body.get("value"))
    tenant.secrets[secret_id] = secret
    bisect.insort(index.ids, secret_id)
    index.key_names[secret.key_name] = secret_id
    return secret


def get(tenant: Tenant, secret_id: str) -> Secret:
    secret = tenant.secrets.get(secret_id)
    if secret is None:
        raise NotFound(f"secret accounts/{tenant.tenant_id}/secrets/{secret_id} not found")
    return secret


def update(tenant: Tenant, secret_id: str, body: Mapping[str, Any]) -> Secret:
    secret = get(tenant, secret_id)
    check_key_name(body["keyName"])
    index = _index(tenant)
    _check_key_name_free(index, body["keyName"], secret_id)
    del index.key_names[secret.key_name]
    secret.key_name = body["keyName"]
    index.key_names[secret.key_name] = secret_id
    if "value" in body:
        secret.value = body["value"]
    return secret


def delete(tenant: Tenant, secret_id: str) -> None:
    secret = get(tenant, secret_id)
    index = _index(tenant)
    del tenant.secrets[secret_id]
    del index.ids[bisect.bisect_left(index.ids, secret_id)]
    del index.key_names[secret.key_name]


def page(tenant: Tenant, page_size: int | None, page_token: str | None) -> tuple[list[Secret], str]:
    """One page of secrets in order of their ids, and the token of the next page ('' at
    the end). The token names the last id given, so a page is found by bisection and
    secrets created or deleted meanwhile neither repeat nor hide others."""
    if page_size is not None and page_size < 0:
        raise InvalidArgument("pageSize must not be negative")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    ids = _index(tenant).ids
    start = bisect.bisect_right(ids, _after(page_token)) if page_token else 0
    chosen = ids[start : start + size]
    more = start + len(chosen) < len(ids)
    return [tenant.secrets[i] for i in chosen], (_token(chosen[-1]) if more else "")


def seed_secret(tenant: Tenant, entry: Mapping[str, Any], sources: Sources) -> None:
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
        raise ValueError(exc.message) from exc
    except AlreadyExists as exc:
        raise ValueError(exc.message) from exc


def export(secret: Secret) -> dict[str, Any]:
    """The admin API's view of a record: the create fields, value included."""
    return {"name": secret.secret_id, "keyName": secret.key_name, "value": secret.value}


def _check_key_name_free(index: _Index, key_name: str, secret_id: str) -> None:
    holder = index.key_names.get(key_name)
    if holder is not None and holder != secret_id:
        raise AlreadyExists(f"a secret with keyName {key_name!r} already exists")


def _token(last_id: str) -> str:
    """An opaque page token naming the last id of a page."""
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def _after(page_token: str) -> str:
    """The id a page token names; InvalidArgument for a token we did not issue."""
    try:
        padded = page_token + "=" * (-len(page_token) % 4)
        decoded = base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        decoded = ""
    if not decoded.startswith("after:"):
        raise InvalidArgument(f"invalid pageToken {page_token!r}")
    return decoded.removeprefix("after:")
