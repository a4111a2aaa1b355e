"""The whole emulated state as one JSON document, and back.

The document (``format`` 1)::

    {"format": 1,
     "clock": {"frozen": true, "now": "2026-01-02T03:04:05.000000Z"}
              | {"frozen": false, "offset_seconds": 0.0},
     "vendors": {"<vendor>": {"tenants": {"<tenant id>": {
         "credentials": [{"token": ..., "role": ..., "user": ...}],
         "secrets": {"<the store's key>": {<every field of the vendor's record>}}}}}}}

Records are the vendors' own dataclasses (``Vendor.record_type``), written field by
field (times as ISO-8601 with every digit, so that a round trip is exact) and read back
by their type hints; each is keyed as the store keys it (``Vendor.record_key``). What a
vendor derives from its records (``TenantState.indexes``) is not written: the vendor
rebuilds it. Reading checks the whole document before anything changes, and names the
first problem by its place in the document (``vendors.fireworks.tenants.acme...``).

Not in the document: the journal, the fault rules, and where the random generator of
ids stands (ids made after a restore differ from those the saved run would have made).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from secretmock.engine.clock import ClockSetting, format_time, parse_time
from secretmock.engine.fixtures import tenant_id_problem
from secretmock.engine.json_values import unreadable_value
from secretmock.engine.store import Credential, StoredRecord, TenantState
from secretmock.engine.vendor_api import Vendor

if TYPE_CHECKING:
    from secretmock.engine.emulator import Emulator

FORMAT = 1


class StateError(ValueError):
    """A state document cannot be loaded; the message says where and why."""


def state_document(emulator: Emulator) -> dict[str, Any]:
    """The whole state now: every vendor's tenants (each read inside its store's
    transaction) and the clock's setting. Shares nothing with the live state."""
    vendors = {}
    for name, pipeline in emulator.pipelines.items():
        with pipeline.store.transaction():
            tenants = {t.tenant_id: dump_tenant(t) for t in pipeline.store.tenants()}
        vendors[name] = {"tenants": tenants}
    clock = dump_clock(emulator.clock.reading())
    return {"format": FORMAT, "clock": clock, "vendors": vendors}


def restore_state(emulator: Emulator, document: Any) -> None:
    """Replaces the whole state with ``document``'s, checked in full first: on a
    :class:`StateError` nothing has changed. A vendor the document leaves out gets no
    tenants."""
    clock, tenants = read_state(document, emulator.vendors)
    try:
        emulator.clock.check(clock)  # an offset is checked against this clock's real time
    except ValueError as exc:
        raise StateError(f"clock: {exc}") from exc
    for name, pipeline in emulator.pipelines.items():
        with pipeline.store.transaction():
            pipeline.store.clear()
            for tenant in tenants.get(name, []):
                pipeline.store.put(tenant)
    emulator.clock.restore(clock)


def read_state(
    document: Any, vendors: Mapping[str, Vendor]
) -> tuple[ClockSetting, dict[str, list[TenantState[Any]]]]:
    """The clock setting and every vendor's tenants a document holds; :class:`StateError`
    names the first problem."""
    top = _object(document, "state", required={"format", "vendors"}, allowed=TOP_FIELDS)
    if type(top["format"]) is not int or top["format"] != FORMAT:  # not true, not 1.0
        raise StateError(f"format: expected {FORMAT}, got {top['format']!r}")
    clock = parse_clock(top.get("clock", {"frozen": False}))
    found: dict[str, list[TenantState[Any]]] = {}
    for name, raw in _object(top["vendors"], "vendors").items():
        vendor = vendors.get(name)
        if vendor is None:
            raise StateError(f"vendors.{name}: unknown vendor; known: {sorted(vendors)}")
        found[name] = _read_vendor(raw, f"vendors.{name}", vendor)
    return clock, found


TOP_FIELDS = {"format", "clock", "vendors"}


def _read_vendor(raw: Any, where: str, vendor: Vendor) -> list[TenantState[Any]]:
    document = _object(raw, where, required={"tenants"}, allowed={"tenants"})
    read_record = record_reader(vendor.record_type)
    record_key = None if vendor.record_key is None else _field_getter(vendor.record_key)
    tenants: list[TenantState[Any]] = []
    holders: dict[str, str] = {}
    for tenant_id, item in _object(document["tenants"], f"{where}.tenants").items():
        place = f"{where}.tenants.{tenant_id}"
        problem = tenant_id_problem(tenant_id)
        if problem is not None:
            raise StateError(f"{where}.tenants: {problem}")
        tenant = read_tenant(item, place, tenant_id, vendor.roles, read_record, record_key)
        for token in tenant.credentials:
            if token in holders:
                raise StateError(
                    f"{place}.credentials: a token is already bound to tenant {holders[token]!r}"
                )
            holders[token] = tenant_id
        tenants.append(tenant)
    return tenants


def _field_getter(name: str) -> Callable[[Any], str]:
    return lambda record: str(getattr(record, name))


# -- writing ------------------------------------------------------------------------


def dump_clock(setting: ClockSetting) -> dict[str, Any]:
    if setting.frozen_at is not None:
        return {"frozen": True, "now": format_time(setting.frozen_at)}
    return {"frozen": False, "offset_seconds": setting.offset.total_seconds()}


def dump_tenant(tenant: TenantState[Any]) -> dict[str, Any]:
    """A tenant as the document holds it (a deep copy: nothing shared with the store)."""
    return {
        "credentials": [dump_credential(c) for c in tenant.credentials.values()],
        "secrets": {key: dump_record(record) for key, record in tenant.secrets.items()},
    }


def dump_credential(credential: Credential) -> dict[str, Any]:
    """``{token, role, user}``, and ``expires_at`` for a credential that expires (a
    rotated key in its grace period)."""
    shown = {"token": credential.token, "role": credential.role, "user": credential.user}
    if credential.expires_at is not None:
        shown["expires_at"] = format_time(credential.expires_at)
    return shown


def dump_record(record: Any) -> Any:
    """A record's fields, or (for a vendor whose records are plain JSON values) itself."""
    if not dataclasses.is_dataclass(record):
        return copy.deepcopy(record)
    record_type: Any = type(record)
    names = _field_names(record_type)
    return {name: _dump_value(getattr(record, name)) for name in names}


@functools.cache
def _field_names(record_type: Any) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(record_type))


def _dump_value(value: Any) -> Any:
    """A field's value for the document: a time as text, containers copied (they may be
    changed in the store later), everything else as it is (immutable)."""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, list | dict):
        return copy.deepcopy(value)
    return value


# -- reading ------------------------------------------------------------------------


def parse_clock(raw: Any, where: str = "clock") -> ClockSetting:
    document = _object(raw, where, required={"frozen"}, allowed={"frozen", "now", "offset_seconds"})
    frozen = document["frozen"]
    if frozen is True:
        now = document.get("now")
        if not isinstance(now, str):
            raise StateError(f"{where}.now: a frozen clock needs its time as an ISO-8601 string")
        return ClockSetting(frozen_at=_time(now, f"{where}.now"))
    if frozen is False:
        offset = document.get("offset_seconds", 0)
        if isinstance(offset, bool) or not isinstance(offset, int | float):
            raise StateError(f"{where}.offset_seconds: expected a number of seconds")
        try:
            return ClockSetting(offset=timedelta(seconds=offset))
        except OverflowError as exc:
            raise StateError(f"{where}.offset_seconds: out of range") from exc
    raise StateError(f"{where}.frozen: expected true or false")


RecordReader = Callable[[Any, str], Any]


def record_reader(record_type: type | None) -> RecordReader:
    """A function that reads one record of ``record_type`` (a dataclass) from the document,
    checking each field against the type it declares; ``None``: records are plain JSON
    values, read as they are."""
    if record_type is None:
        return _read_any
    hints = typing.get_type_hints(record_type)
    readers = {f.name: _value_reader(hints[f.name]) for f in dataclasses.fields(record_type)}

    def read(raw: Any, where: str) -> Any:
        document = _object(raw, where, required=set(readers), allowed=set(readers))
        values = {
            name: reader(document[name], f"{where}.{name}") for name, reader in readers.items()
        }
        return record_type(**values)

    return read


def read_tenant(
    raw: Any,
    where: str,
    tenant_id: str,
    roles: frozenset[str],
    read_record: RecordReader,
    record_key: Callable[[Any], str] | None = None,
) -> TenantState[Any]:
    document = _object(
        raw, where, required={"credentials", "secrets"}, allowed={"credentials", "secrets"}
    )
    tenant: TenantState[Any] = TenantState(tenant_id)
    credentials = document["credentials"]
    if not isinstance(credentials, list):
        raise StateError(f"{where}.credentials: expected an array")
    for index, item in enumerate(credentials):
        credential = _credential(item, f"{where}.credentials[{index}]", tenant_id, roles)
        if credential.token in tenant.credentials:
            raise StateError(f"{where}.credentials[{index}]: the token appears twice")
        tenant.credentials[credential.token] = credential
    secrets = _object(document["secrets"], f"{where}.secrets")
    for key, item in secrets.items():
        record = read_record(item, f"{where}.secrets.{key}")
        if record_key is not None and record_key(record) != key:
            raise StateError(
                f"{where}.secrets.{key}: the record's own key is {record_key(record)!r}"
            )
        _check_record(record, f"{where}.secrets.{key}")
        tenant.secrets[key] = record
    _check_unique(tenant.secrets, f"{where}.secrets")
    return tenant


def _check_record(record: Any, where: str) -> None:
    """The vendor's own rules for one record (:meth:`StoredRecord.check_record`)."""
    if isinstance(record, StoredRecord):
        try:
            record.check_record()
        except ValueError as exc:
            raise StateError(f"{where}.{exc}") from exc


def _check_unique(records: Mapping[str, Any], where: str) -> None:
    """No two records share a value of a field their vendor keeps unique."""
    first = next(iter(records.values()), None)
    if not isinstance(first, StoredRecord):
        return
    for name in first.unique_fields:
        holders: dict[Any, str] = {}
        for key, record in records.items():
            value = getattr(record, name)
            if value in holders:
                raise StateError(
                    f"{where}.{key}.{name}: {value!r} is already the {name} of {holders[value]!r}"
                )
            holders[value] = key


def _credential(raw: Any, where: str, tenant_id: str, roles: frozenset[str]) -> Credential:
    fields = {"token", "role", "user"}
    document = _object(raw, where, required=fields, allowed={*fields, "expires_at"})
    for name in ("token", "role", "user"):
        if not isinstance(document[name], str) or not document[name]:
            raise StateError(f"{where}.{name}: expected a non-empty string")
    if document["role"] not in roles:
        raise StateError(f"{where}.role: {document['role']!r} is not one of {sorted(roles)}")
    expires_at = _value_reader(datetime | None)(document.get("expires_at"), f"{where}.expires_at")
    return Credential(document["token"], tenant_id, document["role"], document["user"], expires_at)


def _object(
    raw: Any, where: str, required: set[str] | None = None, allowed: set[str] | None = None
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise StateError(f"{where}: expected an object")
    if required is not None:
        missing = sorted(required - set(raw))
        if missing:
            raise StateError(f"{where}: missing {missing[0]!r}")
    if allowed is not None:
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise StateError(f"{where}: unknown field {unknown[0]!r}")
    return raw


def _time(text: str, where: str) -> datetime:
    try:
        return parse_time(text)
    except ValueError as exc:
        raise StateError(f"{where}: {exc}") from exc


def _value_reader(hint: Any) -> Callable[[Any, str], Any]:
    """A reader for one field type: str, int, bool, float, datetime, list[X], X | None, Any."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _value_reader(options[0]) if len(options) == 1 else _value_reader(Any)
        return lambda value, where: None if value is None else inner(value, where)
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        item = _value_reader(item_hint)

        def read_list(value: Any, where: str) -> list[Any]:
            if not isinstance(value, list):
                raise StateError(f"{where}: expected an array")
            return [item(v, f"{where}[{i}]") for i, v in enumerate(value)]

        return read_list
    if hint is datetime:

        def read_time(value: Any, where: str) -> datetime:
            if not isinstance(value, str):
                raise StateError(f"{where}: expected an ISO-8601 time string")
            return _time(value, where)

        return read_time
    if hint is Any:
        return _read_any
    return _scalar_reader(hint)


def _read_any(value: Any, where: str) -> Any:
    """A free-form value (a Prisme.ai secret's), copied: one a vendor could have stored,
    readable back by every client and nested no deeper than a vendor's body may be."""
    problem = unreadable_value(value)
    if problem is not None:
        raise StateError(f"{where}: {problem}")
    return copy.deepcopy(value)


_SCALARS: Mapping[type, str] = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
}


def _scalar_reader(hint: Any) -> Callable[[Any, str], Any]:
    if hint not in _SCALARS:
        raise TypeError(f"a state record field of type {hint!r} cannot be read")

    def read(value: Any, where: str) -> Any:
        ok = isinstance(value, hint) and (hint is bool or not isinstance(value, bool))
        if hint is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            raise StateError(f"{where}: expected {_SCALARS[hint]}")
        return value

    return read
