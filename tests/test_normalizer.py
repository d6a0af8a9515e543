"""Canonical URLs, plain text and keys: the dedup rules of levels 1 and 2."""

from __future__ import annotations

import random
import re

import pytest

from monitor.normalizer import canonical_url, content_hash, item_key, plain_text


@pytest.mark.parametrize("a, b", [
    ("https://www.bbc.co.uk/news/world-60451955?at_medium=RSS&at_campaign=KARANGA",
     "http://bbc.co.uk/news/world-60451955"),
    ("https://EXAMPLE.org/a/b/?utm_source=x&utm_medium=y#frag", "https://example.org/a/b"),
    ("https://example.org/story/amp/", "https://example.org/story"),
    ("https://amp.example.org/story.amp.html", "https://example.org/story.html"),
    ("https://m.example.org/story?fbclid=abc&gclid=def", "https://example.org/story"),
    ("https://example.org:443/x?b=2&a=1", "https://example.org/x?a=1&b=2"),
])
def test_variants_of_one_link_agree(a: str, b: str) -> None:
    """Tracking, case, scheme, AMP, mobile, port, order and slashes do not make a new article."""
    assert canonical_url(a) == canonical_url(b)


@pytest.mark.parametrize("a, b", [
    ("https://example.org/story?id=1", "https://example.org/story?id=2"),
    ("https://example.org/a", "https://example.com/a"),
    ("https://example.org/a/b", "https://example.org/a"),
])
def test_different_articles_stay_apart(a: str, b: str) -> None:
    """Meaningful query parameters, hosts and paths are kept."""
    assert canonical_url(a) != canonical_url(b)


@pytest.mark.parametrize("bad", [None, "", "mailto:x@y.org", "javascript:alert(1)", "http://",
                                 "https://[::1"])
def test_unusable_links_have_no_canonical_form(bad: str | None) -> None:
    """Links that are not web addresses are not dedup keys."""
    assert canonical_url(bad) is None


def test_plain_text_drops_markup_and_scripts() -> None:
    """Tags, scripts and entities go; paragraphs become line breaks."""
    text = plain_text("<p>Talks&nbsp;in <b>Istanbul</b></p><script>x()</script><p>Day&nbsp;2 &amp; 3</p>")
    assert text == "Talks in Istanbul\n\nDay 2 & 3" or text == "Talks in Istanbul\nDay 2 & 3"
    assert plain_text("&lt;b&gt;escaped&lt;/b&gt;") == "escaped"


def test_keys_prefer_guid_then_link_then_content() -> None:
    """Level 1 identity order."""
    digest = content_hash("t", "s", "")
    assert item_key("guid-1", "https://x.org/a", digest) == "g:guid-1"
    assert item_key("  ", "https://x.org/a", digest) == "u:https://x.org/a"
    assert item_key(None, None, digest) == "h:" + digest
    assert content_hash("Title", "Body  text", "") == content_hash("title", "body text", "")


def test_plain_text_makes_every_run_of_blanks_one_space() -> None:
    """Any mix of blanks within a line becomes one space; lines are stripped."""
    rnd = random.Random(11)
    alphabet = [" ", "\t", "\r", "\f", "\v", "\u00a0", "x", "y"]
    for _ in range(3000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 12)))
        assert plain_text(text) == re.sub(r"[ \t\r\f\v\u00a0]+", " ", text).strip(), repr(text)
