"""A feed farm on loopback: 1,000+ generated RSS 2.0 and Atom feeds with validators and 304s.

Run alone: `python bench/feedfarm.py --feeds 1000` prints the base URL and serves until killed.
Feed i is served at http://127.0.0.<1 + i % hosts>:<port>/feeds/<i>.xml: spreading the feeds
over several loopback addresses keeps the pollers' per-host politeness limits realistic.
Control: GET /_farm/mode/honour (304 on matching validators, the default), /_farm/mode/ignore
(always 200 with identical bytes), /_farm/stats (request counters as JSON).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import random
import re
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "news-entries-2022-2023.jsonl.gz"
ITEMS = 30
# Every feed claims the same modification time: what matters is that it never changes.
LAST_MODIFIED = "Mon, 16 Nov 2026 08:00:00 GMT"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class Story:
    """Text of one news item, from the corpus or generated."""

    title: str
    summary: str
    link: str
    published: datetime
    outlet: str


def _parse_date(value: str) -> datetime:
    """The corpus has two date formats; anything else becomes a fixed day."""
    for fmt in ("%Y-%m-%d %H:%M:%S%z", "%a, %d %b %Y %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value.strip(), fmt).astimezone(UTC)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return datetime(2022, 3, 1, tzinfo=UTC)


def load_stories(limit: int = 20_000) -> list[Story]:
    """Real entries from the shared corpus when present, else generated ones."""
    if not CORPUS.exists():
        return generated_stories(limit)
    out: list[Story] = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            title, summary = (row.get("title") or "").strip(), (row.get("description") or "").strip()
            if not title or len(summary) < 40 or "<" in summary:
                continue
            link = row.get("link") or "https://news.example/a"
            outlet = re.sub(r"^https?://(www\.)?", "", row.get("source") or "news.example").split("/")[0]
            out.append(Story(title, summary, link, _parse_date(row.get("date_published") or ""),
                             outlet))
            if len(out) >= limit:
                break
    return out or generated_stories(limit)


_WHO = ["Russian", "Ukrainian", "Turkish", "French", "German", "US", "Chinese", "Belarusian"]
_ROLE = ["negotiators", "officials", "diplomats", "foreign ministers", "delegations", "envoys"]
_WHAT = ["met in Istanbul for a new round of peace talks", "discussed a ceasefire along the front",
         "agreed on a prisoner exchange", "reviewed grain exports across the Black Sea",
         "reported shelling near Kharkiv", "debated energy prices in the EU",
         "announced sanctions on banks", "opened a humanitarian corridor from Mariupol"]


def generated_stories(n: int) -> list[Story]:
    """Plausible news items when the corpus is absent (deterministic)."""
    rnd = random.Random(8)
    out = []
    for i in range(n):
        who, role, what = rnd.choice(_WHO), rnd.choice(_ROLE), rnd.choice(_WHAT)
        title = f"{who} {role} {what}"
        summary = (f"{who} {role} {what} on {rnd.choice(['Monday', 'Tuesday', 'Friday'])}, "
                   f"according to {rnd.choice(_WHO).lower()} media. "
                   f"Talks are expected to continue, {rnd.choice(_ROLE)} said. "
                   f"No date for the next meeting has been set.")
        out.append(Story(title, summary, f"https://news.example/{i}",
                         datetime(2022, 2, 24, tzinfo=UTC) + timedelta(hours=7 * i), "news.example"))
    return out


def _slug(title: str) -> str:
    """A URL slug of a title."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "story"


@dataclass(frozen=True, slots=True)
class Item:
    """One item as both formats render it."""

    key: str
    title: str
    link: str
    published: datetime
    author: str
    categories: tuple[str, ...]
    summary: str
    content_html: str


def feed_items(stories: list[Story], feed: int) -> Iterator[Item]:
    """The 30 items of one feed: real text, a unique link and GUID per item."""
    n = len(stories)
    rnd = random.Random(feed)
    for j in range(ITEMS):
        s = stories[(feed * ITEMS + j) * 7919 % n]
        extra = stories[(feed * ITEMS + j) * 104729 % n]
        # Two to three sentences: the corpus gives one to three; top up from another story.
        sentences = _SENTENCE.split(s.summary)
        if len(sentences) < 2:
            sentences += _SENTENCE.split(extra.summary)[:1]
        summary = " ".join(sentences[:3])
        more = f'<a href="{escape(s.link)}">{escape(s.outlet)}</a>'
        content = f"<p>{escape(summary)}</p><p>Read more at {more}.</p>"
        yield Item(
            key=f"{feed:05d}-{j:02d}",
            title=s.title,
            link=f"https://{s.outlet}/news/{s.published:%Y/%m/%d}/{_slug(s.title)}-{feed:05d}{j:02d}",
            published=s.published + timedelta(minutes=rnd.randrange(600)),
            author=rnd.choice(["Reuters staff", "AP", "Our correspondent", "Staff writer"]),
            categories=tuple(rnd.sample(["World", "Europe", "Ukraine", "Russia", "Politics",
                                         "Diplomacy", "Economy"], 2)),
            summary=summary,
            content_html=content,
        )


def render_rss(feed: int, base: str, items: list[Item]) -> bytes:
    """An RSS 2.0 document with content:encoded and dc:creator, as big sites publish."""
    newest = max(i.published for i in items)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
        f"<channel>\n<title>Farm feed {feed}: world news</title>\n"
        f"<link>{base}/site/{feed}</link>\n"
        f'<atom:link href="{base}/feeds/{feed}.xml" rel="self" type="application/rss+xml"/>\n'
        f"<description>Generated feed {feed} of the benchmark farm</description>\n"
        f"<language>en-us</language>\n<lastBuildDate>{format_datetime(newest)}</lastBuildDate>\n"
        "<ttl>15</ttl>\n"
    ]
    for it in items:
        cats = "".join(f"<category>{c}</category>" for c in it.categories)
        parts.append(
            f"<item>\n<title>{escape(it.title)}</title>\n<link>{escape(it.link)}</link>\n"
            f'<guid isPermaLink="false">farm-{it.key}</guid>\n'
            f"<pubDate>{format_datetime(it.published)}</pubDate>\n"
            f"<dc:creator>{escape(it.author)}</dc:creator>\n{cats}\n"
            f"<description>{escape(it.summary)}</description>\n"
            f"<content:encoded><![CDATA[{it.content_html}]]></content:encoded>\n</item>\n"
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts).encode("utf-8")


def render_atom(feed: int, base: str, items: list[Item]) -> bytes:
    """An Atom 1.0 document with summary and HTML content."""
    newest = max(i.published for i in items)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xml:lang="en">\n'
        f"<title>Farm feed {feed}: world news</title>\n"
        f'<link href="{base}/site/{feed}" rel="alternate"/>\n'
        f'<link href="{base}/feeds/{feed}.xml" rel="self"/>\n'
        f"<id>urn:farm:feed:{feed}</id>\n<updated>{newest.isoformat()}</updated>\n"
        f"<subtitle>Generated feed {feed} of the benchmark farm</subtitle>\n"
    ]
    for it in items:
        cats = "".join(f'<category term="{c}"/>' for c in it.categories)
        parts.append(
            f"<entry>\n<title>{escape(it.title)}</title>\n"
            f'<link href="{escape(it.link)}" rel="alternate"/>\n<id>urn:farm:{it.key}</id>\n'
            f"<published>{it.published.isoformat()}</published>\n"
            f"<updated>{it.published.isoformat()}</updated>\n"
            f"<author><name>{escape(it.author)}</name></author>\n{cats}\n"
            f'<summary type="text">{escape(it.summary)}</summary>\n'
            f'<content type="html">{escape(it.content_html)}</content>\n</entry>\n'
        )
    parts.append("</feed>\n")
    return "".join(parts).encode("utf-8")


def host_of(feed: int, hosts: int) -> str:
    """The loopback address feed i is served on."""
    return f"127.0.0.{1 + feed % hosts}"


def feed_url(feed: int, port: int, hosts: int) -> str:
    """The URL of feed i."""
    return f"http://{host_of(feed, hosts)}:{port}/feeds/{feed}.xml"


def render_feed(feed: int, port: int, hosts: int, stories: list[Story]) -> bytes:
    """Feed i's bytes: even feeds RSS 2.0, odd ones Atom."""
    base = f"http://{host_of(feed, hosts)}:{port}"
    items = list(feed_items(stories, feed))
    return (render_rss if feed % 2 == 0 else render_atom)(feed, base, items)


@dataclass
class Farm:
    """Pre-rendered bodies and the serving state."""

    bodies: dict[str, tuple[bytes, str, str]]  # path → body, content type, etag
    honour: bool = True
    stats: Counter[str] = field(default_factory=Counter)

    def answer(self, method: str, path: str, headers: dict[str, str]) -> bytes:
        """The whole HTTP response to one request."""
        if path.startswith("/_farm/"):
            return self._control(path)
        self.stats["requests"] += 1
        found = self.bodies.get(path.split("?", 1)[0])
        if found is None:
            self.stats["404"] += 1
            return _response(404, [("Content-Type", "text/plain")], b"not found\n")
        body, ctype, etag = found
        common = [("ETag", etag), ("Last-Modified", LAST_MODIFIED),
                  ("Cache-Control", "max-age=60")]
        if self.honour and (headers.get("if-none-match") == etag
                            or headers.get("if-modified-since") == LAST_MODIFIED):
            self.stats["304"] += 1
            return _response(304, common, b"")
        self.stats["200"] += 1
        return _response(200, [("Content-Type", ctype), *common],
                         b"" if method == "HEAD" else body, len(body))

    def _control(self, path: str) -> bytes:
        """Switch modes or report counters."""
        if path == "/_farm/mode/ignore":
            self.honour = False
        elif path == "/_farm/mode/honour":
            self.honour = True
        elif path not in ("/_farm/reset", "/_farm/stats"):
            return _response(404, [], b"")
        data = json.dumps({"honour": self.honour, **self.stats}).encode()
        if path == "/_farm/reset":
            self.stats.clear()
        return _response(200, [("Content-Type", "application/json")], data)


_REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found", 400: "Bad Request"}


def _response(status: int, headers: list[tuple[str, str]], body: bytes,
              length: int | None = None) -> bytes:
    """Status line, headers and body as bytes."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}", "Server: feedfarm",
             *(f"{k}: {v}" for k, v in headers)]
    if status != 304:
        lines.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Http(asyncio.Protocol):
    """Minimal HTTP/1.1 with keep-alive and pipelining; requests have no bodies."""

    def __init__(self, farm: Farm) -> None:
        self.farm = farm
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.farm.stats["connections"] += 1

    def data_received(self, data: bytes) -> None:
        """Answer every complete request in the buffer."""
        self.buf += data
        while self.transport is not None and b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            try:
                method, path, version = lines[0].split(" ", 2)
            except ValueError:
                self.transport.write(_response(400, [("Connection", "close")], b""))
                self.transport.close()
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            self.transport.write(self.farm.answer(method, path, headers))
            keep = headers.get("connection", "").lower()
            if keep == "close" or (version == "HTTP/1.0" and keep != "keep-alive"):
                self.transport.close()
                self.transport = None


def build_farm(feeds: int, port: int, hosts: int) -> Farm:
    """Render every feed once; serving is then a dictionary look-up."""
    stories = load_stories()
    bodies = {}
    for i in range(feeds):
        body = render_feed(i, port, hosts, stories)
        ctype = "application/rss+xml; charset=utf-8" if i % 2 == 0 else "application/atom+xml"
        etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        bodies[f"/feeds/{i}.xml"] = (body, ctype, etag)
    return Farm(bodies)


def _free_port() -> int:
    """A port free on every loopback address we bind (chosen on 127.0.0.1)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve(feeds: int, port: int, hosts: int) -> None:
    """Render the feeds, listen on every loopback address, print the port, serve until killed."""
    port = port or _free_port()
    farm = build_farm(feeds, port, hosts)
    loop = asyncio.get_running_loop()
    servers = [await loop.create_server(lambda: _Http(farm), f"127.0.0.{h + 1}", port,
                                        backlog=1024, reuse_address=True) for h in range(hosts)]
    size = sum(len(b) for b, _, _ in farm.bodies.values())
    # Which items: a run on generated ones is another workload (far more of them relevant).
    print(json.dumps({"port": port, "hosts": hosts, "feeds": feeds,
                      "mean_bytes": size // max(1, feeds),
                      "items": "corpus" if CORPUS.exists() else "generated"}), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free one")
    ap.add_argument("--hosts", type=int, default=25, help="loopback addresses to spread feeds over")
    args = ap.parse_args(argv)
    if not 1 <= args.hosts <= 250:
        sys.exit("feedfarm: --hosts must be 1..250")
    asyncio.run(serve(args.feeds, args.port, args.hosts))


if __name__ == "__main__":
    main()
