"""A reset copies each fixture tenant's template (secretmock.engine.templates) and gives
exactly what a fresh build gives: the same ids, values and times (the clock as it stands
at the reset, read once per record in build order), whatever the sandbox wrote since;
the template is never changed by those writes, and two emulators sharing it never see
each other's."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from secretmock.engine.blueprint import Blueprint
from secretmock.engine.clock import EARLIEST, LATEST, ClockSetting, EmulatedClock, FixedClock
from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import TenantFixture, build_tenant, tenant_fixtures
from secretmock.engine.sandboxes import Sandboxes, SandboxOptions
from secretmock.engine.sources import Sources
from secretmock.engine.state import dump_tenant, state_document
from secretmock.engine.store import Credential, StoredRecord, TenantState
from secretmock.engine.templates import CHUNK, copy_record, fixture_tenant, make_template
from secretmock.engine.vendor_api import Vendor
from secretmock.resources import default_fixtures_path
from secretmock.vendors import all_vendors

FIRST = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
LATER = datetime(2032, 11, 12, 13, 14, 15, 654321, tzinfo=UTC)

MORE = [  # every vendor, beyond the default fixtures, with the fields their secrets take
    {
        "vendor": "insforge",
        "id": "many",
        "credentials": [{"token": "ik_many_admin", "role": "admin"}],
        "secrets": [
            {"key": f"K{i}", "value": "v", "expiresAt": "2040-01-01T00:00:00Z"} for i in range(5)
        ],
    },
    {
        "vendor": "langwatch",
        "id": "many",
        "credentials": [{"token": "sk-lw-many", "role": "admin"}],
        "secrets": [{"name": f"N{i}", "value": "v"} for i in range(5)],
    },
    {
        "vendor": "prismeai",
        "id": "many",
        "credentials": [{"token": "pm-many", "role": "admin"}],
        "secrets": [{"name": f"n{i}", "value": {"deep": [i]}} for i in range(5)],
    },
    {
        "vendor": "fireworks",
        "id": "many",
        "credentials": [{"token": "fw-many"}],
        "secrets": [{"name": f"s{i}", "keyName": f"K{i}", "value": "v"} for i in range(CHUNK + 5)],
    },
]


@pytest.fixture(scope="module")
def blueprint() -> Blueprint:
    return Blueprint(all_vendors(), [default_fixtures_path()])


def _fixtures(blueprint: Blueprint) -> list[TenantFixture]:
    return [*blueprint.fixtures, *tenant_fixtures(MORE, blueprint.known_vendors, "more")]


def _emulator(blueprint: Blueprint, moment: datetime = FIRST) -> Emulator:
    return Emulator.from_blueprint(
        blueprint, Sources(seed=3), _fixtures(blueprint), start_clock=ClockSetting(moment)
    )


def _fresh_build(emulator: Emulator, fixture: TenantFixture) -> dict[str, Any]:
    """The tenant as the reset built it before templates: ``build_tenant`` at the clock."""
    vendor = emulator.pipelines[fixture.vendor].vendor
    seeding = Sources(seed=f"{fixture.vendor}/{fixture.tenant_id}", clock=emulator.clock)
    built = build_tenant(vendor, fixture.tenant_id, fixture.entry, seeding, fixture.where)
    return dump_tenant(built)


def _live(emulator: Emulator, fixture: TenantFixture) -> dict[str, Any]:
    store = emulator.pipelines[fixture.vendor].store
    with store.transaction():
        tenant = store.get(fixture.tenant_id)
        assert tenant is not None
        return dump_tenant(tenant)


def _scribble(emulator: Emulator) -> None:
    """Writes into every tenant as handlers do: a field changed on every record, one
    record removed, one added, one credential more, a tenant more."""
    for pipeline in emulator.pipelines.values():
        with pipeline.store.transaction():
            for tenant in pipeline.store.tenants():
                for record in tenant.secrets.values():
                    first = dataclasses.fields(record)[0].name
                    setattr(record, first, "scribbled")
                if tenant.secrets:
                    first_key = next(iter(tenant.secrets))
                    tenant.secrets["added"] = copy_record(tenant.secrets[first_key])
                    tenant.secrets.pop(first_key)
                token = f"scribbled-{tenant.tenant_id}"
                tenant.credentials[token] = Credential(token, tenant.tenant_id, "admin", "x")
            pipeline.store.put(TenantState("stray"))


def test_a_reset_after_writes_gives_what_a_fresh_build_gives(blueprint: Blueprint) -> None:
    emulator = _emulator(blueprint)
    for moment in (FIRST, LATER, FIRST):  # the template was built at FIRST only
        emulator.start_clock = ClockSetting(moment)
        _scribble(emulator)
        emulator.reset()
        assert emulator.clock.now() == moment
        for fixture in emulator.fixtures:
            assert _live(emulator, fixture) == _fresh_build(emulator, fixture), fixture.where
        assert {t["id"] for t in emulator.tenants()} == {f.tenant_id for f in emulator.fixtures}


@pytest.mark.parametrize("end", [EARLIEST, LATEST], ids=["year-1", "year-9999"])
def test_a_clock_frozen_at_an_end_of_the_years_resets_as_a_build_would(
    blueprint: Blueprint, end: datetime
) -> None:
    """The second build of a template stands a day away: after the end if need be."""
    anew = [TenantFixture(f.vendor, f.tenant_id, f.entry, f.where) for f in blueprint.fixtures]
    emulator = Emulator.from_blueprint(
        blueprint, Sources(seed=3), anew, start_clock=ClockSetting(end)
    )
    for fixture in emulator.fixtures:
        assert fixture.templates  # made at the end of the years
        assert _live(emulator, fixture) == _fresh_build(emulator, fixture), fixture.where


def test_times_follow_a_running_clock_read_once_per_record_in_build_order(
    blueprint: Blueprint,
) -> None:
    for fixture in _fixtures(blueprint):
        vendor = blueprint.vendors[fixture.vendor]
        fixture_tenant(vendor, fixture, _clock_at(FIRST))  # the template, made once
        copied = fixture_tenant(vendor, fixture, _clock_at(LATER, step=0.25))
        seeding = Sources(f"{fixture.vendor}/{fixture.tenant_id}", _clock_at(LATER, step=0.25))
        built = build_tenant(vendor, fixture.tenant_id, fixture.entry, seeding, fixture.where)
        assert dump_tenant(copied) == dump_tenant(built), fixture.where
        assert list(copied.secrets) == list(built.secrets)  # InsForge lists by creation time


def _clock_at(moment: datetime, step: float = 0.0) -> EmulatedClock:
    if not step:
        clock = EmulatedClock()
        clock.freeze_at(moment)
        return clock
    return EmulatedClock(FixedClock(moment, step))


def test_the_ids_are_the_same_after_every_reset_and_the_journal_ids_reseeded(
    blueprint: Blueprint,
) -> None:
    emulator = _emulator(blueprint)
    emulator.start_seed = 11
    emulator.reset()
    first = state_document(emulator), emulator.sources.uuid4()
    _scribble(emulator)
    emulator.sources.uuid4()
    emulator.reset()
    assert (state_document(emulator), emulator.sources.uuid4()) == first


def test_writes_in_the_emulator_never_change_the_template(blueprint: Blueprint) -> None:
    emulator = _emulator(blueprint)
    templates = {
        fixture.where: next(iter(fixture.templates.values())) for fixture in emulator.fixtures
    }
    before = {where: dump_tenant(t.tenant) for where, t in templates.items()}
    for _ in range(2):
        _scribble(emulator)
        emulator.reset()
    assert {where: dump_tenant(t.tenant) for where, t in templates.items()} == before
    for fixture in emulator.fixtures:  # no record, dict or index is the template's own
        live = emulator.pipelines[fixture.vendor].store.get(fixture.tenant_id)
        template = templates[fixture.where].tenant
        assert live is not None and live is not template
        assert live.secrets is not template.secrets and live.indexes is not template.indexes
        shared = {id(r) for r in template.secrets.values()} & {id(r) for r in live.secrets.values()}
        assert not shared


def test_two_sandboxes_sharing_templates_see_nothing_of_each_other(blueprint: Blueprint) -> None:
    registry = Sandboxes(blueprint)
    options = SandboxOptions(seed=5, clock=ClockSetting(FIRST))
    one, two = (registry.create(options).emulator for _ in range(2))
    assert state_document(one)["vendors"] == state_document(two)["vendors"]
    untouched = state_document(two)["vendors"]
    _scribble(one)
    assert state_document(two)["vendors"] == untouched
    one.reset()
    _scribble(two)
    two.reset()
    assert state_document(one)["vendors"] == state_document(two)["vendors"] == untouched
    assert all(len(f.templates) == 1 for f in blueprint.fixtures)  # built once, shared


def test_each_vendor_version_has_its_own_template(blueprint: Blueprint) -> None:
    emulator = _emulator(blueprint)
    emulator.use_versions({"langwatch": "before-2026-07-22"})
    emulator.reset()
    langwatch = next(f for f in emulator.fixtures if f.vendor == "langwatch")
    assert sorted(langwatch.templates) == ["before-2026-07-22", "current"]
    assert _live(emulator, langwatch) == _fresh_build(emulator, langwatch)


def test_a_build_that_follows_the_time_some_other_way_is_rebuilt_at_every_reset(
    blueprint: Blueprint,
) -> None:
    odd = _odd_vendor(blueprint.vendors["fireworks"])
    (fixture,) = tenant_fixtures(
        [{"vendor": "fireworks", "id": "odd", "secrets": [{"name": "a"}, {"name": "b"}]}],
        {"fireworks": odd},
        "odd",
    )
    template = make_template(odd, fixture, FIRST)
    assert template.rebuild
    later = fixture_tenant(odd, fixture, _clock_at(LATER))
    assert [s.stamped for s in later.secrets.values()] == [str(LATER.timestamp())] * 2


@dataclasses.dataclass
class _Odd(StoredRecord):
    name: str
    stamped: str


def _odd_vendor(base: Vendor) -> Vendor:
    """A vendor whose seeded record holds the time in a form no template restamps."""

    def seed(tenant: TenantState[Any], entry: Mapping[str, Any], sources: Sources) -> None:
        tenant.secrets[entry["name"]] = _Odd(entry["name"], str(sources.now().timestamp()))

    return dataclasses.replace(base, seed_secret=seed)


def test_a_large_tenant_is_copied_in_chunks_with_a_pause_between(blueprint: Blueprint) -> None:
    (fixture,) = tenant_fixtures([MORE[-1]], blueprint.known_vendors, "big")
    vendor = blueprint.vendors["fireworks"]
    pauses: list[int] = []
    copied = fixture_tenant(vendor, fixture, _clock_at(FIRST), lambda: pauses.append(1))
    assert len(copied.secrets) == CHUNK + 5 and len(pauses) == 1


def test_a_reset_answers_reads_as_before_or_after_never_half_way(blueprint: Blueprint) -> None:
    """Each vendor's store is emptied and filled in one transaction: an unchanged
    fixture tenant is never missing from a store between two reads of it."""
    emulator = _emulator(blueprint)
    store = emulator.pipelines["fireworks"].store
    seen = []
    original_clear = store.clear

    def clear() -> None:
        seen.append(store._transaction._depth)  # inside the transaction that refills it
        original_clear()

    store.clear = clear  # type: ignore[method-assign]
    emulator.reset()
    assert seen == [1]
    assert store.get("acme") is not None
    assert timedelta(0) == emulator.clock.now() - FIRST
