"""Normalisation for near-duplicates: the furniture around a story goes, the story stays."""

from __future__ import annotations

from monitor.stories.fingerprint import Fingerprinter, Shape
from monitor.stories.minhash import MinHasher, band_keys, pack, similarity, unpack
from monitor.stories.text import shingles, strip_boilerplate, title_numbers, words


def test_feed_furniture_is_stripped() -> None:
    """Footers, link lists, datelines, credits and live-blog recaps are not the story."""
    cases = {
        "KYIV, Ukraine (AP) — Talks resumed. Continue reading...": "Talks resumed.",
        "<p>Talks resumed.</p><p>The post Talks appeared first on Example News.</p>":
            "Talks resumed.",
        "Talks resumed. Read more: https://example.org/x": "Talks resumed.",
        "Talks resumed.\n• Related one\n• Related two": "Talks resumed.",
        "Talks resumed.\nSee all our Ukraine coverage\nMore.": "Talks resumed.\n\nMore.",
        "Standfirst.\n\nRussia-Ukraine war at a glance\n\nAnother article's text.": "Standfirst.",
        "Standfirst.\n\nWhat we know on day 472 of the invasion\n\nRecap.": "Standfirst.",
    }
    for raw, clean in cases.items():
        assert strip_boilerplate(raw).strip() == clean, raw


def test_words_fold_case_punctuation_and_abbreviations() -> None:
    """U.S. meets US, Russia’s meets Russia's, HTML entities and case disappear."""
    assert words("U.S. and Russia’s envoys", "Kyiv&#39;s &amp; Moscow's TALKS", "") == \
        ["us", "and", "russias", "envoys", "kyivs", "moscows", "talks"]
    assert words("Watch: Zelensky speaks", "", "") == ["watch", "zelensky", "speaks"]


def test_shingles_and_signatures() -> None:
    """Shingles are word n-grams; equal sets give equal signatures, stable across instances."""
    grams = shingles(["a", "b", "c", "d"], 3)
    assert grams == {"a b c", "b c d"}
    assert shingles(["a", "b"], 3) == {"a b"} and shingles([], 3) == set()
    one, two = MinHasher(128, 1), MinHasher(128, 1)
    sig = one.signature(grams)
    assert sig is not None and len(pack(sig)) == 512
    assert (unpack(pack(sig)) == sig).all() and similarity(sig, two.signature(grams)) == 1.0
    assert band_keys(sig, 32, 4) == band_keys(unpack(pack(sig)), 32, 4)
    assert len(set(band_keys(sig, 32, 4))) == 32


def test_title_numbers() -> None:
    """Numbers in titles, thousands separators ignored."""
    assert title_numbers("List of key events, day 312") == frozenset({"312"})
    assert title_numbers("1,000 prisoners swapped") == title_numbers("1000 prisoners swapped")
    assert title_numbers("No numbers here") == frozenset()


def test_fingerprints_of_a_text_never_change() -> None:
    """Stored buckets must stay findable: the keys of a text are pinned across versions."""
    fp = Fingerprinter(Shape(3, 128, 1, 32, 4))(
        "Russia and Ukraine agree on humanitarian corridors",
        "Delegations met near the Polish border for a second round of talks.", "")
    assert fp.signature is not None and fp.signature[:8].hex() == "a0a06003c1871911"
    assert fp.keys[:3] == (9067733701440159473, 5774815875312910739, -3301019270367621431)
    assert fp.keys[-1] == -894465848123492528 and len(fp.keys) == 32
