"""Near-duplicates become one story; retellings and other rounds stay apart; on both backends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from monitor.settings import StorySettings
from monitor.store.models import Article, Feed
from monitor.store.stories import prune_stories
from monitor.store.story_models import Story, StoryBand
from monitor.stories import StoryStage, story_outlets
from monitor.stories.minhash import similarity, unpack
from monitor.stories.rounds import round_keys, rounds_agree
from tests.stories.conftest import NOW, entry, outlet_feed, store_and_place

WIRE = ("Russian and Ukrainian delegations met on Thursday near the Polish border for a second "
        "round of talks, agreeing to set up humanitarian corridors for civilians fleeing the "
        "fighting and to consider a temporary ceasefire along those routes, negotiators said. "
        "Mykhailo Podolyak, an adviser to the Ukrainian president, said the results fell short "
        "of what Kyiv had hoped for, while Vladimir Medinsky, who led the Russian side, said a "
        "third meeting would follow soon.")
TITLE = "Russia and Ukraine agree on humanitarian corridors at second round of talks"


def stories_of(engine: Engine, ids: list[int]) -> list[int | None]:
    """The story of each article, in order."""
    with Session(engine) as s:
        by_id = dict(s.exec(select(Article.id, Article.story_id)
                            .where(Article.id.in_(ids))).all())  # type: ignore[union-attr]
    return [by_id[i] for i in ids]


def test_syndicated_copies_with_different_boilerplate_merge(engine: Engine) -> None:
    """Wire copy in three outlets' dress (dateline, HTML, footers, link lists) is one story."""
    copies = [
        ("apnews.com", TITLE, f"KYIV, Ukraine (AP) — {WIRE} Continue reading...", "https://apnews.com/a1"),
        ("abcnews.go.com", TITLE.upper(),
         f"<p>{WIRE}</p><p>The post Talks agree corridors appeared first on ABC News.</p>",
         "https://abcnews.go.com/International/wireStory/a1"),
        ("wtop.com", f"{TITLE} - WTOP News",
         f"{WIRE.replace('Ukrainian president', 'Ukrainian president’s office')} Read more: "
         "• Zelensky asks for jets • Watch: scenes from Kharkiv",
         "https://wtop.com/europe/2022/03/a1/"),
    ]
    ids = []
    for host, title, summary, url in copies:
        feed = outlet_feed(engine, host)
        ids += [a.id for a in store_and_place(engine, feed, [entry(title, summary, url)])]
    story_ids = stories_of(engine, ids)
    assert story_ids[0] is not None and len(set(story_ids)) == 1
    with Session(engine) as s:
        story = s.get(Story, story_ids[0])
        assert story is not None
        assert story.article_count == 3 and story.representative_id == ids[0]
        assert story.outlets == ["apnews.com", "abcnews.go.com", "wtop.com"]
        assert story_outlets(s, ids[2]) == ["apnews.com", "abcnews.go.com", "wtop.com"]
        # One row per band, probed by index: the buckets are what later articles meet.
        bands = s.exec(select(func.count()).select_from(StoryBand)).one()
        assert bands == 3 * StorySettings().bands


def test_same_event_in_independent_words_stays_apart(engine: Engine) -> None:
    """By design: two reporters' own accounts of one meeting are two stories, not copies.

    Near-duplicate text finds copies and edits; telling that two different texts report one
    event is the events stage's job (round identity), which links them without merging.
    """
    feed_a, feed_b = outlet_feed(engine, "bbc.co.uk"), outlet_feed(engine, "aljazeera.com")
    a = store_and_place(engine, feed_a, [entry(TITLE, WIRE, "https://bbc.co.uk/n/1")])
    b = store_and_place(engine, feed_b, [entry(
        "Kyiv and Moscow negotiators back safe passage for civilians",
        "Meeting for the second time since the invasion began, the two sides' envoys settled on "
        "routes to evacuate residents of besieged cities. Ukraine's team called the outcome "
        "disappointing; Moscow's chief negotiator promised more talks within days.",
        "https://aljazeera.com/news/2")])
    first, second = stories_of(engine, [a[0].id, b[0].id])
    assert first is not None and second is not None and first != second


ROUND2 = {"rounds": [{"ordinal": 2, "venue": {"city": None, "region": "Brest",
                                               "country": "Belarus"},
                      "date": "2022-03-03", "status": "held", "parties": ["RU", "UA"]}]}
ROUND3 = {"rounds": [{"ordinal": 3, "venue": {"city": None, "region": "Brest",
                                               "country": "Belarus"},
                      "date": "2022-03-07", "status": "held", "parties": ["RU", "UA"]}]}


def _templated(ordinal: str, day: int) -> tuple[str, str]:
    """A story written from the same template, for another round."""
    title = f"Russia and Ukraine hold {ordinal} round of talks in Belarus"
    body = (f"Delegations from Russia and Ukraine met in Belarus on Monday {day} March for a "
            f"{ordinal} round of talks aimed at ending the fighting, officials from both sides "
            "said. The talks in the Belovezhskaya Pushcha forest near the Polish border focused "
            "on a ceasefire and on humanitarian corridors for civilians, the Ukrainian "
            "presidential adviser Mykhailo Podolyak said, adding that no breakthrough was "
            "expected and that the delegations would report back to their capitals.")
    return title, body


def test_templated_stories_about_different_rounds_stay_apart(engine: Engine) -> None:
    """A "third round" story written from the "second round" one is close text, another round."""
    feed = outlet_feed(engine, "news.example.org")
    t2, b2 = _templated("second", 3)
    t3, b3 = _templated("third", 7)
    e2 = entry(t2, b2, "https://news.example.org/r2", published=NOW - timedelta(days=7))
    e3 = entry(t3, b3, "https://news.example.org/r3", published=NOW - timedelta(days=3))
    stage = StoryStage(StorySettings(window=timedelta(days=14)))
    sig2, sig3 = stage.fingerprint(e2).signature, stage.fingerprint(e3).signature
    assert sig2 is not None and sig3 is not None
    assert similarity(unpack(sig2), unpack(sig3)) >= stage.settings.threshold  # textually a near-duplicate
    a2 = store_and_place(engine, feed, [e2], stage, [ROUND2])
    a3 = store_and_place(engine, feed, [e3], stage, [ROUND3])
    s2, s3 = stories_of(engine, [a2[0].id, a3[0].id])
    assert s2 != s3
    # A copy with no round mention (say, unanalysed) goes to the closest story, the third round.
    e3b = entry(t3, b3, "https://news.example.org/r3-copy", published=NOW - timedelta(days=3))
    a3b = store_and_place(engine, feed, [e3b], stage, [None])
    assert stories_of(engine, [a3b[0].id]) == [s3]


def test_round_identity_rule() -> None:
    """GUIDE §2: venue agrees and dates within 2 days (3 when estimated); ordinals must agree."""
    def key(ordinal: Any, country: str | None, day: str | None) -> list[dict[str, Any]]:
        mention = {"ordinal": ordinal, "venue": {"city": None, "country": country}, "date": day}
        return round_keys({"rounds": [mention]}, NOW)

    assert rounds_agree(key(2, "Belarus", "2022-03-03"), key(None, "Belarus", "2022-03-04"))
    assert not rounds_agree(key(2, "Belarus", "2022-03-03"), key(3, "Belarus", "2022-03-03"))
    assert not rounds_agree(key(None, "Belarus", "2022-03-01"), key(None, "Belarus", "2022-03-07"))
    assert not rounds_agree(key(None, "Turkey", "2022-03-10"), key(None, "Belarus", "2022-03-10"))
    assert rounds_agree(key(None, None, "2022-03-10"), key(None, "Turkey", "2022-03-11"))
    assert rounds_agree(key(None, "Turkey", None), key(None, "Turkey", "2022-03-12"))  # estimated
    assert not rounds_agree(key(None, "Turkey", None), key(None, "Turkey", "2022-03-14"))
    assert rounds_agree([], key(2, "Belarus", "2022-03-03"))


def test_story_window_and_restart(engine: Engine, db_url: str) -> None:
    """A fresh stage (a restarted or second daemon) finds candidates in the store; old ones not."""
    feed = outlet_feed(engine, "reuters.com")
    first = store_and_place(engine, feed, [entry(TITLE, WIRE, "https://reuters.com/1")],
                            StoryStage(StorySettings()))
    again = store_and_place(engine, feed, [entry(TITLE, WIRE + " Updated.", "https://reuters.com/2")],
                            StoryStage(StorySettings()))
    late = store_and_place(engine, feed, [entry(TITLE, WIRE, "https://reuters.com/3",
                                                published=NOW + timedelta(days=10))],
                           StoryStage(StorySettings()), now=NOW + timedelta(days=10))
    s1, s2, s3 = stories_of(engine, [first[0].id, again[0].id, late[0].id])
    assert s1 == s2 and s3 != s1


def test_empty_text_gets_its_own_story(engine: Engine) -> None:
    """An item with no words has no signature and never matches anything."""
    feed = outlet_feed(engine, "empty.example.org")
    a = store_and_place(engine, feed, [entry("", "", "https://empty.example.org/1"),
                                       entry("…", "", "https://empty.example.org/2")])
    s1, s2 = stories_of(engine, [a[0].id, a[1].id])
    assert s1 is not None and s2 is not None and s1 != s2


def test_daily_template_with_other_numbers_stays_apart(engine: Engine) -> None:
    """A daily roundup whose title changes only by its number is a new report each day."""
    feed = outlet_feed(engine, "roundups.example.org")
    ids = []
    for day in (312, 313, 313):
        e = entry(f"Russia-Ukraine war: List of key events, day {day}",
                  f"As the Russia-Ukraine war enters its {day}th day, we take a look at the main "
                  "developments.", f"https://roundups.example.org/{day}/{len(ids)}",
                  published=NOW + timedelta(days=day - 312))
        ids += [a.id for a in store_and_place(engine, feed, [e], now=NOW + timedelta(days=2))]
    first, second, copy = stories_of(engine, ids)
    assert first != second and second == copy


def test_pruned_articles_leave_no_empty_story(engine: Engine) -> None:
    """Housekeeping deletes irrelevant articles; their stories go, survivors get a new head."""
    feed_a, feed_b = outlet_feed(engine, "a.example.org"), outlet_feed(engine, "b.example.org")
    first = store_and_place(engine, feed_a, [entry(TITLE, WIRE, "https://a.example.org/1"),
                                             entry("Weather", "Snow on Sunday.", "https://a.example.org/2")])
    copy = store_and_place(engine, feed_b, [entry(TITLE, WIRE, "https://b.example.org/1")])
    with Session(engine) as s:
        for a in (first[0], first[1]):
            row = s.get(Article, a.id)
            s.delete(row)
        s.commit()
    assert prune_stories(engine) == 1
    with Session(engine) as s:
        (story,) = s.exec(select(Story)).all()
        assert story.representative_id == copy[0].id and story.article_count == 1
        assert story_outlets(s, copy[0].id) == ["b.example.org"]
        # The buckets of deleted articles went with them (a trigger, not a foreign key).
        assert set(s.exec(select(StoryBand.article_id)).all()) == {copy[0].id}


def test_buckets_go_with_their_feed(engine: Engine) -> None:
    """Removing a feed deletes its articles by cascade, and the trigger their buckets."""
    feed_a, feed_b = outlet_feed(engine, "a.example.org"), outlet_feed(engine, "b.example.org")
    gone = store_and_place(engine, feed_a, [entry(TITLE, WIRE, "https://a.example.org/1")])
    kept = store_and_place(engine, feed_b, [entry("Weather", "Snow on Sunday.", "https://b.example.org/2")])
    with Session(engine) as s:
        assert set(s.exec(select(StoryBand.article_id)).all()) == {gone[0].id, kept[0].id}
        feed = s.get(Feed, feed_a)
        s.delete(feed)
        s.commit()
        assert s.exec(select(func.count()).select_from(Article)).one() == 1
        assert set(s.exec(select(StoryBand.article_id)).all()) == {kept[0].id}


def test_outlets_include_feeds_that_carried_the_same_link(engine: Engine) -> None:
    """An article stored once for two feeds (level 2) lists both outlets in its story."""
    feed_a, feed_b = outlet_feed(engine, "a.example.org"), outlet_feed(engine, "b.example.org")
    first = store_and_place(engine, feed_a, [entry(TITLE, WIRE, "https://wire.example.org/1")])
    again = store_and_place(engine, feed_b, [entry(TITLE, WIRE, "https://wire.example.org/1")])
    assert again == []  # level 2 kept one copy; nothing new for the stage
    with Session(engine) as s:
        assert story_outlets(s, first[0].id) == ["a.example.org", "b.example.org"]
