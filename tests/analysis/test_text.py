"""Cleaning feed text for the analysis: spaces, quotes and dashes."""

from __future__ import annotations

import random
import re

from monitor.analysis.text import clean_html

# What clean_html promises for spaces: every run of blanks (not newlines) becomes one space.
_BLANKS = re.compile(r"[ \t\r\f\v\u00a0]+")


def test_runs_of_blanks_become_one_space() -> None:
    """Whatever mix of blanks a line holds, the result is the simple rule's."""
    rnd = random.Random(7)
    alphabet = [" ", "\t", "\r", "\f", "\v", "\u00a0", "a", "b", "\n"]
    for _ in range(5000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 14)))
        expected = "\n".join(line.strip() for line in _BLANKS.sub(" ", text).split("\n")
                             if line.strip())
        assert clean_html(text) == expected, repr(text)


def test_typographic_quotes_and_dashes_become_plain() -> None:
    assert clean_html("“Peace” – Kyiv’s «plan» — now") == "\"Peace\" - Kyiv's \"plan\" - now"
    assert clean_html("‘Non‑stop’ talks") == "'Non-stop' talks"  # every one of the nine
    assert clean_html("plain text, nothing to change") == "plain text, nothing to change"
