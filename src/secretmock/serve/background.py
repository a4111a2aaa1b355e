"""Running the emulator on a real socket in a background thread (tests, the pytest plugin)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from secretmock.serve.protocol import ConnectionLimits, uvicorn_config


class BackgroundServer:
    """uvicorn serving ``app`` on a free port of ``host``, in a daemon thread, with the
    same connection limits as ``secretmock serve`` (:mod:`secretmock.serve.protocol`).

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``url`` is the
    root URL (``http://127.0.0.1:PORT``) once started.
    """

    def __init__(
        self, app: ASGIApp, host: str = "127.0.0.1", limits: ConnectionLimits | None = None
    ) -> None:
        self._app = app
        self._limits = limits or ConnectionLimits()
        self._host = host
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, 0))
        port = sock.getsockname()[1]
        config = uvicorn_config(self._app, self._limits, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="secretmock"
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("secretmock: the background server did not start")
            time.sleep(0.005)
        self.url = f"http://{self._host}:{port}"
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
