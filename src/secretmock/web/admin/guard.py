"""The admin API's guard: who may call it, what it takes, and JSON in every answer.

An ASGI wrapper around the admin router (README, "Admin API" and "Limits"), so the
routes themselves stay plain:

* without an admin token, only a request to a loopback name (its ``Host`` is
  ``127.0.0.1``, ``[::1]``, ``localhost``, any port) or to a name the server was told
  to allow is answered (403 otherwise): a page whose domain an attacker re-points at
  127.0.0.1 (DNS rebinding) sends its own domain in ``Host`` and gets nothing. A
  server that serves the API open on purpose (``--admin-open``) takes any ``Host``;
* with an admin token, every call but ``GET /health`` needs ``Authorization: Bearer
  <token>`` (401 otherwise);
* a request from a web page of another origin (its ``Origin`` names another host) may
  not change anything (403), and a body, or any ``Content-Type``, that is not JSON is
  refused (415): together they keep a page in a browser from resetting or rewriting a
  running emulator, by form or by ``fetch``;
* a body over the limit is refused (413) without being read past the limit;
* every answer but the dashboard's page is JSON: the router's plain-text 404 and 405
  are rewritten, and an exception becomes a JSON 500 (logged), never a trace.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
from collections.abc import Collection
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from secretmock.engine.incoming import is_json
from secretmock.web.vendor_app import declared_length, route_path

log = logging.getLogger("secretmock")

OPEN_PATHS = frozenset({"/health", "/", ""})
"""What an admin token does not guard, read by ``GET`` or ``HEAD``: health (a harness
polls it before it knows anything) and the dashboard's page (it holds no data, and asks
for the token itself), also under ``/__admin__`` with no slash (redirected to it)."""
SAFE_METHODS = frozenset({"GET", "HEAD"})
LOOPBACK_NAMES = frozenset({"localhost"})
"""Names that are loopback whatever DNS says (browsers resolve them to loopback
themselves); IP literals are checked as addresses (127.0.0.0/8, ::1)."""
HOST_NAME = re.compile(r"[a-z0-9._:-]+")
"""What a name in ``Host`` may hold (browsers send IDNs as punycode; ``:`` only
appears in a bracketed IPv6 address)."""
SHOWN_HOST_CHARS = 255


class _BodyTooLarge(Exception):
    """Raised by the guarded ``receive`` once the body passes the limit."""


class AdminGuard:
    """Wraps the admin router ``app``. ``token`` ``None`` leaves it open to requests whose
    ``Host`` is a loopback name or one of ``allowed_hosts`` (names, any port), or to any
    request with ``any_host`` (``--admin-open``); ``max_body_bytes`` is the largest body.
    ``also_opens``: further tokens that open it (a sandbox's admin API also opens with
    the server's admin token); ``names`` says whose token it wants in a 401."""

    def __init__(
        self,
        app: ASGIApp,
        token: str | None,
        max_body_bytes: int,
        allowed_hosts: Collection[str] = (),
        any_host: bool = False,
        also_opens: tuple[str, ...] = (),
        names: str = "the token given to --admin-token or SECRETMOCK_ADMIN_TOKEN",
    ) -> None:
        self._app = app
        self._token = token.encode() if token else None
        self._tokens = tuple(t.encode() for t in (token, *also_opens) if t)
        self._names = names
        self._limit = max_body_bytes
        self._allowed_hosts = frozenset(_normal_name(name) for name in allowed_hosts)
        self._checks_host = self._token is None and not any_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await send_json(send, *refusal)
            return
        answer = _JsonAnswers(send, f"{scope['method']} {scope['path']}")
        try:
            await self._app(scope, self._limited(receive), answer.send)
        except _BodyTooLarge:
            await answer.fail(413, "payload_too_large", self._too_large_message())
        except Exception:
            log.exception("the admin API failed on %s %s", scope["method"], scope["path"])
            await answer.fail(500, "internal_error", "the admin API failed; see the server's log")

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[Any, ...] | None:
        """``(status, error, message[, headers])`` of a request refused before the router."""
        method, path = scope["method"], route_path(scope)
        if self._checks_host and not self._host_allowed(headers.get("host")):
            return (403, "forbidden", _host_refused(headers["host"]))
        open_call = method in SAFE_METHODS and path in OPEN_PATHS
        guarded = self._token is not None and not open_call
        if guarded and not self._authorized(scope):
            return (
                401,
                "unauthorized",
                f"the admin API needs 'Authorization: Bearer <admin token>' ({self._names})",
                {"www-authenticate": 'Bearer realm="secretmock admin"'},
            )
        if method not in SAFE_METHODS and _from_another_origin(headers):
            return (403, "forbidden", "the admin API takes no call from another origin's page")
        content_type = headers.get("content-type")
        sends_body = declared_length(headers.items()) > 0 or "transfer-encoding" in headers
        if (content_type is not None or sends_body) and not is_json(content_type or ""):
            return (
                415,
                "unsupported_media_type",
                "the admin API takes JSON bodies only (Content-Type: application/json)",
            )
        if declared_length(headers.items()) > self._limit:
            return (413, "payload_too_large", self._too_large_message())
        return None

    def _host_allowed(self, host: str | None) -> bool:
        """Whether ``host`` (the ``Host`` header) may reach the open admin API: a
        loopback name or an allowed one. No ``Host`` at all (HTTP/1.0) comes from no
        browser, so from no rebinding page."""
        if host is None:
            return True
        name = host_name(host)
        return name is not None and (is_loopback_name(name) or name in self._allowed_hosts)

    def _authorized(self, scope: Scope) -> bool:
        """Whether ``Authorization`` holds ``Bearer`` and a token that opens the API.
        The header's raw bytes are compared with the token's UTF-8 bytes: a client
        (curl, requests) sends a non-ASCII token as UTF-8, and the ASGI server hands
        the header over as bytes, undecoded."""
        raw = b""
        for name, value in scope["headers"]:
            if name.lower() == b"authorization":
                raw = value
        scheme, _, given = raw.strip().partition(b" ")
        presented = given.strip()
        # Every token is compared (in constant time), so the time taken does not tell
        # which one was near.
        matches = [hmac.compare_digest(presented, token) for token in self._tokens]
        return scheme.lower() == b"bearer" and any(matches)

    def _limited(self, receive: Receive) -> Receive:
        size = 0

        async def limited() -> Message:
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > self._limit:
                raise _BodyTooLarge
            return message

        return limited

    def _too_large_message(self) -> str:
        return f"the admin API takes bodies of at most {self._limit} bytes (see --admin-max-body)"


def host_name(host: str) -> str | None:
    """The name in a ``Host`` header, without its port, in lower case and without a
    final dot (``[::1]:8080`` -> ``::1``); ``None`` when it is not ``NAME[:PORT]``."""
    value = host.strip().lower()
    if value.startswith("["):
        name, closed, rest = value[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            return None
        port = rest[1:]
    else:
        name, colon, port = value.partition(":")
        if colon and not port:
            return None
    if port and not (port.isascii() and port.isdigit()):
        return None
    if not HOST_NAME.fullmatch(name):
        return None
    return _normal_name(name)


def is_loopback_name(name: str) -> bool:
    """``localhost``, or an IP address literal of a loopback address."""
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _normal_name(name: str) -> str:
    return name.strip().lower().removesuffix(".")


def _host_refused(host: str) -> str:
    shown = host[:SHOWN_HOST_CHARS]
    return (
        f"the admin API without a token answers only requests to a loopback name "
        f"(127.0.0.1, [::1], localhost), not to {shown!r}: a web page whose domain points at "
        "this machine must not reach it. Pass --allowed-host NAME to allow that name, or "
        "--admin-token TOKEN"
    )


class _JsonAnswers:
    """Passes the router's answers on, rewriting any error that is not JSON (Starlette's
    plain-text 404 and 405) into ``{"error", "message"}`` with the same status (the
    dashboard's page, a 200, stays HTML)."""

    def __init__(self, send: Send, call: str) -> None:
        self._send = send
        self._call = call
        self._held: Message | None = None
        self._text = b""
        self.started = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            if message["status"] < 400 or _is_json_answer(message):
                await self._send(message)
            else:
                self._held = message
            return
        if self._held is None:
            await self._send(message)
            return
        self._text += message.get("body", b"")
        if not message.get("more_body", False):
            held, self._held = self._held, None
            status = held["status"]
            kept = {
                k.decode("latin-1"): v.decode("latin-1")
                for k, v in held.get("headers", [])
                if k.lower() not in {b"content-type", b"content-length"}
            }
            reason = self._text.decode("utf-8", "replace") or str(status)
            await send_json(
                self._send, status, _error_name(reason), f"{reason}: {self._call}", kept
            )

    async def fail(self, status: int, error: str, message: str) -> None:
        if not self.started:
            await send_json(self._send, status, error, message)


async def send_json(
    send: Send, status: int, error: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """Answers ``{"error": error, "message": message}`` with ``status``."""
    body = json.dumps({"error": error, "message": message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _is_json_answer(message: Message) -> bool:
    for name, value in message.get("headers", []):
        if name.lower() == b"content-type":
            return is_json(value.decode("latin-1"))
    return False


def _error_name(text: str) -> str:
    """``"Method Not Allowed"`` -> ``"method_not_allowed"``."""
    return "_".join(text.lower().split()) or "error"


def _from_another_origin(headers: dict[str, str]) -> bool:
    """Whether a browser says the call comes from a page of another origin."""
    origin = headers.get("origin")
    if origin is None:
        return headers.get("sec-fetch-site", "same-origin") == "cross-site"
    return urlsplit(origin).netloc.lower() != headers.get("host", "").lower()
