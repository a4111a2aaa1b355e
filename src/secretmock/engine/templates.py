"""Fixture tenants built once, and a reset that copies them (issue 16).

A reset puts every fixture tenant back as a fresh build would make it. Building one
runs the vendor's create rules on every secret (tens of microseconds each, holding the
GIL): a sandbox of a few thousand fixture secrets resetting in a loop would slow every
other sandbox of the server. So each fixture tenant is built once per vendor version
into a :class:`TenantTemplate`, which no store ever holds and nothing changes, and a
reset takes a copy of it (:meth:`TenantTemplate.instance`): a new tenant, new records
(a shallow copy each: a record's fields are replaced, never changed in place, see
:mod:`secretmock.engine.store`), the same frozen credentials, no index (the vendor
derives it again on first use).

What a fresh build would make differently at another moment is its times. A template
is built twice, its clock frozen at two different moments, and every field that
differs between the two builds must be a time the template can stamp again: a
``datetime`` (the clock's reading, or that plus a fixed offset), whole milliseconds
since the epoch (plus an offset), or the reading as text in one of
:data:`TEXT_FORMS`. A copy reads the clock once per record that has such fields, in
the order a build would read it, and stamps them: the same times a build would give.
A tenant with any other difference (a key, a credential or a field that depends on the
time some other way) is not copied: it is built anew at every reset, as before.
Everything else a build makes is the same at every reset by construction: ids come
from a source seeded by the tenant's name.

Work that stays in proportion to the number of secrets (the copy, or a rebuild) calls
``pause`` every :data:`CHUNK` records: the emulator passes ``time.sleep(0)``, which lets
the other threads (the event loop serving every other sandbox) take the GIL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from secretmock.engine.clock import EmulatedClock, format_time
from secretmock.engine.fixtures import PAUSE_EVERY, TenantFixture, build_tenant
from secretmock.engine.sources import Sources
from secretmock.engine.store import StoredRecord, TenantState
from secretmock.engine.vendor_api import Vendor

CHUNK = PAUSE_EVERY
"""Records copied between two pauses (as many as a build seeds)."""
PROBE_SHIFT = timedelta(days=1, hours=1, minutes=1, seconds=1, microseconds=1001)
"""How far before the first build the second one's clock stands: every part of a
time (day, hour, minute, second, millisecond, microsecond) differs between the two."""


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _js_iso(moment: datetime) -> str:
    """JavaScript's ``Date.toISOString()``: milliseconds and ``Z``."""
    return format_time(moment)[:23] + "Z"


TEXT_FORMS: tuple[Callable[[datetime], str], ...] = (
    format_time,
    _js_iso,
    lambda moment: moment.astimezone(UTC).isoformat(),
)
"""The texts of a time a template recognises (each checked at both builds)."""

Stamp = Callable[[datetime], Any]
"""A field's value made from the clock's reading."""
Pause = Callable[[], None]


def _no_pause() -> None:
    return None


@dataclass(frozen=True)
class TenantTemplate:
    """One fixture tenant as built for one vendor version, never stored nor changed.

    ``stamps``: per record key, the fields to stamp from the clock's reading;
    ``rebuild``: the build depends on the time in a way a copy cannot follow, so
    :func:`fixture_tenant` builds the tenant anew instead."""

    vendor: Vendor
    tenant: TenantState[Any]
    stamps: dict[str, tuple[tuple[str, Stamp], ...]]
    rebuild: bool
    rows: tuple[tuple[str, type, dict[str, Any] | None, tuple[tuple[str, Stamp], ...]], ...] = ()
    """Per record, in order: its key, type, fields (``None`` for a record with
    ``__slots__``) and stamps: what :meth:`instance` copies, looked up once."""

    def __post_init__(self) -> None:
        rows = tuple(
            (key, type(record), getattr(record, "__dict__", None), self.stamps.get(key, ()))
            for key, record in self.tenant.secrets.items()
        )
        object.__setattr__(self, "rows", rows)

    def instance(self, clock: EmulatedClock, pause: Pause = _no_pause) -> TenantState[Any]:
        """A new tenant equal to a fresh build at the clock as it stands, sharing
        nothing changeable with the template."""
        tenant: TenantState[Any] = TenantState(self.tenant.tenant_id)
        dict.update(tenant.credentials, self.tenant.credentials)  # frozen: shared
        secrets = tenant.secrets
        new = object.__new__
        for count, (key, record_type, fields, stamps) in enumerate(self.rows, 1):
            copied: Any = new(record_type)
            if fields is None:
                _copy_slots(self.tenant.secrets[key], copied)
            else:
                copied.__dict__.update(fields)
            if stamps:
                now = clock.now()
                for name, stamp in stamps:
                    object.__setattr__(copied, name, stamp(now))
            dict.__setitem__(secrets, key, copied)
            if count % CHUNK == 0:
                pause()
        return tenant


_LOCK = threading.Lock()


def fixture_tenant(
    vendor: Vendor, fixture: TenantFixture, clock: EmulatedClock, pause: Pause = _no_pause
) -> TenantState[Any]:
    """``fixture``'s tenant as a build at the clock as it stands would make it, for
    ``vendor`` (the version the emulator serves): a copy of the template kept on the
    fixture (built on first use), or a new build when the template says so. Raises
    :class:`~secretmock.engine.fixtures.FixtureError` as the build does."""
    with _LOCK:
        template = fixture.templates.get(vendor.version)
    if template is None or template.vendor is not vendor:
        template = make_template(vendor, fixture, clock.now())
        with _LOCK:
            fixture.templates[vendor.version] = template
    if template.rebuild:
        return _build(vendor, fixture, Sources(_seed(fixture), clock=clock), pause)
    return template.instance(clock, pause)


def make_template(vendor: Vendor, fixture: TenantFixture, moment: datetime) -> TenantTemplate:
    """The template of ``fixture``: built with the clock frozen at ``moment`` and at
    :data:`PROBE_SHIFT` from it, compared field by field (see the module)."""
    first = _build(vendor, fixture, _frozen(fixture, moment))
    try:
        then = moment - PROBE_SHIFT
    except OverflowError:  # a clock frozen in the year 1
        then = moment + PROBE_SHIFT
    try:
        second = _build(vendor, fixture, _frozen(fixture, then))
    except (ValueError, OverflowError):  # valid at one moment only: a copy cannot tell
        return TenantTemplate(vendor, first, {}, rebuild=True)
    stamps = _stamps(first, moment, second, then)
    return TenantTemplate(vendor, first, stamps or {}, rebuild=stamps is None)


def _seed(fixture: TenantFixture) -> str:
    # Ids made while seeding come from a source of their own, seeded by the tenant's
    # name, so every reset gives the fixtures' secrets the same ids.
    return f"{fixture.vendor}/{fixture.tenant_id}"


def _frozen(fixture: TenantFixture, moment: datetime) -> Sources:
    clock = EmulatedClock()
    clock.freeze_at(moment)
    return Sources(_seed(fixture), clock=clock)


def _build(
    vendor: Vendor, fixture: TenantFixture, sources: Sources, pause: Pause = _no_pause
) -> TenantState[Any]:
    return build_tenant(
        vendor, fixture.tenant_id, fixture.entry, sources, fixture.where, True, pause
    )


def _stamps(
    first: TenantState[Any], at: datetime, second: TenantState[Any], then: datetime
) -> dict[str, tuple[tuple[str, Stamp], ...]] | None:
    """Per record key, how each field that differs between the two builds follows the
    clock; ``None`` when one does not in a way :func:`_stamp` knows (or when anything
    but record fields differs)."""
    if first.credentials != second.credentials or list(first.secrets) != list(second.secrets):
        return None
    stamps = {}
    for key, record in first.secrets.items():
        other = second.secrets[key]
        if type(other) is not type(record) or not isinstance(record, StoredRecord):
            return None
        mine, theirs = record_fields(record), record_fields(other)
        fields = []
        for name, value in mine.items():
            if theirs.get(name) == value and type(theirs.get(name)) is type(value):
                continue
            stamp = _stamp(value, at, theirs.get(name), then)
            if stamp is None:
                return None
            fields.append((name, stamp))
        if fields:
            stamps[key] = tuple(fields)
    return stamps


def _stamp(value: Any, at: datetime, other: Any, then: datetime) -> Stamp | None:
    """How a field worth ``value`` at ``at`` and ``other`` at ``then`` is made from the
    reading, if it is one of the forms the module names."""
    if type(value) is not type(other):
        return None
    if isinstance(value, datetime):
        offset = value - at
        return (lambda now: now + offset) if other - then == offset else None
    if type(value) is int:
        shift = value - _millis(at)
        return (lambda now: _millis(now) + shift) if other - _millis(then) == shift else None
    if isinstance(value, str):
        for form in TEXT_FORMS:
            if form(at) == value and form(then) == other:
                return form
    return None


def record_fields(record: object) -> dict[str, Any]:
    """A record's fields by name (a ``__dict__``'s or ``__slots__``')."""
    try:
        return dict(vars(record))
    except TypeError:
        return {name: getattr(record, name) for name in _slots(type(record))}


def copy_record(record: Any) -> Any:
    """A new record with the same field values, made without logging a change (it is
    new: nothing could put it back). Shallow: a field's list or dict is shared, which
    the store's rule (fields are replaced, never changed in place) makes safe."""
    copied = object.__new__(type(record))
    try:
        vars(copied).update(vars(record))
    except TypeError:
        _copy_slots(record, copied)
    return copied


def _copy_slots(record: object, copied: object) -> None:
    for name in _slots(type(record)):
        if hasattr(record, name):
            object.__setattr__(copied, name, getattr(record, name))


def _slots(record_type: type) -> tuple[str, ...]:
    names: list[str] = []
    for klass in reversed(record_type.__mro__):
        declared = klass.__dict__.get("__slots__", ())
        declared = (declared,) if isinstance(declared, str) else declared
        names += [n for n in declared if n not in ("__dict__", "__weakref__")]
    return tuple(names)
