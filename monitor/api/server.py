"""Serving the app inside the daemon's event loop, stopped with the daemon."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator

import uvicorn

from monitor.api.app import create_app
from monitor.settings import Settings

log = logging.getLogger("monitor.api")


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the daemon, which owns the shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Install nothing: the daemon's handlers stay in place."""
        yield


def server_hook(settings: Settings, liveness: Callable[[], bool] | None = None
                ) -> Callable[[asyncio.Event], Awaitable[None]]:
    """A coroutine function serving the app until the daemon's stop event is set."""

    async def serve(stop: asyncio.Event) -> None:
        config = uvicorn.Config(create_app(settings, liveness=liveness), host=settings.server.host,
                                port=settings.server.port, log_config=None, lifespan="on")
        server = EmbeddedServer(config)
        task = asyncio.create_task(server.serve())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        stopping.cancel()
        try:
            await task
        except SystemExit:  # uvicorn exits when it cannot bind; the daemon goes on without it
            log.error("api: cannot serve on %s:%s; the daemon runs without the API",
                      settings.server.host, settings.server.port)

    return serve
