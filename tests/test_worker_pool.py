"""Parse processes (the default on a machine with several cores) store what in-thread parsing does.

Everything else in the suite parses in a thread (`fetch.parse_workers = 1`) for speed; here the
real process pool runs: the preloaded forkserver, analysis and fingerprints in the workers, a
first read parsed and analysed in one trip, and later reads checked against the stored keys.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from monitor.pipeline import ProcessPool, make_parse_pool
from monitor.settings import Settings
from monitor.store.db import make_engine
from monitor.store.models import Article, Feed
from monitor.store.story_models import ArticleSignature, StoryBand
from monitor.wiring import after_store_stages, load_analysis_stage
from monitor.worker import PRELOAD_ENV
from tests.feedserver import FeedServer, rss
from tests.helpers import add, poll_all, settings_for
from tests.stories.test_grouping import TITLE
from tests.stories.test_pipeline import _items

HOSTS = ("alpha.example.org", "beta.example.net", "gamma.example.com")


def _snapshot(engine: Engine) -> dict[str, Any]:
    """What a poll leaves, keyed by article link: analysis, signature, buckets, story members."""
    with Session(engine) as s:
        arts = s.exec(select(Article)).all()
        sigs = dict(s.exec(select(ArticleSignature.article_id, ArticleSignature.signature)).all())
        bands: dict[int, set[int]] = {}
        for key, article_id in s.exec(select(StoryBand.key, StoryBand.article_id)).all():
            bands.setdefault(article_id, set()).add(key)
        feeds = {f.url.rsplit("/", 1)[-1]: (f.last_outcome, f.body_hash, f.error_count)
                 for f in s.exec(select(Feed)).all()}
    by_story: dict[int | None, set[str]] = {}
    for a in arts:
        by_story.setdefault(a.story_id, set()).add(str(a.url))
    return {
        "articles": {a.url: (a.title, a.relevant, a.score, json.dumps(a.analysis, sort_keys=True),
                             a.analysis_version, sigs.get(a.id), frozenset(bands.get(a.id, ())))
                     for a in arts},
        "stories": sorted(sorted(members) for members in by_story.values()),
        "feeds": feeds,
    }


def _poll(settings: Settings, engine: Engine, workers: int) -> list[Any]:
    """One pass over every feed with `workers` parse workers, stories and events on."""
    pool = make_parse_pool(workers, settings)
    reports = poll_all(settings, engine, load_analysis_stage(settings),
                       stages=after_store_stages(settings, engine), parse_pool=pool)
    assert isinstance(pool, ProcessPool) == (workers > 1)
    assert not isinstance(pool, ProcessPool) or pool.started  # the processes did the parsing
    return reports


def test_process_pool_stores_what_a_thread_stores(tmp_path: Path, sqlite_template: Path,
                                                   feed_server: FeedServer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """First read (one trip a feed), then a read with one edit and one new item: same store."""
    # make_parse_pool sets this for its server; setenv makes the test put the old value back.
    monkeypatch.setenv(PRELOAD_ENV, "")
    paths = {}
    for host in HOSTS:
        paths[host] = f"/{host}.xml"
        feed_server.add(paths[host], rss(_items(host, TITLE)))
    stores = {}
    for workers in (1, 2):
        path = tmp_path / f"w{workers}.db"
        path.write_bytes(sqlite_template.read_bytes())
        stores[workers] = make_engine(f"sqlite:///{path}")
        for host in HOSTS:
            add(stores[workers], feed_server.url(paths[host]))
    settings = {w: settings_for(str(e.url), parse_workers=w) for w, e in stores.items()}
    first = {w: _poll(settings[w], stores[w], w) for w in stores}
    assert all(r.error is None and r.new_articles == 4 for r in first[2])
    # The second read: one outlet edits its wire story and adds a story of its own.
    items = _items(HOSTS[0], TITLE + ", officials say")
    items.append({"title": "Grain corridor talks resume in Istanbul",
                  "link": f"https://{HOSTS[0]}/grain", "guid": f"{HOSTS[0]}-grain",
                  "description": "Russian and Ukrainian delegations met UN officials in Istanbul "
                                 "to discuss resuming grain exports through the Black Sea.",
                  "pubDate": "Tue, 08 Mar 2022 09:00:00 GMT"})
    feed_server.add(paths[HOSTS[0]], rss(items))
    second = {w: _poll(settings[w], stores[w], w) for w in stores}
    assert sorted((r.new_articles, r.updated_articles) for r in second[2]) == [
        (0, 0), (0, 0), (1, 1)]
    got = {w: _snapshot(e) for w, e in stores.items()}
    for e in stores.values():
        e.dispose()
    assert got[2] == got[1]
    articles = got[2]["articles"]
    assert len(articles) == 13
    # Fingerprinted (and placed in a story) exactly when not found irrelevant (stories.scope).
    assert all(bool(sig) == (relevant is not False)
               for _, relevant, _, _, _, sig, _ in articles.values())
    assert any(relevant for _, relevant, *_ in articles.values())
    assert any(relevant is False for _, relevant, *_ in articles.values())


def _worker_pids(pool: ProcessPool, n: int = 8) -> set[int]:
    """The pids of the pool's workers, as jobs report them."""
    return {pool.submit(os.getpid).result(timeout=60) for _ in range(n)}


def _gone(pids: set[int], timeout: float) -> bool:
    """Whether all these processes end within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{p}").exists() for p in pids):
            return True
        time.sleep(0.1)
    return False


def test_dead_worker_is_replaced_and_ctrl_c_spares_workers(tmp_path: Path, sqlite_template: Path,
                                                          feed_server: FeedServer,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    """SIGINT leaves workers alone; SIGKILL of one gives new workers and the poll still stores."""
    monkeypatch.setenv(PRELOAD_ENV, "")
    path = tmp_path / "m.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    settings = settings_for(str(engine.url), parse_workers=2)
    pool = make_parse_pool(2, settings)
    assert isinstance(pool, ProcessPool)
    try:
        first = _worker_pids(pool)
        for pid in first:
            os.kill(pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole group
        assert _worker_pids(pool) <= first  # the same workers still answer
        assert not _gone(first, 0.5)
        os.kill(min(first), signal.SIGKILL)
        add(engine, feed_server.add("/a.xml", rss(_items(HOSTS[0], TITLE))))
        # The pool breaks under this poll (or just before it): it retries on new workers.
        (report,) = poll_all(settings, engine, load_analysis_stage(settings),
                             stages=after_store_stages(settings, engine), parse_pool=pool)
        assert report.error is None and report.new_articles == 4, report
        assert "a worker process died; starting new workers" in caplog.text
        assert _gone(first, 15)  # the broken pool's other worker is gone too
    finally:
        pool.shutdown()
        engine.dispose()


DAEMON = """
import os, sys, time
from monitor.pipeline import make_parse_pool
pool = make_parse_pool(2)
pids = {pool.submit(os.getpid).result(timeout=60) for _ in range(8)}
print(" ".join(map(str, sorted(pids))), flush=True)
time.sleep(120)
"""


def test_workers_do_not_outlive_a_killed_daemon() -> None:
    """SIGKILL of the process that made the pool: its workers (and so the forkserver) exit."""
    proc = subprocess.Popen([sys.executable, "-c", DAEMON], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        workers = {int(p) for p in proc.stdout.readline().split()}
        assert workers and proc.pid not in workers
        server = {int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1])
                  for p in workers}
        proc.kill()
        proc.wait()
        assert _gone(workers | server, 15), "orphaned parse workers"
    finally:
        if proc.poll() is None:
            proc.kill()
