"""LangWatch: project secrets of the LangWatch API (docs/vendors/langwatch.md).

Server versions: ``current`` (the default) and ``before-2026-07-22`` (schema failures
answered 400 with zod's raw result, before the validator of commit a29667a472).
"""

import dataclasses

from secretmock.engine.vendor_api import Vendor
from secretmock.vendors.langwatch import auth, drift, errors, handlers, models

CURRENT = Vendor(
    name="langwatch",
    spec_file="langwatch.yaml",
    roles=frozenset(auth.ROLE_PERMISSIONS),
    authenticate=auth.authenticate,
    handlers=handlers.HANDLERS,
    errors=errors.Envelope(),
    seed_secret=models.seed_secret,
    export_secret=models.export,
    record_type=models.Secret,
    drift=drift.PROFILE,
    record_key="id",
)
BEFORE_2026_07_22 = dataclasses.replace(
    CURRENT, version="before-2026-07-22", finish=errors.legacy_finish
)
VENDOR = CURRENT.with_older(BEFORE_2026_07_22)
