"""The emulator as an object: vendors, their specs, their stores and the fixtures.

This is what the ASGI app, the admin API, the CLI and the pytest plugin drive.
Specs are loaded and validators built here, once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from secretmock.engine.clock import REAL_TIME
from secretmock.engine.faults import FaultRules, declared_statuses
from secretmock.engine.fixtures import (
    FixtureError,
    build_tenant,
    load_fixture_files,
    load_vendor_versions,
)
from secretmock.engine.incoming import MAX_BODY_BYTES
from secretmock.engine.journal import Journal
from secretmock.engine.pipeline import VendorPipeline
from secretmock.engine.sources import Sources
from secretmock.engine.specs import SpecError, load_spec
from secretmock.engine.store import StoredRecord, VendorStore
from secretmock.engine.vendor_api import Vendor
from secretmock.resources import spec_path


class Emulator:
    """All vendors' pipelines over their stores, seeded from fixtures files.

    With ``only_vendor`` (a name, or a set of names), the emulator holds those vendors
    alone: the fixtures' tenants of the other (known) vendors are skipped, and nothing
    shows the others.
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
        """``max_body_bytes`` (``--max-body``) replaces every vendor's body limit and
        the admin API's; ``None`` keeps each vendor's own (see ``Vendor.max_body_bytes``).
        ``journal_max_bytes`` bounds what the journal holds (``--journal-max-bytes``)."""
        self.sources = sources or Sources()
        self.max_body_bytes = max_body_bytes
        self.clock = self.sources.clock
        """The emulated clock behind every time the vendors make or compare."""
        known = {vendor.name: vendor for vendor in vendors}
        self.known_vendors = known
        served = {only_vendor} if isinstance(only_vendor, str) else only_vendor
        self.vendors: dict[str, Vendor] = {
            name: vendor for name, vendor in known.items() if served is None or name in served
        }
        self.journal = Journal(max_bytes=journal_max_bytes)
        specs = {name: _checked_spec(vendor) for name, vendor in self.vendors.items()}
        self.faults = FaultRules({name: declared_statuses(spec) for name, spec in specs.items()})
        """The fault rules every vendor's pipeline tries."""
        self.startup_faults: list[Any] = []
        """Rules given at start-up (``serve --faults``): added again after every reset."""
        self.pipelines = {
            name: VendorPipeline(
                vendor,
                specs[name],
                VendorStore(),
                self.sources,
                self.journal,
                max_body_bytes or vendor.max_body_bytes or MAX_BODY_BYTES,
                faults=self.faults,
            )
            for name, vendor in self.vendors.items()
        }
        self.fixtures = [
            fixture
            for fixture in load_fixture_files(fixture_files, known)
            if fixture.vendor in self.vendors
        ]
        self.default_versions = {
            **load_vendor_versions(fixture_files),
            **(vendor_versions or {}),
        }
        """The server versions selected at start (fixtures files, then the caller)."""
        try:
            self.use_versions(self.default_versions)
        except ValueError as exc:
            raise FixtureError(f"vendor versions: {exc}") from exc
        self.warm = False
        self.reset()

    def use_versions(self, versions: Mapping[str, str]) -> None:
        """Serves each named vendor as that version of its server and every other as its
        current server; ``ValueError`` names an unknown vendor or version. Stored state
        stays as it is."""
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
        for pipeline in self.pipelines.values():
            pipeline.validator.warm_up()
        self.warm = True

    def reset(self) -> None:
        """Back to the loaded fixtures: every tenant rebuilt, every other tenant gone, the
        clock back to the real time, the fault rules back to the start-up ones."""
        self.clock.restore(REAL_TIME)
        self.faults.clear()
        self.faults.add_all(self.startup_faults)
        self.load_fixtures()

    def load_fixtures(self) -> None:
        """Every tenant rebuilt from the fixtures (their times from the clock as it
        stands), every other tenant gone."""
        for pipeline in self.pipelines.values():
            with pipeline.store.transaction():
                pipeline.store.clear()
        for fixture in self.fixtures:
            self.put_tenant(
                fixture.vendor, fixture.tenant_id, fixture.entry, fixture.where, checked=True
            )

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
        (``checked``: its values are known to be JSON-readable, as a loaded fixture's are)."""
        where = where or f"tenant {vendor_name}/{tenant_id}"
        pipeline = self.pipelines.get(vendor_name)
        if pipeline is None:
            raise FixtureError(f"{where}: unknown vendor {vendor_name!r}")
        # Ids made while seeding come from a source of their own, seeded by the tenant's
        # name, so every reset gives the fixtures' secrets the same ids.
        seeding = Sources(seed=f"{vendor_name}/{tenant_id}", clock=self.sources.clock)
        tenant = build_tenant(pipeline.vendor, tenant_id, entry, seeding, where, checked)
        with pipeline.store.transaction():
            for token in tenant.credentials:
                holder = pipeline.store.credential(token)
                if holder is not None and holder.tenant_id != tenant_id:
                    raise FixtureError(
                        f"{where}: a token is already bound to tenant {holder.tenant_id!r}"
                    )
            pipeline.store.put(tenant)

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


def _checked_spec(vendor: Vendor) -> Any:
    """The vendor's spec, after checking every operation has a handler and vice versa,
    and that its records can be put back when a request fails midway."""
    record_type = vendor.record_type
    if record_type is not None and not issubclass(record_type, StoredRecord):
        raise TypeError(
            f"vendor {vendor.name!r}: its record type {record_type.__name__} must derive from "
            "secretmock.engine.store.StoredRecord (a failed request undoes its changes)"
        )
    spec = load_spec(spec_path(vendor.spec_file))
    operation_ids = {op.operation_id for op in spec.operations}
    unhandled = sorted(operation_ids - set(vendor.handlers))
    unknown = sorted(set(vendor.handlers) - operation_ids)
    if unhandled or unknown:
        raise SpecError(
            f"{spec.path}: vendor {vendor.name!r}: operations without a handler: {unhandled}; "
            f"handlers for operations the spec lacks: {unknown}"
        )
    return spec
