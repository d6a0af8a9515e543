"""The HTTP/1.1 transport (monitor.http1): what a fetch meets on a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from monitor.fetcher import Fetcher
from monitor.http1 import HIGH_WATER, Http1Pools
from monitor.settings import FetchSettings
from monitor.values import FeedRef

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _serve(handler: Handler) -> tuple[asyncio.Server, int]:
    """A loopback server running handler per connection; its port."""
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The client closing the connection is how each exchange here ends.
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await handler(reader, writer)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _response(body: bytes, extra: bytes = b"") -> bytes:
    """An HTTP/1.1 200 with body."""
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n%s\r\n%s"
            % (len(body), extra, body))


async def _get_all(handler: Handler, paths: list[str], **pool: Any) -> tuple[list[object], int]:
    """GET each path in turn on one Http1Pools through an httpx client: (status, body) or the
    error of each, and the connections opened."""
    server, port = await _serve(handler)
    pools = Http1Pools(**{"per_origin": 2, "max_origins": 4, **pool})
    got: list[object] = []
    try:
        async with httpx.AsyncClient(transport=pools, timeout=2) as client:
            for path in paths:
                try:
                    response = await client.get(f"http://127.0.0.1:{port}{path}")
                    got.append((response.status_code, response.content))
                except httpx.HTTPError as exc:
                    got.append(exc)
                await asyncio.sleep(0.02)  # a server's close reaches the idle connection
    finally:
        server.close()
    return got, pools.opened


def test_the_fetcher_sends_plain_gets_on_http1_pools_and_keeps_alive() -> None:
    """Three fetches of a keep-alive server: the lean transport, one connection for all."""
    async def go() -> tuple[object, int, list[str]]:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(_response(b"<rss/>"))

        server, port = await _serve(handler)
        fetcher = Fetcher(FetchSettings())
        try:
            kinds = [(await fetcher.fetch(FeedRef(i, f"http://127.0.0.1:{port}/f.xml"))).kind
                     for i in range(3)]
            pools = fetcher._direct
            return pools, getattr(pools, "opened", -1), kinds
        finally:
            await fetcher.aclose()
            server.close()

    pools, opened, kinds = asyncio.run(go())
    assert isinstance(pools, Http1Pools)
    assert kinds == ["ok"] * 3 and opened == 1


def test_framings_and_closes() -> None:
    """Chunked, close-delimited and early-hinted bodies arrive whole; `Connection: close` and
    a close-delimited body are not kept, a length-delimited one is."""
    answers = {
        b"/chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"3\r\n<rs\r\n3\r\ns/>\r\n0\r\n\r\n",
        b"/hinted": b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" + _response(b"<rss/>"),
        b"/close": _response(b"<rss/>", b"Connection: close\r\n"),
        b"/eof": b"HTTP/1.1 200 OK\r\n\r\n<rss/>",
    }
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while head := await reader.readuntil(b"\r\n\r\n"):
            path = head.split(b" ")[1]
            writer.write(answers[path])
            if path == b"/eof":  # the end of the body is the end of the connection
                await writer.drain()
                writer.close()
                return

    got, opened = asyncio.run(_get_all(handler, ["/chunked", "/hinted", "/close", "/chunked",
                                                 "/eof", "/chunked"]))
    assert got == [(200, b"<rss/>")] * 6
    # chunked and hinted share the first connection; close and eof each end theirs.
    assert opened == connections == 3


def test_malformed_and_cut_answers_are_protocol_errors_and_not_reused() -> None:
    """Garbage for a status line, a cut chunked body: RemoteProtocolError, and the next request
    gets a fresh connection that works."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            path = head.split(b" ")[1]
            if path == b"/junk":
                writer.write(b"SPAM SPAM SPAM\r\n\r\n")
            elif path == b"/cut":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<rs")
                await writer.drain()
                writer.close()
                return
            else:
                writer.write(_response(b"<rss/>"))

    got, opened = asyncio.run(_get_all(handler, ["/ok", "/junk", "/ok", "/cut", "/ok"]))
    assert got[0] == got[2] == got[4] == (200, b"<rss/>")
    assert isinstance(got[1], httpx.RemoteProtocolError)
    assert isinstance(got[3], httpx.RemoteProtocolError)
    assert opened == 3


def test_idle_connections_expire_and_are_capped_per_origin() -> None:
    """Past keepalive_expiry an idle connection is not reused; at most per_origin are kept."""
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            await asyncio.sleep(0.05)
            writer.write(_response(b"<rss/>"))

    async def go() -> tuple[int, int, int]:
        server, port = await _serve(handler)
        pools = Http1Pools(per_origin=2, max_origins=4, keepalive_expiry=0.3)
        url = f"http://127.0.0.1:{port}/f.xml"
        try:
            async with httpx.AsyncClient(transport=pools) as client:
                await asyncio.gather(*(client.get(url) for _ in range(4)))  # 4 at once: 4 opened
                kept = sum(len(idle) for idle in pools._idle.values())
                await client.get(url)  # reuses one of the kept
                reused = pools.opened
                await asyncio.sleep(0.4)
                await client.get(url)  # the kept ones expired: a new one
                return kept, reused, pools.opened
        finally:
            server.close()

    assert asyncio.run(go()) == (2, 4, 5)


def test_idle_connection_closed_by_the_server_is_not_reused() -> None:
    """A server that drops each kept-alive connection once idle: every fetch still succeeds."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_response(b"<rss/>"))  # no "Connection: close": the client may keep it
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.close()

    async def go() -> list[str]:
        server, port = await _serve(handler)
        fetcher = Fetcher(FetchSettings())
        kinds = []
        try:
            for i in range(5):
                kinds.append((await fetcher.fetch(FeedRef(i, f"http://127.0.0.1:{port}/f.xml"))).kind)
                await asyncio.sleep(0.05)  # the server's close arrives while the connection idles
        finally:
            await fetcher.aclose()
            server.close()
        return kinds

    assert asyncio.run(go()) == ["ok"] * 5
    assert connections == 5


def test_body_past_the_high_water_mark_arrives_whole() -> None:
    """Reading pauses past the high-water mark while the body is not consumed, and resumes:
    a 3 MB body is intact."""
    body = b"<rss>" + bytes(range(256)) * (3 * 4096) + b"</rss>"
    assert len(body) > 8 * HIGH_WATER

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_response(body))
        await writer.drain()
        writer.close()

    async def go() -> tuple[bool, int, bytes | None]:
        server, port = await _serve(handler)
        pools = Http1Pools(per_origin=1, max_origins=1)
        try:
            async with (httpx.AsyncClient(transport=pools) as client,
                        client.stream("GET", f"http://127.0.0.1:{port}/big.xml") as response):
                await asyncio.sleep(0.2)  # the body arrives while nobody reads it
                (conn,) = pools._open
                paused, buffered = conn.proto.paused_reading, conn.proto.buffered
                await response.aread()
            fetcher = Fetcher(FetchSettings(max_body_bytes=10_000_000))
            try:
                fetched = (await fetcher.fetch(FeedRef(1, f"http://127.0.0.1:{port}/big.xml"))).body
            finally:
                await fetcher.aclose()
            assert response.content == body
            return paused, buffered, fetched
        finally:
            server.close()

    paused, buffered, got = asyncio.run(go())
    assert paused and HIGH_WATER < buffered < len(body)
    assert got is not None and hashlib.sha256(got).digest() == hashlib.sha256(body).digest()


def test_silent_server_is_a_timeout_and_reset_is_a_protocol_error() -> None:
    """No answer within read_timeout is "timeout"; a connection cut mid-body is "protocol"."""
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(5)
        writer.close()

    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<rss>partial")
        await writer.drain()
        writer.transport.abort()

    async def go() -> tuple[str, str, str]:
        quiet, quiet_port = await _serve(silent)
        broken, broken_port = await _serve(cut)
        fetcher = Fetcher(FetchSettings(read_timeout=0.3))
        try:
            a = await fetcher.fetch(FeedRef(1, f"http://127.0.0.1:{quiet_port}/f.xml"))
            b = await fetcher.fetch(FeedRef(2, f"http://127.0.0.1:{broken_port}/f.xml"))
            broken.close()
            await broken.wait_closed()
            c = await fetcher.fetch(FeedRef(3, f"http://127.0.0.1:{broken_port}/f.xml"))
        finally:
            await fetcher.aclose()
            quiet.close()
        return a.kind, b.kind, c.kind

    assert asyncio.run(go()) == ("timeout", "protocol", "connect")


def test_write_waits_for_a_reader_then_times_out() -> None:
    """A peer that reads nothing: a body larger than the socket buffers ends in WriteTimeout."""
    async def go() -> None:
        async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(5)

        server, port = await _serve(never_reads)
        pools = Http1Pools(per_origin=1, max_origins=1)
        try:
            async with httpx.AsyncClient(transport=pools, timeout=httpx.Timeout(1, write=0.3)) as client:
                with pytest.raises(httpx.WriteTimeout):
                    await client.post(f"http://127.0.0.1:{port}/", content=b"x" * (64 << 20))
            assert not pools._open  # the connection was dropped, not kept
        finally:
            server.close()

    asyncio.run(go())


def test_tls_handshake_without_answer_is_a_connect_timeout_and_refusal_an_error() -> None:
    """A server that accepts TCP but never speaks TLS: ConnectTimeout; nobody listening:
    ConnectError; a scheme other than http(s): UnsupportedProtocol."""
    async def go() -> None:
        async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(5)

        server, port = await _serve(mute)
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            unused = free.getsockname()[1]
        pools = Http1Pools(per_origin=1, max_origins=1, ssl_context=ssl.create_default_context)
        try:
            async with httpx.AsyncClient(transport=pools, timeout=httpx.Timeout(2, connect=0.3)) as client:
                with pytest.raises(httpx.ConnectTimeout):
                    await client.get(f"https://127.0.0.1:{port}/")
                with pytest.raises(httpx.ConnectError):
                    await client.get(f"http://127.0.0.1:{unused}/")
            with pytest.raises(httpx.UnsupportedProtocol):
                await pools.handle_async_request(httpx.Request("GET", "ftp://127.0.0.1/"))
        finally:
            server.close()

    asyncio.run(go())
