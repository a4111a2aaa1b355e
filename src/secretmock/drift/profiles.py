"""Every vendor's drift profile, by vendor name (each ``Vendor.drift``, declared in the
vendor's ``drift.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from secretmock.engine.drift_profile import DriftProfile
from secretmock.engine.vendor_api import Vendor
from secretmock.vendors import all_vendors


def profiles_of(vendors: Iterable[Vendor]) -> dict[str, DriftProfile]:
    """The drift profile of each of ``vendors`` that declares one."""
    return {vendor.name: vendor.drift for vendor in vendors if vendor.drift is not None}


PROFILES: Mapping[str, DriftProfile] = profiles_of(all_vendors())
"""The five vendors' profiles."""
