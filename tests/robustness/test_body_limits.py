"""Request bodies over the limit (issue 8, bug 7; README "Limits"): each vendor's own
answer in its envelope (a 413, or what the vendor's server makes of one: InsForge's
current server answers 500), valid against its spec and journaled, without the body
being read; ``--max-body`` for every vendor and the admin API. Over a real socket."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import requests

from secretmock.engine.emulator import Emulator
from secretmock.engine.incoming import MAX_BODY_BYTES
from secretmock.serve.background import BackgroundServer
from tests.helpers import assert_subset, table
from tests.robustness.serve import Served, read_answer


class Oversize(NamedTuple):
    id: str
    vendor: str
    method: str
    path: str
    credential: str
    limit: int
    answer: dict[str, Any]
    status: int = 413
    version: str | None = None
    """The vendor's server version (``None``: current)."""


OVERSIZE = [
    Oversize(
        "prismeai",
        "prismeai",
        "PUT",
        "/prismeai/v2/workspaces/ws1/security/secrets",
        "x-prismeai-api-key: prisme-test-ws1",
        10_000_000,
        {"error": "PayloadTooLarge", "message": "request too large"},
    ),
    Oversize(
        "langwatch",
        "langwatch",
        "POST",
        "/langwatch/api/secrets",
        "Authorization: Bearer sk-lw-test-demo",
        MAX_BODY_BYTES,
        {"error": "payload_too_large"},
    ),
    Oversize(
        "instabase",
        "instabase",
        "PATCH",
        "/instabase/api/v2/aihub/secrets",
        "Authorization: Bearer ib-test-admin",
        MAX_BODY_BYTES,
        {"message": "Payload Too Large"},
    ),
    Oversize(
        # InsForge 268d79d27 api/middlewares/error.ts has no 4xx branch (efec0825a): body-
        # parser's 413 falls to the default 500 (fidelity audit, finding 1).
        "insforge-error.ts-500",
        "insforge",
        "PUT",
        "/insforge/api/secrets/STRIPE_API_KEY",
        "Authorization: Bearer ik_test_demo_admin",
        100 * 1024 * 1024,
        {"error": "INTERNAL_ERROR", "message": "request entity too large", "statusCode": 500},
        status=500,
    ),
    Oversize(
        # Before 2026-05-22 (a7027dea4) the 4xx branch kept body-parser's 413.
        "insforge-before-2026-05-22-efec0825a^-413",
        "insforge",
        "PUT",
        "/insforge/api/secrets/STRIPE_API_KEY",
        "Authorization: Bearer ik_test_demo_admin",
        100 * 1024 * 1024,
        {"error": "INTERNAL_ERROR", "message": "request entity too large", "statusCode": 413},
        version="before-2026-05-22",
    ),
    Oversize(
        "fireworks",
        "fireworks",
        "POST",
        "/fireworks/v1/accounts/acme/secrets",
        "Authorization: Bearer fw-test-acme",
        MAX_BODY_BYTES,
        {"code": 8, "details": []},
    ),
]


def announce(server: BackgroundServer, method: str, path: str, credential: str, size: int) -> bytes:
    """Sends a request's head announcing a body of ``size`` bytes, and no body at all:
    the answer can only come from the announced length."""
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port))) as client:
        client.settimeout(20)
        client.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: x\r\n{credential}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode()
        )
        return read_answer(client)


@table(OVERSIZE)
def test_a_body_announced_over_the_vendors_limit_gets_its_413_unread(
    server: BackgroundServer,
    emulator: Emulator,
    vendor: str,
    method: str,
    path: str,
    credential: str,
    limit: int,
    answer: dict[str, Any],
    status: int,
    version: str | None,
) -> None:
    assert emulator.pipelines[vendor].max_body_bytes == limit
    emulator.use_versions({vendor: version} if version else {})
    before = emulator.journal.last_seq()
    try:
        reply = announce(server, method, path, credential, limit + 1)
    finally:
        emulator.use_versions({})
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status}".encode()), reply[:300]
    assert_subset(json.loads(body), answer)
    [entry] = emulator.journal.entries(before)
    assert entry.status == status and entry.vendor == vendor
    assert entry.body == f"<not read: over {limit} bytes>"
    assert entry.violations == ()  # the 413 is valid against the vendor's spec


def test_a_body_at_the_limit_is_read(server: BackgroundServer) -> None:
    """Exactly the limit is not over it: the body is parsed (and here refused by the
    vendor for what it holds, which is not a 413)."""
    body = b'{"name": "accounts/acme/secrets/big", "keyName": "BIG", "value": "'
    body += b"v" * (MAX_BODY_BYTES - len(body) - 2) + b'"}'
    assert len(body) == MAX_BODY_BYTES
    answer = requests.post(
        f"{server.url}/fireworks/v1/accounts/acme/secrets",
        data=body,
        headers={"Authorization": "Bearer fw-test-acme", "Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code != 413


def test_a_streamed_body_is_cut_at_the_limit(server: BackgroundServer, emulator: Emulator) -> None:
    """With no length announced (``Transfer-Encoding: chunked``), reading stops once the
    body passes the limit; the client gets the 413 and the connection stays usable."""

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "BIG", "value": "'
        for _ in range(4 * MAX_BODY_BYTES // 65536):
            yield b"v" * 65536
        yield b'"}'

    with requests.Session() as session:
        answer = session.post(
            f"{server.url}/langwatch/api/secrets",
            data=chunks(),
            headers={"Authorization": "Bearer sk-lw-test-demo", "Content-Type": "application/json"},
            timeout=60,
        )
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"] == "payload_too_large"
        again = session.get(
            f"{server.url}/langwatch/api/secrets",
            headers={"Authorization": "Bearer sk-lw-test-demo"},
            timeout=10,
        )
        assert again.status_code == 200
    assert emulator.journal.entries()[-2].body == f"<not read: over {MAX_BODY_BYTES} bytes>"


def test_max_body_sets_every_vendors_limit_not_the_admin_apis(tmp_path: Path) -> None:
    """The admin API has its own limit, --admin-max-body (issue 18, U3)."""
    body = json.dumps({"openaiApiKey": {"value": "v" * 3000}})
    with Served(tmp_path, "--max-body", "2048") as served:
        refused = requests.put(
            f"{served.url}/prismeai/v2/workspaces/ws1/security/secrets",
            data=body,
            headers={"x-prismeai-api-key": "prisme-test-ws1", "Content-Type": "application/json"},
            timeout=10,
        )
        assert (refused.status_code, refused.json()["error"]) == (413, "PayloadTooLarge")
        admin = requests.put(
            f"{served.url}/__admin__/tenants/prismeai/ws2",
            data=json.dumps({"secrets": [{"name": "n", "value": "v" * 3000}]}),
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert admin.status_code == 200, admin.text
        small = requests.put(
            f"{served.url}/prismeai/v2/workspaces/ws1/security/secrets",
            json={"openaiApiKey": {"value": "v"}},
            headers={"x-prismeai-api-key": "prisme-test-ws1"},
            timeout=10,
        )
        assert small.status_code == 200
