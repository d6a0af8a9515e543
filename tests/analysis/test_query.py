"""The topic query language: operators, phrases, proximity, wildcards, errors."""

from __future__ import annotations

import pytest

from monitor.analysis.query import Index, QueryError, matches, parse
from monitor.analysis.text import tokens


def hit(query: str, text: str) -> bool:
    """Whether the query matches the text."""
    return matches(parse(query), Index(tokens(text)))


def test_boolean_operators_and_precedence() -> None:
    assert hit("talks AND russia", "Peace talks with Russia resume")
    assert not hit("talks AND russia", "Peace talks resume")
    assert hit("gaza OR ukraine", "War in Ukraine")
    assert hit("talks NOT gaza", "talks on Ukraine")
    assert not hit("talks NOT gaza", "Gaza talks")
    assert hit("ukraine (talks OR negotiations)", "Ukraine negotiations")
    assert not hit("(ukraine talks) OR gaza", "Ukraine alone")
    assert hit("talks -trade", "talks on a ceasefire")
    assert not hit("talks -trade", "trade talks")


def test_phrases_must_be_consecutive() -> None:
    assert hit('"peace talks"', "The peace talks began")
    assert not hit('"peace talks"', "peace hopes fade as talks stall")


def test_proximity_phrase_and_near() -> None:
    assert hit('"ceasefire talks"~5', "talks on a possible ceasefire")
    assert not hit('"ceasefire talks"~2', "talks began in Istanbul today about a ceasefire")
    assert hit("delegation NEAR/3 istanbul", "the Ukrainian delegation arrived in Istanbul")
    assert not hit("delegation NEAR/1 istanbul", "the delegation arrived late in Istanbul")


def test_wildcards() -> None:
    assert hit("negotiat*", "Negotiators met")
    assert hit("negotiat*", "negotiations resumed")
    assert not hit("negotiat*", "the talks resumed")
    assert hit("*talks", "fresh talks")
    assert hit('"мирн* переговор*"', "Мирные переговоры начались")
    assert hit("pe*talks", "peacetalks") and not hit("pe*talks", "peace talks")
    assert not hit("*talks", "talkshow")


def test_only_inner_wildcards_compile_a_pattern() -> None:
    """A trailing * is a prefix search: no regular expression is compiled for it."""
    from monitor.analysis.query import Word

    assert Word("negotiat*").pattern is None and Word("negotiat*").gate() is None
    assert Word("*talks").pattern is not None and Word("pe*ce").pattern is not None
    assert Word("talks").pattern is None and Word("talks").gate() == frozenset({"talks"})


@pytest.mark.parametrize("bad", ["", "talks AND", "(talks", '"" OR talks', "a NEAR/3 NOT b"])
def test_malformed_queries_raise(bad: str) -> None:
    with pytest.raises(QueryError):
        parse(bad)


@pytest.mark.parametrize("query", [
    '"peace talks"', '"round of talks"', '"peace talks" OR "round of talks" OR ceasefire',
    'talks OR "peace deal" OR (kyiv AND moscow)', '"talks in istanbul" OR negotiat*',
    'delegation NEAR/3 istanbul OR "peace plan"',
    '(agree* OR ready) NEAR/4 (negotiations OR "peace talks")', 'talks NEAR/1 (peace OR round)'])
@pytest.mark.parametrize("text", [
    "The peace talks began", "peace hopes fade as talks stall", "a second round of talks",
    "round talks of", "Kyiv and Moscow agreed to a ceasefire", "talks in Istanbul resumed",
    "the delegation arrived in Istanbul", "nothing here", "peace peace talks talks",
    "Moscow is ready for peace talks", "they agreed that new negotiations", "agreed. Much later "
    "came talk of negotiations"])
def test_test_agrees_with_spans(query: str, text: str) -> None:
    """The short-cut `test` of phrases, ORs and NEARs says what placing every match says."""
    node, index = parse(query), Index(tokens(text))
    assert node.test(index) == bool(node.spans(index))
