"""A small boolean topic-query language, compiled once and matched against token lists.

Grammar (case-insensitive operators, precedence NOT > NEAR > AND > OR):
    query   := or
    or      := and ("OR" and)*
    and     := near (["AND"] near)*          adjacency means AND
    near    := unary ("NEAR/" n unary)*      both sides within n words
    unary   := "NOT" unary | "-" unary | atom
    atom    := word | "phrase" ["~" n] | "(" query ")"
A word may hold * wildcards (negotiat*, *talks); a phrase matches consecutive words, and
"a b"~n matches its words in any order within a window of n words.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

Spans = list[tuple[int, int]]
# NOT yields truth without a place; NEAR cannot use it.
_NOWHERE: Spans = [(-1, -1)]


class QueryError(ValueError):
    """A topic query that cannot be parsed."""


class Prefixes:
    """The trailing-wildcard words of compiled queries, for an Index to expand in one pass."""

    def __init__(self, nodes: Iterable[Node]) -> None:
        self.texts = frozenset(w.text for node in nodes for w in node.word_nodes()
                               if w.prefix is not None)
        # Each prefix ("negotiat", of the word "negotiat*") filed under its first two letters:
        # a document word is compared only with the few prefixes that start as it does (most
        # words with none), at no memory cost per word seen.
        starts: dict[str, list[tuple[str, str]]] = {}
        short: list[tuple[str, str]] = []
        for text in sorted(self.texts):
            prefix = text[:-1]
            (starts.setdefault(prefix[:2], []) if len(prefix) >= 2 else short).append(
                (prefix, text))
        self.starts = {k: tuple(v) for k, v in starts.items()}
        self.short = tuple(short)


_NO_PREFIXES = frozenset[str]()


class Index:
    """Positions of each token of a document, built once and shared by every query.

    With `prefixes`, the positions of each of their words (`negotiat*`) are found in one
    pass over the document's words and kept under that text, so a prefix costs what a plain
    word costs and can gate an OR like one (a document has ~60 distinct words; the
    vocabulary's ~300 prefixes had cost a binary search each).
    """

    __slots__ = ("_initials", "_sorted", "cache", "expanded", "positions", "words")

    def __init__(self, words: Sequence[str], prefixes: Prefixes | None = None) -> None:
        self.words = words
        self.positions: dict[str, list[int]] = {}
        get = self.positions.get
        for i, w in enumerate(words):
            if w:
                # Not setdefault(w, []): that builds an empty list for every token.
                found = get(w)
                if found is None:
                    self.positions[w] = [i]
                else:
                    found.append(i)
        # Wildcard lookups are shared by many queries, so their results are kept.
        self.cache: dict[str, list[int]] = {}
        self._sorted: list[str] | None = None
        self._initials: set[str] | None = None
        self.expanded: frozenset[str] = _NO_PREFIXES
        if prefixes is not None:
            self._expand(prefixes)

    def _expand(self, prefixes: Prefixes) -> None:
        """Add each prefix word found (`negotiat*`) to the positions, under its text."""
        self.expanded = prefixes.texts
        found: dict[str, list[int]] = {}
        merged: set[str] = set()
        starts, short = prefixes.starts, prefixes.short
        for word, pos in self.positions.items():
            # Most words start as no prefix does: one look-up, an empty loop.
            candidates = starts.get(word[:2], ())
            for prefix, text in short + candidates if short else candidates:
                if not word.startswith(prefix):
                    continue
                if text in found:
                    found[text] = found[text] + pos
                    merged.add(text)
                else:
                    found[text] = pos  # shared with the word: these lists are only read
        for text in merged:
            found[text].sort()
        self.positions.update(found)

    def with_prefix(self, prefix: str) -> list[int]:
        """Sorted positions of all words starting with `prefix` (binary search)."""
        # Most documents are in one script: a Cyrillic prefix in an English document (and
        # the reverse) is answered from the set of initial letters, without a search.
        if self._initials is None:
            self._initials = {w[0] for w in self.positions}
        if prefix and prefix[0] not in self._initials:
            return []
        if self._sorted is None:
            self._sorted = sorted(w for w in self.positions if not w.endswith("*"))
        words = self._sorted
        found: list[int] = []
        i = bisect_left(words, prefix)
        while i < len(words) and words[i].startswith(prefix):
            found.extend(self.positions[words[i]])
            i += 1
        return sorted(found)


class Node:
    """A compiled query node."""

    def spans(self, index: Index) -> Spans:
        """Where the node matches in the document; empty when it does not."""
        raise NotImplementedError

    def literals(self) -> set[str]:
        """Plain words (or wildcard prefixes ending in *) a positive match needs."""
        return set()

    def test(self, index: Index) -> bool:
        """Whether the node matches; may stop early where spans would not."""
        return bool(self.spans(index))

    def gate(self) -> frozenset[str] | None:
        """Words of which at least one must be present for a match (None: unknown).

        A prefix word (`negotiat*`) may be one of them: it is present when the Index
        expanded it and a document word starts with its prefix.
        """
        return None

    def word_nodes(self) -> Iterator[Word]:
        """Every word of the query, those under NOT included."""
        return iter(())


@dataclass
class Word(Node):
    """One word, possibly with * wildcards."""

    text: str

    def __post_init__(self) -> None:
        self.wild = "*" in self.text
        self.prefix = self.text[:-1] if self.text.endswith("*") and "*" not in self.text[:-1] \
            else None
        # Only an inner wildcard needs a regular expression (a trailing one is a prefix search):
        # compiling one for each of the vocabulary's ~300 prefixes was most of its start-up.
        self.pattern = (re.compile(re.escape(self.text).replace(r"\*", r"\w*"))
                        if self.wild and self.prefix is None else None)

    def positions(self, index: Index) -> list[int]:
        """Sorted positions of the word."""
        if not self.wild or self.text in index.expanded:
            return index.positions.get(self.text, [])
        cached = index.cache.get(self.text)
        if cached is not None:
            return cached
        if self.prefix is not None:
            found = index.with_prefix(self.prefix)
        else:
            assert self.pattern is not None
            found = sorted(p for word, pos in index.positions.items()
                           if self.pattern.fullmatch(word) for p in pos)
        index.cache[self.text] = found
        return found

    def spans(self, index: Index) -> Spans:
        return [(p, p) for p in self.positions(index)]

    def literals(self) -> set[str]:
        return {self.text}

    def test(self, index: Index) -> bool:
        return bool(self.positions(index))

    def gate(self) -> frozenset[str] | None:
        return None if self.pattern is not None else frozenset((self.text,))

    def word_nodes(self) -> Iterator[Word]:
        yield self


@dataclass
class Phrase(Node):
    """Consecutive words, or words within a window when slop is set."""

    words: list[Word]
    slop: int | None = None

    def spans(self, index: Index) -> Spans:
        lists = []
        for w in self.words:
            pos = w.positions(index)
            if not pos:
                return []
            lists.append(pos)
        if self.slop is None:
            rest = [set(pos) for pos in lists[1:]]
            return [(p, p + len(lists) - 1) for p in lists[0]
                    if all(p + i + 1 in s for i, s in enumerate(rest))]
        found: Spans = []
        for p in lists[0]:
            lo, hi = p, p
            for pos in lists[1:]:
                best = min(pos, key=lambda q: abs(q - p))
                lo, hi = min(lo, best), max(hi, best)
            if hi - lo <= self.slop:
                found.append((lo, hi))
        return found

    def test(self, index: Index) -> bool:
        if self.slop is not None:
            return bool(self.spans(index))
        first = self.words[0].positions(index)
        if not first:
            return False
        rest = []
        for w in self.words[1:]:
            pos = w.positions(index)
            if not pos:
                return False
            rest.append(pos)
        # Stops at the first place the phrase is found; a word is in a handful of places, so
        # a list look-up beats building sets (spans builds them to place every occurrence).
        return any(all(p + i + 1 in pos for i, pos in enumerate(rest)) for p in first)

    def literals(self) -> set[str]:
        return {w.text for w in self.words}

    def gate(self) -> frozenset[str] | None:
        # The longest plain word is likely the rarest; a prefix word when there is none.
        gates = [w.text for w in self.words if not w.wild] or [
            w.text for w in self.words if w.prefix is not None]
        return frozenset((max(gates, key=len),)) if gates else None

    def word_nodes(self) -> Iterator[Word]:
        return iter(self.words)


@dataclass
class And(Node):
    """All parts match."""

    parts: list[Node]

    def spans(self, index: Index) -> Spans:
        found: Spans = []
        for part in self.parts:
            s = part.spans(index)
            if not s:
                return []
            found.extend(x for x in s if x[0] >= 0)
        return found or _NOWHERE

    def literals(self) -> set[str]:
        return set().union(*(p.literals() for p in self.parts))

    def test(self, index: Index) -> bool:
        return all(part.test(index) for part in self.parts)

    def gate(self) -> frozenset[str] | None:
        return next((g for g in (p.gate() for p in self.parts) if g is not None), None)

    def word_nodes(self) -> Iterator[Word]:
        return (w for p in self.parts for w in p.word_nodes())


@dataclass
class Or(Node):
    """Any part matches."""

    parts: list[Node]

    def spans(self, index: Index) -> Spans:
        found: Spans = []
        for part in self.parts:
            found.extend(part.spans(index))
        real = [x for x in found if x[0] >= 0]
        return real or (_NOWHERE if found else [])

    def literals(self) -> set[str]:
        return set().union(*(p.literals() for p in self.parts))

    def __post_init__(self) -> None:
        # Parts with a word gate are checked together with one set test, then only those a
        # document's words open; parts without one (a NOT, an inner wildcard) one by one, so
        # a few of them do not slow the whole OR down.
        self._gated_parts: list[Node] = []
        self._ungated: list[Node] = []
        self._opens: dict[str, list[int]] = {}  # gate word -> the gated parts it opens
        for part in self.parts:
            gate = part.gate()
            if gate is None:
                self._ungated.append(part)
                continue
            for word in gate:
                self._opens.setdefault(word, []).append(len(self._gated_parts))
            self._gated_parts.append(part)
        self._gated_words = frozenset(self._opens)
        self._gate = None if self._ungated else self._gated_words
        # Prefix gate words are only seen in an Index that expanded them; the last such set
        # of prefixes found to hold them all is remembered (an Analyzer's indexes share one).
        self._prefix_gates = frozenset(w for w in self._opens if w.endswith("*"))
        self._expanded_ok: frozenset[str] | None = None

    def _gates_hold(self, index: Index) -> bool:
        """Whether the gate words can be looked up in this index's positions."""
        expanded = index.expanded
        if expanded is self._expanded_ok or not self._prefix_gates:
            return True
        if self._prefix_gates <= expanded:
            self._expanded_ok = expanded  # a benign race: any thread stores the same answer
            return True
        return False

    def test(self, index: Index) -> bool:
        if not self._gates_hold(index):
            return any(part.test(index) for part in self.parts)
        # Most documents hold none of the words a big OR needs: one set check rejects them.
        # A dict view's isdisjoint walks the smaller side; a frozenset's would walk the dict.
        words = index.positions.keys()
        if self._gated_parts and not words.isdisjoint(self._gated_words):
            present = [w for w in self._opens if w in words]
            opened = self._opens[present[0]] if len(present) == 1 else sorted(
                {i for w in present for i in self._opens[w]})
            parts = self._gated_parts
            if any(parts[i].test(index) for i in opened):
                return True
        return any(part.test(index) for part in self._ungated)

    def gate(self) -> frozenset[str] | None:
        return self._gate

    def word_nodes(self) -> Iterator[Word]:
        return (w for p in self.parts for w in p.word_nodes())


@dataclass
class Not(Node):
    """The part does not match."""

    part: Node

    def spans(self, index: Index) -> Spans:
        return [] if self.part.test(index) else _NOWHERE

    def test(self, index: Index) -> bool:
        return not self.part.test(index)

    def word_nodes(self) -> Iterator[Word]:
        return self.part.word_nodes()


@dataclass
class Near(Node):
    """Both sides match within `distance` words of each other."""

    left: Node
    right: Node
    distance: int

    def spans(self, index: Index) -> Spans:
        # Placing a side costs far more than testing it, and most documents hold one side at
        # most: test the other side before placing either.
        if not self.right.test(index):
            return []
        left = [x for x in self.left.spans(index) if x[0] >= 0]
        if not left:
            return []
        right = [x for x in self.right.spans(index) if x[0] >= 0]
        found: Spans = []
        for a in left:
            for b in right:
                gap = b[0] - a[1] if b[0] > a[1] else a[0] - b[1]
                if gap <= self.distance:
                    found.append((min(a[0], b[0]), max(a[1], b[1])))
        return found

    def test(self, index: Index) -> bool:
        # Both sides tested before either is placed, and the first close pair ends it.
        if not (self.right.test(index) and self.left.test(index)):
            return False
        left = [x for x in self.left.spans(index) if x[0] >= 0]
        right = [x for x in self.right.spans(index) if x[0] >= 0]
        return any((b[0] - a[1] if b[0] > a[1] else a[0] - b[1]) <= self.distance
                   for a in left for b in right)

    def literals(self) -> set[str]:
        return self.left.literals() | self.right.literals()

    def gate(self) -> frozenset[str] | None:
        # Both sides must match, so either side's gate is the NEAR's.
        left = self.left.gate()
        return left if left is not None else self.right.gate()

    def word_nodes(self) -> Iterator[Word]:
        yield from self.left.word_nodes()
        yield from self.right.word_nodes()


_TOKEN_RE = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"(?:~(\d+))?|(NEAR/\d+)|(-)(?=\S)|([^\s()"]+))')
_WORDS_RE = re.compile(r"[\w*]+")


class _Parser:
    """Recursive-descent parser over the token stream of a query string."""

    def __init__(self, text: str) -> None:
        self.toks: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN_RE.match(text, pos)
            if not m or m.end() == pos:
                raise QueryError(f"cannot read query at {text[pos:pos + 20]!r}")
            pos = m.end()
            lp, rp, phrase, slop, near, minus, word = m.groups()
            if lp:
                self.toks.append(("(", lp))
            elif rp:
                self.toks.append((")", rp))
            elif phrase is not None:
                self.toks.append(("phrase", f"{phrase}\x00{slop or ''}"))
            elif near:
                self.toks.append(("near", near[5:]))
            elif minus:
                self.toks.append(("not", minus))
            elif word in ("AND", "OR", "NOT"):
                self.toks.append((word.lower(), word))
            elif word:
                self.toks.append(("word", word))
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][0] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            raise QueryError("empty query")
        node = self.or_()
        if self.i != len(self.toks):
            raise QueryError(f"unexpected {self.toks[self.i][1]!r}")
        return node

    def or_(self) -> Node:
        parts = [self.and_()]
        while self.peek() == "or":
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else Or(parts)

    def and_(self) -> Node:
        parts = [self.near()]
        while self.peek() in ("and", "not", "word", "phrase", "("):
            if self.peek() == "and":
                self.take()
            parts.append(self.near())
        return parts[0] if len(parts) == 1 else And(parts)

    def near(self) -> Node:
        node = self.unary()
        while self.peek() == "near":
            distance = int(self.take()[1])
            right = self.unary()
            if isinstance(node, Not) or isinstance(right, Not):
                raise QueryError("NEAR cannot take a NOT operand")
            node = Near(node, right, distance)
        return node

    def unary(self) -> Node:
        if self.peek() == "not":
            self.take()
            return Not(self.unary())
        return self.atom()

    def atom(self) -> Node:
        if self.peek() is None:
            raise QueryError("query ends too early")
        kind, value = self.take()
        if kind == "(":
            node = self.or_()
            if self.peek() != ")":
                raise QueryError("missing )")
            self.take()
            return node
        if kind == "word":
            words = _WORDS_RE.findall(value.lower())
            if not words:
                raise QueryError(f"not a word: {value!r}")
            return Word(words[0]) if len(words) == 1 else Phrase([Word(w) for w in words])
        if kind == "phrase":
            body, slop = value.split("\x00")
            words = _WORDS_RE.findall(body.lower())
            if not words:
                raise QueryError("empty phrase")
            if len(words) == 1 and not slop:
                return Word(words[0])
            return Phrase([Word(w) for w in words], int(slop) if slop else None)
        raise QueryError(f"unexpected {value!r}")


def parse(text: str) -> Node:
    """Compile a query string; raises QueryError when it is malformed."""
    return _Parser(text).parse()


def matches(node: Node, index: Index) -> bool:
    """Whether the compiled query matches the indexed document."""
    return node.test(index)


def parse_all(queries: Mapping[str, str]) -> dict[str, Node]:
    """Compile named queries, naming the one that fails."""
    compiled: dict[str, Node] = {}
    for name, text in queries.items():
        try:
            compiled[name] = parse(text)
        except QueryError as exc:
            raise QueryError(f"{name}: {exc}") from exc
    return compiled
