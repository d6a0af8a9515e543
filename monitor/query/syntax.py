"""The user's search syntax (words, "phrases", OR, -exclude, prefix*) and its safe translations.

Grammar, loosest binding first:

    query   := clause+                  clauses are ANDed
    clause  := '-' atom | alt
    alt     := atom ('OR' atom)*
    atom    := '"' words '"' | word | word'*'

Every word reaches the database as data: FTS5 gets each term as a double-quoted string,
PostgreSQL gets each term as a bound parameter of phraseto_tsquery/to_tsquery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal_column

from monitor.query.errors import BadQuery

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
MIN_PREFIX = 3  # shorter prefixes match much of the index; the FTS5 prefix index holds 3
# The text search configuration on PostgreSQL: no stemming and no stop words, so that both
# backends match the same words and prefixes behave predictably (see the search migration).
PG_CONFIG = "simple"
_CONFIG: ColumnElement[Any] = literal_column(f"'{PG_CONFIG}'::regconfig")
_WORD = re.compile(r"\w", re.UNICODE)
_PLAIN = re.compile(r"^\w+$", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Term:
    """One word, a phrase of words, or a word prefix."""

    text: str
    phrase: bool = False
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Alt:
    """Any of its terms."""

    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Query:
    """All of `include` and none of `exclude`."""

    include: tuple[Alt, ...]
    exclude: tuple[Term, ...]

    def words(self) -> list[str]:
        """The words a person would highlight, for display."""
        return [t.text for a in self.include for t in a.terms]


def _tokens(text: str) -> list[tuple[str, str]]:
    """Split into (kind, value): 'phrase', 'word', 'or', 'not'; quotes must balance."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negate = False
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negate, i = True, i + 1
            ch = text[i]
        if negate:
            out.append(("not", "-"))
        if ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise BadQuery(f"search: unclosed quote in {text!r}: close the phrase with \"")
            phrase = text[i + 1:end]
            i = end + 1
            if i < n and text[i] == "*":
                raise BadQuery("search: * goes after a word, not after a phrase")
            out.append(("phrase", phrase))
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] != '"':
            j += 1
        word = text[i:j]
        i = j
        out.append(("or", word) if word == "OR" and not negate else ("word", word))
    return out


def _term(kind: str, value: str) -> Term | None:
    """A term from a token; None for punctuation that no index holds."""
    if kind == "phrase":
        if "*" in value:
            raise BadQuery("search: * is not allowed inside a \"phrase\"")
        words = " ".join(value.split())
        return Term(words, phrase=True) if _WORD.search(words) else None
    prefix = value.endswith("*")
    word = value.rstrip("*") if prefix else value
    if "*" in word:
        raise BadQuery(f"search: * only goes at the end of a word: {value!r}")
    if prefix:
        if not _PLAIN.match(word):
            raise BadQuery(f"search: a prefix search needs letters or digits before *: {value!r}")
        if len(word) < MIN_PREFIX:
            raise BadQuery(f"search: a prefix search needs at least {MIN_PREFIX} letters: {value!r}")
        return Term(word, prefix=True)
    return Term(word) if _WORD.search(word) else None


def parse(text: str) -> Query:
    """Parse the user's query or raise BadQuery with a message a person can act on."""
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(f"search: the query is longer than {MAX_QUERY_CHARS} characters")
    if "\x00" in text:
        raise BadQuery("search: the query contains a NUL character")
    tokens = _tokens(text)
    include: list[Alt] = []
    exclude: list[Term] = []
    pending: list[Term] = []
    expect_term = False  # after OR a term must follow
    negate = False
    for kind, value in tokens:
        if kind == "or":
            if not pending or negate:
                raise BadQuery("search: OR needs a term on each side (write: ceasefire OR truce)")
            expect_term = True
            continue
        if kind == "not":
            if expect_term:
                raise BadQuery("search: an -excluded term cannot be part of OR")
            negate = True
            continue
        term = _term(kind, value)
        if negate:
            negate = False
            if term is not None:
                exclude.append(term)
            continue
        if term is None:
            if expect_term:
                raise BadQuery(f"search: OR needs a word after it, not {value!r}")
            continue
        if expect_term:
            pending.append(term)
            expect_term = False
            continue
        if pending:
            include.append(Alt(tuple(pending)))
        pending = [term]
    if expect_term:
        raise BadQuery("search: OR needs a term on each side (write: ceasefire OR truce)")
    if pending:
        include.append(Alt(tuple(pending)))
    if not include:
        if exclude:
            raise BadQuery("search: a query needs at least one word to look for, "
                           "not only -excluded ones")
        raise BadQuery("search: the query has no words to look for")
    if sum(len(a.terms) for a in include) + len(exclude) > MAX_TERMS:
        raise BadQuery(f"search: at most {MAX_TERMS} terms in one query")
    return Query(tuple(include), tuple(exclude))


def _fts5_term(t: Term) -> str:
    """A term as an FTS5 string: quoted, so no character of it is an operator."""
    quoted = '"' + t.text.replace('"', '""') + '"'
    return quoted + "*" if t.prefix else quoted


def to_fts5(q: Query) -> str:
    """The FTS5 MATCH expression for a parsed query."""
    parts = []
    for alt in q.include:
        inner = " OR ".join(_fts5_term(t) for t in alt.terms)
        parts.append(f"({inner})" if len(alt.terms) > 1 else inner)
    expr = " AND ".join(parts)
    if q.exclude:
        expr = f"({expr}) NOT ({' OR '.join(_fts5_term(t) for t in q.exclude)})"
    return expr


def to_tsquery(q: Query) -> ColumnElement[Any]:
    """A PostgreSQL tsquery expression for a parsed query, every word a bound parameter."""
    n = 0

    def term(t: Term) -> ColumnElement[Any]:
        nonlocal n
        n += 1
        if t.prefix:  # a plain \w+ word (checked by the parser), so ':*' cannot inject operators
            return func.to_tsquery(_CONFIG, bindparam(f"tq{n}", t.text.lower() + ":*"))
        return func.phraseto_tsquery(_CONFIG, bindparam(f"tq{n}", t.text))

    def any_of(terms: tuple[Term, ...]) -> ColumnElement[Any]:
        expr = term(terms[0])
        for t in terms[1:]:
            expr = func.tsquery_or(expr, term(t))
        return expr

    expr = any_of(q.include[0].terms)
    for alt in q.include[1:]:
        expr = func.tsquery_and(expr, any_of(alt.terms))
    if q.exclude:
        expr = func.tsquery_and(expr, func.tsquery_not(any_of(q.exclude)))
    return expr
