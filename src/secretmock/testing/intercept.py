"""In-process interception: calls to the vendors' real hosts answered by the emulator.

While an :class:`Interceptor` is active, ``requests`` and ``httpx`` (sync and async)
requests whose URL starts with a vendor's base URL are handed straight to that
vendor's pipeline: no socket, no thread, and no URL change in the code under test.
Every other request goes out as usual.

The base URLs are the first server URL of each vendor's spec (``https://api.fireworks.ai``,
``https://app.langwatch.ai``, ``https://aihub.instabase.com/api``,
``https://api.eda.prisme.ai``) plus any the test names (InsForge has one host per
project, so a test names its own).

A fault rule's latency is slept in the caller (``time.sleep``, or ``asyncio.sleep`` for
httpx's async client), and a dropped connection is the error the client library
raises for a real one: ``requests.exceptions.ConnectionError`` (wrapping urllib3's
``ProtocolError`` and ``RemoteDisconnected``, as over a socket) and
``httpx.RemoteProtocolError``.
"""

from __future__ import annotations

import asyncio
import http.client
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

from secretmock.engine.emulator import Emulator
from secretmock.engine.incoming import incoming_request
from secretmock.engine.pipeline import Outcome, VendorPipeline


@dataclass(frozen=True)
class _Target:
    origin: str  # scheme://host[:port], lower case
    prefix: str  # the path part of the base URL that the client puts first, less the spec's
    pipeline: VendorPipeline


class Interceptor:
    """Routes ``requests`` and ``httpx`` calls for the vendors' hosts to ``emulator``."""

    def __init__(self, emulator: Emulator, base_urls: Mapping[str, str] | None = None) -> None:
        """``base_urls`` maps a vendor name to an extra base URL to intercept for it."""
        self._targets = _targets(emulator, base_urls or {})
        self._stack: ExitStack | None = None

    def answer(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Outcome | None:
        """The emulator's outcome for this request, or ``None`` if no vendor owns ``url``."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        for target in self._targets:
            if origin == target.origin and _under(parts.path, target.prefix):
                pipeline = target.pipeline
                request = incoming_request(
                    method,
                    parts.path[len(target.prefix) :] or "/",
                    parts.query,
                    headers.items(),
                    body,
                    len(body) > pipeline.max_body_bytes,
                )
                return pipeline.handle(request)
        return None

    def __enter__(self) -> Interceptor:
        self._stack = ExitStack()
        for patcher in _patchers(self):
            self._stack.enter_context(patcher)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None


def _targets(emulator: Emulator, extra: Mapping[str, str]) -> list[_Target]:
    targets = []
    for pipeline in emulator.pipelines.values():
        spec = pipeline.spec
        if spec.host_url is not None:  # a spec with a real host of its own
            targets.append(_Target(spec.host_url.lower(), "", pipeline))
    for name, base_url in extra.items():
        parts = urlsplit(base_url.rstrip("/"))
        pipeline = emulator.pipelines[name]
        prefix = parts.path.removesuffix(pipeline.spec.base_path)
        targets.append(_Target(f"{parts.scheme}://{parts.netloc}".lower(), prefix, pipeline))
    # The longest prefix first, so a named base URL wins over a spec's bare host.
    return sorted(targets, key=lambda t: len(t.origin + t.prefix), reverse=True)


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


def _patchers(interceptor: Interceptor) -> Iterator[Any]:
    yield from _requests_patchers(interceptor)
    yield from _httpx_patchers(interceptor)


def _requests_patchers(interceptor: Interceptor) -> Iterator[Any]:
    try:
        import requests
        from requests.adapters import HTTPAdapter
    except ImportError:
        return
    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        body = request.body or b""
        outcome = interceptor.answer(
            request.method,
            request.url,
            dict(request.headers),
            body.encode() if isinstance(body, str) else bytes(body),
        )
        if outcome is None:
            return original(self, request, *args, **kwargs)
        if outcome.fault_id is not None:
            time.sleep(outcome.delay)
            if outcome.disconnect:
                raise _requests_dropped(request)
        response = requests.Response()
        response.status_code = outcome.reply.status
        response._content = outcome.data
        response.headers.update(_headers(outcome))
        response.url, response.request, response.encoding = request.url, request, "utf-8"
        response.reason = "OK" if outcome.reply.status < 400 else "Error"
        return response

    yield mock.patch.object(HTTPAdapter, "send", send)


def _httpx_patchers(interceptor: Interceptor) -> Iterator[Any]:
    try:
        import httpx
    except ImportError:
        return

    def answer(request: httpx.Request) -> Outcome | None:
        return interceptor.answer(
            request.method, str(request.url), dict(request.headers), request.read()
        )

    def response(request: httpx.Request, outcome: Outcome) -> httpx.Response:
        if outcome.disconnect:
            raise httpx.RemoteProtocolError(DROPPED_BY_HTTPX, request=request)
        return httpx.Response(
            outcome.reply.status, headers=_headers(outcome), content=outcome.data, request=request
        )

    sync_original = httpx.HTTPTransport.handle_request
    async_original = httpx.AsyncHTTPTransport.handle_async_request

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        outcome = answer(request)
        if outcome is None:
            return sync_original(self, request)
        if outcome.fault_id is not None:
            time.sleep(outcome.delay)
        return response(request, outcome)

    async def handle_async_request(
        self: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        if request.stream is not None:
            await request.aread()
        outcome = answer(request)
        if outcome is None:
            return await async_original(self, request)
        if outcome.fault_id is not None:
            await asyncio.sleep(outcome.delay)
        return response(request, outcome)

    yield mock.patch.object(httpx.HTTPTransport, "handle_request", handle_request)
    yield mock.patch.object(httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request)


DROPPED_BY_HTTPX = "Server disconnected without sending a response."
"""httpx's (httpcore's) message for a connection closed before any answer."""


def _requests_dropped(request: Any) -> Exception:
    """What ``requests`` raises when the server closes the connection with no answer."""
    import requests
    from urllib3.exceptions import ProtocolError

    cause = http.client.RemoteDisconnected("Remote end closed connection without response")
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", cause), request=request
    )


def _headers(outcome: Outcome) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "content-length": str(len(outcome.data)),
        **outcome.reply.headers,
    }
