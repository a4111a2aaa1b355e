"""InsForge: project secrets of the admin API (docs/vendors/insforge.md).

Roles: ``admin`` (the project's admin API key ``ik_...`` or a project-admin JWT: full
rights) and ``user`` (a valid JWT of a signed-in user who is not an admin: every secrets
operation answers 403 AUTH_UNAUTHORIZED).
"""

from secretmock.engine.vendor_api import Vendor
from secretmock.vendors.insforge import auth, errors, handlers, models

VENDOR = Vendor(
    name="insforge",
    spec_file="insforge.yaml",
    roles=frozenset({"admin", "user"}),
    authenticate=auth.authenticate,
    handlers=handlers.HANDLERS,
    errors=errors.Envelope(),
    seed_secret=models.seed_secret,
    init_tenant=models.init_tenant,
    export_secret=models.export,
    # express.json({ limit: '100mb' }) in the server (docs/vendors/insforge.md, "Limits")
    max_body_bytes=100 * 1024 * 1024,
    record_type=models.Secret,
    record_key="key",
)
