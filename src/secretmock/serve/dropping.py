"""Dropping a connection with no answer, for the ``disconnect`` fault rule.

ASGI has no message for "close the connection and answer nothing": an app that returns
without a response gets uvicorn's own 500. :class:`DroppingProtocol` is uvicorn's HTTP
protocol with one addition: each request's scope carries the ASGI extension
``secretmock.drop``, whose ``abort`` closes the connection at once. The vendor app
calls it, then waits for uvicorn to see the connection gone, so that uvicorn neither
answers nor logs an error: the client sees what a crashed server leaves it, a
connection closed with no answer (``requests``' ``ConnectionError``, httpx's
``RemoteProtocolError``).

``secretmock serve`` and :class:`~secretmock.serve.background.BackgroundServer` run with it.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from secretmock.web.vendor_app import DROP_EXTENSION


class DroppingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, offering each request the ``secretmock.drop``
    extension (``{"abort": <callable>}``)."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        extensions = dict(self.scope.get("extensions") or {})
        extensions[DROP_EXTENSION] = {"abort": self.transport.abort}
        self.scope["extensions"] = extensions
