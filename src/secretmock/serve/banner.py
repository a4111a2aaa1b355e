"""What ``secretmock serve`` prints once its port is bound: where each vendor is served
and the credentials its tenants hold (the loaded fixtures' tokens, never a secret value)."""

from __future__ import annotations

import sys

from secretmock import __version__
from secretmock.engine.emulator import Emulator
from secretmock.engine.vendor_api import CURRENT_VERSION


def print_banner(emulator: Emulator, root: str, only_vendor: str | None) -> None:
    """The root URL, then each vendor's base URL and its tenants' credentials."""
    print(f"secretmock {__version__} on {root}  (dashboard: {root}/__admin__/)")
    for name, pipeline in emulator.pipelines.items():
        base_path = pipeline.spec.base_path if only_vendor else pipeline.base_path
        version = pipeline.vendor.version
        shown = "" if version == CURRENT_VERSION else f"  (server version {version})"
        print(f"  {name:<10} base URL {root}{base_path}{shown}")
        for fixture in emulator.fixtures:
            if fixture.vendor == name:
                for cred in fixture.entry.get("credentials") or []:
                    role = cred.get("role", "admin")
                    token = cred["token"]
                    print(f"{'':13}tenant {fixture.tenant_id!r}: token {token} ({role})")
    sys.stdout.flush()
