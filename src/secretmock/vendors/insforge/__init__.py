"""InsForge: project secrets of the admin API (docs/vendors/insforge.md).

Roles: ``admin`` (the project's admin API key ``ik_...``, which is its stored ``API_KEY``
secret, or a project-admin JWT: full rights) and ``user`` (a valid JWT of a signed-in
user who is not an admin: every secrets operation answers 403 AUTH_UNAUTHORIZED).

Server versions: ``current`` (the default) and ``before-2026-05-22`` (alias
``before-2026-05-16``, its former name): the older error codes ``NOT_FOUND`` and
``INVALID_INPUT`` for a duplicate, body-parser's refusals with their own status (413,
415) instead of 500, and no anon-key rotation.
"""

import dataclasses

from secretmock.engine.vendor_api import Vendor
from secretmock.vendors.insforge import auth, bodies, drift, errors, handlers, keys, models

CURRENT = Vendor(
    name="insforge",
    spec_file="insforge.yaml",
    roles=frozenset({"admin", "user"}),
    authenticate=auth.authenticate,
    handlers=handlers.HANDLERS,
    errors=errors.Envelope(bodies.CURRENT.unread),
    seed_secret=models.seed_secret,
    init_tenant=keys.init_tenant,
    export_secret=models.export,
    # express.json({ limit: '100mb' }) in the server (docs/vendors/insforge.md, "Limits")
    max_body_bytes=100 * 1024 * 1024,
    record_type=models.Secret,
    drift=drift.PROFILE,
    record_key="key",
    # Express parses JSON and forms (server.ts express.json(), express.urlencoded())
    # app-wide, before the routes' verifyAdmin.
    parses_body_first=True,
    body_parsers=bodies.CURRENT.parsers,
)
BEFORE_2026_05_22 = dataclasses.replace(
    CURRENT,
    version="before-2026-05-22",
    finish=errors.with_legacy_code,
    # The error middleware's 4xx branch (removed by efec0825a) keeps body-parser's status.
    errors=errors.Envelope(bodies.BEFORE_2026_05_22.unread),
    body_parsers=bodies.BEFORE_2026_05_22.parsers,
    # The anon-key rotation came on 2026-06-11: Express's catch-all answers its path.
    absent_operations=frozenset({"rotateAnonKey"}),
)
VENDOR = CURRENT.with_older(
    BEFORE_2026_05_22,
    # The version's first name, after d5cc4379f's author date; main changed on 2026-05-22.
    aliases={"before-2026-05-16": BEFORE_2026_05_22.version},
)
