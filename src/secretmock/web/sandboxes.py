"""Serving sandboxes: ``ROOT/sandboxes/{id}/...`` is a whole server's URL layout.

:class:`SandboxHost` is mounted at ``/sandboxes`` of the server's root. It finds the
sandbox named by the next path segment in its registry
(:class:`~secretmock.engine.sandboxes.SandboxRegistry`) and hands the request to that
sandbox's own app, built by :func:`secretmock.web.app.build_app` like the root's: its
vendor mounts and its admin API (guarded by its own token, or the server's). An unknown,
removed or expired sandbox answers a JSON 404 on every path below it.

The admin routes that make, list and remove sandboxes are rows of
:data:`secretmock.web.admin.ROUTES`; their handlers are in
:mod:`secretmock.web.admin.sandboxes`.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from secretmock.engine.sandboxes import DEFAULT_TTL_SECONDS, Sandbox, Sandboxes
from secretmock.web.admin.guard import send_json
from secretmock.web.vendor_app import route_path

SANDBOXES_PREFIX = "/sandboxes"
"""Where the server's root serves its sandboxes."""


class SandboxHost:
    """The ASGI app at ``/sandboxes``, and what the admin routes need to make one.

    ``build`` makes a sandbox's app from it (``build_app`` bound to the server's
    options); ``server_token`` is the server's admin token, which opens every sandbox's
    admin API too."""

    def __init__(
        self,
        registry: Sandboxes,
        build: Callable[[Sandbox], ASGIApp],
        server_token: str | None = None,
        default_ttl: int = DEFAULT_TTL_SECONDS,
    ) -> None:
        self.registry = registry
        self.server_token = server_token
        self.default_ttl = default_ttl
        self._build = build

    def attach(self, sandbox: Sandbox) -> None:
        """Builds the sandbox's app (before the registry lets anyone reach it)."""
        sandbox.served = self._build(sandbox)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        sandbox_id, _, _ = route_path(scope).lstrip("/").partition("/")
        sandbox = self.registry.get(sandbox_id) if sandbox_id else None
        if sandbox is None:
            await send_json(
                send, 404, "unknown_sandbox", "no such sandbox (never made, removed or expired)"
            )
            return
        root = scope.get("root_path", "") + "/" + sandbox_id
        await sandbox.served({**scope, "root_path": root}, receive, send)


class ServerApp:
    """A server's whole app: ``app`` (its root's layout), with ``sandboxes`` (the host
    at ``/sandboxes``), removing expired sandboxes before a request (at most once a
    second: one clock reading otherwise), so that an idle sandbox's memory is freed
    while the server serves anything, not only when someone asks for that sandbox."""

    def __init__(self, app: ASGIApp, sandboxes: SandboxHost) -> None:
        self._app = app
        self.sandboxes = sandboxes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.sandboxes.registry.sweep()
        await self._app(scope, receive, send)
