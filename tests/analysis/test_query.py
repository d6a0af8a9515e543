"""The topic query language: operators, phrases, proximity, wildcards, errors."""

from __future__ import annotations

import pytest

from monitor.analysis.query import Index, Prefixes, QueryError, matches, parse
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

    assert Word("negotiat*").pattern is None and Word("negotiat*").gate() == {"negotiat*"}
    assert Word("*talks").gate() is None
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


PREFIX_QUERIES = [
    "talks OR negotiat*", '"мирн* переговор*" OR ceasefire', "(freez* NEAR/3 conflict) OR truce",
    '"peace proposal*" OR (agree* NEAR/4 (negotiations OR "peace talks"))',
    "(pea* OR peace*) AND NOT trade*", "(*talks OR negotiat*) AND russia*"]
PREFIX_TEXTS = [
    "Negotiators met in Istanbul", "Мирные переговоры начались", "a call to freeze the conflict",
    "peace proposals from Kyiv", "peacekeepers and a peace deal", "trade peace", "peacetalks in Russia",
    "they agreed that new negotiations", "nothing here"]


@pytest.mark.parametrize("query", PREFIX_QUERIES)
@pytest.mark.parametrize("text", PREFIX_TEXTS)
def test_expanded_prefixes_give_the_same_answers(query: str, text: str) -> None:
    """An index that expanded the prefix words answers as the binary search over words does."""
    node = parse(query)
    plain, expanded = Index(tokens(text)), Index(tokens(text), Prefixes([node]))
    assert node.test(expanded) == node.test(plain) == bool(node.spans(plain))
    assert node.spans(expanded) == node.spans(plain)


def test_an_index_that_expanded_other_prefixes_still_finds_a_prefix() -> None:
    """An OR gated by `negotiat*` must not reject an index whose expansion lacks that word."""
    node = parse("talks OR negotiat*")
    other = Index(tokens("Negotiators met"), Prefixes([parse("peace*")]))
    assert "negotiat*" not in other.positions
    assert node.test(other)
    assert node.test(Index(tokens("Negotiators met"), Prefixes([node])))


def test_overlapping_prefixes_merge_positions() -> None:
    """Words under two prefixes count for both, their positions in document order."""
    node = parse("pea* OR peace*")
    index = Index(tokens("peacekeepers came, peas grew, peace talks"), Prefixes([node]))
    assert index.positions["pea*"] == [0, 2, 4]
    assert index.positions["peace*"] == [0, 4]


def test_a_word_is_compared_with_the_prefixes_that_start_as_it_does() -> None:
    """Prefixes of one or two letters, and longer ones sharing a start, are all found."""
    prefixes = Prefixes([parse("negotiat* OR neg* OR n* OR talk* OR ta* OR *")])
    index = Index(tokens("negotiators talk peace"), prefixes)
    found = {k: v for k, v in index.positions.items() if k.endswith("*")}
    assert found == {"*": [0, 1, 2], "n*": [0], "neg*": [0], "negotiat*": [0], "ta*": [1],
                     "talk*": [1]}
