"""Assembling the ASGI app: one mount per vendor, plus the admin API.

:class:`PrefixDispatcher` is Starlette's ``Mount`` reduced to what a fixed set of
single-segment prefixes needs: one dictionary lookup per request instead of a regex
per mount, and none of the application-level middleware layers, which matter when
the whole answer costs tens of microseconds. Like a Mount, it passes each request to
an ASGI app with ``root_path`` extended by the prefix.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from secretmock.engine.emulator import Emulator
from secretmock.engine.sandboxes import DEFAULT_TTL_SECONDS, Sandbox, Sandboxes
from secretmock.web.admin import admin_app
from secretmock.web.admin.guard import AdminGuard
from secretmock.web.sandboxes import SANDBOXES_PREFIX, SandboxHost, ServerApp
from secretmock.web.vendor_app import VendorApp, route_path

ADMIN_PREFIX = "/__admin__"
ADMIN_MAX_BODY_BYTES = 64 * 1024 * 1024
"""The admin API's body limit (``--admin-max-body``): room for the state documents
``PUT /__admin__/state`` restores, whatever the vendors' own limits."""


class PrefixDispatcher:
    """Sends a request to the app mounted at its first path segment, or to ``fallback``
    (at the root) when there is none; answers a JSON 404 when neither applies."""

    def __init__(self, mounts: dict[str, ASGIApp], fallback: ASGIApp | None = None) -> None:
        self._mounts = mounts
        self._fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path = route_path(scope)
        prefix = "/" + path.split("/", 2)[1] if path.startswith("/") else ""
        mounted = self._mounts.get(prefix)
        if mounted is not None:
            root = scope.get("root_path", "") + prefix
            await mounted({**scope, "root_path": root}, receive, send)
        elif self._fallback is not None:
            await self._fallback(scope, receive, send)
        else:
            await _not_found(send, sorted(self._mounts))


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop: the emulator is built before the server starts."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _not_found(send: Send, prefixes: list[str]) -> None:
    body = json.dumps(
        {"error": "Not Found", "message": f"secretmock serves under {', '.join(prefixes)}"}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def build_app(
    emulator: Emulator,
    only_vendor: str | None = None,
    admin_token: str | None = None,
    *,
    admin_max_body: int = ADMIN_MAX_BODY_BYTES,
    allowed_hosts: Collection[str] = (),
    admin_open: bool = False,
    sandboxes: Sandboxes | None = None,
    default_ttl: int = DEFAULT_TTL_SECONDS,
) -> ServerApp:
    """Every vendor under its prefix, or ``only_vendor`` alone at the root; the admin
    API under ``/__admin__`` either way, behind its guard (see
    :mod:`secretmock.web.admin.guard`): ``admin_token``, the names besides loopback
    that reach it without a token (``allowed_hosts``; any with ``admin_open``), and
    its body limit (the vendors' body limits are the emulator's). The ``sandboxes`` (a
    registry over the emulator's blueprint by default) are served below
    ``/sandboxes/{id}``, each with this same layout, its admin API opened by its own
    token or by ``admin_token``."""
    registry = sandboxes if sandboxes is not None else Sandboxes(emulator.blueprint)

    def sandbox_app(sandbox: Sandbox) -> ASGIApp:
        guard = _Guarding(
            sandbox.token,
            admin_max_body,
            also_opens=(admin_token,) if admin_token else (),
            names="the sandbox's token, or the server's admin token",
        )
        return _served(
            emulator=sandbox.emulator,
            only_vendor=only_vendor,
            guarding=guard,
            context={"sandbox": sandbox, "registry": registry},
        )

    host = SandboxHost(registry, sandbox_app, admin_token, default_ttl)
    guard = _Guarding(admin_token, admin_max_body, tuple(allowed_hosts), admin_open)
    served = _served(emulator, only_vendor, guard, {"sandboxes": host}, {SANDBOXES_PREFIX: host})
    return ServerApp(served, host)


@dataclass(frozen=True)
class _Guarding:
    """Who opens an admin API (see :class:`AdminGuard`)."""

    token: str | None
    max_body_bytes: int
    allowed_hosts: tuple[str, ...] = ()
    any_host: bool = False
    also_opens: tuple[str, ...] = ()
    names: str = "the token given to --admin-token or SECRETMOCK_ADMIN_TOKEN"


def _served(
    emulator: Emulator,
    only_vendor: str | None,
    guarding: _Guarding,
    context: dict[str, Any],
    extra: dict[str, ASGIApp] | None = None,
) -> PrefixDispatcher:
    """One emulator's URL layout: its vendor mounts, its admin API, and ``extra``."""
    prefixes = {
        name: "" if only_vendor else pipeline.vendor.prefix
        for name, pipeline in emulator.pipelines.items()
    }
    admin = AdminGuard(
        admin_app(emulator, prefixes, **context),
        guarding.token,
        guarding.max_body_bytes,
        allowed_hosts=guarding.allowed_hosts,
        any_host=guarding.any_host,
        also_opens=guarding.also_opens,
        names=guarding.names,
    )
    mounts: dict[str, ASGIApp] = {ADMIN_PREFIX: admin, **(extra or {})}
    if only_vendor is not None:
        return PrefixDispatcher(mounts, VendorApp(emulator.pipelines[only_vendor]))
    for pipeline in emulator.pipelines.values():
        mounts[pipeline.vendor.prefix] = VendorApp(pipeline)
    return PrefixDispatcher(mounts)
