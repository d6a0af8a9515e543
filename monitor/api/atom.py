"""Atom feeds (RFC 4287): the events, and one per saved search; any feed reader subscribes."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from monitor.api.errors import ERROR_RESPONSES
from monitor.api.routes import Svc, article_query
from monitor.query import ArticleQuery
from monitor.query.values import AlertRow, ArticleHit

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
ID_BASE = "tag:talks-monitor,2025:"  # tag URIs (RFC 4151): stable whatever the host name
EVENT_TITLES = {"round.new": "New round", "round.updated": "Round updated", "terms.new": "New terms"}
ET.register_namespace("", ATOM)

router = APIRouter(responses=ERROR_RESPONSES)
_ATOM_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {MEDIA_TYPE: {"schema": {"type": "string"}}}, "description": "an Atom feed"}}


def _stamp(when: datetime | None) -> str:
    """RFC 3339 time in UTC."""
    when = when or datetime(1970, 1, 1, tzinfo=UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """A child element in the Atom namespace."""
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        el.text = _xml_safe(text)
    return el


def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters from feeds)."""
    return "".join(c for c in text if c in "\t\n\r" or (" " <= c <= "\ud7ff")
                   or ("\ue000" <= c <= "\ufffd") or c >= "\U00010000")


def _feed(feed_id: str, title: str, self_url: str, alt_url: str, updated: datetime | None) -> ET.Element:
    """The feed element with its required children."""
    root = ET.Element(f"{{{ATOM}}}feed")
    _add(root, "id", ID_BASE + feed_id)
    _add(root, "title", title)
    _add(root, "updated", _stamp(updated or datetime.now(UTC)))
    _add(root, "link", rel="self", href=self_url, type=MEDIA_TYPE)
    _add(root, "link", rel="alternate", href=alt_url, type="text/html")
    author = _add(root, "author")
    _add(author, "name", "talks-monitor")
    _add(root, "generator", "talks-monitor")
    return root


def _render(root: ET.Element) -> Response:
    """The feed as a response."""
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type=MEDIA_TYPE)


def _event_html(e: AlertRow) -> str:
    """An event's sentence, terms and evidence articles as escaped HTML."""
    p = e.payload if isinstance(e.payload, dict) else {}
    parts = [f"<p>{html.escape(e.summary or EVENT_TITLES.get(e.type, e.type))}</p>"]
    terms = [t for t in p.get("terms") or [] if isinstance(t, dict)]
    if terms:
        items = "".join(f"<li>{html.escape(str(t.get('key')))} — "
                        f"{html.escape(str(t.get('proposer') or '?'))}, "
                        f"{html.escape(str(t.get('stance') or ''))}</li>" for t in terms)
        parts.append(f"<ul>{items}</ul>")
    arts = [a for a in p.get("articles") or [] if isinstance(a, dict)]
    if arts:
        items = "".join(f'<li><a href="{html.escape(safe_url(a.get("url")) or "")}">'
                        f"{html.escape(str(a.get('title') or ''))}</a> "
                        f"({html.escape(str(a.get('source') or ''))})</li>" for a in arts)
        parts.append(f"<ul>{items}</ul>")
    return "".join(parts)


def safe_url(url: Any) -> str | None:
    """A link from a feed, kept only when it is http(s): never javascript: or data:."""
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        return url
    return None


def _first_link(e: AlertRow, base: str) -> str:
    """Where an event entry links: the articles on its round, else the timeline."""
    return f"{base}search?round={e.round_id}" if e.round_id else base


@router.get("/feeds/events.atom", tags=["feeds"], response_class=Response, responses=_ATOM_RESPONSE)
def events_feed(request: Request, svc: Svc) -> Response:
    """Events (new rounds, updates, new terms) as an Atom feed, newest first."""
    events = svc.events(50)
    base = str(request.base_url)
    root = _feed("events", "Peace talks: new rounds and terms", str(request.url), base,
                 events[0].created_at if events else None)
    for e in events:
        entry = _add(root, "entry")
        _add(entry, "id", f"{ID_BASE}event/{e.id}")
        _add(entry, "title", e.summary or EVENT_TITLES.get(e.type, e.type))
        _add(entry, "updated", _stamp(e.created_at))
        _add(entry, "published", _stamp(e.created_at))
        _add(entry, "link", rel="alternate", href=_first_link(e, base))
        _add(entry, "category", term=e.type)
        _add(entry, "content", _event_html(e), type="html")
    return _render(root)


@router.get("/feeds/search.atom", tags=["feeds"], response_class=Response, responses=_ATOM_RESPONSE)
def search_feed(request: Request, svc: Svc,
                query: Annotated[ArticleQuery, Depends(article_query)]) -> Response:
    """A saved search as an Atom feed: the newest matching articles."""
    page = svc.search(replace(query, sort=query.sort or "newest", cursor=None))
    base = str(request.base_url)
    title = f"Articles matching {query.q!r}" if query.q else "Newest articles"
    search_url = str(request.url).replace("/feeds/search.atom", "/search", 1)
    updated = max((h.published_at for h in page.items if h.published_at), default=None)
    root = _feed("search/" + query.fingerprint(), title, str(request.url), search_url, updated)
    for h in page.items:
        _entry(root, h, base)
    return _render(root)


def _entry(root: ET.Element, h: ArticleHit, base: str) -> None:
    """One article as an entry; the snippet is already HTML-safe."""
    entry = _add(root, "entry")
    _add(entry, "id", f"{ID_BASE}article/{h.id}")
    _add(entry, "title", h.title or "(untitled)")
    _add(entry, "updated", _stamp(h.published_at))
    _add(entry, "link", rel="alternate", href=safe_url(h.url) or f"{base}api/articles/{h.id}")
    if h.source:
        src = _add(entry, "source")
        _add(src, "title", h.source)
    _add(entry, "summary", h.snippet_html, type="html")
