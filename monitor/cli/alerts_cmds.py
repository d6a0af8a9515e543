"""`monitor alerts list|test|retry`, `monitor deliver` and `monitor reanalyze`."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.app import app, console, err_console, state

if TYPE_CHECKING:
    from sqlalchemy import Engine

# The delivery statuses of monitor.store.outbox.STATUSES, here so that registering the command
# (its --status help) needs no store import; tests/test_cli.py holds the two equal.
STATUSES = ("pending", "sending", "delivered", "failed")

alerts_app = typer.Typer(help="Alerts: the outbox and its deliveries.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


def _engine() -> Engine:
    """The store, at head."""
    from monitor.store.db import make_engine, require_head

    engine = make_engine(state.settings().database.url)
    require_head(engine)
    return engine


def _time(t: datetime | None) -> str:
    """A compact UTC time."""
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if t else ""


@alerts_app.command("list")
def alerts_list(
    status: Annotated[str | None, typer.Option(
        help=f"Only deliveries in this status: {', '.join(STATUSES)}.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines for scripts.")] = False,
) -> None:
    """List alerts, newest first, with each delivery's status, attempts and last error."""
    from rich.table import Table

    from monitor.store.outbox import delivery_counts, list_alerts

    if status is not None and status not in STATUSES:
        err_console.print(f"monitor: --status must be one of {', '.join(STATUSES)}")
        raise typer.Exit(2)
    rows = list_alerts(_engine(), status, limit)
    if as_json:
        for r in rows:
            print(json.dumps(asdict(r), default=str, ensure_ascii=False))
        return
    table = Table("delivery", "event", "type", "created", "channel", "status", "tries",
                  "next / done", "summary / last error")
    for r in rows:
        status_text = r.status or ("no channel" if r.alerted else "history")
        when = _time(r.delivered_at) if r.status == "delivered" else _time(
            r.next_attempt_at) if r.status in ("pending", "sending") else ""
        text = r.summary + (f"\n[red]{r.last_error}[/red]" if r.last_error else "")
        table.add_row(str(r.delivery_id or ""), r.event_id[:8], r.type, _time(r.created_at),
                      r.channel or "", status_text, str(r.attempts), when, text)
    console.print(table)
    counts = delivery_counts(_engine())
    console.print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no deliveries",
                  highlight=False)


@alerts_app.command("test")
def alerts_test(
    channel: Annotated[str, typer.Option("--channel", help="Name of a configured channel.")],
) -> None:
    """Send a test alert through one channel now (not through the outbox)."""
    from monitor.delivery.channel import DeliveryError, build_channels
    from monitor.pipeline import utcnow
    from monitor.store.outbox import Alert

    settings = state.settings()
    if settings.alerts.channel(channel) is None:
        names = ", ".join(c.name for c in settings.alerts.channels) or "none configured"
        err_console.print(f"monitor: no channel {channel!r} (channels: {names})")
        raise typer.Exit(2)
    target = build_channels(settings.alerts)[channel]
    now = utcnow()
    alert = Alert(str(uuid.uuid4()), "test", now, {
        "round": None, "terms": [], "articles": [],
        "summary": f"Test alert from talks-monitor to channel {channel} at {_time(now)} UTC"})
    try:
        target.send([alert])
    except DeliveryError as exc:
        err_console.print(f"monitor: {exc}")
        raise typer.Exit(1) from None
    finally:
        target.close()
    console.print(f"test alert {alert.id} sent to {channel}", highlight=False)


@alerts_app.command("retry")
def alerts_retry(
    ids: Annotated[list[str] | None, typer.Argument(help="Delivery ids or event ids.")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="Every failed delivery.")] = False,
) -> None:
    """Queue failed deliveries again (attempts start over)."""
    from monitor.pipeline import utcnow
    from monitor.store.outbox import retry_deliveries

    if not ids and not all_failed:
        err_console.print("monitor: give delivery or event ids, or --all-failed")
        raise typer.Exit(2)
    n = retry_deliveries(_engine(), utcnow(), ids or [], all_failed=all_failed)
    console.print(f"{n} deliveries queued again", highlight=False)


@app.command("deliver")
def deliver() -> None:
    """Send every due alert of the outbox now, then exit."""
    from monitor.daemon import owner_id
    from monitor.delivery.channel import build_channels
    from monitor.delivery.deliverer import Deliverer
    from monitor.store.outbox import delivery_counts

    settings = state.settings()
    engine = _engine()
    deliverer = Deliverer(engine, build_channels(settings.alerts), settings.alerts, owner_id())
    try:
        report = deliverer.drain()
    finally:
        deliverer.close()
    counts = delivery_counts(engine)
    console.print(f"{report.delivered} delivered, {report.retrying} to retry later, "
                  f"{report.failed} failed; outbox: {counts.get('pending', 0)} pending, "
                  f"{counts.get('failed', 0)} failed", highlight=False)
    if report.failed or (report.retrying and not report.delivered):
        raise typer.Exit(1)


@app.command("reanalyze")
def reanalyze_cmd(
    since: Annotated[str | None, typer.Option(
        help="Only articles published (else fetched) on or after this date, YYYY-MM-DD.")] = None,
) -> None:
    """Run the analysis again over stored articles; update facts; raise only really new events."""
    from monitor.events.reanalyze import reanalyze
    from monitor.events.resolve import Resolver
    from monitor.events.stage import routes_of
    from monitor.pipeline import utcnow
    from monitor.wiring import load_analysis_stage

    settings = state.settings()
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            err_console.print(f"monitor: --since {since!r} is not a date (YYYY-MM-DD)")
            raise typer.Exit(2) from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
    resolver = Resolver(routes_of(settings), settings.alerts.max_age)
    stories = None
    if settings.stories.enabled:
        from monitor.stories import StoryStage

        stories = StoryStage(settings.stories)
    report = reanalyze(_engine(), load_analysis_stage(settings), resolver, utcnow(), start,
                       stories=stories)
    console.print(f"{report.articles} articles analysed again, {report.changed} changed, "
                  f"{report.events} new events", highlight=False)
