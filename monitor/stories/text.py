"""Text for near-duplicate detection: boilerplate and markup stripped, folded, shingled."""

from __future__ import annotations

import re
import unicodedata

from monitor.normalizer import plain_text

# Feed furniture that differs between outlets carrying the same wire copy; it would make
# syndicated copies look less alike (or templated ones more alike) than their stories are.
_CUT_TO_END = re.compile(
    r"(?:continue reading|read more|read the full (?:story|article)|click here to read"
    r"|this (?:article|story) (?:was )?originally (?:appeared|published)|the post\s.{1,300}?"
    r"\sappeared first on|sign up for (?:our|the)\s[^.\n]{0,80}newsletter|related:|see also:"
    r"|more on this story|watch:)\b.*",
    re.IGNORECASE | re.DOTALL,
)
# Live blogs open with a recap ("… at a glance", "What we know on day 472") that repeats other
# articles verbatim; that section is theirs, not the blog's. Headings stand on their own line.
_RECAP = re.compile(
    r"^[^\n]{0,40}\b(?:at a glance|what we know|key (?:events|developments))\b[^\n]{0,60}$.*",
    re.IGNORECASE | re.DOTALL | re.MULTILINE)
_SEE_ALL = re.compile(r"^\s*see all our\b[^\n]{0,80}$", re.IGNORECASE | re.MULTILINE)
# A run of two or more bullet lines is a list of related links, not the story.
_BULLETS = re.compile(r"(?:^|\n|\s)[•▪►·]\s.*", re.DOTALL)
# "KYIV, Ukraine (AP) — " and "LONDON (Reuters) -": present in some copies, not in others.
_DATELINE = re.compile(r"^[A-Z][A-Za-z .,'’-]{2,60}\([A-Za-z .]{2,20}\)\s*[—–-]{1,2}\s+")
_CREDIT = re.compile(r"\b(?:photograph|photo|image|illustration):\s[^.\n]{0,120}", re.IGNORECASE)
_URL = re.compile(r"https?://\S+|www\.\S+")
# Apostrophes and dots inside a word go, so "U.S." meets "US" and "Russia’s" meets "Russia's".
_INNER = re.compile(r"(?<=\w)[’'`.](?=\w)")
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


# Words each pattern above needs, found by `in` on the lowered text: most fields hold none of
# them, and the check costs a tenth of running the patterns (the case-insensitive ones most).
_CUT_WORDS = ("continue reading", "read more", "read the full", "click here to read",
              "originally", "appeared first on", "newsletter", "related:", "see also:",
              "more on this story", "watch:")
_RECAP_WORDS = ("at a glance", "what we know", "key events", "key developments")
_CREDIT_WORDS = ("photo", "image", "illustration")


def strip_boilerplate(text: str) -> str:
    """One field as plain text without the feed furniture around the story."""
    text = plain_text(text)
    low = text.casefold()
    if any(w in low for w in _CUT_WORDS):
        text = _CUT_TO_END.sub("", text)
    if "see all our" in low:
        text = _SEE_ALL.sub("", text)
    if any(w in low for w in _RECAP_WORDS):
        text = _RECAP.sub("", text)
    if any(c in text for c in "•▪►·"):
        text = _BULLETS.sub("", text)
    if "(" in text:
        text = _DATELINE.sub("", text)
    if any(w in low for w in _CREDIT_WORDS):
        text = _CREDIT.sub(" ", text)
    return _URL.sub(" ", text) if "http" in low or "www." in low else text


def words(title: str, summary: str, content: str) -> list[str]:
    """The folded words of an article: lower case, accents kept, punctuation gone."""
    # The title keeps everything: "Watch: …" there is the story, not a link under it.
    parts = [plain_text(title)] + [strip_boilerplate(f) for f in (summary, content) if f]
    text = unicodedata.normalize("NFKC", "\n".join(parts)).casefold()
    return _WORD.findall(_INNER.sub("", text))


def shingles(tokens: list[str], size: int) -> set[str]:
    """Word n-grams; a text shorter than one shingle is one shingle of all its words."""
    if not tokens:
        return set()
    if len(tokens) <= size:
        return {" ".join(tokens)}
    return {" ".join(tokens[i:i + size]) for i in range(len(tokens) - size + 1)}


def title_numbers(title: str) -> frozenset[str]:
    """The numbers a title states ("day 312", "kills 14", "1,000"), separators dropped."""
    return frozenset(n.replace(",", "") for n in _NUMBER.findall(title))


def numbers_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when both titles state numbers and they differ: a daily template or another toll."""
    return bool(a) and bool(b) and a != b
