"""The admin API, outside every vendor mount (the README's "Admin API" section).

Every route is one row of :data:`ROUTES`, read top to bottom like the README's table;
each handler is a module-level ``async def name(admin, request)``. A handler refuses a
request by raising :class:`~secretmock.web.admin.bodies.AdminError`, which every route
answers the same way (``{"error": code, "message": ...}`` with its status).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router

from secretmock import __version__
from secretmock.drift.report import SCOPE_KEY, DriftReport
from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError
from secretmock.engine.journal import Query, QueryError, query_filters
from secretmock.report import build_report, violation_records
from secretmock.web.admin import scenarios
from secretmock.web.admin.bodies import (
    Admin,
    AdminError,
    BadRequest,
    Handler,
    NotFound,
    error,
    json_body,
    whole_number,
)
from secretmock.web.dashboard import dashboard_page

CLOSEST = 3
"""How many near misses ``POST /journal/find`` lists."""


async def dashboard(admin: Admin, request: Request) -> Response:
    return await dashboard_page(request)


async def health(admin: Admin, request: Request) -> Response:
    emulator = admin.emulator
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "vendors": sorted(emulator.vendors),
            "warm": emulator.warm,
        }
    )


async def vendors(admin: Admin, request: Request) -> Response:
    root = f"{request.url.scheme}://{request.url.netloc}"
    return JSONResponse({"vendors": vendor_overview(admin.emulator, root, admin.mounted_at)})


async def reset(admin: Admin, request: Request) -> Response:
    admin.emulator.reset()
    return JSONResponse({"status": "reset"})


async def list_tenants(admin: Admin, request: Request) -> Response:
    return JSONResponse({"tenants": admin.emulator.tenants()})


async def put_tenant(admin: Admin, request: Request) -> Response:
    vendor, tenant = request.path_params["vendor"], request.path_params["tenant"]
    if vendor not in admin.emulator.vendors:
        raise NotFound("unknown_vendor", f"unknown vendor {vendor!r}")
    entry = await json_body(request, empty={})
    if not isinstance(entry, dict):
        raise BadRequest("invalid_tenant", "the body must be a JSON object")
    try:
        admin.emulator.put_tenant(vendor, tenant, entry)
    except FixtureError as exc:
        raise BadRequest("invalid_tenant", str(exc)) from exc
    return JSONResponse(admin.emulator.tenant_snapshot(vendor, tenant))


async def get_tenant(admin: Admin, request: Request) -> Response:
    vendor, tenant = request.path_params["vendor"], request.path_params["tenant"]
    snapshot = admin.emulator.tenant_snapshot(vendor, tenant)
    if snapshot is None:
        raise NotFound("unknown_tenant", f"no tenant {vendor}/{tenant}")
    return JSONResponse(snapshot)


async def journal(admin: Admin, request: Request) -> Response:
    entries = admin.emulator.journal.entries(whole_number(request, "since"))
    return JSONResponse({"entries": [entry.as_dict() for entry in entries]})


async def find_in_journal(admin: Admin, request: Request) -> Response:
    """The entries matching the body's filters, and the closest that did not, each with
    the values that differ."""
    query, entries = await _queried(admin, request)
    return JSONResponse(
        {
            "entries": [entry.as_dict() for entry in query.matching(entries)],
            "closest": [
                {"entry": entry.as_dict(), "differs": query.differences(entry)}
                for entry in query.closest(entries, CLOSEST)
            ],
        }
    )


async def count_in_journal(admin: Admin, request: Request) -> Response:
    query, entries = await _queried(admin, request)
    return JSONResponse({"count": len(query.matching(entries))})


async def clear_journal(admin: Admin, request: Request) -> Response:
    admin.emulator.journal.clear()
    return JSONResponse({"status": "cleared"})


async def violations(admin: Admin, request: Request) -> Response:
    found = admin.emulator.journal.violating(whole_number(request, "since"))
    return JSONResponse({"violations": violation_records(found)})


async def report(admin: Admin, request: Request) -> Response:
    return JSONResponse(build_report(admin.emulator))


async def drift(admin: Admin, request: Request) -> Response:
    """The live drift document of ``secretmock proxy`` (docs/drift.md)."""
    report: DriftReport | None = request.scope.get(SCOPE_KEY)
    if report is None:
        message = "no drift check here: start the server with secretmock proxy --upstream"
        raise NotFound("no_drift_check", message)
    return JSONResponse(report.document())


ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/", dashboard),
    ("GET", "/health", health),
    ("GET", "/vendors", vendors),
    ("POST", "/reset", reset),
    ("PUT", "/tenants/{vendor}/{tenant}", put_tenant),
    ("GET", "/tenants", list_tenants),
    ("GET", "/tenants/{vendor}/{tenant}", get_tenant),
    ("GET", "/journal", journal),
    ("POST", "/journal/find", find_in_journal),
    ("POST", "/journal/count", count_in_journal),
    ("DELETE", "/journal", clear_journal),
    ("GET", "/violations", violations),
    ("GET", "/report", report),
    ("GET", "/drift", drift),
    *scenarios.ROUTES,  # faults, clock, state
]
"""Every admin route: (method, path below ``/__admin__``, handler)."""


def admin_app(emulator: Emulator, prefixes: Mapping[str, str] | None = None) -> Router:
    """A router for ``/__admin__`` serving :data:`ROUTES`. ``prefixes`` maps each vendor
    to the path it is mounted at ("" when served alone at the root); by default each
    vendor's own prefix."""
    mounted_at = prefixes or {name: v.prefix for name, v in emulator.vendors.items()}
    admin = Admin(emulator, mounted_at)
    return Router(
        routes=[
            Route(path, _bound(handler, admin), methods=[method])
            for method, path, handler in ROUTES
        ]
    )


def _bound(handler: Handler, admin: Admin) -> Any:
    """``handler`` as a Starlette endpoint over ``admin``, answering its refusals."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(admin, request)
        except AdminError as refusal:
            return error(refusal.status, refusal.code, str(refusal))

    endpoint.__name__ = handler.__name__
    return endpoint


async def _queried(admin: Admin, request: Request) -> tuple[Query, list[Any]]:
    """The query the body's filters make, and the entries after ``?since=``."""
    since = whole_number(request, "since")
    try:
        filters = query_filters(await json_body(request, empty={}))
    except QueryError as exc:
        raise BadRequest("invalid_filters", str(exc)) from exc
    return Query(filters), admin.emulator.journal.entries(since)


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
