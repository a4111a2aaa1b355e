"""The store under concurrent requests: nothing lost, nothing duplicated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer

AUTH = {"Authorization": "Bearer fw-test-acme"}


def test_concurrent_creates_and_duplicates(server: BackgroundServer, emulator: Emulator) -> None:
    url = f"{server.url}/fireworks/v1/accounts/acme/secrets"

    def create(index: int) -> int:
        with requests.Session() as session:
            body = {"name": f"c{index % 40}", "keyName": f"C{index % 40}", "value": "v"}
            return session.post(url, json=body, headers=AUTH, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(120)))
    assert statuses.count(200) == 40 and statuses.count(409) == 80
    snapshot = emulator.tenant_snapshot("fireworks", "acme")
    assert snapshot is not None and len(snapshot["secrets"]) == 42


def test_in_process_threads_share_one_consistent_store(emulator: Emulator) -> None:
    from secretmock.engine.incoming import IncomingRequest

    pipeline = emulator.pipelines["fireworks"]

    def create(index: int) -> int:
        body = f'{{"name": "t{index}", "keyName": "T{index}"}}'.encode()
        request = IncomingRequest(
            "POST",
            "/v1/accounts/acme/secrets",
            "",
            {"authorization": "Bearer fw-test-acme", "content-type": "application/json"},
            body,
        )
        return pipeline.handle(request).reply.status

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(create, range(200))) == {200}
    snapshot = emulator.tenant_snapshot("fireworks", "acme")
    assert snapshot is not None and len(snapshot["secrets"]) == 202
