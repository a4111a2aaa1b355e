"""Every vendor's drift profile, by vendor name (each vendor's ``drift.py``)."""

from __future__ import annotations

from collections.abc import Mapping

from secretmock.engine.drift_profile import DriftProfile
from secretmock.vendors.fireworks.drift import PROFILE as FIREWORKS
from secretmock.vendors.insforge.drift import PROFILE as INSFORGE
from secretmock.vendors.instabase.drift import PROFILE as INSTABASE
from secretmock.vendors.langwatch.drift import PROFILE as LANGWATCH
from secretmock.vendors.prismeai.drift import PROFILE as PRISMEAI

PROFILES: Mapping[str, DriftProfile] = {
    "prismeai": PRISMEAI,
    "langwatch": LANGWATCH,
    "instabase": INSTABASE,
    "insforge": INSFORGE,
    "fireworks": FIREWORKS,
}
"""Until the ``Vendor`` declaration carries its profile, the drift check finds it here."""
