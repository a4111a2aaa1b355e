"""In-process interception of requests, urllib3 and httpx, for every vendor's real host;
the client adapters' registry; and the entries without patching (``httpx_transport``,
``requests_adapter``). How each client library's own behaviour survives interception
(timeouts, retries, streaming, errors) is tests/testing/test_conformance.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import httpx
import pytest
import requests
import urllib3
from urllib3 import PoolManager, ProxyManager
from urllib3.util.retry import Retry

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from secretmock.testing import (
    ClientAdapter,
    HandleEndedError,
    SecretMock,
    httpx_transport,
    requests_adapter,
)
from secretmock.testing.intercept import Hosts, Interceptor
from tests.helpers import forbid_network

INSFORGE = "https://demo-project.us-east.insforge.app"
# (vendor, method, URL on the vendor's own host, headers, JSON body, expected status)
CALLS: list[tuple[str, str, str, dict[str, str], Any, int]] = [
    (
        "prismeai",
        "GET",
        "https://api.eda.prisme.ai/v2/workspaces/ws1/security/secrets",
        {"x-prismeai-api-key": "prisme-test-ws1"},
        None,
        200,
    ),
    (
        "langwatch",
        "GET",
        "https://app.langwatch.ai/api/secrets",
        {"X-Auth-Token": "sk-lw-test-demo"},
        None,
        200,
    ),
    (
        "instabase",
        "PATCH",
        "https://aihub.instabase.com/api/v2/aihub/secrets",
        {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"},
        {"alias": "my_secret", "value": "x"},
        200,
    ),
    (
        "insforge",
        "PUT",
        f"{INSFORGE}/api/secrets/STRIPE_API_KEY",
        {"Authorization": "Bearer ik_test_demo_admin"},
        {"value": "sk_rotated"},
        200,
    ),
    (
        "fireworks",
        "GET",
        "https://api.fireworks.ai/v1/accounts/acme/secrets/s1",
        {"Authorization": "Bearer fw-test-acme"},
        None,
        200,
    ),
    (
        "fireworks",
        "GET",
        "https://api.fireworks.ai/v1/accounts/acme/secrets/nope",
        {"Authorization": "Bearer fw-test-acme"},
        None,
        404,
    ),
]


@pytest.fixture
def intercepting(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    forbid_network(monkeypatch)
    with Interceptor(emulator, {"insforge": INSFORGE}) as interceptor:
        yield interceptor


def journaled(emulator: Emulator) -> tuple[str, str | None, int]:
    last = emulator.journal.entries()[-1]
    return last.vendor, last.operation_id, last.status


@pytest.mark.parametrize(("vendor", "method", "url", "headers", "body", "status"), CALLS)
@pytest.mark.parametrize("client", ["requests", "urllib3", "httpx", "httpx-async"])
def test_each_vendor_host_is_answered_in_process(
    intercepting: Interceptor,
    emulator: Emulator,
    client: str,
    vendor: str,
    method: str,
    url: str,
    headers: dict[str, str],
    body: Any,
    status: int,
) -> None:
    if client == "requests":
        response: Any = requests.request(method, url, headers=headers, json=body, timeout=5)
    elif client == "urllib3":
        answer = urllib3.request(method, url, headers=headers, json=body, timeout=5)
        response = httpx.Response(answer.status, headers=dict(answer.headers), content=answer.data)
    elif client == "httpx":
        response = httpx.request(method, url, headers=headers, json=body)
    else:

        async def call() -> httpx.Response:
            async with httpx.AsyncClient() as async_client:
                return await async_client.request(method, url, headers=headers, json=body)

        response = asyncio.run(call())
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json(), dict | list)
    assert journaled(emulator)[0] == vendor


def test_other_hosts_go_out_as_usual(intercepting: Interceptor, server: BackgroundServer) -> None:
    answer = requests.get(f"{server.url}/__admin__/health", timeout=5)
    assert answer.json()["status"] == "ok"
    assert httpx.get(f"{server.url}/__admin__/health").json()["status"] == "ok"


def test_a_prefix_path_in_a_named_base_url(emulator: Emulator) -> None:
    base = "https://gateway.example.test/insforge-proxy"
    with Interceptor(emulator, {"insforge": base}):
        response = requests.get(
            f"{base}/api/secrets/STRIPE_API_KEY",
            headers={"x-api-key": "ik_test_demo_admin"},
            timeout=5,
        )
    assert response.json() == {"key": "STRIPE_API_KEY", "value": "sk_test_stripe_1"}


def test_interception_ends_with_the_block(emulator: Emulator) -> None:
    patched = [
        (PoolManager, "connection_from_host"),
        (ProxyManager, "connection_from_host"),
        (httpx.HTTPTransport, "handle_request"),
        (httpx.AsyncHTTPTransport, "handle_async_request"),
    ]
    originals = [owner.__dict__[name] for owner, name in patched]
    with Interceptor(emulator):
        for (owner, name), original in zip(patched, originals, strict=True):
            assert owner.__dict__[name] is not original, (owner, name)
    assert [owner.__dict__[name] for owner, name in patched] == originals


FIREWORKS_S1 = "https://api.fireworks.ai/v1/accounts/acme/secrets/s1"
FIREWORKS = {"Authorization": "Bearer fw-test-acme"}
INSFORGE_KEY = "ik_test_demo_admin"


def test_a_named_base_url_with_a_prefix_leaves_its_hosts_other_paths(
    emulator: Emulator, server: BackgroundServer
) -> None:
    base = f"{server.url}/insforge-proxy"  # the real server has no such mount: 404 there
    with Interceptor(emulator, {"insforge": base}):
        for get in (requests.get, httpx.get):
            inside = get(f"{base}/api/secrets/STRIPE_API_KEY", headers={"x-api-key": INSFORGE_KEY})
            assert (inside.status_code, inside.json()["key"]) == (200, "STRIPE_API_KEY")
            outside = get(f"{server.url}/__admin__/health")
            assert outside.json()["status"] == "ok"


def test_each_pool_manager_gets_its_own_in_process_pool(intercepting: Interceptor) -> None:
    first, second = urllib3.PoolManager(retries=False), urllib3.PoolManager()
    pool = first.connection_from_url(FIREWORKS_S1)
    assert type(pool).__name__ == "InProcessPool"
    assert str(pool) == "HTTPSConnectionPool(host='api.fireworks.ai', port=443)"
    assert first.connection_from_url(FIREWORKS_S1) is pool
    assert second.connection_from_url(FIREWORKS_S1) is not pool
    assert isinstance(pool.retries, Retry) and pool.retries.total is False  # kept
    outside = first.connection_from_url("https://example.test/")
    assert type(outside).__name__ == "HTTPSConnectionPool"


def test_adapters_register_themselves_by_a_unique_name(emulator: Emulator) -> None:
    assert {"urllib3", "httpx"} <= set(ClientAdapter.registry)
    with pytest.raises(TypeError, match="must define a unique name"):

        class Again(ClientAdapter, name="httpx"):
            library = "httpx"

            def patches(self) -> Iterator[AbstractContextManager[Any]]:
                yield nullcontext()

    seen: list[Hosts] = []

    class Probe(ClientAdapter, name="probe-for-this-test"):
        library = "json"

        def patches(self) -> Iterator[AbstractContextManager[Any]]:
            seen.append(self.hosts)
            yield nullcontext()

    try:
        with Interceptor(emulator) as interceptor:
            assert seen == [interceptor.hosts]
    finally:
        del ClientAdapter.registry["probe-for-this-test"]


def test_requests_adapter_answers_without_patching(
    emulator: Emulator, server: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    forbid_network(monkeypatch)
    handle = SecretMock(emulator, server.url)
    retry = Retry(total=2, status_forcelist=[503], backoff_factor=0)
    adapter = requests_adapter(handle, max_retries=retry)
    with requests.Session() as session:
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        handle.fault("fireworks", "Gateway_GetSecret", status=503, times=2)
        assert session.get(FIREWORKS_S1, headers=FIREWORKS).status_code == 200
        assert [entry.status for entry in handle.journal] == [503, 503, 200]
        assert session.get(f"{server.url}/__admin__/health").json()["status"] == "ok"
        handle.end()
        with pytest.raises(HandleEndedError):
            session.get(FIREWORKS_S1, headers=FIREWORKS)
    assert "InProcess" not in type(PoolManager().connection_from_url(FIREWORKS_S1)).__name__


def test_httpx_transport_answers_sync_and_async_without_patching(
    emulator: Emulator, server: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    forbid_network(monkeypatch)
    original = httpx.HTTPTransport.handle_request
    transport = httpx_transport(emulator, insforge=INSFORGE)
    insforge = f"{INSFORGE}/api/secrets/STRIPE_API_KEY"
    with httpx.Client(transport=transport) as client:
        assert client.get(FIREWORKS_S1, headers=FIREWORKS).status_code == 200
        assert client.get(insforge, headers={"x-api-key": INSFORGE_KEY}).status_code == 200
        assert client.get(f"{server.url}/__admin__/health").json()["status"] == "ok"
        assert httpx.HTTPTransport.handle_request is original

    async def call() -> list[int]:
        async with httpx.AsyncClient(transport=transport) as client:
            inside = await client.get(FIREWORKS_S1, headers=FIREWORKS)
            outside = await client.get(f"{server.url}/__admin__/health")
            return [inside.status_code, outside.status_code]

    assert asyncio.run(call()) == [200, 200]


def test_a_handles_transport_stops_with_its_test(emulator: Emulator) -> None:
    handle = SecretMock(emulator, "", owner="test_x")
    with httpx.Client(transport=httpx_transport(handle)) as client:
        assert client.get(FIREWORKS_S1, headers=FIREWORKS).status_code == 200
        handle.end()
        with pytest.raises(HandleEndedError, match="belongs to test_x"):
            client.get(FIREWORKS_S1, headers=FIREWORKS)
