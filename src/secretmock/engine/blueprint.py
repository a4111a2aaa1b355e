"""What every emulator of one server shares: the parts that never change once loaded.

A :class:`Blueprint` holds the vendor declarations, their checked specs, the compiled
validators, the fault catalog, the fixtures and the limits, built once. Every
:class:`~secretmock.engine.emulator.Emulator` made from it (the server's root and each
sandbox alike) shares these and owns only what changes: stores, fault rules, clock,
journal, ids and the vendor versions served. So making one more emulator costs a few
small objects, not a spec load or a validator compilation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from secretmock.engine.faults import Catalog, declared_statuses
from secretmock.engine.fixtures import TenantFixture, load_fixture_files, load_vendor_versions
from secretmock.engine.incoming import MAX_BODY_BYTES
from secretmock.engine.journal import DEFAULT_MAX_BYTES
from secretmock.engine.specs import LoadedSpec, SpecError, load_spec
from secretmock.engine.store import StoredRecord
from secretmock.engine.validation import SpecValidator
from secretmock.engine.vendor_api import Vendor
from secretmock.resources import spec_path


class Blueprint:
    """The immutable parts of an emulator, loaded and compiled once.

    With ``only_vendor`` (a name, or a set of names), the emulators hold those vendors
    alone: the fixtures' tenants of the other (known) vendors are skipped.
    ``max_body_bytes`` (``--max-body``) replaces every vendor's body limit and the admin
    API's; ``None`` keeps each vendor's own. ``journal_max_bytes`` bounds each journal.
    """

    def __init__(
        self,
        vendors: Iterable[Vendor],
        fixture_files: Sequence[Path] = (),
        only_vendor: str | Collection[str] | None = None,
        max_body_bytes: int | None = None,
        vendor_versions: Mapping[str, str] | None = None,
        journal_max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        known = {vendor.name: vendor for vendor in vendors}
        self.known_vendors: Mapping[str, Vendor] = known
        served = {only_vendor} if isinstance(only_vendor, str) else only_vendor
        self.vendors: Mapping[str, Vendor] = {
            name: vendor for name, vendor in known.items() if served is None or name in served
        }
        self.specs: Mapping[str, LoadedSpec] = {
            name: _checked_spec(vendor) for name, vendor in self.vendors.items()
        }
        self.validators: Mapping[str, SpecValidator] = {
            name: SpecValidator(spec, name) for name, spec in self.specs.items()
        }
        """Compiled once, shared by every emulator's pipelines (they hold no state)."""
        self.fault_catalog: Catalog = {
            name: declared_statuses(spec) for name, spec in self.specs.items()
        }
        self.max_body_bytes = max_body_bytes
        self.journal_max_bytes = journal_max_bytes
        self.fixtures: Sequence[TenantFixture] = tuple(
            fixture
            for fixture in load_fixture_files(fixture_files, known)
            if fixture.vendor in self.vendors
        )
        """The server's own fixtures: where an emulator starts unless given its own."""
        self.default_versions: Mapping[str, str] = {
            **load_vendor_versions(fixture_files),
            **(vendor_versions or {}),
        }
        """The server versions selected at start (fixtures files, then the caller)."""

    def body_limit(self, vendor: Vendor) -> int:
        """The largest body a pipeline of ``vendor`` reads."""
        return self.max_body_bytes or vendor.max_body_bytes or MAX_BODY_BYTES

    def warm_up(self) -> None:
        """Builds now what is otherwise built when a request first fails validation."""
        for validator in self.validators.values():
            validator.warm_up()


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
