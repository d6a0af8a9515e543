"""The parties named in a sentence, as the terms and rounds find them."""

from __future__ import annotations

from monitor.analysis import Analyzer, load_analyzer
from monitor.analysis.vocab import _SEEN_SENTENCES


def test_party_hits_are_the_same_when_asked_again(analyzer: Analyzer) -> None:
    """A sentence asked for twice gets the same hits, from the pattern once; the kept hits
    stay bounded however many sentences pass."""
    sentence = "Putin and Zelensky met in Istanbul as Kyiv and Moscow exchanged prisoners."
    fresh = load_analyzer().actors  # nothing kept yet
    first = fresh.find(sentence)
    assert [h.party for h in first] == ["RU", "UA", "UA", "RU"]
    assert fresh.find(sentence) is first
    for i in range(_SEEN_SENTENCES * 2 + 5):
        fresh.find(f"Sentence {i} names Ukraine.")
    assert len(fresh._seen) <= _SEEN_SENTENCES
    again = fresh.find(sentence)
    assert again == first and again is not first
    assert analyzer.actors.find(sentence) == first
