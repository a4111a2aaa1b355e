"""LangWatch: project secrets of the LangWatch API (docs/vendors/langwatch.md)."""

from secretmock.engine.vendor_api import Vendor
from secretmock.vendors.langwatch import auth, errors, handlers, models

VENDOR = Vendor(
    name="langwatch",
    spec_file="langwatch.yaml",
    roles=frozenset(auth.ROLE_PERMISSIONS),
    authenticate=auth.authenticate,
    handlers=handlers.HANDLERS,
    errors=errors.Envelope(),
    seed_secret=models.seed_secret,
    export_secret=models.export,
    record_type=models.Secret,
    record_key="id",
)
