"""The admin API, outside every vendor mount (docs/server.md, "The admin API").

Every route is one row of :data:`ROUTES`, read top to bottom like the table in docs/server.md;
each handler is a module-level ``async def name(admin, request)``. A handler refuses a
request by raising :class:`~secretmock.web.admin.bodies.AdminError`, which every route
answers the same way (``{"error": code, "message": ...}`` with its status).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from secretmock import __version__
from secretmock.drift.report import SCOPE_KEY, DriftReport
from secretmock.engine.emulator import Emulator
from secretmock.engine.fixtures import FixtureError
from secretmock.engine.journal import Query, QueryError, query_filters
from secretmock.engine.shared.backend import StoreError
from secretmock.report import build_report, violation_records
from secretmock.web.admin import sandboxes, scenarios
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
    """200 ``{"status": "ok", ...}``; with a shared store that does not answer, 503
    ``{"status": "degraded", "store": URL, "error": ...}`` (it recovers by itself)."""
    emulator = admin.emulator
    if emulator.shared is not None:
        degraded = await run_in_threadpool(_store_problem, emulator)
        if degraded is not None:
            return JSONResponse(degraded, status_code=503, headers={"retry-after": "1"})
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "vendors": sorted(emulator.vendors),
            "warm": emulator.warm,
            **sandboxes.sandbox_context(admin),
        }
    )


def _store_problem(emulator: Emulator) -> dict[str, Any] | None:
    """What health says of a shared store that does not answer (``None``: it does)."""
    assert emulator.shared is not None
    backend = emulator.shared.backend
    try:
        backend.ping()
    except StoreError as exc:
        return {"status": "degraded", "store": backend.url, "error": str(exc)}
    return None


async def vendors(admin: Admin, request: Request) -> Response:
    root = f"{request.url.scheme}://{request.url.netloc}"
    return JSONResponse({"vendors": vendor_overview(admin.emulator, root, admin.mounted_at)})


async def reset(admin: Admin, request: Request) -> Response:
    # In a worker thread: a sandbox's reset rebuilding many fixtures must not hold the
    # event loop that serves every other sandbox (its stores' locks keep it whole).
    await run_in_threadpool(admin.emulator.reset)
    return JSONResponse({"status": "reset"})


async def get_versions(admin: Admin, request: Request) -> Response:
    return JSONResponse(versions_document(admin.emulator))


async def put_versions(admin: Admin, request: Request) -> Response:
    """Serves each vendor the body names as that version of its server and every other
    as its start-up version; the stored state stays as it is (a reset rebuilds the
    fixtures for the versions served)."""
    chosen = await json_body(request)
    if not isinstance(chosen, dict) or not all(isinstance(v, str) for v in chosen.values()):
        raise BadRequest(
            "invalid_versions",
            "the body must map vendor names to version names, such as "
            '{"langwatch": "before-2026-07-22"} ({} for the start-up versions)',
        )
    emulator = admin.emulator
    try:
        emulator.use_versions({**emulator.default_versions, **chosen})
    except ValueError as exc:
        raise BadRequest("invalid_versions", str(exc)) from exc
    return JSONResponse(versions_document(emulator))


def versions_document(emulator: Emulator) -> dict[str, Any]:
    """``{"versions": {vendor: version served}, "defaults": {vendor: start-up version}}``
    (an alias given at start-up shown as the version it names)."""
    chosen = emulator.default_versions
    defaults = {
        name: (vendor.at_version(chosen[name]) if name in chosen else vendor).version
        for name, vendor in emulator.vendors.items()
    }
    return {"versions": emulator.versions(), "defaults": defaults}


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
    ("GET", "/versions", get_versions),
    ("PUT", "/versions", put_versions),
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
    *sandboxes.ROUTES,  # sandboxes (root), sandbox (inside one)
]
"""Every admin route: (method, path below ``/__admin__``, handler)."""


ADMIN_SCOPE_KEY = "secretmock.admin"
"""The ASGI scope key by which the shared router's endpoints find their :class:`Admin`."""


class AdminApp:
    """``/__admin__`` of one emulator: :data:`ROUTES` over :class:`Admin` ``admin``.

    The router itself is built once per process and shared by every emulator (the
    root's and each sandbox's): this app only tells it, in the scope, which one it
    serves, so that making a sandbox compiles no route."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await shared_router()({**scope, ADMIN_SCOPE_KEY: self.admin}, receive, send)


def admin_app(
    emulator: Emulator, prefixes: Mapping[str, str] | None = None, **context: Any
) -> AdminApp:
    """The app for ``/__admin__`` serving :data:`ROUTES`. ``prefixes`` maps each vendor
    to the path it is mounted at ("" when served alone at the root); by default each
    vendor's own prefix. ``context``: the rest of :class:`Admin` (sandboxes)."""
    mounted_at = prefixes or {name: v.prefix for name, v in emulator.vendors.items()}
    return AdminApp(Admin(emulator, mounted_at, **context))


@functools.cache
def shared_router() -> Router:
    """One router for :data:`ROUTES`, whatever emulator a request is for."""
    return Router(
        routes=[
            Route(path, _endpoint(handler), methods=[method]) for method, path, handler in ROUTES
        ]
    )


def _endpoint(handler: Handler) -> Any:
    """``handler`` as a Starlette endpoint over the scope's :class:`Admin`, answering its
    refusals."""

    in_step = handler is not health  # health reports on the store: it needs no state

    async def endpoint(request: Request) -> Response:
        admin: Admin = request.scope[ADMIN_SCOPE_KEY]
        try:
            if in_step and admin.emulator.shared is not None:
                # With a shared store, the emulator is brought in step first, so that
                # every worker answers the same (in a thread: it reads the store).
                await run_in_threadpool(admin.emulator.shared.refresh)
            return await handler(admin, request)
        except AdminError as refusal:
            return error(refusal.status, refusal.code, str(refusal))
        except StoreError as exc:
            refused = error(503, "store_unavailable", f"the shared store: {exc}")
            refused.headers["retry-after"] = "1"
            return refused

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
