"""The emulator as an object: vendors, their specs, their stores and the fixtures.

This is what the ASGI app, the admin API, the CLI and the pytest plugin drive. Specs
are loaded and validators built once, in the emulator's blueprint
(:mod:`secretmock.engine.blueprint`), which many emulators may share.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from secretmock.engine.blueprint import Blueprint
from secretmock.engine.clock import REAL_TIME, ClockSetting
from secretmock.engine.faults import FaultRules
from secretmock.engine.fixtures import FixtureError, TenantFixture, build_tenant
from secretmock.engine.journal import Journal
from secretmock.engine.pipeline import VendorPipeline
from secretmock.engine.sources import Sources
from secretmock.engine.store import TenantState, VendorStore
from secretmock.engine.templates import fixture_tenant
from secretmock.engine.vendor_api import Vendor

if TYPE_CHECKING:
    from secretmock.engine.shared.backend import Backend
    from secretmock.engine.shared.sync import SharedState

T = TypeVar("T")


class Emulator:
    """All vendors' pipelines over their stores, seeded from fixtures files.

    The server's root and each sandbox are emulators alike: :meth:`from_blueprint` makes
    one over a shared :class:`~secretmock.engine.blueprint.Blueprint` (specs, validators,
    declarations: built once), owning everything that changes (stores, fault rules,
    clock, journal, ids, vendor versions). ``Emulator(vendors, ...)`` builds its own
    blueprint; its arguments are the blueprint's (see there).
    """

    def __init__(
        self,
        vendors: Iterable[Vendor],
        fixture_files: Sequence[Path] = (),
        sources: Sources | None = None,
        only_vendor: str | Collection[str] | None = None,
        max_body_bytes: int | None = None,
        vendor_versions: Mapping[str, str] | None = None,
        journal_max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        blueprint = Blueprint(
            vendors, fixture_files, only_vendor, max_body_bytes, vendor_versions, journal_max_bytes
        )
        self._build(blueprint, sources, None, None, REAL_TIME)

    @classmethod
    def from_blueprint(
        cls,
        blueprint: Blueprint,
        sources: Sources | None = None,
        fixtures: Sequence[TenantFixture] | None = None,
        vendor_versions: Mapping[str, str] | None = None,
        start_clock: ClockSetting = REAL_TIME,
    ) -> Emulator:
        """A new emulator over ``blueprint``: its ``fixtures`` (the blueprint's by
        default), its server versions (the blueprint's defaults, then these), its clock
        starting at (and reset to) ``start_clock``. Raises :class:`FixtureError` naming
        a bad fixture or version."""
        emulator = cls.__new__(cls)
        emulator._build(blueprint, sources, fixtures, vendor_versions, start_clock)
        return emulator

    def _build(
        self,
        blueprint: Blueprint,
        sources: Sources | None,
        fixtures: Sequence[TenantFixture] | None,
        vendor_versions: Mapping[str, str] | None,
        start_clock: ClockSetting,
    ) -> None:
        self.blueprint = blueprint
        self.sources = sources or Sources()
        self.max_body_bytes = blueprint.max_body_bytes
        self.journal_max_bytes = blueprint.journal_max_bytes
        self.clock = self.sources.clock
        """The emulated clock behind every time the vendors make or compare."""
        self.start_clock = start_clock
        """Where :meth:`reset` puts the clock back (the real time unless chosen)."""
        self.start_seed: int | None = None
        """A sandbox's seed: every :meth:`reset` starts its ids' sequence again."""
        self.known_vendors = blueprint.known_vendors
        self.vendors: Mapping[str, Vendor] = blueprint.vendors
        self.journal = Journal(max_bytes=blueprint.journal_max_bytes)
        self.faults = FaultRules(blueprint.fault_catalog)
        """The fault rules every vendor's pipeline tries."""
        self.startup_faults: list[Any] = []
        """Rules given at start-up (``serve --faults``): added again after every reset."""
        self.pipelines = {
            name: VendorPipeline(
                vendor,
                blueprint.specs[name],
                VendorStore(),
                self.sources,
                self.journal,
                blueprint.body_limit(vendor),
                faults=self.faults,
                validator=blueprint.validators[name],
            )
            for name, vendor in self.vendors.items()
        }
        self.fixtures = list(blueprint.fixtures if fixtures is None else fixtures)
        self.default_versions = {**blueprint.default_versions, **(vendor_versions or {})}
        """The server versions selected at start (fixtures files, then the caller)."""
        try:
            self.apply_versions(self.default_versions)
        except ValueError as exc:
            raise FixtureError(f"vendor versions: {exc}") from exc
        self.warm = False
        self.shared: SharedState | None = None
        """Set by :meth:`attach`: the shared store this emulator serves from."""
        self.reset()

    def attach(self, backend: Backend, scope: str = "") -> None:
        """Serves from ``backend`` (opened) from now on, under ``scope`` (``""``: a
        server's root): an empty store is seeded from this emulator (its fixtures,
        clock, fault rules, versions), one that holds state is served as it is. Raises
        :class:`~secretmock.engine.shared.backend.StoreError` naming the store."""
        from secretmock.engine.shared.sync import SharedState

        shared = SharedState(self, backend, scope)
        shared.attach()
        self.shared = shared

    def change(self, change: Callable[[], T]) -> T:
        """Runs ``change`` of the fault rules, the clock or the vendor versions; with a
        shared store, on its latest config, written back there for every worker."""
        if self.shared is None:
            return change()
        return self.shared.change_config(change)

    def publish(self) -> None:
        """With a shared store, writes the whole state there (after it was replaced here:
        a reset, a state document restored), for every worker; nothing otherwise."""
        if self.shared is not None:
            self.shared.publish()

    def use_versions(self, versions: Mapping[str, str]) -> None:
        """Serves each named vendor as that version of its server and every other as its
        current server; ``ValueError`` names an unknown vendor or version. Stored state
        stays as it is. With a shared store, every worker does from its next request."""
        if self.shared is None:
            self.apply_versions(versions)
        else:
            self.shared.change_config(lambda: self.apply_versions(versions))

    def apply_versions(self, versions: Mapping[str, str]) -> None:
        """:meth:`use_versions` in this process alone (the shared store applies its
        config's versions so)."""
        unknown = sorted(set(versions) - set(self.known_vendors))
        if unknown:
            raise ValueError(
                f"unknown vendor(s) {unknown} in the vendor versions; "
                f"known: {sorted(self.known_vendors)}"
            )
        chosen = {
            name: self.known_vendors[name].at_version(version) for name, version in versions.items()
        }
        for name, pipeline in self.pipelines.items():
            pipeline.vendor = chosen.get(name, self.vendors[name])

    def versions(self) -> dict[str, str]:
        """The server version each served vendor emulates now."""
        return {name: pipeline.vendor.version for name, pipeline in self.pipelines.items()}

    def warm_up(self) -> None:
        """Builds now what is otherwise built when a request first fails validation
        (openapi-core and its validators, about half a second); ``warm`` tells when done."""
        self.blueprint.warm_up()
        self.warm = True

    def reset(self) -> None:
        """Back to the loaded fixtures: every tenant rebuilt, every other tenant gone, the
        clock back to its start (the real time unless chosen), the ids back to the start
        of ``start_seed``'s sequence when one is set, the fault rules back to the
        start-up ones."""
        self.clock.restore(self.start_clock)
        if self.start_seed is not None:
            self.sources.reseed(self.start_seed)
        self.faults.clear()
        self.faults.add_all(self.startup_faults)
        self.load_fixtures()
        self.publish()

    def load_fixtures(self) -> None:
        """Every tenant rebuilt from the fixtures (their times from the clock as it
        stands), every other tenant gone.

        Each fixture tenant is a copy of its template (built once, see
        :mod:`secretmock.engine.templates`), made before any store is touched and
        yielding the GIL between chunks (a reset runs beside other sandboxes' requests);
        then each vendor's store is emptied and filled in one transaction, so that a
        request sees its tenants as they were or as reset, never half-way."""
        made: dict[str, list[tuple[TenantFixture, TenantState[Any]]]] = {
            name: [] for name in self.pipelines
        }
        for fixture in self.fixtures:
            pipeline = self.pipelines.get(fixture.vendor)
            if pipeline is None:
                raise FixtureError(f"{fixture.where}: unknown vendor {fixture.vendor!r}")
            tenant = fixture_tenant(pipeline.vendor, fixture, self.clock, _yield_gil)
            made[fixture.vendor].append((fixture, tenant))
        for name, pipeline in self.pipelines.items():
            with pipeline.store.transaction():
                pipeline.store.clear()
                for fixture, tenant in made[name]:
                    _put(pipeline.store, tenant, fixture.where)

    def set_startup_faults(self, rules: Sequence[Any], where: str = "faults") -> None:
        """Makes ``rules`` (as a faults file lists them) the start-up rules and adds them
        now; raises :class:`~secretmock.engine.faults.FaultRuleError` naming a bad one."""
        self.faults.clear()
        self.faults.add_all(rules, where)
        self.startup_faults = list(rules)

    def put_tenant(
        self,
        vendor_name: str,
        tenant_id: str,
        entry: Mapping[str, Any],
        where: str = "",
        checked: bool = False,
    ) -> None:
        """Creates or replaces one tenant; raises :class:`FixtureError` if ``entry`` is bad
        (``checked``: its values are known to be JSON-readable, as a loaded fixture's are).
        With a shared store, the tenant is committed there."""
        if self.shared is None or vendor_name not in self.pipelines:
            self._put_tenant(vendor_name, tenant_id, entry, where, checked)
            return
        self.shared.put_tenant(
            self.pipelines[vendor_name],
            lambda: self._put_tenant(vendor_name, tenant_id, entry, where, checked),
        )

    def _put_tenant(
        self,
        vendor_name: str,
        tenant_id: str,
        entry: Mapping[str, Any],
        where: str = "",
        checked: bool = False,
    ) -> TenantState[Any]:
        """:meth:`put_tenant` in this process alone; the tenant put."""
        where = where or f"tenant {vendor_name}/{tenant_id}"
        pipeline = self.pipelines.get(vendor_name)
        if pipeline is None:
            raise FixtureError(f"{where}: unknown vendor {vendor_name!r}")
        # Ids made while seeding come from a source of their own, seeded by the tenant's
        # name, so every reset gives the fixtures' secrets the same ids.
        seeding = Sources(seed=f"{vendor_name}/{tenant_id}", clock=self.sources.clock)
        tenant = build_tenant(pipeline.vendor, tenant_id, entry, seeding, where, checked)
        with pipeline.store.transaction():
            _put(pipeline.store, tenant, where)
        return tenant

    def tenants(self) -> list[dict[str, Any]]:
        """Every tenant of every vendor: vendor, id and how many secrets it holds."""
        listed = []
        for name, pipeline in self.pipelines.items():
            with pipeline.store.transaction():
                listed += [
                    {"vendor": name, "id": tenant.tenant_id, "secrets": len(tenant.secrets)}
                    for tenant in pipeline.store.tenants()
                ]
        return listed

    def tenant_snapshot(self, vendor_name: str, tenant_id: str) -> dict[str, Any] | None:
        """A tenant's credentials and secrets (values included), or ``None`` if unknown."""
        pipeline = self.pipelines.get(vendor_name)
        if pipeline is None:
            return None
        with pipeline.store.transaction():
            tenant = pipeline.store.get(tenant_id)
            if tenant is None:
                return None
            return {
                "vendor": vendor_name,
                "id": tenant_id,
                "credentials": [
                    {"token": c.token, "role": c.role, "user": c.user}
                    for c in tenant.credentials.values()
                ],
                "secrets": [
                    dict(pipeline.vendor.export_secret(s)) for s in tenant.secrets.values()
                ],
            }


def _put(store: VendorStore, tenant: TenantState[Any], where: str) -> None:
    """Puts ``tenant`` in ``store`` (inside its transaction); :class:`FixtureError`
    when one of its tokens is bound to another tenant."""
    for token in tenant.credentials:
        holder = store.credential(token)
        if holder is not None and holder.tenant_id != tenant.tenant_id:
            raise FixtureError(f"{where}: a token is already bound to tenant {holder.tenant_id!r}")
    store.put(tenant)


def _yield_gil() -> None:
    # sleep(0) releases the GIL: a thread waiting for it (the event loop serving the
    # other sandboxes) runs before this reset goes on.
    time.sleep(0)
