"""Serving the app inside the daemon's event loop, stopped with the daemon."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator

import uvicorn

from monitor.api.app import create_app
from monitor.errors import MonitorError
from monitor.settings import Settings

log = logging.getLogger("monitor.api")


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the daemon, which owns the shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing: the daemon's handlers stay in place."""
        yield


def server_hook(settings: Settings, liveness: Callable[[], bool] | None = None,
                required: bool = False) -> Callable[[asyncio.Event], Awaitable[None]]:
    """A coroutine function serving the app until the stop event is set.

    Inside the daemon (`required` false) a port that cannot be bound is logged and the daemon
    polls on without the API; for `monitor serve` it is an error.
    """

    async def serve(stop: asyncio.Event) -> None:
        host, port = settings.server.host, settings.server.port
        try:
            # Bound here, not by uvicorn: uvicorn calls sys.exit on a bind error, and a
            # SystemExit raised in a task escapes the whole event loop.
            sock = _bind(host, port)
        except OSError as exc:
            if required:
                raise MonitorError(f"api: cannot serve on {host}:{port}: {exc.strerror}") from None
            log.error("api: cannot serve on %s:%s (%s); the daemon runs without the API",
                      host, port, exc.strerror)
            return
        config = uvicorn.Config(create_app(settings, liveness=liveness), log_config=None,
                                lifespan="on")
        server = EmbeddedServer(config)

        async def run() -> None:
            try:
                await server.serve(sockets=[sock])
            except SystemExit:  # a failed startup; logged by uvicorn
                log.error("api: the server failed to start")

        task = asyncio.create_task(run())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        stopping.cancel()
        await task
        sock.close()

    return serve


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (IPv4 or IPv6 as the host resolves)."""
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    return socket.create_server((host, port), family=family, backlog=2048)


def serve_until_signal(settings: Settings) -> None:
    """`monitor serve`: the app alone until SIGTERM or SIGINT, then a clean exit (status 0)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await server_hook(settings, required=True)(stop)

    asyncio.run(main())
