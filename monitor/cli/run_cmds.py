"""`monitor run` and `monitor poll`: the daemon, and one pass over the feeds."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from collections import Counter
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.app import HostOpt, PortOpt, app, console, err_console, real, state

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from monitor.fetchproc import FetchProcess
    from monitor.values import PollReport


@app.command("run")
def run(host: HostOpt = None, port: PortOpt = None) -> None:
    """Run the daemon: poll due feeds, deliver alerts, serve the API; stops on SIGTERM."""
    from monitor.serve import exec_argv

    state.settings()  # a bad config is reported here, in the command line's words
    argv = exec_argv(str(state.config) if state.config else None, state.log_format, host, port)
    sys.stdout.flush()
    sys.stderr.flush()
    # The daemon continues in this process (same PID) without the command line's modules.
    os.execv(argv[0], argv)


@app.command("poll")
def poll(
    feeds: Annotated[list[str] | None, typer.Argument(help="Feed ids or URLs; default all.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Poll all (or the chosen) enabled feeds once, now, then print a summary."""
    from monitor.fetchproc import Vocabulary, start_processes

    settings = state.settings()
    # One pass over every feed, where wall time counts: one fetch process unless configured.
    # Forked before the store opens and before any thread or event loop (monitor.fetchproc),
    # and before the store's modules are imported (SQLAlchemy and the models, ~0.5 s): the
    # first one loads the vocabulary meanwhile, on the other core (see _poll_once), and none
    # carries modules it never runs.
    procs = start_processes(settings.fetch, default=1,
                            vocabulary=Vocabulary(settings.analysis.config_dir))
    from monitor.pipeline import utcnow
    from monitor.store.db import make_engine, require_head
    from monitor.store.polling import sync_config_feeds

    engine = make_engine(settings.database.url)
    require_head(engine)
    sync_config_feeds(engine, settings.feeds, utcnow())
    ids = None
    if feeds:
        from monitor.store.feeds import list_feeds

        known: dict[str, int] = {}
        for f in list_feeds(engine):
            known[str(f.id)] = known[f.url] = f.id
        missing = [k for k in feeds if k not in known]
        if missing:
            err_console.print(f"monitor: no such feed: {', '.join(missing)}")
            raise typer.Exit(2)
        ids = [known[k] for k in feeds]
    # What was imported and built so far lives as long as the poll: the collector's passes
    # skip it (one full pass over SQLAlchemy's and pydantic's objects cost ~35 ms mid-poll).
    gc.freeze()
    reports = asyncio.run(_poll_once(engine, ids, quiet, procs))
    _summary(reports)
    engine.dispose()
    if reports and all(r.error for r in reports):
        raise typer.Exit(1)


async def _poll_once(engine: Engine, ids: list[int] | None, quiet: bool,
                     procs: list[FetchProcess]) -> list[PollReport]:
    """Lease the feeds, poll them with a progress bar, release what was not polled."""
    from monitor.daemon import owner_id, poll_batch
    from monitor.fetchproc import make_fetcher
    from monitor.pipeline import Pipeline, make_parse_pool, utcnow
    from monitor.store.polling import claim_feeds, release_feeds
    from monitor.wiring import after_store_stages, load_analysis_stage

    settings = state.settings()
    # A broken vocabulary stops the poll before any feed is claimed (exit 2, no feed blamed).
    stage = load_analysis_stage(settings, procs[0].vocabulary_check() if procs else None)
    owner = owner_id()
    refs = claim_feeds(engine, owner, utcnow(), settings.scheduler.lease, limit=1_000_000,
                       ids=ids, due_only=False)
    fetcher = make_fetcher(settings.fetch, procs)
    pipeline = Pipeline(engine, settings, fetcher, owner, stage,
                        parse_pool=make_parse_pool(settings.fetch.parse_workers, settings),
                        after_store=after_store_stages(settings, engine))
    try:
        if quiet:
            return await poll_batch(pipeline, refs)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("polling"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=real(err_console)) as progress:
            task = progress.add_task("poll", total=len(refs))
            return await poll_batch(pipeline, refs, on_done=lambda _r: progress.advance(task))
    finally:
        await fetcher.aclose()
        pipeline.close()
        release_feeds(engine, owner, [r.id for r in refs])


def _summary(reports: list[PollReport]) -> None:
    """ok / not modified / failed / new articles, and the failures by feed."""
    kinds = Counter("ok" if r.outcome in ("ok", "unchanged") and not r.error
                    else "not modified" if r.outcome == "not_modified"
                    else "failed" for r in reports)
    new = sum(r.new_articles for r in reports)
    # A plain line: rich is loaded only for the table of failures (see cli.app._LazyConsole).
    print(f"{len(reports)} feeds: {kinds['ok']} ok, {kinds['not modified']} not modified, "
          f"{kinds['failed']} failed; {new} new articles", flush=True)
    failed = [r for r in reports if r.error]
    if failed:
        from rich.table import Table

        table = Table("feed", "url", "outcome", "error")
        for r in failed:
            table.add_row(str(r.feed_id), r.url, r.outcome, (r.error or "")[:100])
        console.print(table)
