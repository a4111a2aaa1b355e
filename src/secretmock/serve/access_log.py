"""The access log of ``secretmock serve --access-log``: one line per request.

A line is ``METHOD PATH[?NAME=*...] STATUS DURATIONms``: the query string keeps its
parameter names and replaces their values by ``*``, and no header or body is ever read, so no
credential and no secret value can reach the log (uvicorn's own access log, which
prints query strings whole, stays off). A character of the path or of a name that is
not printable (a control character such as a line break or ESC, a format or separator
character) or a space is written percent-encoded, as a URL would carry it (``%0A``,
``%1B``, ``%20``): one request is one line, its fields split on spaces, and nothing a
client sends moves the terminal it is read on.
"""

from __future__ import annotations

import logging
import sys
import time
from urllib.parse import parse_qsl, quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER_NAME = "secretmock.access"


class AccessLog:
    """ASGI middleware that logs each HTTP request to ``logger`` once it is answered."""

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self._app = app
        self._logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, sending)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            self._logger.info(
                "%s %s %s %.1fms", scope["method"], loggable_target(scope), status, elapsed_ms
            )


def loggable_target(scope: Scope) -> str:
    """The request's path, with the names of its query parameters but not their values,
    every character that could break the line escaped (see the module)."""
    query = scope.get("query_string", b"").decode("latin-1")
    names = [escaped(name) for name, _ in parse_qsl(query, keep_blank_values=True)]
    path = escaped(scope.get("root_path", "") + scope["path"])
    return path + ("?" + "&".join(f"{name}=*" for name in names) if names else "")


def escaped(text: str) -> str:
    """``text`` with each character that is not printable, and each space,
    percent-encoded (its UTF-8 bytes)."""
    if text.isprintable() and " " not in text:
        return text  # the usual path, at the cost of one scan
    return "".join(
        c if c.isprintable() and c != " " else quote(c, safe="", errors="backslashreplace")
        for c in text
    )


def access_logger() -> logging.Logger:
    """The ``secretmock.access`` logger, writing bare lines to stderr."""
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger
