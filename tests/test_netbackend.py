"""The asyncio network backend under httpcore: what a fetch meets on a real socket."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
from collections.abc import Awaitable, Callable

import httpcore
import pytest

from monitor.fetcher import Fetcher, OriginPools
from monitor.netbackend import HIGH_WATER, AsyncioBackend
from monitor.settings import FetchSettings
from monitor.values import FeedRef

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _serve(handler: Handler) -> tuple[asyncio.Server, int]:
    """A loopback server running handler per connection; its port."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def _response(body: bytes, extra: bytes = b"") -> bytes:
    """An HTTP/1.1 200 with body."""
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: %d\r\n%s\r\n%s"
            % (len(body), extra, body))


def test_pools_run_on_the_asyncio_backend() -> None:
    """httpx's pool is rebuilt with the backend (a change in httpx would show here)."""
    async def go() -> object:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(_response(b"<rss/>"))
            await writer.drain()
            writer.close()

        server, port = await _serve(handler)
        fetcher = Fetcher(FetchSettings())
        try:
            result = await fetcher.fetch(FeedRef(1, f"http://127.0.0.1:{port}/f.xml"))
            assert result.kind == "ok"
            pools = fetcher._direct
            assert isinstance(pools, OriginPools)
            (origin,) = pools._origins.values()
            return origin.transport._pool._network_backend
        finally:
            await fetcher.aclose()
            server.close()

    assert isinstance(asyncio.run(go()), AsyncioBackend)


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
    """Reading pauses past the high-water mark and resumes: a 3 MB body is intact."""
    body = b"<rss>" + bytes(range(256)) * (3 * 4096) + b"</rss>"
    assert len(body) > 8 * HIGH_WATER

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_response(body))
        await writer.drain()
        writer.close()

    async def go() -> bytes | None:
        server, port = await _serve(handler)
        fetcher = Fetcher(FetchSettings(max_body_bytes=10_000_000))
        try:
            return (await fetcher.fetch(FeedRef(1, f"http://127.0.0.1:{port}/big.xml"))).body
        finally:
            await fetcher.aclose()
            server.close()

    got = asyncio.run(go())
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
    """A peer that reads nothing: writing more than the socket buffers ends in WriteTimeout."""
    async def go() -> None:
        async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(5)

        server, port = await _serve(never_reads)
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=1)
        try:
            with pytest.raises(httpcore.WriteTimeout):
                for _ in range(64):
                    await stream.write(b"x" * (1 << 20), timeout=0.3)
        finally:
            await stream.aclose()
            server.close()

    asyncio.run(go())


def test_tls_handshake_without_answer_is_a_connect_timeout() -> None:
    """A server that accepts TCP but never speaks TLS: ConnectTimeout within the timeout."""
    async def go() -> None:
        async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(5)

        server, port = await _serve(mute)
        backend = AsyncioBackend()
        stream = await backend.connect_tcp("127.0.0.1", port, timeout=1)
        try:
            with pytest.raises(httpcore.ConnectTimeout):
                await stream.start_tls(ssl.create_default_context(), "localhost", timeout=0.3)
        finally:
            await stream.aclose()
            server.close()
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            unused = free.getsockname()[1]
        with pytest.raises(httpcore.ConnectError):
            await backend.connect_tcp("127.0.0.1", unused, timeout=1)  # nobody listens: refused

    asyncio.run(go())
