"""Assembling the ASGI app: one mount per vendor, plus the admin API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from secretmock.engine.admin import admin_app
from secretmock.engine.asgi import VendorApp
from secretmock.engine.emulator import Emulator

ADMIN_PREFIX = "/__admin__"


def build_app(emulator: Emulator, only_vendor: str | None = None) -> Starlette:
    """Every vendor under its prefix, or ``only_vendor`` alone at the root."""
    routes: list[BaseRoute] = [Mount(ADMIN_PREFIX, app=admin_app(emulator))]
    if only_vendor is not None:
        routes.append(Mount("", app=VendorApp(emulator.pipelines[only_vendor])))
    else:
        for name, pipeline in emulator.pipelines.items():
            routes.append(Mount(f"/{name}", app=VendorApp(pipeline)))
    return Starlette(routes=routes)
