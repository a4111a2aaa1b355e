"""The proxy's client to the upstreams (web/upstream_client.py) against a raw HTTP server
that answers each connection from a script: the framings an upstream may use, kept-alive
connections, and every way of giving no answer."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from secretmock.web.proxy_app import _readable
from secretmock.web.upstream_client import UpstreamAnswer, UpstreamClient, UpstreamError

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request's head and its Content-Length body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + (await reader.readexactly(length) if length else b"")


def answering(*answers: bytes, close: bool = False) -> Script:
    """Reads a request and sends the next answer (of all the connections'), for as long
    as there are answers."""
    left = list(answers)

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while left:
            await read_request(reader)
            writer.write(left.pop(0))
            await writer.drain()
        if close:
            writer.close()
        else:
            await reader.read()  # until the client goes

    return script


def run(
    script: Script, *calls: tuple[str, str, bytes], timeout: float = 5.0
) -> tuple[list[UpstreamAnswer | str], list[bytes]]:
    """``calls`` (method, path, body) one after another through one client, against a
    server running ``script`` on each connection; each call's answer or failure, and
    what the server read first on each connection."""
    connections: list[bytes] = []

    async def main() -> list[UpstreamAnswer | str]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peeked = await reader.read(4096)
            connections.append(peeked)
            feed = asyncio.StreamReader()
            feed.feed_data(peeked)
            pump = asyncio.ensure_future(_pump(reader, feed))
            try:
                await script(feed, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                pump.cancel()
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = UpstreamClient(timeout)
        results: list[UpstreamAnswer | str] = []
        try:
            for method, path, body in calls:
                try:
                    url = f"http://127.0.0.1:{port}{path}"
                    results.append(await client.request(method, url, [], body, bool(body)))
                except UpstreamError as failed:
                    results.append(failed.failure)
        finally:
            await client.aclose()
            server.close()
        return results

    return asyncio.run(main()), connections


async def _pump(source: asyncio.StreamReader, sink: asyncio.StreamReader) -> None:
    while chunk := await source.read(4096):
        sink.feed_data(chunk)
    sink.feed_eof()


OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def test_a_kept_alive_connection_carries_the_next_request() -> None:
    results, connections = run(answering(OK, OK), ("GET", "/a", b""), ("POST", "/b", b"{}"))
    assert [r.status for r in results if isinstance(r, UpstreamAnswer)] == [200, 200]
    assert len(connections) == 1
    first = connections[0]
    assert first.startswith(b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:")


def test_a_chunked_answer_is_read_whole_and_its_headers_kept() -> None:
    chunked = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-Vendor: 1\r\n\r\n"
        b'3\r\n{"a\r\n5\r\n": 1}\r\n0\r\n\r\n'
    )
    [answer], _ = run(answering(chunked), ("POST", "/", b"{}"))
    assert isinstance(answer, UpstreamAnswer)
    assert (answer.status, answer.data) == (201, b'{"a": 1}')
    assert ("X-Vendor", "1") in answer.headers


def test_an_answer_that_ends_with_the_connection_is_read_to_its_end() -> None:
    closing = b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"ok": true}'
    [answer], _ = run(answering(closing, close=True), ("GET", "/", b""))
    assert isinstance(answer, UpstreamAnswer) and answer.data == b'{"ok": true}'


def test_an_interim_100_is_passed_over() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\n" + OK
    [answer], _ = run(answering(interim), ("POST", "/", b"{}"))
    assert isinstance(answer, UpstreamAnswer) and (answer.status, answer.data) == (200, b"{}")


def test_a_head_answer_has_no_body_whatever_its_length() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"
    results, connections = run(answering(head, OK), ("HEAD", "/", b""), ("GET", "/", b""))
    assert [r.data for r in results if isinstance(r, UpstreamAnswer)] == [b"", b"{}"]
    assert len(connections) == 2  # not kept after a HEAD: its length announced no body


def test_a_gzip_answer_goes_on_compressed_and_is_compared_decoded() -> None:
    packed = gzip.compress(b'{"a": 1}')
    answer = UpstreamAnswer(
        200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], packed
    )
    assert _readable(answer, answer.headers).body == {"a": 1}
    odd = UpstreamAnswer(200, [("Content-Encoding", "br")], b"...")
    assert _readable(odd, odd.headers).failure == "content-encoding br"


async def _close_after_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers once, then closes just as the next request comes in."""
    await read_request(reader)
    writer.write(OK)
    await writer.drain()
    await read_request(reader)
    writer.transport.abort()


def test_a_read_on_a_connection_closed_under_it_is_sent_again_anew() -> None:
    results, connections = run(_close_after_first, ("GET", "/", b""), ("GET", "/again", b""))
    assert [r.status for r in results if isinstance(r, UpstreamAnswer)] == [200, 200]
    assert len(connections) == 2 and connections[1].startswith(b"GET /again ")


def test_a_write_on_a_connection_closed_under_it_is_not_sent_twice() -> None:
    results, connections = run(_close_after_first, ("GET", "/", b""), ("POST", "/", b"{}"))
    assert results[1] == "dropped"
    assert len(connections) == 1


@pytest.mark.parametrize(
    "answer, failure",
    [
        (b"", "dropped"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "dropped"),
        (b"NOT HTTP AT ALL\r\n\r\n", "malformed"),
    ],
    ids=["closed-without-answer", "closed-mid-body", "not-http"],
)
def test_no_whole_answer_is_a_failure(answer: bytes, failure: str) -> None:
    [result], _ = run(answering(answer, close=True), ("GET", "/", b""))
    assert result == failure


def test_an_upstream_that_does_not_answer_in_time_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    [result], _ = run(silent, ("GET", "/", b""), timeout=0.2)
    assert result == "timeout"


def test_a_closed_port_is_unreachable() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def main() -> str:
        client = UpstreamClient(1.0)
        try:
            await client.request("GET", f"http://127.0.0.1:{port}/", [], b"", False)
        except UpstreamError as failed:
            return str(failed.failure)
        return "answered"

    assert asyncio.run(main()) == "unreachable"


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), and its key."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_is_verified_against_the_trusted_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _certificate(tmp_path)
    serving = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    serving.load_cert_chain(cert, key)

    async def main() -> list[str]:
        server = await asyncio.start_server(
            lambda r, w: answering(OK, OK)(r, w), "127.0.0.1", 0, ssl=serving
        )
        url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        found = []
        for trusted in (False, True):
            if trusted:  # the system's store, as SSL_CERT_FILE names it
                monkeypatch.setenv("SSL_CERT_FILE", str(cert))
            client = UpstreamClient(5.0)
            try:
                answer = await client.request("GET", url, [], b"", False)
                found.append(str(answer.status))
            except UpstreamError as failed:
                found.append(failed.failure)
            finally:
                await client.aclose()
        server.close()
        return found

    assert asyncio.run(main()) == ["tls", "200"]
