"""The after-store stage that places each new or edited article in a story."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from monitor.settings import StorySettings
from monitor.store import stories as store
from monitor.store.articles import StoredArticle
from monitor.stories.minhash import MinHasher, Signature, band_keys, pack, similarity, unpack
from monitor.stories.rounds import round_keys, rounds_agree
from monitor.stories.text import numbers_conflict, shingles, title_numbers, words
from monitor.values import Entry

log = logging.getLogger("monitor.stories")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """An article's signature and LSH keys; no signature when it has no words."""

    signature: Signature | None
    keys: tuple[int, ...]


class StoryStage:
    """Groups near-duplicate articles into stories, inside the storing transaction."""

    def __init__(self, settings: StorySettings) -> None:
        self.settings = settings
        self.hasher = MinHasher(settings.permutations, settings.seed)

    def fingerprint(self, entry: Entry) -> Fingerprint:
        """Signature and band keys of an entry's normalised text."""
        grams = shingles(words(entry.title, entry.summary, entry.content), self.settings.shingle)
        sig = self.hasher.signature(grams)
        if sig is None:
            return Fingerprint(None, ())
        return Fingerprint(sig, tuple(band_keys(sig, self.settings.bands, self.settings.rows)))

    def __call__(self, s: Session, stored: Sequence[StoredArticle], now: datetime) -> None:
        """Place every article of one poll, in order, so later ones see earlier ones."""
        prints = [self.fingerprint(art.entry) for art in stored]  # text work before the lock
        store.lock_stories(s)
        outlets: dict[int, str] = {}
        for art, fp in zip(stored, prints, strict=True):
            if art.feed_id not in outlets:
                outlets[art.feed_id] = store.feed_outlet(s, art.feed_id)
            self.place(s, art, outlets[art.feed_id], now, fp)

    def place(self, s: Session, art: StoredArticle, outlet: str, now: datetime,
              fp: Fingerprint | None = None) -> int:
        """Store the article's fingerprint and put it in a story; return the story's id."""
        fp = fp or self.fingerprint(art.entry)
        if fp.signature is not None:
            store.save_signature(s, art.id, pack(fp.signature), fp.keys, replace=not art.created)
        if not art.created and (current := store.story_of(s, art.id)) is not None:
            return current  # an edit stays in its story; its new text is matched from now on
        published = art.entry.published
        when = published if published is not None and published <= now else now
        rounds = round_keys(art.analysis, published)
        story_id = self._match(s, art, fp, when, rounds)
        if story_id is None:
            return store.create_story(s, art.id, when, outlet, rounds, now)
        store.join_story(s, story_id, art.id, when, outlet, rounds, now)
        return story_id

    def _match(self, s: Session, art: StoredArticle, fp: Fingerprint, when: datetime,
               rounds: list[dict[str, Any]]) -> int | None:
        """The story of the most similar candidate that passes the window and the guards."""
        if fp.signature is None:
            return None
        found = store.find_candidates(s, fp.keys, art.id, self.settings.max_candidates)
        numbers = title_numbers(art.entry.title)
        scored = sorted(((similarity(fp.signature, unpack(c.signature)), c) for c in found),
                        key=lambda p: -p[0])
        for sim, c in scored:
            if sim < self.settings.threshold:
                break
            if abs(when - c.story.first_seen_at) > self.settings.window:
                continue
            # "List of key events, day 312" and "… day 313": one template, two reports.
            if numbers_conflict(numbers, title_numbers(c.title)):
                continue
            if not rounds_agree(rounds, c.story.rounds):
                log.debug("stories: article %s kept apart from story %s (other round)",
                          art.id, c.story.id)
                continue
            return c.story.id
        return None
