"""Turning feed HTML into clean sentences and word tokens."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from monitor.normalizer import squeeze_spaces

# Guardian (and similar) summaries carry lists of related-link headlines; the GUIDE says
# they must not make an item relevant, so whole <ul>/<ol> blocks are dropped.
_LIST_RE = re.compile(r"<(ul|ol)\b.*?</\1\s*>", re.I | re.S)
_CONTINUE_RE = re.compile(r"<a\b[^>]*>\s*(continue reading|read more)[^<]*</a>", re.I)
_BLOCK_TAG_RE = re.compile(r"</?(p|br|div|li|h[1-6]|blockquote|figure|tr)\b[^>]*>", re.I)
_TAG_RE = re.compile(r"<[^>]+>")
# Typographic quotes and dashes, made ASCII. Not str.translate: on non-ASCII text it looks
# every character up in a dict, 25x the time of a replace for each one present.
_QUOTES = (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("«", '"'), ("»", '"'),
           ("–", "-"), ("—", "-"), ("‑", "-"))
# A search for any of them is one C scan; most text has none.
_QUOTES_RE = re.compile("[" + "".join(typographic for typographic, _ in _QUOTES) + "]")
# A sentence ends at . ! ? followed by space and an upper-case letter or quote, or at a
# paragraph break; abbreviations such as "U.S." and "Mr." must not split.
_SENT_RE = re.compile(r"(?<=[.!?])[\"')]*\s+(?=[\"'(]?[A-ZА-ЯІЇЄҐ0-9])|\n+")
_ABBREV_END = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|St|Gen|Lt|Col|Sen|Rep|Gov|Prof|Jr|Sr|vs)"
                         r"|\b[A-Z]|\b(?:U\.S|U\.K|U\.N|E\.U))\.$")
_WORD_RE = re.compile(r"\w+")


def clean_html(text: str) -> str:
    """Strip tags, related-link lists and entities; keep paragraph breaks as newlines."""
    if "<" in text:
        text = _LIST_RE.sub("\n", text)
        text = _CONTINUE_RE.sub(" ", text)
        text = _BLOCK_TAG_RE.sub("\n", text)
        text = _TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    if _QUOTES_RE.search(text):
        for typographic, plain in _QUOTES:
            if typographic in text:
                text = text.replace(typographic, plain)
    text = squeeze_spaces(text)
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


def split_sentences(text: str) -> list[str]:
    """Split clean text into sentences, keeping abbreviations such as U.S. intact."""
    parts: list[str] = []
    pending = ""
    for piece in _SENT_RE.split(text):
        if not piece or not piece.strip():
            continue
        pending = f"{pending} {piece.strip()}" if pending else piece.strip()
        if _ABBREV_END.search(pending):
            continue
        parts.append(pending)
        pending = ""
    if pending:
        parts.append(pending)
    return parts


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens; hyphens, dots and apostrophes separate words."""
    return _WORD_RE.findall(text.lower())


@dataclass(frozen=True)
class Document:
    """An item's text: its sentences (title first) and their tokens."""

    sentences: tuple[str, ...]
    title_count: int

    @property
    def text(self) -> str:
        """All sentences joined, one per line."""
        return "\n".join(self.sentences)


def make_document(title: str, summary: str, content: str) -> Document:
    """Build the Document of an item from its title, summary and content."""
    title_sents = split_sentences(clean_html(title).replace("\n", " ")) if title else []
    body = clean_html(summary) if summary else ""
    if content:
        extra = clean_html(content)
        # Feeds often repeat the summary at the top of the content.
        body = extra if body and extra.startswith(body[:80]) else f"{body}\n{extra}".strip()
    return Document(tuple(title_sents + split_sentences(body)), len(title_sents))
