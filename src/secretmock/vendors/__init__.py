"""The five vendors. Each package has the same shape:

``__init__.py``  the declaration (:data:`VENDOR`): name, spec, roles, auth, handlers
``auth.py``      who is calling, from the vendor's own credential headers
``handlers.py``  one function per operationId: a Call in, a Reply out
``models.py``    the stored records and the vendor's rules, free of HTTP
``errors.py``    the vendor's error envelope and its domain errors
``drift.py``     what the drift check needs to compare its answers (:data:`PROFILE`)
"""

from __future__ import annotations

from secretmock.engine.vendor_api import Vendor


def all_vendors() -> list[Vendor]:
    """Every vendor, in the order the README's URL table lists them."""
    from secretmock.vendors import fireworks, insforge, instabase, langwatch, prismeai

    return [prismeai.VENDOR, langwatch.VENDOR, instabase.VENDOR, insforge.VENDOR, fireworks.VENDOR]
