"""Parse processes (the default on a machine with several cores) store what in-thread parsing does.

Everything else in the suite parses in a thread (`fetch.parse_workers = 1`) for speed; here the
real process pool runs: the preloaded forkserver, analysis and fingerprints in the workers, a
first read parsed and analysed in one trip, and later reads checked against the stored keys.
"""

from __future__ import annotations

import json
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
