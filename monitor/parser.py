"""Parser: feed bytes to normalised entries with feedparser; pure, so it runs in a worker."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from monitor.fastparse import fast_parse
from monitor.normalizer import canonical_url, content_hash, item_key, plain_text
from monitor.values import Entry, ParsedFeed

MAX_ENTRIES = 2000
MAX_FIELD = 100_000
# A document that fails to parse with one of these and yields nothing is not a feed.
_FATAL_HINT = "not well-formed"


def _when(entry: Any, *names: str) -> datetime | None:
    """The first usable date among feedparser's *_parsed fields, as aware UTC."""
    for name in names:
        value = entry.get(name)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _content(entry: Any) -> str:
    """The longest content block of an entry, as plain text."""
    blocks = entry.get("content") or []
    texts = [plain_text(b.get("value")) for b in blocks if isinstance(b, dict)]
    return max(texts, key=len, default="")[:MAX_FIELD]


def _entry(raw: Any, language: str | None) -> Entry:
    """Normalise one feedparser entry."""
    title = plain_text(raw.get("title"))[:2000]
    summary = plain_text(raw.get("summary"))[:MAX_FIELD]
    content = _content(raw)
    if content == summary:
        content = ""
    link = raw.get("link") or None
    if link and not isinstance(link, str):
        link = None
    guid = raw.get("id") or raw.get("guid") or None
    if guid and not isinstance(guid, str):
        guid = str(guid)
    canonical = canonical_url(link)
    digest = content_hash(title, summary, content)
    author = raw.get("author")
    return Entry(
        item_key=item_key(guid, canonical, digest),
        guid=guid[:1000] if guid else None,
        url=link[:2000] if link else None,
        canonical_url=canonical[:2000] if canonical else None,
        title=title,
        summary=summary,
        content=content,
        author=plain_text(author)[:300] if isinstance(author, str) else None,
        published=_when(raw, "published_parsed", "updated_parsed", "created_parsed"),
        content_hash=digest,
        language=language,
    )


def parse_feed(body: bytes, url: str, content_type: str | None = None, *,
               fast: bool = True) -> ParsedFeed:
    """Parse one document; a document that is not a feed gives a ParsedFeed with `error`."""
    read = fast_parse(body, url, content_type) if fast else None
    if read is not None:
        # Plain RSS 2.0 or Atom that reads as feedparser would read it, for a tenth of the cost.
        feed, raw_entries, bozo = read[0], read[1][:MAX_ENTRIES], None
    else:
        headers = {"content-location": url}
        if content_type:
            headers["content-type"] = content_type
        try:
            result = feedparser.parse(body, response_headers=headers, sanitize_html=True)
        except Exception as exc:  # feedparser can raise on pathological input; record, never crash
            return ParsedFeed(None, None, None, (), error=f"parse: {type(exc).__name__}: {exc}")
        feed = result.get("feed", {})
        bozo = result.get("bozo_exception") if result.get("bozo") else None
        raw_entries = result.get("entries", [])[:MAX_ENTRIES]
        # A channel with no items is a feed (e.g. CDF); markup with neither, or broken XML, is not.
        if not result.get("version") and not raw_entries and (bozo or not feed):
            reason = f"{type(bozo).__name__}: {bozo}" if bozo else "no feed elements found"
            return ParsedFeed(None, None, None, (), error=f"parse: not a feed ({reason})")
    language = feed.get("language") or None
    entries = []
    seen: set[str] = set()
    for raw in raw_entries:
        entry = _entry(raw, language)
        # Some feeds repeat an item; keep its first occurrence.
        if entry.item_key in seen:
            continue
        seen.add(entry.item_key)
        entries.append(entry)
    ttl = feed.get("ttl")
    ttl_seconds = float(ttl) * 60 if isinstance(ttl, str) and ttl.strip().isdigit() else None
    warning = f"parse: {type(bozo).__name__}: {bozo}"[:500] if bozo else None
    return ParsedFeed(
        title=plain_text(feed.get("title"))[:500] or None,
        link=feed.get("link") if isinstance(feed.get("link"), str) else None,
        ttl_seconds=ttl_seconds,
        entries=tuple(entries),
        warning=warning,
    )
