"""The admin API, outside every vendor mount (the README's "Admin API" section)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, Router

from secretmock import __version__
from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError
from secretmock.report import build_report, violation_records
from secretmock.web.admin.scenarios import BadRequest, error, json_body, scenario_routes
from secretmock.web.dashboard import dashboard_page

WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def admin_app(emulator: Emulator, prefixes: Mapping[str, str] | None = None) -> Router:
    """A router for ``/__admin__``: the dashboard page, health, vendors, reset, tenants,
    journal, violations, report, and the scenario control of
    :mod:`secretmock.web.admin.scenarios` (faults, clock, state). ``prefixes`` maps
    each vendor to the path it is mounted at ("" when served alone at the root); by
    default each vendor's own prefix."""
    mounted_at = prefixes or {name: v.prefix for name, v in emulator.vendors.items()}

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "vendors": sorted(emulator.vendors),
                "warm": emulator.warm,
            }
        )

    async def vendors(request: Request) -> JSONResponse:
        root = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse({"vendors": vendor_overview(emulator, root, mounted_at)})

    async def reset(request: Request) -> JSONResponse:
        emulator.reset()
        return JSONResponse({"status": "reset"})

    async def put_tenant(request: Request) -> JSONResponse:
        vendor, tenant = request.path_params["vendor"], request.path_params["tenant"]
        if vendor not in emulator.vendors:
            return error(404, "unknown_vendor", f"unknown vendor {vendor!r}")
        try:
            entry = await json_body(request, empty={})
        except BadRequest as exc:
            return error(400, exc.code, str(exc))
        if not isinstance(entry, dict):
            return error(400, "invalid_tenant", "the body must be a JSON object")
        try:
            emulator.put_tenant(vendor, tenant, entry)
        except FixtureError as exc:
            return error(400, "invalid_tenant", str(exc))
        return JSONResponse(emulator.tenant_snapshot(vendor, tenant))

    async def list_tenants(request: Request) -> JSONResponse:
        return JSONResponse({"tenants": emulator.tenants()})

    async def get_tenant(request: Request) -> JSONResponse:
        vendor, tenant = request.path_params["vendor"], request.path_params["tenant"]
        snapshot = emulator.tenant_snapshot(vendor, tenant)
        if snapshot is None:
            return error(404, "unknown_tenant", f"no tenant {vendor}/{tenant}")
        return JSONResponse(snapshot)

    async def journal(request: Request) -> JSONResponse:
        since = _int_param(request, "since")
        if since is None:
            return error(400, "invalid_parameter", "'since' must be a whole number")
        return JSONResponse({"entries": [e.as_dict() for e in emulator.journal.entries(since)]})

    async def clear_journal(request: Request) -> JSONResponse:
        emulator.journal.clear()
        return JSONResponse({"status": "cleared"})

    async def violations(request: Request) -> JSONResponse:
        since = _int_param(request, "since")
        if since is None:
            return error(400, "invalid_parameter", "'since' must be a whole number")
        return JSONResponse({"violations": violation_records(emulator.journal.violating(since))})

    async def report(request: Request) -> JSONResponse:
        return JSONResponse(build_report(emulator))

    return Router(
        routes=[
            Route("/journal", journal, methods=["GET"]),
            Route("/journal", clear_journal, methods=["DELETE"]),
            Route("/violations", violations, methods=["GET"]),
            Route("/report", report, methods=["GET"]),
            Route("/", dashboard_page, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/vendors", vendors, methods=["GET"]),
            Route("/reset", reset, methods=["POST"]),
            Route("/tenants", list_tenants, methods=["GET"]),
            Route("/tenants/{vendor}/{tenant}", put_tenant, methods=["PUT"]),
            Route("/tenants/{vendor}/{tenant}", get_tenant, methods=["GET"]),
            *scenario_routes(emulator),
        ]
    )


def vendor_overview(
    emulator: Emulator, root: str, prefixes: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Each vendor: name, spec title, the base URL a client is given, how many
    operations its spec has, the body fields whose values are secrets, and the server
    version it emulates (``current`` unless ``--vendor-version`` chose another)."""
    return [
        {
            "name": name,
            "title": pipeline.spec.document.get("info", {}).get("title", name),
            "baseUrl": root + prefixes.get(name, pipeline.vendor.prefix) + pipeline.spec.base_path,
            "operations": len(pipeline.spec.operations),
            "secretFields": sorted(pipeline.vendor.secret_fields),
            "version": pipeline.vendor.version,
        }
        for name, pipeline in emulator.pipelines.items()
    ]


def _int_param(request: Request, name: str) -> int | None:
    """The parameter as a whole number of ASCII digits (``str.isdigit`` would take "²"),
    ``0`` when absent, ``None`` when it is anything else."""
    raw = request.query_params.get(name, "0")
    return int(raw) if WHOLE_NUMBER.fullmatch(raw) else None
