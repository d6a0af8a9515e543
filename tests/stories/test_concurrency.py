"""Two daemons storing copies of one story at the same moment still make one story."""

from __future__ import annotations

import threading

from sqlalchemy import Engine
from sqlmodel import Session, select

from monitor.settings import StorySettings
from monitor.store.articles import store_entries
from monitor.store.db import make_engine, session_scope
from monitor.store.models import Article
from monitor.stories import StoryStage
from monitor.values import Analysed
from tests.stories.conftest import NOW, entry, outlet_feed
from tests.stories.test_grouping import TITLE, WIRE


def test_copies_placed_by_two_daemons_at_once_share_a_story(db_url: str, engine: Engine) -> None:
    """The second transaction waits for the first's commit, then finds its copy."""
    feeds = [outlet_feed(engine, "one.example.org"), outlet_feed(engine, "two.example.org")]
    placed, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def daemon(k: int) -> None:
        eng = make_engine(db_url)  # a daemon of its own: its own pool and connections
        try:
            with session_scope(eng) as s:
                e = entry(TITLE, WIRE, f"https://{k}.example.org/story")
                stored = store_entries(s, feeds[k], [Analysed(e)], NOW, {})
                StoryStage(StorySettings())(s, stored, NOW)
                if k == 0:
                    placed.set()
                    release.wait(10)  # hold the transaction open while the other one runs
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            eng.dispose()

    first = threading.Thread(target=daemon, args=(0,))
    first.start()
    assert placed.wait(10)
    second = threading.Thread(target=daemon, args=(1,))
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the first transaction, not racing past it
    release.set()
    first.join(10)
    second.join(10)
    assert not errors, errors
    with Session(engine) as s:
        story_ids = s.exec(select(Article.story_id)).all()
    assert len(story_ids) == 2 and story_ids[0] is not None and len(set(story_ids)) == 1
