"""Parser fast path: plain RSS 2.0 and Atom 1.0 read with ElementTree, as feedparser reads them.

feedparser spends ~2 ms an item (SAX callbacks in Python, an sgmllib sanitiser); expat building
an ElementTree in C is some 20 times cheaper. The fast path returns feedparser-shaped dicts for
the fields monitor.parser uses, or None whenever it cannot be sure feedparser would read the
document the same way (a DOCTYPE, xml:base, an unlisted element, markup the sanitiser would
rewrite, a date or charset it would complain about); the caller then uses feedparser. Tests
compare both readings on real corpora (tests/test_fastparse.py).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError, XMLParser

from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.sanitizer import _HTMLSanitizer
from feedparser.urls import _urljoin

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_MEDIA = "{http://search.yahoo.com/mrss/}"

# Elements whose content feedparser keeps out of the fields we read (or reads as we do).
_RSS_CHANNEL = frozenset({
    "title", "link", "description", "language", "copyright", "managingEditor", "webMaster",
    "pubDate", "lastBuildDate", "category", "generator", "docs", "cloud", "ttl", "image",
    "rating", "skipHours", "skipDays", "item", ATOM + "link",
    "{http://purl.org/rss/1.0/modules/syndication/}updatePeriod",
    "{http://purl.org/rss/1.0/modules/syndication/}updateFrequency",
})
_RSS_ITEM = frozenset({
    "title", "link", "guid", "description", "pubDate", "category", "comments", "enclosure",
    CONTENT + "encoded", DC + "creator", DC + "date", DC + "subject",
    "{http://wellformedweb.org/CommentAPI/}commentRss",
    "{http://purl.org/rss/1.0/modules/slash/}comments",
    _MEDIA + "thumbnail", _MEDIA + "content",
})
_ATOM_FEED = frozenset(ATOM + t for t in (
    "title", "subtitle", "link", "id", "updated", "author", "generator", "icon", "logo", "rights",
    "category", "entry"))
_ATOM_ENTRY = frozenset(ATOM + t for t in (
    "title", "link", "id", "published", "updated", "author", "summary", "content", "category",
    "rights"))
# Elements with children we read or ignore as a whole; any other child makes us unsure.
_PARENTS = frozenset({"image", "cloud", "skipHours", "skipDays", "item", ATOM + "author",
                      ATOM + "entry"})
_ATOM_AUTHOR = frozenset({ATOM + "name", ATOM + "email", ATOM + "uri"})

_XML_DECL = re.compile(rb"^<\?xml[^>]*?encoding=[\"']([^\"']+)[\"']")
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/xml"})
# What the sanitiser keeps as it was, up to entity spelling; plain_text drops these wholesale.
_SAFE_TAGS = frozenset(_HTMLSanitizer.acceptable_elements) - {
    "script", "style", "iframe", "object", "embed", "noscript", "svg", "math"}
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>")
_C1 = re.compile("[\x80-\x9f]")
_AMP = re.compile(r"&(?!(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|\s|$)")
_LINK_REF = re.compile(r"&([A-Za-z0-9_]+);")
_looks_like_html = _FeedParserMixin.looks_like_html


class Unsure(Exception):
    """Raised inside the fast path when feedparser has to read the document."""


def fast_parse(body: bytes, url: str, content_type: str | None) -> tuple[dict[str, Any],
                                                                          list[dict[str, Any]]] | None:
    """(feed, entries) as feedparser would give them, or None when only feedparser can tell."""
    if not _plain_document(body, content_type):
        return None
    parser = XMLParser()
    try:
        parser.feed(body)
        root = parser.close()
        if root.tag == "rss" and root.get("version") == "2.0":
            return _rss(root, url)
        if root.tag == ATOM + "feed":
            return _atom(root, url)
    except (ParseError, Unsure, ValueError, TypeError, OverflowError):
        return None
    return None


def _plain_document(body: bytes, content_type: str | None) -> bool:
    """UTF-8 XML served as a feed type, without DTD or xml:base: nothing feedparser warns about."""
    if content_type is None or b"<!DOCTYPE" in body or b"xml:base" in body or b"<!ENTITY" in body:
        return False
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    charset = params.strip().lower()
    if charset and charset.replace(" ", "") not in ('charset=utf-8', 'charset="utf-8"'):
        return False
    if media not in _FEED_TYPES and not (media == "text/xml" and charset):
        return False
    if not body.startswith((b"<?xml", b"<rss", b"<feed")):
        return False
    decl = _XML_DECL.match(body)
    return decl is None or decl.group(1).lower() in (b"utf-8", b"utf8")


def _check(el: Element, allowed: frozenset[str]) -> None:
    """Children are listed; text elements have no children; no attribute sets a language."""
    for child in el:
        if child.tag not in allowed:
            raise Unsure(child.tag)
        if len(child) and child.tag not in _PARENTS:
            raise Unsure(f"children in {child.tag}")
        if XML_LANG in child.attrib:
            raise Unsure("xml:lang below the root")


def _text(el: Element) -> str:
    """An element's text as feedparser's pop() leaves it (stripped, its UTF-8 repairs applied)."""
    out = (el.text or "").strip()
    if out.isascii():
        return out
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        out = out.encode("iso-8859-1").decode("utf-8")
    # translate() with a dict walks the string in Python-level steps; most text has no C1 codes.
    return out.translate(_cp1252) if _C1.search(out) else out


# An absolute http(s) URL that urljoin gives back unchanged: urljoin re-assembles it from its
# parts, which drops an empty query, fragment or parameters, lower-cases the scheme, removes
# blanks and refuses a bad IPv6 host; none of that can happen to these.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9][^\x00-\x20\x7f\[\];]*")


def _join(base: str, value: str) -> str:
    """feedparser's _urljoin(base, value), without its work for a plain absolute URL."""
    if (_PLAIN_URL.fullmatch(value) and value.isascii() and "?#" not in value
            and not value.endswith(("?", "#"))):
        return value  # most links: the same answer without splitting and re-joining them
    return _urljoin(base, value)


def _resolve(url: str, value: str) -> str:
    """A URL resolved against the feed's, as feedparser does for non-empty link fields."""
    return _join(url, value) if value else value


def _html(value: str) -> str:
    """Markup the sanitiser would pass unchanged (as plain_text sees it), else Unsure."""
    if "<" not in value and ">" not in value and "&" not in value:
        return value
    if not {name.lower() for name in _TAG.findall(value)} <= _SAFE_TAGS:
        raise Unsure("markup the sanitiser would drop")
    rest = _TAG.sub("", value)
    if "<" in rest or ">" in rest or _AMP.search(rest):
        raise Unsure("markup the sanitiser would rewrite")
    return value


def _once(seen: set[str], tag: str) -> None:
    """A field given twice is resolved by feedparser's depth rules; leave that to it."""
    if tag in seen:
        raise Unsure(f"{tag} twice")
    seen.add(tag)


def _rss(root: Element, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An RSS 2.0 document."""
    if len(root) != 1 or root[0].tag != "channel" or root[0].attrib or (
            root.attrib.keys() - {"version", XML_LANG}):
        raise Unsure("rss layout")
    channel = root[0]
    _check(channel, _RSS_CHANNEL)
    feed: dict[str, Any] = {}
    if root.get(XML_LANG):
        feed["language"] = root.get(XML_LANG, "").replace("_", "-")
    entries = []
    seen: set[str] = set()
    for el in channel:
        tag = el.tag
        if tag == "item":
            entries.append(_rss_item(el, url))
            continue
        if tag in ("title", "link", "language", "ttl"):
            _once(seen, tag)
        if tag == "title":
            value = _text(el)
            feed["title"] = _html(value) if _looks_like_html(value) else value
        elif tag == "link":
            feed["link"] = _LINK_REF.sub(r"&\g<1>", _resolve(url, _text(el)))
        elif tag == "language":
            feed["language"] = _text(el)
        elif tag == "ttl":
            feed["ttl"] = _text(el)
        elif tag == ATOM + "link" and el.get("rel", "alternate") not in ("self", "hub", "next"):
            raise Unsure("atom:link alternate in a channel")
    return feed, entries


def _rss_item(item: Element, url: str) -> dict[str, Any]:
    """One RSS item."""
    _check(item, _RSS_ITEM)
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    permalink_guid = None
    for el in item:
        tag = el.tag
        if tag in ("category", "comments", "enclosure") or tag.startswith(_MEDIA):
            continue
        _once(seen, tag)
        if tag == "title":
            value = _text(el)
            entry["title"] = _html(value) if _looks_like_html(value) else value
        elif tag == "description":
            entry["summary"] = _html(_text(el))
        elif tag == CONTENT + "encoded":
            entry["content"] = [{"value": _html(_text(el))}]
        elif tag == "link":
            value = _resolve(url, _text(el)).replace("&amp;", "&")
            entry["link"] = _LINK_REF.sub(r"&\g<1>", value)
        elif tag == "guid":
            permalink = el.get("isPermaLink", el.get("ispermalink", "true")) == "true"
            if len(el.attrib) > 1 or (el.attrib and "isPermaLink" not in el.attrib):
                raise Unsure("guid attributes")
            value = _text(el)
            entry["id"] = _resolve(url, value) if permalink else value
            if permalink:
                permalink_guid = entry["id"]
        elif tag == "pubDate":
            entry["published_parsed"] = _parse_date(_text(el))
        elif tag == DC + "date":
            entry["updated_parsed"] = _parse_date(_text(el))
        elif tag == DC + "creator":
            entry["author"] = _text(el)
    if "link" not in entry and permalink_guid is not None:
        entry["link"] = permalink_guid
    if "summary" not in entry and "content" in entry:
        entry["summary"] = entry["content"][0]["value"]
    return entry


def _atom(root: Element, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An Atom 1.0 document."""
    _check(root, _ATOM_FEED)
    feed: dict[str, Any] = {}
    if root.get(XML_LANG):
        feed["language"] = root.get(XML_LANG, "").replace("_", "-")
    entries = []
    seen: set[str] = set()
    for el in root:
        tag = el.tag
        if tag == ATOM + "entry":
            entries.append(_atom_entry(el, url))
        elif tag == ATOM + "title":
            _once(seen, tag)
            feed["title"] = _atom_text(el)
        elif tag == ATOM + "link":
            href = _alternate(el, url)
            if href is not None:
                feed["link"] = href
    return feed, entries


def _alternate(el: Element, url: str) -> str | None:
    """The href of an alternate HTML link, resolved; None for other links."""
    rel = el.get("rel", "alternate")
    kind = el.get("type", "application/atom+xml" if rel == "self" else "text/html").lower()
    href = el.get("href")
    if href is None:
        raise Unsure("link without href")
    if rel == "alternate" and kind in ("text/html", "html", "application/xhtml+xml", "xhtml"):
        return _join(url, href)
    return None


def _atom_text(el: Element) -> str:
    """A text construct: plain text as is, HTML only when the sanitiser would keep it."""
    kind = el.get("type", "text")
    if kind in ("text", "text/plain"):
        return _text(el)
    if kind in ("html", "text/html"):
        return _html(_text(el))
    raise Unsure(f"text construct of type {kind}")


def _atom_entry(entry_el: Element, url: str) -> dict[str, Any]:
    """One Atom entry."""
    _check(entry_el, _ATOM_ENTRY)
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    link: str | None = None
    for el in entry_el:
        tag = el.tag[len(ATOM):]
        if tag in ("category", "rights"):
            continue
        if tag == "link":
            href = _alternate(el, url)
            link = href if href is not None else link
            continue
        _once(seen, tag)
        if tag == "title":
            entry["title"] = _atom_text(el)
        elif tag == "summary":
            entry["summary"] = _atom_text(el)
        elif tag == "content":
            if "src" in el.attrib:
                raise Unsure("content by reference")
            entry["content"] = [{"value": _atom_text(el)}]
        elif tag == "id":
            value = _text(el)
            entry["id"] = _resolve(url, value)
        elif tag == "published":
            entry["published_parsed"] = _parse_date(_text(el))
        elif tag == "updated":
            entry["updated_parsed"] = _parse_date(_text(el))
        elif tag == "author":
            entry["author"] = _author(el)
    # An Atom id stands in for the link when there is none (feedparser's guidislink).
    entry["link"] = link if link is not None else entry.get("id")
    if entry["link"] is None:
        del entry["link"]
    if "summary" not in entry and "content" in entry:
        entry["summary"] = entry["content"][0]["value"]
    return entry


def _author(el: Element) -> str | None:
    """'name (email)', 'name' or 'email', as feedparser joins an Atom person."""
    _check(el, _ATOM_AUTHOR)
    parts = {child.tag[len(ATOM):]: (child.text or "").strip() for child in el}
    if len(parts) != len(el):
        raise Unsure("author field twice")
    name, email = parts.get("name"), parts.get("email")
    if name and email:
        return f"{name} ({email})"
    return name or email or None
