"""The after-store stage that places each new or edited article in a story."""

from __future__ import annotations

import logging
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from monitor.settings import StorySettings
from monitor.store import stories as store
from monitor.stories.fingerprint import Fingerprint, Fingerprinter, Shape
from monitor.stories.rounds import round_keys, rounds_agree
from monitor.stories.text import numbers_conflict, title_numbers
from monitor.values import Entry, StoredArticle

log = logging.getLogger("monitor.stories")


@dataclass(slots=True)
class _Story:
    """A story as this transaction sees it: stored (id) or started here (new)."""

    id: int | None
    first_seen_at: datetime
    rounds: list[dict[str, Any]] | None
    new: store.NewStory | None = None
    joined: store.Joined | None = None


@dataclass(frozen=True, slots=True)
class _Placed:
    """An article of this transaction already placed: a candidate for the ones after it."""

    title: str
    signature: bytes
    story: _Story


class StoryStage:
    """Groups near-duplicate articles into stories, inside the storing transaction."""

    def __init__(self, settings: StorySettings) -> None:
        self.settings = settings
        self.shape = Shape.of(settings)  # the pipeline fingerprints in its workers with this
        # The pipeline's workers fingerprint only the articles this stage will place.
        self.relevant_only = settings.relevant_only
        self._printer: Fingerprinter | None = None  # made when a worker did not fingerprint

    def fingerprint(self, entry: Entry) -> Fingerprint:
        """Signature and band keys of an entry's normalised text."""
        if self._printer is None:
            self._printer = Fingerprinter(self.shape)
        return self._printer(entry.title, entry.summary, entry.content)

    def __call__(self, s: Session, stored: Sequence[StoredArticle], now: datetime) -> None:
        """Place every article, in order, so later ones see earlier ones: a few statements in all.

        The articles may come from several feeds (one transaction can store several polls).
        """
        if self.relevant_only:
            # An edit that turns irrelevant is left where it is: its story and buckets stay.
            stored = [a for a in stored if a.relevant is not False]
        if not stored:
            return
        prints = [a.fingerprint if a.fingerprint is not None else self.fingerprint(a.entry)
                  for a in stored]  # text work before the lock (workers usually did it)
        store.lock_stories(s)
        edited = [a.id for a in stored if not a.created]
        current = store.stories_of(s, edited)
        limit = self.settings.max_candidates
        # Buckets as stored before this batch (an edit's old buckets go first): the batch's own
        # buckets are matched in memory below, so the query returns only real collisions.
        store.forget_signatures(s, edited)
        members = store.bucket_members(s, {k for fp in prints for k in fp.keys}, limit)
        found = store.placed_articles(s, {a for ids in members.values() for a in ids})
        store.save_signatures(s, [(a.id, fp.signature, fp.keys)
                                  for a, fp in zip(stored, prints, strict=True)
                                  if fp.signature is not None])
        kept = store.placed_articles(s, current)  # edits staying in their story, text as now
        outlets = store.feed_outlets(s, {a.feed_id for a in stored})
        stories: dict[int, _Story] = {}  # stored stories, by id, as this batch changes them
        placed: dict[int, _Placed] = {}
        new: list[store.NewStory] = []
        for art, fp in zip(stored, prints, strict=True):
            if art.id in kept:  # an edit stays in its story; its new text is matched from now on
                story = _known(stories, kept[art.id].story)
            else:
                published = art.entry.published
                when = published if published is not None and published <= now else now
                rounds = round_keys(art.analysis, published)
                outlet = outlets[art.feed_id]
                match = self._match(art, fp, when, rounds, members, placed, found, stories)
                if match is None:
                    fresh = store.NewStory(art.id, when, [outlet], rounds or None, [art.id])
                    story = _Story(None, when, rounds or None, new=fresh)
                    new.append(fresh)
                else:
                    story = match
                    self._add(story, art.id, when, outlet, rounds)
            if fp.signature is not None:  # a candidate for the articles after it
                placed[art.id] = _Placed(art.entry.title, fp.signature, story)
                for k in fp.keys:
                    members.setdefault(k, []).append(art.id)
        store.create_stories(s, new, now)
        store.join_stories(s, {st.id: st.joined for st in stories.values()
                               if st.id is not None and st.joined is not None}, now)

    @staticmethod
    def _add(story: _Story, article_id: int, when: datetime, outlet: str,
             rounds: list[dict[str, Any]]) -> None:
        """An article joins a story: its time, outlet and (if the story has none) rounds."""
        story.first_seen_at = min(story.first_seen_at, when)
        if rounds and not story.rounds:
            story.rounds = rounds
        part = story.new or story.joined
        if part is None:
            part = story.joined = store.Joined(when, [], None, [])
        part.members.append(article_id)
        part.first_seen_at = min(part.first_seen_at, when)
        if outlet not in part.outlets:
            part.outlets.append(outlet)
        part.rounds = story.rounds

    def _match(self, art: StoredArticle, fp: Fingerprint, when: datetime,
               rounds: list[dict[str, Any]], members: dict[int, list[int]],
               placed: dict[int, _Placed], found: dict[int, store.Candidate],
               stories: dict[int, _Story]) -> _Story | None:
        """The story of the most similar candidate that passes the window and the guards."""
        if fp.signature is None:
            return None
        # Candidates: placed articles sharing a bucket, newest first, as many as configured.
        ids = sorted({a for k in fp.keys for a in members.get(k, ())
                      if a != art.id and (a in placed or a in found)}, reverse=True)
        ids = ids[:self.settings.max_candidates]
        if not ids:
            return None
        mine = memoryview(fp.signature).cast("I")
        scored = []
        for a in ids:
            if a in placed:
                title, sig, story = placed[a].title, placed[a].signature, placed[a].story
            else:
                title, sig, story = found[a].title, found[a].signature, _known(stories,
                                                                               found[a].story)
            scored.append((_similarity(mine, sig), a, title, story))
        numbers = title_numbers(art.entry.title)
        for sim, _a, title, story in sorted(scored, key=lambda p: (-p[0], -p[1])):
            if sim < self.settings.threshold:
                break
            if abs(when - story.first_seen_at) > self.settings.window:
                continue
            # "List of key events, day 312" and "… day 313": one template, two reports.
            if numbers_conflict(numbers, title_numbers(title)):
                continue
            if not rounds_agree(rounds, story.rounds):
                log.debug("stories: article %s kept apart from story %s (other round)",
                          art.id, story.id)
                continue
            return story
        return None


def _similarity(mine: memoryview, other: bytes) -> float:
    """Estimated Jaccard similarity: the share of equal minima (numpy stays out of the writer)."""
    return sum(map(operator.eq, mine, memoryview(other).cast("I"))) / len(mine)


def _known(stories: dict[int, _Story], info: store.StoryInfo) -> _Story:
    """The batch's view of a stored story, made on first sight."""
    if info.id not in stories:
        stories[info.id] = _Story(info.id, info.first_seen_at, info.rounds)
    return stories[info.id]
