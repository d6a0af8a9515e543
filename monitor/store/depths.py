"""How much work waits in the store: the queue depths the metrics report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from monitor.store.facts_models import Delivery
from monitor.store.feeds import due_count


def queue_depths(engine: Engine, now: datetime) -> dict[str, int]:
    """Feeds due for a poll and deliveries by state (pending, sending, failed)."""
    depths = {"feeds_due": due_count(engine, now)}
    with Session(engine) as s:
        rows = s.exec(select(Delivery.status, func.count()).where(
            col(Delivery.status).in_(("pending", "sending", "failed"))).group_by(
            col(Delivery.status))).all()
    for status in ("pending", "sending", "failed"):
        depths[f"deliveries_{status}"] = 0
    for status, n in rows:
        depths[f"deliveries_{status}"] = int(n)
    return depths
