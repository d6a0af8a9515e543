"""The FastAPI application: read-only API, web page and Atom feeds over one QueryService."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from monitor import metrics
from monitor.api import atom, errors, routes, web
from monitor.api import metrics as metrics_route
from monitor.query import Limits, QueryService
from monitor.settings import Settings
from monitor.store.depths import queue_depths
from monitor.store.feeds import HealthRule

DESCRIPTION = """Read-only access to the peace-talks monitor's store: articles (full-text search
with filters and cursor pages), rounds of talks, ceasefire terms, feeds and alerts.

Every query runs read-only under a time limit (`server.query_timeout`) and a row cap
(`server.max_rows`); a page says `truncated: true` when the cap cut it. Every error has the
same JSON shape: `{"error": {"status", "code", "message", "details"}}`."""


def create_app(settings: Settings, *, service: QueryService | None = None,
               liveness: Callable[[], bool] | None = None) -> FastAPI:
    """The app; `liveness` tells /readyz whether the daemon's scheduler is alive."""
    svc = service or QueryService(settings.database.url, Limits.from_settings(settings.server),
                                      health=HealthRule.of(settings.fetch))
    owned = service is None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            svc.close()

    app = FastAPI(title="Peace talks monitor", version="1", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.service = svc
    app.state.liveness = liveness
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(atom.router)
    app.include_router(web.router)
    app.include_router(metrics_route.router)
    metrics.register_store_gauges(lambda: queue_depths(svc.engine, datetime.now(UTC)))
    return app
