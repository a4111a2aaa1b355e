"""In-process interception of requests and httpx, for every vendor's real host."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer
from secretmock.testing.intercept import Interceptor
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
@pytest.mark.parametrize("client", ["requests", "httpx", "httpx-async"])
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
    originals = (
        HTTPAdapter.send,
        httpx.HTTPTransport.handle_request,
        httpx.AsyncHTTPTransport.handle_async_request,
    )
    with Interceptor(emulator):
        assert HTTPAdapter.send is not originals[0]
        assert httpx.HTTPTransport.handle_request is not originals[1]
    assert (
        HTTPAdapter.send,
        httpx.HTTPTransport.handle_request,
        httpx.AsyncHTTPTransport.handle_async_request,
    ) == originals
