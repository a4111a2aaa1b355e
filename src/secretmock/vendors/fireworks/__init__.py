"""Fireworks AI: account secrets of the Gateway REST API (docs/vendors/fireworks.md)."""

from secretmock.engine.vendor_api import Vendor
from secretmock.vendors.fireworks import auth, drift, errors, handlers, models

VENDOR = Vendor(
    name="fireworks",
    spec_file="fireworks.yaml",
    roles=frozenset({"admin"}),
    authenticate=auth.authenticate,
    handlers=handlers.HANDLERS,
    errors=errors.ENVELOPE,
    seed_secret=models.seed_secret,
    export_secret=models.export,
    record_type=models.Secret,
    drift=drift.PROFILE,
    record_key="secret_id",
)
