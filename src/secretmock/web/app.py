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

from starlette.types import ASGIApp, Receive, Scope, Send

from secretmock.engine.emulator import Emulator
from secretmock.web.admin import admin_app
from secretmock.web.admin.guard import AdminGuard
from secretmock.web.vendor_app import VendorApp

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
        path: str = scope["path"]
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
) -> PrefixDispatcher:
    """Every vendor under its prefix, or ``only_vendor`` alone at the root; the admin
    API under ``/__admin__`` either way, behind its guard (see
    :mod:`secretmock.web.admin.guard`): ``admin_token``, the names besides loopback
    that reach it without a token (``allowed_hosts``; any with ``admin_open``), and
    its body limit. The vendors' body limits are the emulator's."""
    prefixes = {
        name: "" if only_vendor else pipeline.vendor.prefix
        for name, pipeline in emulator.pipelines.items()
    }
    admin = AdminGuard(
        admin_app(emulator, prefixes), admin_token, admin_max_body, allowed_hosts, admin_open
    )
    mounts: dict[str, ASGIApp] = {ADMIN_PREFIX: admin}
    if only_vendor is not None:
        return PrefixDispatcher(mounts, VendorApp(emulator.pipelines[only_vendor]))
    for pipeline in emulator.pipelines.values():
        mounts[pipeline.vendor.prefix] = VendorApp(pipeline)
    return PrefixDispatcher(mounts)
