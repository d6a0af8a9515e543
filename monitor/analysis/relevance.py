"""Relevance scoring: weighted topic-query signals over an item's tokens."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from monitor.analysis.query import Index, Node, QueryError, parse
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


def index_document(doc: Document) -> Index:
    """Token index of a document, sentences kept apart."""
    words: list[str] = []
    for sentence in doc.sentences:
        words.extend(tokens(sentence))
        words.extend([""] * _SENTENCE_GAP)
    return Index(words)


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
        # Cheap pre-check: an item none of whose words can start a positive signal is
        # irrelevant without evaluating any query.
        self.triggers: set[str] = set()
        self.prefixes: tuple[str, ...] = ()
        prefixes: list[str] = []
        for signal in self.signals:
            if signal.weight <= 0:
                continue
            for lit in signal.node.literals():
                if "*" not in lit:
                    self.triggers.add(lit)
                elif lit.endswith("*") and "*" not in lit[:-1]:
                    prefixes.append(lit[:-1])
                else:
                    prefixes.append("")  # an inner wildcard: no cheap check possible
        self.prefixes = tuple(prefixes)

    def may_match(self, index: Index) -> bool:
        """False when no positive signal can possibly match."""
        if not index.positions.keys().isdisjoint(self.triggers):
            return True
        if "" in self.prefixes:
            return True
        return any(w.startswith(self.prefixes) for w in index.positions)

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
