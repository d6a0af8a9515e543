"""The outbox read side: claiming due deliveries with leases, recording outcomes, listing, retrying."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, text, update
from sqlmodel import Session, col, select

from monitor import metrics
from monitor.store.db import session_scope
from monitor.store.facts_models import Delivery, Event

STATUSES = ("pending", "sending", "delivered", "failed")


@dataclass(frozen=True, slots=True)
class Alert:
    """An event as channels send it; `id` is the webhook-id and the Message-ID's local part."""

    id: str
    type: str
    created_at: datetime
    payload: dict[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery leased to this process: send it, then record the outcome."""

    delivery_id: int
    channel: str
    attempts: int
    alert: Alert


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One line of `monitor alerts list`: an event and one of its deliveries (if any)."""

    event_id: str
    type: str
    created_at: datetime
    alerted: bool
    summary: str
    delivery_id: int | None = None
    channel: str | None = None
    status: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None


def _alert(e: Event) -> Alert:
    """A row as a value."""
    assert e.created_at is not None
    return Alert(e.id, e.type, e.created_at, e.payload)


def claim_deliveries(engine: Engine, owner: str, now: datetime, lease: timedelta,
                     limit: int = 50) -> list[Claimed]:
    """Lease due deliveries (and ones whose lease expired) to `owner`, counting the attempt."""
    with session_scope(engine) as s:
        if s.get_bind().dialect.name == "sqlite":
            # Take the write lock before reading, so two processes cannot claim one row.
            s.execute(text("UPDATE deliveries SET id = id WHERE 0"))
        stmt = select(Delivery).where(or_(
            and_(col(Delivery.status) == "pending", col(Delivery.next_attempt_at) <= now),
            and_(col(Delivery.status) == "sending", col(Delivery.lease_expires_at) < now),
        )).order_by(col(Delivery.next_attempt_at), col(Delivery.id)).limit(limit)
        if s.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list(s.exec(stmt))
        if not rows:
            return []
        events = {e.id: e for e in s.exec(select(Event).where(
            col(Event.id).in_({r.event_id for r in rows})))}
        out = []
        for r in rows:
            if r.status == "sending":  # its holder died or stalled past the lease
                metrics.LEASE_TAKEOVERS.labels("delivery").inc()
            r.status, r.lease_owner, r.lease_expires_at = "sending", owner, now + lease
            r.attempts += 1
            assert r.id is not None
            out.append(Claimed(r.id, r.channel, r.attempts, _alert(events[r.event_id])))
        return out


def mark_delivered(engine: Engine, ids: Sequence[int], owner: str, now: datetime) -> int:
    """Record success of deliveries this owner still holds."""
    with session_scope(engine) as s:
        result = s.execute(update(Delivery).where(
            col(Delivery.id).in_(list(ids)), col(Delivery.lease_owner) == owner,
            col(Delivery.status) == "sending",
        ).values(status="delivered", delivered_at=now, lease_owner=None, lease_expires_at=None))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def mark_attempt_failed(engine: Engine, delivery_id: int, owner: str, error: str,
                        retry_at: datetime | None) -> None:
    """Record a failed attempt: retry at `retry_at`, or give up (failed) when it is None."""
    with session_scope(engine) as s:
        s.execute(update(Delivery).where(
            col(Delivery.id) == delivery_id, col(Delivery.lease_owner) == owner,
            col(Delivery.status) == "sending",
        ).values(status="pending" if retry_at else "failed", last_error=error[:2000],
                 next_attempt_at=retry_at or Delivery.next_attempt_at,
                 lease_owner=None, lease_expires_at=None))


def list_alerts(engine: Engine, status: str | None = None, limit: int = 100) -> list[AlertRow]:
    """Newest events first with their deliveries; with a status, only deliveries in it."""
    with Session(engine) as s:
        stmt: Any = select(Event, Delivery).join(
            Delivery, col(Delivery.event_id) == col(Event.id), isouter=status is None)
        if status:
            stmt = stmt.where(col(Delivery.status) == status)
        stmt = stmt.order_by(col(Event.seq).desc(), col(Delivery.id)).limit(limit)
        out = []
        for e, d in s.exec(stmt):
            assert e.created_at is not None
            row = AlertRow(e.id, e.type, e.created_at, e.alerted, e.payload.get("summary", ""))
            if d is not None:
                row = AlertRow(e.id, e.type, e.created_at, e.alerted, row.summary, d.id, d.channel,
                               d.status, d.attempts, d.next_attempt_at, d.delivered_at,
                               d.last_error)
            out.append(row)
        return out


def retry_deliveries(engine: Engine, now: datetime, ids: Sequence[str] = (),
                     all_failed: bool = False) -> int:
    """Queue failed deliveries again, by delivery id or event id, or all failed ones."""
    with session_scope(engine) as s:
        stmt = update(Delivery).where(col(Delivery.status) == "failed")
        if not all_failed:
            numbers = [int(i) for i in ids if i.isdigit()]
            uuids = [i for i in ids if not i.isdigit()]
            stmt = stmt.where(or_(col(Delivery.id).in_(numbers), col(Delivery.event_id).in_(uuids)))
        result = s.execute(stmt.values(status="pending", attempts=0, next_attempt_at=now,
                                       lease_owner=None, lease_expires_at=None))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delivery_counts(engine: Engine) -> dict[str, int]:
    """How many deliveries are in each status."""
    from sqlalchemy import func

    with Session(engine) as s:
        rows = s.exec(select(Delivery.status, func.count()).group_by(col(Delivery.status)))
        return {status: int(n) for status, n in rows}
