"""GET /metrics: the Prometheus exposition of this process, with queue depths from the store."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from monitor import metrics

router = APIRouter()


@router.get("/metrics", tags=["operations"], response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}})
def scrape(request: Request) -> Response:
    """Counters of this process (polls, fetch latency, articles, events, deliveries, takeovers)."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
