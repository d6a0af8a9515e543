"""The stories stage wired into polling: grouping across feeds, edits, title history."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from monitor.pipeline import utcnow
from monitor.store.feeds import add_feed
from monitor.store.models import Article
from monitor.store.story_models import Story
from monitor.stories import StoryStage, story_outlets, title_history
from monitor.wiring import Deferred, after_store_stages, load_analysis_stage
from tests.feedserver import FeedServer, rss
from tests.helpers import add, settings_for
from tests.stories.conftest import poll_with
from tests.stories.test_grouping import TITLE, WIRE, _templated


def _items(host: str, wire_title: str) -> list[dict[str, str]]:
    """One outlet's feed: the wire story, a templated round story, one of its own."""
    t2, b2 = _templated("second", 3)
    t3, b3 = _templated("third", 7)
    return [
        {"title": wire_title, "link": f"https://{host}/wire", "guid": f"{host}-wire",
         "description": f"{WIRE} Continue reading...", "pubDate": "Thu, 03 Mar 2022 18:00:00 GMT"},
        {"title": t2, "link": f"https://{host}/r2", "guid": f"{host}-r2", "description": b2,
         "pubDate": "Thu, 03 Mar 2022 20:00:00 GMT"},
        {"title": t3, "link": f"https://{host}/r3", "guid": f"{host}-r3", "description": b3,
         "pubDate": "Mon, 07 Mar 2022 20:00:00 GMT"},
        {"title": f"{host} weather", "link": f"https://{host}/own", "guid": f"{host}-own",
         "description": f"Snow is expected over the weekend, {host} forecasters said.",
         "pubDate": "Mon, 07 Mar 2022 21:00:00 GMT"},
    ]


def _stories(engine: Engine) -> dict[str, int | None]:
    """Article link → story id."""
    with Session(engine) as s:
        return {str(url): sid for url, sid in s.exec(select(Article.url, Article.story_id)).all()}


def test_stage_is_wired_first(db_url: str) -> None:
    """The daemon and `monitor poll` run the stories stage before any other."""
    stages = after_store_stages(settings_for(db_url), None)  # type: ignore[arg-type]
    assert isinstance(stages[0], Deferred) and isinstance(stages[0].stage, StoryStage)
    assert stages[0].shape == stages[0].stage.shape
    assert stages[0].relevant_only == stages[0].stage.relevant_only


def test_poll_groups_across_feeds_and_keeps_rounds_apart(db_url: str, engine: Engine,
                                                          feed_server: FeedServer) -> None:
    """Two outlets, real analyzer: wire copies merge, second and third round stay two stories."""
    settings = settings_for(db_url)
    for host in ("alpha.example.org", "beta.example.net"):
        # Both are served from 127.0.0.1 with one site link; their names tell the outlets apart.
        add_feed(engine, feed_server.add(f"/{host}.xml", rss(_items(host, TITLE))), name=host,
                 now=utcnow())
    poll_with(settings, engine, [StoryStage(settings.stories)], load_analysis_stage(settings))
    by_url = _stories(engine)
    a, b = "https://alpha.example.org", "https://beta.example.net"
    # The weather reports are not about the talks: by default they are in no story.
    assert {u: sid for u, sid in by_url.items() if sid is None} == {f"{a}/own": None,
                                                                   f"{b}/own": None}
    assert by_url[f"{a}/wire"] == by_url[f"{b}/wire"]
    assert by_url[f"{a}/r2"] == by_url[f"{b}/r2"]
    assert by_url[f"{a}/r3"] == by_url[f"{b}/r3"]
    assert by_url[f"{a}/r2"] != by_url[f"{a}/r3"]
    with Session(engine) as s:
        assert len(s.exec(select(Story)).all()) == 3
        wire = s.exec(select(Article.id).where(Article.url == f"{b}/wire")).one()
        # The two feeds are polled concurrently: either may come first.
        assert sorted(story_outlets(s, wire)) == ["alpha.example.org", "beta.example.net"]


def test_reedited_title_updates_in_place_and_keeps_history(db_url: str, engine: Engine,
                                                            feed_server: FeedServer) -> None:
    """Same GUID, new title twice: one article, its titles kept in order, its story unchanged."""
    settings = settings_for(db_url)
    items = _items("gamma.example.org", TITLE)[:1]
    url = feed_server.add("/g.xml", rss(items))
    add(engine, url)
    stage = StoryStage(settings.stories)
    poll_with(settings, engine, [stage])
    first = _stories(engine)
    titles = [TITLE, "Corridors agreed at second round, ceasefire still far off",
              "Second round ends with corridors deal; third meeting set"]
    for title in titles[1:]:
        items[0]["title"] = title
        feed_server.routes["/g.xml"].body = rss(items)
        reports = poll_with(settings, engine, [stage])
        assert reports[0].updated_articles == 1
    assert _stories(engine) == first
    with Session(engine) as s:
        (article_id,) = s.exec(select(Article.id)).all()
        assert title_history(s, article_id) == titles
        story = s.exec(select(Story)).one()
        assert story.article_count == 1
