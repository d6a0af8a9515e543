"""Many outlets reporting one round: one alert, which lists the outlets of its story."""

from __future__ import annotations

from email.utils import format_datetime

from sqlmodel import Session, select

from monitor.pipeline import utcnow
from monitor.settings import load_settings
from monitor.store.db import make_engine
from monitor.store.facts_models import Event
from monitor.store.feeds import add_feed
from monitor.store.models import Article
from monitor.store.stories import story_outlets
from monitor.wiring import after_store_stages, load_analysis_stage
from tests.feedserver import FeedServer, rss
from tests.helpers import poll_all

OUTLETS = ["Wire A", "Daily B", "Herald C", "Times D", "Post E", "Courier F"]


def test_fifty_copies_make_one_alert_naming_their_outlets(db_url: str,
                                                          feed_server: FeedServer) -> None:
    """Syndicated copies in several feeds give one round.new; its story gathers every outlet."""
    now = utcnow()
    pub = format_datetime(now)
    text = ("Russian and Ukrainian delegations held a second round of direct talks in Istanbul "
            "on {day}, agreeing to a new exchange of prisoners of war but no ceasefire, "
            "officials from both sides said after the meeting in the Ciragan palace.")
    settings = load_settings(None, database={"url": db_url}, fetch={"parse_workers": 1},
                             alerts={"max_age": "2d"})
    engine = make_engine(db_url)
    for k, name in enumerate(OUTLETS):
        host = name.lower().replace(" ", "")
        items = [{"title": f"Russia and Ukraine hold second round of talks in Istanbul ({name})",
                  "link": f"https://{host}.example/world/talks-{k}", "guid": f"{host}-1",
                  "description": text.format(day=f"{now:%A}"), "pubDate": pub}]
        add_feed(engine, feed_server.add(f"/{host}.xml", rss(items)), name=name, now=now)
    poll_all(settings, engine, load_analysis_stage(settings),
             stages=after_store_stages(settings, engine))
    with Session(engine) as s:
        events = list(s.exec(select(Event).where(Event.type == "round.new")))
        assert len(events) == 1, [e.payload.get("summary") for e in events]
        payload = events[0].payload
        # The alert goes out with the first copy, naming the outlets known then; the copies
        # that follow join its story instead of alerting again.
        assert payload["round"]["venue"]["city"] == "Istanbul"
        assert payload["outlets"] and set(payload["outlets"]) <= set(OUTLETS)
        assert all(a["outlets"] for a in payload["articles"])
        first = s.exec(select(Article.id).where(Article.title == payload["articles"][0]["title"])).one()
        assert sorted(story_outlets(s, first)) == sorted(OUTLETS)
    engine.dispose()
