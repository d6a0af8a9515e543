"""Relevance scoring: weighted topic-query signals over an item's tokens."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from monitor.analysis.query import Index, Node, Prefixes, QueryError, parse
from monitor.analysis.text import Document, tokens
from monitor.analysis.vocab import VocabularyError

# Sentences are laid out this many empty positions apart, so that phrases and NEAR/n
# never join words of two different sentences.
_SENTENCE_GAP = 20


@dataclass(frozen=True)
class Signal:
    """A named, weighted topic query."""

    name: str
    weight: float
    node: Node


@dataclass(frozen=True)
class Verdict:
    """Relevance decision with its score and the signals that fired."""

    relevant: bool
    score: float
    fired: tuple[str, ...]
    total: float = 0.0


def index_document(doc: Document, prefixes: Prefixes | None = None) -> Index:
    """Token index of a document, sentences kept apart, expanding the given prefix words."""
    words: list[str] = []
    for sentence in doc.sentences:
        words.extend(tokens(sentence))
        words.extend([""] * _SENTENCE_GAP)
    return Index(words, prefixes)


class Relevance:
    """Decides relevance from topic.toml."""

    def __init__(self, table: dict[str, Any]) -> None:
        try:
            self.threshold = float(table.get("threshold", 2.0))
            rescue = table.get("term_rescue", {})
            self.rescue_min = float(rescue.get("min_total", self.threshold))
            self.rescue_keys = frozenset(rescue.get("keys", ()))
            self.context = parse(table["context"]) if "context" in table else None
            self.signals = tuple(
                Signal(s["name"], float(s["weight"]), parse(s["query"]))
                for s in table.get("signal", [])
            )
        except (QueryError, KeyError) as exc:
            raise VocabularyError(f"topic.toml: {exc}") from exc
        # Every prefix word of these queries, expanded by `index` in one pass per document.
        nodes = [s.node for s in self.signals]
        self.prefixes = Prefixes(nodes if self.context is None else [self.context, *nodes])
        # Cheap pre-check: an item none of whose words can start a positive signal is
        # irrelevant without evaluating any query. Prefix words are triggers like plain
        # words in an index that expanded them.
        self.triggers: set[str] = set()
        self.any_word = False  # an inner wildcard: no cheap check possible
        for signal in self.signals:
            if signal.weight <= 0:
                continue
            for lit in signal.node.literals():
                if "*" not in lit or lit in self.prefixes.texts:
                    self.triggers.add(lit)
                else:
                    self.any_word = True
        self._trigger_prefixes = tuple(t[:-1] for t in self.triggers if t.endswith("*"))

    def index(self, doc: Document) -> Index:
        """The token index of a document, with this vocabulary's prefix words expanded."""
        return index_document(doc, self.prefixes)

    def may_match(self, index: Index) -> bool:
        """False when no positive signal can possibly match."""
        if self.any_word or not index.positions.keys().isdisjoint(self.triggers):
            return True
        # An index that did not expand the prefix words: look for their prefixes.
        return (index.expanded is not self.prefixes.texts
                and any(w.startswith(self._trigger_prefixes) for w in index.positions))

    def judge(self, index: Index) -> Verdict:
        """Score the indexed document."""
        if not self.may_match(index):
            return Verdict(False, 0.0, ())
        if self.context is not None and not self.context.test(index):
            return Verdict(False, 0.0, ())
        total = 0.0
        fired: list[str] = []
        for signal in self.signals:
            if signal.node.test(index):
                total += signal.weight
                fired.append(signal.name)
        # Logistic squash so that the threshold maps to 0.5.
        score = 1.0 / (1.0 + math.exp(-(total - self.threshold + 0.5) * 1.5))
        return Verdict(total >= self.threshold, score, tuple(fired), total)
