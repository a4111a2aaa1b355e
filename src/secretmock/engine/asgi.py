"""The ASGI face of a vendor pipeline: bytes in, bytes out, nothing else."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.pipeline import VendorPipeline, encode
from secretmock.engine.vendor_api import RequestInfo

MAX_BODY_BYTES = 16 * 1024 * 1024


class VendorApp:
    """Serves one vendor's paths (what follows its mount prefix)."""

    def __init__(self, pipeline: VendorPipeline) -> None:
        self.pipeline = pipeline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body, too_large = await _read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if too_large:
            info = RequestInfo(scope["method"], _route_path(scope), headers, self.pipeline.sources)
            reply = self.pipeline.vendor.errors.malformed_body(
                info, "the request body is too large"
            )
            await _send(send, reply.status, encode(reply.body), reply.headers)
            return
        request = IncomingRequest(
            method=scope["method"],
            path=_route_path(scope),
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        outcome = self.pipeline.handle(request)
        await _send(send, outcome.reply.status, outcome.data, outcome.reply.headers)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= MAX_BODY_BYTES:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), size > MAX_BODY_BYTES


def _route_path(scope: Scope) -> str:
    """The path below the mount: ``scope['path']`` less the ``root_path`` Starlette set."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _send(send: Send, status: int, data: bytes, extra: object) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
    ]
    headers += [(k.encode(), v.encode()) for k, v in dict(extra).items()]  # type: ignore[call-overload]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
