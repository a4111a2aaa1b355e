"""In-process interception: calls to the vendors' real hosts answered by the emulator.

While an :class:`Interceptor` is active, requests whose URL starts with a vendor's base
URL are handed straight to that vendor's pipeline: no socket, no thread, and no URL
change in the code under test. Every other request goes out as usual.

The base URLs are the first server URL of each vendor's spec (``https://api.fireworks.ai``,
``https://app.langwatch.ai``, ``https://aihub.instabase.com/api``,
``https://api.eda.prisme.ai``) plus any the test names (InsForge has one host per
project, so a test names its own).

One :class:`ClientAdapter` per client library does the patching; each registers itself
by a unique name (``ClientAdapter.registry``):

* ``urllib3`` answers at urllib3's lowest level: a pool manager hands out, for a
  vendor's host, a connection pool whose connections talk to an in-memory socket
  (:mod:`secretmock.testing.urllib3_loopback`). Everything above the socket runs
  unchanged: urllib3's ``Retry`` (status, read and redirect retries, ``Retry-After``),
  its timeouts, chunked and file bodies, streamed answers; and ``requests``, which sends
  through urllib3, with its adapters, hooks and ``stream=True``.
* ``httpx`` answers in ``HTTPTransport.handle_request`` and
  ``AsyncHTTPTransport.handle_async_request`` (:mod:`secretmock.testing.httpx_answers`).

A fault rule's latency is waited out in the caller (``time.sleep``, or ``asyncio.sleep``
for httpx's async client), and cut short at the client's read timeout, where the client
library raises its own timeout error (``requests.exceptions.ReadTimeout``,
``urllib3.exceptions.ReadTimeoutError``, ``httpx.ReadTimeout``). A dropped connection is
the error the library raises for a real one: ``requests.exceptions.ConnectionError``
(wrapping urllib3's ``ProtocolError`` and ``RemoteDisconnected``, as over a socket) and
``httpx.RemoteProtocolError``.

Without patching: :func:`httpx_transport` gives an httpx transport (sync and async) and
:func:`requests_adapter` a ``requests`` adapter to mount, for code that takes one (or
suites that patch httpx themselves, as respx users do).
"""

from __future__ import annotations

import functools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from http import HTTPStatus
from importlib.util import find_spec
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from unittest import mock
from urllib.parse import unquote, urlsplit

from secretmock.engine.emulator import Emulator
from secretmock.engine.incoming import incoming_request
from secretmock.engine.pipeline import Outcome, VendorPipeline

if TYPE_CHECKING:
    import httpx
    import requests.adapters

    from secretmock.testing.httpx_answers import InProcessTransport


class HasEmulator(Protocol):
    """A :class:`~secretmock.testing.SecretMock` handle or a
    :class:`~secretmock.testing.Session`: anything that leads to an emulator."""

    @property
    def emulator(self) -> Emulator: ...


# -- which requests are the emulator's ------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    origin: str  # scheme://host[:port], lower case, the scheme's default port left out
    prefix: str  # the path part of the base URL that the client puts first, less the spec's
    pipeline: VendorPipeline


@dataclass(frozen=True)
class Routed:
    """A request URL that one vendor's pipeline answers, and where below its base."""

    pipeline: VendorPipeline
    path: str
    """Below the base URL's prefix, percent-escapes decoded as uvicorn decodes them."""
    query: str


class Hosts:
    """The vendors' base URLs and the pipeline each leads to: what every adapter asks
    before it answers a request in-process."""

    def __init__(
        self,
        emulator: Emulator,
        base_urls: Mapping[str, str] | None = None,
        check: Callable[[], None] | None = None,
    ) -> None:
        """``base_urls`` maps a vendor name to an extra base URL to answer for it;
        ``check`` runs before each answer (a handle's lease: a test that has ended
        may not drive the emulator)."""
        self._targets = _targets(emulator, base_urls or {})
        self._origins = frozenset(target.origin for target in self._targets)
        self._check = check

    def owns_origin(self, origin: str) -> bool:
        """Whether some base URL is on ``origin`` (``scheme://host[:port]``)."""
        return _normal_origin(origin) in self._origins

    def route(self, url: str) -> Routed | None:
        """The pipeline that answers ``url``, or ``None`` when no vendor owns it."""
        parts = urlsplit(url)
        origin = _normal_origin(f"{parts.scheme}://{parts.netloc}")
        for target in self._targets:
            if origin == target.origin and _under(parts.path, target.prefix):
                below = parts.path[len(target.prefix) :] or "/"
                # A server hands the app the decoded path (uvicorn: unquote when a "%"
                # is in it), so "s%31" names the secret "s1" on both transports.
                path = unquote(below) if "%" in below else below
                return Routed(target.pipeline, path, parts.query)
        return None

    def answer(
        self,
        routed: Routed,
        method: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        too_large: bool = False,
    ) -> Outcome:
        """The pipeline's outcome for this request (``too_large``: the body passed the
        pipeline's limit and was not kept, as a server refuses it unread)."""
        if self._check is not None:
            self._check()
        pipeline = routed.pipeline
        request = incoming_request(
            method,
            routed.path,
            routed.query,
            headers,
            body,
            too_large or len(body) > pipeline.max_body_bytes,
        )
        return pipeline.handle(request)


def _targets(emulator: Emulator, extra: Mapping[str, str]) -> list[_Target]:
    targets = []
    for pipeline in emulator.pipelines.values():
        spec = pipeline.spec
        if spec.host_url is not None:  # a spec with a real host of its own
            targets.append(_Target(_normal_origin(spec.host_url), "", pipeline))
    for name, base_url in extra.items():
        parts = urlsplit(base_url.rstrip("/"))
        pipeline = emulator.pipelines[name]
        prefix = parts.path.removesuffix(pipeline.spec.base_path)
        targets.append(
            _Target(_normal_origin(f"{parts.scheme}://{parts.netloc}"), prefix, pipeline)
        )
    # The longest prefix first, so a named base URL wins over a spec's bare host.
    return sorted(targets, key=lambda t: len(t.origin + t.prefix), reverse=True)


DEFAULT_PORTS = {"http": 80, "https": 443}


@functools.lru_cache(maxsize=1024)
def _normal_origin(origin: str) -> str:
    """``origin`` in lower case, without the scheme's default port. Kept for the
    origins seen (a few): it runs two or three times for every request intercepted,
    and parsing it anew each time was a tenth of an intercepted call's cost."""
    parts = urlsplit(origin.lower())
    if parts.port is not None and DEFAULT_PORTS.get(parts.scheme) == parts.port:
        return f"{parts.scheme}://{parts.hostname}"
    return f"{parts.scheme}://{parts.netloc}"


def _under(path: str, prefix: str) -> bool:
    return not prefix or path == prefix or path.startswith(prefix + "/")


def hosts_of(target: Emulator | HasEmulator, base_urls: Mapping[str, str] | None = None) -> Hosts:
    """The :class:`Hosts` of an emulator, or of a handle or session, whose ``emulator``
    is then read again before each answer: a handle's raises once its test has ended."""
    if isinstance(target, Emulator):
        return Hosts(target, base_urls)

    def check() -> None:
        target.emulator  # noqa: B018 - read for the handle's lease check

    return Hosts(target.emulator, base_urls, check)


# -- what every adapter answers with ---------------------------------------------------------


def answer_headers(outcome: Outcome) -> list[tuple[str, str]]:
    """The answer's headers as the ASGI app sends them (before the server's own)."""
    return [
        ("content-type", "application/json"),
        ("content-length", str(len(outcome.data))),
        *outcome.reply.headers.items(),
    ]


def reason_phrase(status: int) -> bytes:
    """The status line's phrase, as uvicorn writes it (empty for a status it does not name)."""
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b""


def latency(outcome: Outcome, read_timeout: float | None) -> tuple[float, bool]:
    """How long the client waits for a fault rule's latency, and whether its read timeout
    (``None``: none) runs out first: then it waits the timeout and no more."""
    delay = outcome.delay if outcome.fault_id is not None else 0.0
    if read_timeout is not None and delay > read_timeout:
        return read_timeout, True
    return delay, False


def pause(seconds: float) -> None:
    """Waits in the calling thread (a blocking client waits there for a slow server)."""
    if seconds:
        time.sleep(seconds)


# -- one adapter per client library ---------------------------------------------------------


class ClientAdapter(ABC):
    """Answers one client library's requests in-process while an :class:`Interceptor`
    is active. A subclass names itself (``class X(ClientAdapter, name="x")``), which
    registers it; ``library`` is the module it patches (the adapter is skipped when that
    library is not installed)."""

    registry: ClassVar[dict[str, type[ClientAdapter]]] = {}
    name: ClassVar[str]
    library: ClassVar[str]

    def __init_subclass__(cls, name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not name or name in ClientAdapter.registry:
            raise TypeError(
                f"Subclasses of ClientAdapter must define a unique name (got {name!r}; "
                f"taken: {sorted(ClientAdapter.registry)})"
            )
        cls.name = name
        ClientAdapter.registry[name] = cls

    def __init__(self, hosts: Hosts) -> None:
        self.hosts = hosts

    @classmethod
    def available(cls) -> bool:
        """Whether the client library is installed."""
        return find_spec(cls.library) is not None

    @abstractmethod
    def patches(self) -> Iterator[AbstractContextManager[Any]]:
        """The patches that route the library's requests for :attr:`hosts` here."""


class Urllib3Adapter(ClientAdapter, name="urllib3"):
    """urllib3 through its pool managers (``urllib3.request``, ``PoolManager``,
    ``ProxyManager``), and so ``requests`` and the SDKs built on either: for a vendor's
    host, ``connection_from_host`` hands out an in-process pool."""

    library = "urllib3"

    def __init__(self, hosts: Hosts) -> None:
        super().__init__(hosts)
        from secretmock.testing.urllib3_loopback import InProcessPools

        self.pools = InProcessPools(hosts)

    def patches(self) -> Iterator[AbstractContextManager[Any]]:
        from importlib.metadata import version

        from urllib3 import PoolManager, ProxyManager

        found = version("urllib3")
        if int(found.split(".")[0]) < 2:
            # urllib3 1.x builds its connections and answers otherwise: refuse rather
            # than let a vendor's host be reached for real.
            raise RuntimeError(
                "secretmock: in-process interception of urllib3 (and requests) needs "
                f"urllib3 2 or later; found {found}"
            )
        for manager_class in (PoolManager, ProxyManager):
            original = manager_class.__dict__["connection_from_host"]
            yield mock.patch.object(
                manager_class, "connection_from_host", self.pools.patched(original)
            )


class HttpxAdapter(ClientAdapter, name="httpx"):
    """httpx's own transports, sync and async (so every ``httpx.Client`` and
    ``AsyncClient`` built without a transport of its own)."""

    library = "httpx"

    def patches(self) -> Iterator[AbstractContextManager[Any]]:
        import httpx

        from secretmock.testing import httpx_answers

        hosts = self.hosts
        sync_original = httpx.HTTPTransport.handle_request
        async_original = httpx.AsyncHTTPTransport.handle_async_request

        def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            answered = httpx_answers.answer(hosts, request)
            return answered if answered is not None else sync_original(self, request)

        async def handle_async_request(
            self: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> httpx.Response:
            answered = await httpx_answers.answer_async(hosts, request)
            return answered if answered is not None else await async_original(self, request)

        yield mock.patch.object(httpx.HTTPTransport, "handle_request", handle_request)
        yield mock.patch.object(
            httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request
        )


# -- the interceptor ------------------------------------------------------------------------


class Interceptor:
    """Routes the calls of every installed client library (``ClientAdapter.registry``)
    for the vendors' hosts to ``emulator``, while active (a context manager)."""

    def __init__(
        self,
        emulator: Emulator,
        base_urls: Mapping[str, str] | None = None,
        *,
        check: Callable[[], None] | None = None,
    ) -> None:
        """``base_urls`` maps a vendor name to an extra base URL to intercept for it;
        ``check`` runs before each answer (see :class:`Hosts`)."""
        self.hosts = Hosts(emulator, base_urls, check)
        self._stack: ExitStack | None = None

    def __enter__(self) -> Interceptor:
        stack = ExitStack()
        for adapter_class in ClientAdapter.registry.values():
            if adapter_class.available():
                for patcher in adapter_class(self.hosts).patches():
                    stack.enter_context(patcher)
        self._stack = stack
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


# -- without patching -----------------------------------------------------------------------


def httpx_transport(target: Emulator | HasEmulator, **base_urls: str) -> InProcessTransport:
    """An httpx transport, sync and async, that answers the vendors' hosts (and
    ``base_urls``, by vendor name) in-process and sends every other request out through
    httpx's own transport: ``httpx.Client(transport=httpx_transport(secretmock))``.
    ``target`` is an emulator or a handle (a handle's transport stops with its test)."""
    from secretmock.testing.httpx_answers import InProcessTransport

    return InProcessTransport(hosts_of(target, base_urls))


def requests_adapter(
    target: Emulator | HasEmulator, *, base_urls: Mapping[str, str] | None = None, **adapter: Any
) -> requests.adapters.HTTPAdapter:
    """A ``requests`` adapter that answers the vendors' hosts (and ``base_urls``, by
    vendor name) in-process through urllib3's own request path, and sends every other
    request out: ``session.mount("https://", requests_adapter(secretmock))``.
    ``adapter`` goes to ``HTTPAdapter`` (``max_retries=Retry(...)``, ``pool_maxsize``).
    ``target`` is an emulator or a handle (a handle's adapter stops with its test)."""
    from secretmock.testing.requests_mount import InProcessHTTPAdapter

    return InProcessHTTPAdapter(hosts_of(target, base_urls), **adapter)
