"""A lean HTTP/1.1 transport for httpx: h11 on asyncio's own transports, idle connections by origin.

A conditional GET through httpx's default transport cost about 0.9 ms of CPU here, and a poll
of thousands of unchanged feeds is mostly such requests. Most of it was httpcore's pool
(assigning requests to connections, anyio locks and events, shielded cancellation) and the
layers of generators a body passes through; the HTTP parsing itself (h11) was a fifth. This
transport keeps httpx's client (redirects, content decoding, the Request and Response types)
and h11's parsing, and does the rest in a few plain steps: take an idle connection of the
origin or open one, write the request, read events up to the response head, stream the body,
and keep the connection for the next request when the exchange ended cleanly.

What it leaves to others: HTTP/2 and proxies. With a proxy in the environment the fetcher uses
httpx's own transport instead. The number of requests in flight is the caller's to bound (the
fetcher's semaphores); this transport bounds only the connections it keeps idle.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import h11
import httpx

# Stop reading from a socket while this much is buffered and unread; resume below LOW_WATER.
HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024
# Time given to the other addresses of a host once one has started connecting (RFC 8305).
HAPPY_EYEBALLS_DELAY = 0.25
# h11's cap on a response head; a larger one is a protocol error, not a memory sink.
MAX_HEAD = 64 * 1024

Origin = tuple[bytes, bytes, int]


class _Protocol(asyncio.Protocol):
    """Buffers what the socket delivers; wakes the one reader or writer waiting.

    The socket is read even while its connection idles, so "did the server close this idle
    connection?" is answered from state (bytes or an end arrived) without a system call.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.paused_reading = False
        self.paused_writing = False
        self._read_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        """Buffer the bytes; pause the socket past the high-water mark."""
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered > HIGH_WATER and not self.paused_reading and self.transport is not None:
            self.paused_reading = True
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        """The peer finished sending; close our side too (HTTP/1.1 has no use for a half-close)."""
        self.eof = True
        self._wake_reader()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: the reader sees the end, or the error; a writer the error."""
        self.eof = True
        if exc is not None:
            self.error = exc
        self._wake_reader()
        waiter, self._drain_waiter = self._drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def pause_writing(self) -> None:
        """The transport's write buffer is full."""
        self.paused_writing = True

    def resume_writing(self) -> None:
        """The transport's write buffer drained."""
        self.paused_writing = False
        waiter, self._drain_waiter = self._drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_reader(self) -> None:
        """Settle the read waiter, if a read is waiting."""
        waiter, self._read_waiter = self._read_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take(self) -> bytes:
        """The oldest buffered chunk; reading resumes once the buffer is low again."""
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.paused_reading and self.buffered < LOW_WATER and self.transport is not None:
            self.paused_reading = False
            self.transport.resume_reading()
        return chunk

    def read_waiter(self) -> asyncio.Future[None]:
        """A future settled when bytes, the end or an error arrive."""
        self._read_waiter = asyncio.get_running_loop().create_future()
        return self._read_waiter

    def drain_waiter(self) -> asyncio.Future[None]:
        """A future settled when writing may go on (or the connection is lost)."""
        self._drain_waiter = asyncio.get_running_loop().create_future()
        return self._drain_waiter


class _Connection:
    """One HTTP/1.1 connection: its socket's protocol and h11's state of the exchange."""

    __slots__ = ("h11", "idle_since", "origin", "proto", "transport")

    def __init__(self, origin: Origin, transport: asyncio.Transport, proto: _Protocol) -> None:
        self.origin = origin
        self.transport = transport
        self.proto = proto
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        self.idle_since = 0.0

    @property
    def stale(self) -> bool:
        """An idle connection that received anything was closed by the server (or sent junk)."""
        return bool(self.proto.chunks) or self.proto.eof or self.transport.is_closing()

    def close(self) -> None:
        """Close the socket (asyncio releases it on the next loop turn)."""
        self.transport.close()

    async def write(self, data: bytes, timeout: float | None, request: httpx.Request) -> None:
        """Hand bytes to the socket; wait only while it applies back-pressure."""
        proto = self.proto
        if proto.error is not None or self.transport.is_closing():
            raise httpx.WriteError(str(proto.error or "the connection is closed"), request=request)
        self.transport.write(data)
        while proto.paused_writing and not proto.eof:
            try:
                async with asyncio.timeout(timeout):
                    await proto.drain_waiter()
            except TimeoutError:
                raise httpx.WriteTimeout(f"could not write within {timeout:g}s",
                                         request=request) from None
        if proto.error is not None:
            raise httpx.WriteError(str(proto.error), request=request)

    async def next_event(self, timeout: float | None, request: httpx.Request) -> Any:
        """h11's next event of the response, reading the socket as it needs."""
        conn, proto = self.h11, self.proto
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc), request=request) from exc
            if event is not h11.NEED_DATA:
                if event is h11.PAUSED or type(event) is h11.ConnectionClosed:
                    # Not reachable mid-answer as h11 behaves today; a loop if it ever were.
                    raise httpx.RemoteProtocolError("the connection ended mid-answer",
                                                    request=request)
                return event
            if not proto.chunks and not proto.eof:
                waiter = proto.read_waiter()
                try:
                    async with asyncio.timeout(timeout):
                        await waiter
                except TimeoutError:
                    raise httpx.ReadTimeout(f"no data within {timeout:g}s", request=request) from None
            if proto.chunks:
                conn.receive_data(proto.take())
            elif proto.error is not None:
                raise httpx.ReadError(str(proto.error) or type(proto.error).__name__,
                                      request=request)
            elif conn.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("the server closed the connection without an answer",
                                                request=request)
            else:
                conn.receive_data(b"")  # the end: h11 ends a close-delimited body or complains

    def reusable(self) -> bool:
        """Whether the exchange ended cleanly and both sides keep the connection; if so, reset."""
        conn = self.h11
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE and not self.stale:
            conn.start_next_cycle()
            return True
        return False


class _Body(httpx.AsyncByteStream):
    """A response body read from its connection; closing it gives the connection back or closes it."""

    def __init__(self, pools: Http1Pools, conn: _Connection, request: httpx.Request,
                 timeout: float | None) -> None:
        self._pools = pools
        self._conn: _Connection | None = conn
        self._request = request
        self._timeout = timeout
        self._ended = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """The body's chunks as they arrive, until the message ends."""
        conn = self._conn
        if conn is None:
            raise httpx.StreamClosed()
        while True:
            event = await conn.next_event(self._timeout, self._request)
            if type(event) is h11.Data:
                yield bytes(event.data)
            elif type(event) is h11.EndOfMessage:
                self._ended = True
                return

    async def aclose(self) -> None:
        """Keep the connection if the body was read to its end, else close it."""
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pools.release(conn, keep=self._ended and conn.reusable())


class Http1Pools(httpx.AsyncBaseTransport):
    """HTTP/1.1 connections by origin (scheme, host, port), kept alive between requests.

    At most `per_origin` idle connections are kept for one origin, for `max_origins` origins
    (the least recently used beyond that are closed) and for `keepalive_expiry` seconds.
    """

    def __init__(self, *, per_origin: int, max_origins: int, keepalive_expiry: float = 5.0,
                 ssl_context: Callable[[], ssl.SSLContext] = httpx.create_ssl_context) -> None:
        self.per_origin = per_origin
        self.max_origins = max_origins
        self.keepalive_expiry = keepalive_expiry
        self._make_context = ssl_context
        self._context: ssl.SSLContext | None = None
        # Least recently used first: the origins with idle connections, and those connections.
        self._idle: OrderedDict[Origin, list[_Connection]] = OrderedDict()
        self._open: set[_Connection] = set()
        self.opened = 0  # connections opened so far (for tests and benchmarks)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request on an idle connection of its origin, or a new one; stream the answer."""
        url = request.url
        scheme = url.raw_scheme
        if scheme not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}",
                                            request=request)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        origin = (scheme, url.raw_host, url.port or (443 if scheme == b"https" else 80))
        conn = self._take_idle(origin) or await self._connect(origin, request, timeouts)
        try:
            head = await self._exchange(conn, request, timeouts)
        except BaseException:
            self._discard(conn)
            raise
        read = timeouts.get("read")
        return httpx.Response(
            head.status_code, headers=head.headers.raw_items(),
            stream=_Body(self, conn, request, read),
            extensions={"http_version": b"HTTP/" + head.http_version,
                        "reason_phrase": head.reason})

    async def _exchange(self, conn: _Connection, request: httpx.Request,
                        timeouts: dict[str, float | None]) -> Any:
        """Write the request (and its body, if any); read up to the response's head."""
        h = conn.h11
        try:
            data = h.send(h11.Request(method=request.method, target=request.url.raw_path,
                                      headers=request.headers.raw))
            write = timeouts.get("write")
            async for chunk in request.stream:  # type: ignore[union-attr]
                if chunk:
                    await conn.write(data, write, request)
                    data = h.send(h11.Data(data=chunk))
            data += h.send(h11.EndOfMessage())
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc), request=request) from exc
        await conn.write(data, write, request)
        read = timeouts.get("read")
        while True:
            event = await conn.next_event(read, request)
            if type(event) is h11.Response:
                return event
            # An informational answer (100 Continue, 103 Early Hints) precedes the real one.

    def _take_idle(self, origin: Origin) -> _Connection | None:
        """An idle connection of the origin still open and fresh, if there is one."""
        idle = self._idle.get(origin)
        if not idle:
            return None
        expired = time.monotonic() - self.keepalive_expiry
        while idle:
            conn = idle.pop()
            if not conn.stale and conn.idle_since >= expired:
                if not idle:
                    del self._idle[origin]
                return conn
            self._discard(conn)
        del self._idle[origin]
        return None

    async def _connect(self, origin: Origin, request: httpx.Request,
                       timeouts: dict[str, float | None]) -> _Connection:
        """A new connection to the origin (TLS for https) within the connect timeout."""
        scheme, raw_host, port = origin
        host = raw_host.decode("ascii")
        context = None
        if scheme == b"https":
            if self._context is None:  # built on first use: it takes milliseconds
                self._context = self._make_context()
            context = self._context
        timeout = timeouts.get("connect")
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, proto = await loop.create_connection(
                    _Protocol, host, port, ssl=context, server_hostname=host if context else None,
                    happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection within {timeout:g}s",
                                       request=request) from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        assert isinstance(transport, asyncio.Transport)
        conn = _Connection(origin, transport, proto)
        self._open.add(conn)
        self.opened += 1
        return conn

    def release(self, conn: _Connection, *, keep: bool) -> None:
        """A connection whose exchange is over: idle for the next request, or closed."""
        if not keep:
            self._discard(conn)
            return
        conn.idle_since = now = time.monotonic()
        idle = self._idle.get(conn.origin)
        if idle is None:
            idle = self._idle[conn.origin] = []
        else:
            self._idle.move_to_end(conn.origin)
        idle.append(conn)
        if len(idle) > self.per_origin:
            self._discard(idle.pop(0))
        self._evict(now)

    def _evict(self, now: float) -> None:
        """Close the idle connections of origins beyond the cap or unused past the expiry."""
        expired = now - self.keepalive_expiry
        while self._idle:
            origin, idle = next(iter(self._idle.items()))
            if len(self._idle) <= self.max_origins and idle[-1].idle_since >= expired:
                return
            del self._idle[origin]
            for conn in idle:
                self._discard(conn)

    def _discard(self, conn: _Connection) -> None:
        """Close a connection and forget it."""
        self._open.discard(conn)
        conn.close()

    async def aclose(self) -> None:
        """Close every connection, idle or not; one loop turn lets asyncio release the sockets."""
        conns, self._open, self._idle = list(self._open), set(), OrderedDict()
        for conn in conns:
            conn.close()
        if conns:
            await asyncio.sleep(0)
