"""Prisme.ai: workspace secrets of the workspaces API (docs/vendors/prismeai.md)."""

from secretmock.engine.vendor_api import Vendor
from secretmock.vendors.prismeai import auth, drift, errors, handlers, models

VENDOR = Vendor(
    name="prismeai",
    spec_file="prismeai.yaml",
    # admin: the workspace owner (reads and writes); editor: reads only (current docs).
    roles=frozenset({"admin", "editor"}),
    authenticate=auth.authenticate,
    handlers=handlers.HANDLERS,
    errors=errors.Envelope(),
    seed_secret=models.seed_secret,
    export_secret=models.export,
    # The api-gateway's UPLOADS_MAX_SIZE, 10 MB (docs/vendors/prismeai.md, "Limits")
    max_body_bytes=10_000_000,
    record_type=models.Secret,
    drift=drift.PROFILE,
    record_key="name",
    finish=errors.finish,  # the gateway's x-correlation-id on every answer
)
