"""The uvicorn internals ``serve/protocol.py`` relies on are all there.

``GuardedHttpToolsProtocol`` extends uvicorn's ``HttpToolsProtocol`` and reads
attributes uvicorn never promised (``UVICORN_INTERNALS``). A uvicorn release that
renames one would break the limits silently; this test names the missing one instead,
and points at the pin that keeps such a release out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http import flow_control, httptools_impl
from uvicorn.server import ServerState

from secretmock.serve.protocol import UVICORN_INTERNALS

PIN = (
    "uvicorn {found}: {owner}.{name} is gone, and secretmock/serve/protocol.py reads it. "
    "Check serve/protocol.py against this uvicorn release before moving the pin "
    "'uvicorn>=0.54,<0.55' in pyproject.toml."
)


class _Transport(asyncio.Transport):
    """Just enough of a transport for the protocol to take a request."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _app(scope: Any, receive: Any, send: Any) -> None:
    pass


@pytest.fixture
def served() -> Iterator[httptools_impl.HttpToolsProtocol]:
    """uvicorn's own protocol, after one request's head (its cycle made, its body not)."""
    loop = asyncio.new_event_loop()
    try:
        config = uvicorn.Config(_app, lifespan="off", log_level="warning")
        protocol = httptools_impl.HttpToolsProtocol(config, ServerState(), {}, _loop=loop)
        protocol.connection_made(_Transport())
        protocol.data_received(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab")
        yield protocol
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    finally:
        loop.close()


INTERNALS = [(owner, name) for owner, names in UVICORN_INTERNALS.items() for name in names]


@pytest.mark.parametrize(("owner", "name"), INTERNALS, ids=[f"{o}.{n}" for o, n in INTERNALS])
def test_the_protocol_still_has_what_serve_protocol_reads(
    served: httptools_impl.HttpToolsProtocol, owner: str, name: str
) -> None:
    instances: dict[str, object] = {
        "HttpToolsProtocol": served,
        "RequestResponseCycle": served.cycle,
        "FlowControl": served.flow,
    }
    found = instances[owner]
    assert hasattr(found, name), PIN.format(found=version("uvicorn"), owner=owner, name=name)


def test_the_classes_it_extends_are_where_it_imports_them() -> None:
    for module, name in [
        (httptools_impl, "HttpToolsProtocol"),
        (httptools_impl, "RequestResponseCycle"),
        (flow_control, "FlowControl"),
    ]:
        assert hasattr(module, name), PIN.format(
            found=version("uvicorn"), owner=module.__name__, name=name
        )
