"""The Analyzer: relevance first, then rounds and terms for likely-relevant items."""

from __future__ import annotations

from pathlib import Path

from monitor.analysis.model import Analysis, Item
from monitor.analysis.relevance import Relevance
from monitor.analysis.rounds import RoundFinder
from monitor.analysis.terms import TermFinder
from monitor.analysis.text import make_document
from monitor.analysis.vocab import (
    Actors,
    Config,
    Venues,
    VocabularyError,
    compile_list,
    default_config_dir,
    load_config,
)

# Sentences about other conflicts yield no rounds or terms even in a relevant item.
_OTHER_CONFLICTS = [
    r"gaza", r"hamas", r"israel\w*", r"hezbollah", r"karabakh", r"azerbaij\w*", r"armenia\w*",
    r"kashmir", r"pakistan\w*", r"sudan\w*", r"yemen\w*", r"houthi\w*", r"syria\w*",
]


class Analyzer:
    """A compiled, reusable analyzer; `analyze` is pure and thread-safe."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.version = config.version
        self.relevance = Relevance(config.topic)
        actors = Actors(config.actors)
        self.actors = actors
        self.rounds = RoundFinder(config.rounds, actors, Venues(config.venues))
        self.terms = TermFinder(config.terms, actors)
        self.other_conflicts = compile_list(_OTHER_CONFLICTS, "other conflicts")

    def analyze(self, item: Item) -> Analysis:
        """Relevance, round mentions and terms of one item."""
        doc = make_document(item.title, item.summary, item.content)
        verdict = self.relevance.judge(self.relevance.index(doc))
        score = verdict.score
        if not verdict.relevant and verdict.total < self.relevance.rescue_min:
            return Analysis(False, score)
        sentences = tuple(s for s in doc.sentences if not self.other_conflicts.search(s))
        terms = self.terms.find(sentences)
        if not verdict.relevant:
            # The term vocabulary is far richer than the topic queries: an item that already
            # talks of diplomacy and states a settlement term with a stance and a party
            # ("Putin insisted Kyiv withdraw from Donetsk") is about the negotiations.
            if not any(t.key in self.relevance.rescue_keys and t.stance != "discussed"
                       and t.proposer is not None for t in terms):
                return Analysis(False, score)
            score = 0.5
        published = item.published.date() if item.published else None
        item_parties = {h.party for s in sentences for h in self.actors.find(s)}
        rounds = self.rounds.find(sentences, published, item_parties)
        return Analysis(True, score, rounds, terms)


def load_analyzer(config_dir: Path | None = None) -> Analyzer:
    """An Analyzer for config/analysis of the repository, or for `config_dir`."""
    config = load_config(config_dir)
    try:
        return Analyzer(config)
    except VocabularyError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # A value of the wrong type or shape ("threshold = 'x'"): name the folder, not a line
        # of the compiler.
        raise VocabularyError(f"{config_dir or default_config_dir()}: malformed vocabulary: "
                              f"{type(exc).__name__}: {exc}") from exc
