"""Instabase AI Hub: organization secrets (docs/vendors/instabase.md)."""

from secretmock.engine.vendor_api import Vendor
from secretmock.vendors.instabase import auth, drift, errors, handlers, models

VENDOR = Vendor(
    name="instabase",
    spec_file="instabase.yaml",
    roles=models.ROLES,
    authenticate=auth.authenticate,
    handlers=handlers.HANDLERS,
    errors=errors.ENVELOPE,
    seed_secret=models.seed_secret,
    export_secret=models.export,
    record_type=models.Secret,
    drift=drift.PROFILE,
    record_key="alias",
)
