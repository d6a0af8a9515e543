"""OPML: the feed list in the format every feed reader imports and exports."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from monitor.errors import MonitorError

MAX_OPML_BYTES = 5_000_000


class OpmlError(MonitorError):
    """An OPML document that cannot be read."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline."""

    url: str
    name: str | None = None


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every outline with an xmlUrl, in document order, once each."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"opml: document over {MAX_OPML_BYTES} bytes")
    # Entity declarations are how XML bombs work; an OPML file never needs them.
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise OpmlError("opml: DOCTYPE and ENTITY declarations are not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"opml: not well-formed XML: {exc}") from None
    if root.tag.lower() != "opml":
        raise OpmlError(f"opml: root element is <{root.tag}>, not <opml>")
    feeds: list[OpmlFeed] = []
    seen: set[str] = set()
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if not url or url in seen:
            continue
        seen.add(url)
        name = node.get("title") or node.get("text") or None
        feeds.append(OpmlFeed(url, name.strip() if name else None))
    return feeds


def write_opml(feeds: Iterable[OpmlFeed], title: str = "talks-monitor feeds",
               now: datetime | None = None) -> bytes:
    """An OPML 2.0 document listing the feeds."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC))
    body = ET.SubElement(root, "body")
    for feed in feeds:
        label = feed.name or feed.url
        ET.SubElement(body, "outline", type="rss", text=label, title=label, xmlUrl=feed.url)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
