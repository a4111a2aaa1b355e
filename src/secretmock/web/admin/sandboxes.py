"""The admin routes of sandboxes (README, "Shared server"): ``POST /sandboxes``, ``GET
/sandboxes`` and ``DELETE /sandboxes/{id}`` on the server's root admin API, ``DELETE
/sandbox`` on a sandbox's own. Rows of :data:`secretmock.web.admin.ROUTES`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from secretmock.engine.sandboxes import (
    Sandbox,
    SandboxLimitReached,
    SandboxOptionError,
    sandbox_options,
)
from secretmock.web.admin.bodies import Admin, BadRequest, Handler, NotFound, json_body

if TYPE_CHECKING:
    from secretmock.web.sandboxes import SandboxHost

SANDBOXES_PREFIX = "/sandboxes"


def server_root(request: Request) -> str:
    """The URL of the root this admin API is mounted at (``/__admin__`` less)."""
    admin_root: str = request.scope.get("root_path", "")
    root = admin_root.removesuffix("/__admin__")
    return f"{request.url.scheme}://{request.url.netloc}{root}"


def _host(admin: Admin) -> SandboxHost:
    """The server's sandbox host; a sandbox's own admin API has none (no nesting)."""
    if admin.sandboxes is None:
        raise NotFound("not_found", "sandboxes are made on the server's root admin API only")
    return admin.sandboxes


async def create_sandbox(admin: Admin, request: Request) -> Response:
    host = _host(admin)
    body = await json_body(request, empty=None)
    try:
        options = sandbox_options(body, admin.emulator.known_vendors, host.default_ttl)
        # In a worker thread: building a sandbox's own large fixtures (and their
        # templates) must not hold the event loop that serves every other sandbox.
        sandbox = await run_in_threadpool(host.registry.create, options, host.attach)
    except SandboxOptionError as exc:
        raise BadRequest("invalid_sandbox", str(exc)) from exc
    except SandboxLimitReached as exc:
        return JSONResponse(
            {"error": "too_many_sandboxes", "message": str(exc)},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    url = f"{server_root(request)}{SANDBOXES_PREFIX}/{sandbox.id}"
    created = {
        "id": sandbox.id,
        "url": url,
        "token": sandbox.token,
        "base_urls": base_urls(sandbox, admin, url),
        "expires_at": sandbox.summary()["expires_at"],
    }
    return JSONResponse(created, status_code=201)


def base_urls(sandbox: Sandbox, admin: Admin, url: str) -> dict[str, str]:
    """Each vendor's base URL inside the sandbox, as a client is given it."""
    return {
        name: url + admin.mounted_at.get(name, pipeline.vendor.prefix) + pipeline.spec.base_path
        for name, pipeline in sandbox.emulator.pipelines.items()
    }


async def list_sandboxes(admin: Admin, request: Request) -> Response:
    host = _host(admin)
    root = server_root(request)
    listed = [
        {**box.summary(), "url": f"{root}{SANDBOXES_PREFIX}/{box.id}"}
        for box in host.registry.listed()
    ]
    return JSONResponse({"sandboxes": listed, "max_sandboxes": host.registry.max_sandboxes})


async def remove_sandbox(admin: Admin, request: Request) -> Response:
    host = _host(admin)
    sandbox_id = request.path_params["id"]
    if not host.registry.remove(sandbox_id):
        raise NotFound("unknown_sandbox", "no such sandbox (never made, removed or expired)")
    return JSONResponse({"status": "removed", "id": sandbox_id})


async def remove_this_sandbox(admin: Admin, request: Request) -> Response:
    """``DELETE {url}/__admin__/sandbox``: a sandbox ends itself (its token suffices)."""
    sandbox, registry = admin.sandbox, admin.registry
    if sandbox is None or registry is None:
        raise NotFound("not_found", "this is the server's root, not a sandbox")
    registry.remove(sandbox.id)
    return JSONResponse({"status": "removed", "id": sandbox.id})


ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", "/sandboxes", create_sandbox),
    ("GET", "/sandboxes", list_sandboxes),
    ("DELETE", "/sandboxes/{id}", remove_sandbox),
    ("DELETE", "/sandbox", remove_this_sandbox),
]


def sandbox_context(admin: Admin) -> dict[str, Any]:
    """What ``GET /__admin__/health`` adds about sandboxes."""
    if admin.sandbox is not None:
        return {"sandbox": admin.sandbox.id}
    if admin.sandboxes is not None:
        return {"sandboxes": len(admin.sandboxes.registry)}
    return {}
