"""The fetcher's connections: keep-alive reused across many hosts, idle pools closed."""

from __future__ import annotations

import asyncio
import ssl
from collections import Counter
from pathlib import Path

import pytest

from monitor.fetcher import Fetcher
from monitor.settings import FetchSettings
from monitor.values import FeedRef, FetchResult


class Farm:
    """Keep-alive HTTP/1.1 servers on loopback ports: 304 for a matching ETag, counts connections."""

    def __init__(self) -> None:
        self.ports: list[int] = []
        self.connections = 0
        self.open = 0
        self.requests: Counter[int] = Counter()
        self._servers: list[asyncio.Server] = []

    async def start(self, n: int, tls: ssl.SSLContext | None = None) -> None:
        """n servers, one origin each (https with a TLS context)."""
        for _ in range(n):
            server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer requests on one connection until the client closes it."""
        self.connections += 1
        self.open += 1
        port = writer.get_extra_info("sockname")[1]
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                self.requests[port] += 1
                if b'if-none-match: "v1"' in head.lower():
                    writer.write(b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n')
                else:
                    body = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
                    writer.write(b'HTTP/1.1 200 OK\r\nETag: "v1"\r\nContent-Type: application/rss+xml'
                                 b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()

    async def stop(self) -> None:
        """Close the servers."""
        for server in self._servers:
            server.close()


def _feeds(farm: Farm, n: int, etag: str | None = None) -> list[FeedRef]:
    """n feeds spread over the farm's origins in turn."""
    ports = farm.ports
    return [FeedRef(i, f"http://127.0.0.1:{ports[i % len(ports)]}/{i}.xml", etag=etag)
            for i in range(n)]


async def _fetch_all(fetcher: Fetcher, feeds: list[FeedRef]) -> list[FetchResult]:
    """Every feed at once, as poll_batch asks; the fetcher bounds the concurrency."""
    return list(await asyncio.gather(*(fetcher.fetch(f) for f in feeds)))


def test_keep_alive_is_reused_across_many_hosts() -> None:
    """400 fetches over 25 origins open about one connection per origin, not one per fetch."""

    async def go() -> tuple[Farm, list[FetchResult], list[FetchResult]]:
        farm = Farm()
        await farm.start(25)
        fetcher = Fetcher(FetchSettings(concurrency=20, per_host=2))
        try:
            first = await _fetch_all(fetcher, _feeds(farm, 200))
            again = await _fetch_all(fetcher, _feeds(farm, 200, etag='"v1"'))
        finally:
            await fetcher.aclose()
            await farm.stop()
        return farm, first, again

    farm, first, again = asyncio.run(go())
    assert {r.kind for r in first} == {"ok"} and {r.etag for r in first} == {'"v1"'}
    assert {r.kind for r in again} == {"not_modified"}
    assert sum(farm.requests.values()) == 400 and len(farm.requests) == 25
    # per_host is 2 and all 25 share host 127.0.0.1: one connection an origin was enough.
    assert farm.connections <= 50, farm.connections


def test_idle_origins_beyond_the_cap_are_closed() -> None:
    """With room for 4 idle origins, polling 10 in turn leaves at most 4 connections open."""

    async def go() -> tuple[int, int, int, int]:
        farm = Farm()
        await farm.start(10)
        fetcher = Fetcher(FetchSettings(concurrency=1, per_host=1))  # 4 idle origins kept
        feeds = _feeds(farm, 10)
        try:
            for feed in feeds:
                assert (await fetcher.fetch(feed)).kind == "ok"
            await asyncio.sleep(0.1)  # the server sees the closes
            open_after, opened = farm.open, farm.connections
            for feed in feeds[-4:]:  # the most recent origins are still connected
                assert (await fetcher.fetch(feed)).kind == "ok"
            reused = farm.connections - opened
        finally:
            await fetcher.aclose()
            await asyncio.sleep(0.1)
            closed_all = farm.open
            await farm.stop()
        return open_after, opened, reused, closed_all

    open_after, opened, reused, closed_all = asyncio.run(go())
    assert opened == 10 and open_after <= 4
    assert reused == 0
    assert closed_all == 0


def test_https_origins_verify_certificates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An https origin beside http ones is verified: refused untrusted, fetched once trusted."""
    from tests.delivery.receivers import self_signed

    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)

    async def go() -> list[str]:
        plain, secure = Farm(), Farm()
        await plain.start(1)
        await secure.start(1, tls)
        url = f"https://127.0.0.1:{secure.ports[0]}/s.xml"
        kinds = []
        try:
            for trusted in (False, True):
                if trusted:  # the environment's CA file, as httpx reads it
                    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
                fetcher = Fetcher(FetchSettings())
                try:
                    kinds.append((await fetcher.fetch(_feeds(plain, 1)[0])).kind)
                    kinds.append((await fetcher.fetch(FeedRef(1, url))).kind)
                finally:
                    await fetcher.aclose()
        finally:
            await plain.stop()
            await secure.stop()
        return kinds

    assert asyncio.run(go()) == ["ok", "tls", "ok", "ok"]
