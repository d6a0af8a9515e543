"""An httpcore network backend on asyncio's own transports, for fewer system calls per fetch.

httpcore runs its sockets through anyio by default. On asyncio that costs, per request on a
kept-alive connection: a getpeername() and a poll() to ask whether the idle connection is
still open, and a reader registered and unregistered with epoll around every receive. A poll
of thousands of unchanged feeds is mostly such requests (this backend took ~20% off a 304's
CPU). Here a connection's protocol keeps reading while it is idle (up to a high-water mark),
so a read takes what has already arrived and "is the idle connection readable" is answered
from its state. httpcore's `network_backend` argument is the documented place for this; the
HTTP itself is still httpcore's and h11's.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Iterable
from typing import Any

import httpcore
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

# Stop reading from the socket while this much is buffered and unread; resume below LOW.
HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024
# Time given to the other addresses of a host once one has started connecting (RFC 8305).
HAPPY_EYEBALLS_DELAY = 0.25

SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]


class _Protocol(asyncio.Protocol):
    """Buffers what the socket delivers; wakes the one reader or writer waiting."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.eof = False
        self.error: BaseException | None = None
        self.paused_reading = False
        self._read_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self.paused_writing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport (TLS replaces it through start_tls)."""
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
        """The peer finished sending; close our side too (HTTP/1.1 has no half-close use)."""
        self.eof = True
        self._wake_reader()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: readers see the end, or the error; writers the error."""
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

    def take(self, max_bytes: int) -> bytes:
        """Up to max_bytes of what is buffered (a chunk whole when it fits)."""
        chunk = self.chunks.popleft()
        if len(chunk) > max_bytes:
            self.chunks.appendleft(chunk[max_bytes:])
            chunk = chunk[:max_bytes]
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


class AsyncioStream(AsyncNetworkStream):
    """One connection: httpcore's reads and writes on an asyncio transport."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """What has arrived (up to max_bytes), waiting for some if none has; b"" at the end."""
        proto = self._protocol
        if not proto.chunks and not proto.eof:
            waiter = proto.read_waiter()
            try:
                async with asyncio.timeout(timeout):
                    await waiter
            except TimeoutError:
                raise httpcore.ReadTimeout(f"no data within {timeout:g}s") from None
        if proto.chunks:
            return proto.take(max_bytes)
        if proto.error is not None:
            raise httpcore.ReadError(str(proto.error) or type(proto.error).__name__)
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Hand the bytes to the transport; wait only while it applies back-pressure."""
        if not buffer:
            return
        proto = self._protocol
        if proto.error is not None or self._transport.is_closing():
            raise httpcore.WriteError(str(proto.error or "the connection is closed"))
        self._transport.write(buffer)
        while proto.paused_writing and not proto.eof:
            try:
                async with asyncio.timeout(timeout):
                    await proto.drain_waiter()
            except TimeoutError:
                raise httpcore.WriteTimeout(f"could not write within {timeout:g}s") from None
        if proto.error is not None:
            raise httpcore.WriteError(str(proto.error))

    async def aclose(self) -> None:
        """Close the connection; one loop turn lets asyncio release the socket."""
        if not self._transport.is_closing():
            self._transport.close()
            await asyncio.sleep(0)

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncNetworkStream:
        """The same connection wrapped in TLS, its handshake done within timeout."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(self._transport, self._protocol, ssl_context,
                                                 server_hostname=server_hostname)
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"no TLS handshake within {timeout:g}s") from None
        except (OSError, ssl.SSLError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if transport is None:  # the connection closed during the handshake
            raise httpcore.ConnectError("connection closed during the TLS handshake")
        assert isinstance(transport, asyncio.Transport)
        self._protocol.transport = transport
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        """What httpcore asks of a connection; is_readable from state, without a system call."""
        if info == "is_readable":
            # An idle HTTP/1.1 connection that has anything to read has been closed by the
            # server (or sent garbage): either way it must not be reused.
            return bool(self._protocol.chunks) or self._protocol.eof
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(AsyncNetworkBackend):
    """Connections made by the running asyncio loop."""

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[SocketOption] | None = None
                          ) -> AsyncNetworkStream:
        """A TCP connection to host:port within timeout."""
        local = (local_address, 0) if local_address else None
        return await _connect(asyncio.get_running_loop().create_connection(
            _Protocol, host, port, local_addr=local, happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY),
            timeout, socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[SocketOption] | None = None
                                  ) -> AsyncNetworkStream:
        """A connection to a Unix socket within timeout."""
        return await _connect(asyncio.get_running_loop().create_unix_connection(_Protocol, path),
                              timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        """Wait (httpcore's retries use it)."""
        await asyncio.sleep(seconds)


async def _connect(opening: Awaitable[tuple[asyncio.BaseTransport, _Protocol]],
                   timeout: float | None,
                   socket_options: Iterable[SocketOption] | None) -> AsyncioStream:
    """The stream of a connection being opened, within timeout, with its socket options set."""
    try:
        async with asyncio.timeout(timeout):
            transport, protocol = await opening
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"no connection within {timeout:g}s") from None
    except OSError as exc:
        raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
    assert isinstance(transport, asyncio.Transport)
    sock: socket.socket | None = transport.get_extra_info("socket")
    if sock is not None:
        for option in socket_options or ():
            sock.setsockopt(*option)
    return AsyncioStream(transport, protocol)
