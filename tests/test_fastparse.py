"""The parser's fast path reads every document it accepts exactly as the feedparser path does."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

from monitor.fastparse import fast_parse
from monitor.parser import parse_feed

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
NEWS = CORPORA / "news-entries-2022-2023.jsonl.gz"
FEEDPARSER_TESTS = CORPORA / "feedparser-tests"
URL = "http://example.org/feeds/news.xml"


def _same(body: bytes, content_type: str | None, url: str = URL) -> bool:
    """True when the fast path took the document; fails when the two readings differ."""
    if fast_parse(body, url, content_type) is None:
        return False
    assert parse_feed(body, url, content_type) == parse_feed(body, url, content_type, fast=False)
    return True


RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
<title>Talks &amp; more</title><link>https://news.example/</link><language>en-gb</language>
<ttl>30</ttl>
<item><title>Delegations meet in Istanbul</title><link>https://news.example/a?utm_source=x&amp;id=1</link>
<guid isPermaLink="false">a-1</guid><pubDate>Tue, 29 Mar 2022 10:00:00 GMT</pubDate>
<dc:creator>Staff</dc:creator><category>World</category>
<description>&lt;p&gt;Russian and Ukrainian negotiators met &amp; talked.&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>Russian and Ukrainian negotiators met.</p><p>More <a href="/b">here</a>.</p>]]>
</content:encoded></item>
<item><title>No link, permalink guid</title><guid>42</guid><description>Short.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="uk"><title type="html">A &lt;b&gt;feed&lt;/b&gt;</title>
<link href="https://news.example/" rel="alternate"/><link href="/self" rel="self"/><id>urn:f</id>
<updated>2022-03-29T10:00:00Z</updated>
<entry><title>Round in Belarus</title><link href="/a/1"/><id>urn:a:1</id>
<published>2022-02-28T12:00:00+03:00</published><updated>2022-03-01T12:00:00Z</updated>
<author><name>Reporter</name><email>r@news.example</email></author>
<content type="html">&lt;p&gt;Talks &lt;em&gt;began&lt;/em&gt; on the border.&lt;/p&gt;</content></entry>
<entry><title>No link</title><id>https://news.example/b</id><summary>Text only</summary></entry>
</feed>"""


@pytest.mark.parametrize("body, ctype", [
    (RSS, "application/rss+xml; charset=utf-8"), (RSS, "application/xml"),
    (ATOM, "application/atom+xml"), (ATOM, "text/xml; charset=utf-8"),
])
def test_samples_take_the_fast_path_and_agree(body: bytes, ctype: str) -> None:
    """Typical news feeds are read by the fast path, with the feedparser path's result."""
    assert _same(body, ctype)
    parsed = parse_feed(body, URL, ctype)
    assert len(parsed.entries) == 2 and parsed.entries[0].published is not None


@pytest.mark.parametrize("body, ctype", [
    (RSS, None),  # feedparser warns about a missing Content-Type
    (RSS, "text/xml"),  # RFC 3023: us-ascii, a warning
    (RSS, "text/html"),
    (RSS.replace(b"<channel>", b'<!DOCTYPE rss><channel>', 1), "application/xml"),
    (RSS.replace(b"UTF-8", b"ISO-8859-1"), "application/xml"),
    (RSS.replace(b"<ttl>30</ttl>", b"<textInput><title>x</title></textInput>"), "application/xml"),
    (RSS.replace(b"Short.", b"a &lt;script&gt;x()&lt;/script&gt; b"), "application/xml"),
    (RSS.replace(b"Short.", b"AT&amp;T&amp;copy"), "application/xml"),
    (ATOM.replace(b"<feed ", b'<feed xml:base="http://other.example/" '), "application/xml"),
    (ATOM.replace(b'type="html">&lt;p', b'type="xhtml">&lt;p'), "application/xml"),
    (b"<rss version='2.0'><channel><item><title>x</title></item>", "application/xml"),
])
def test_unusual_documents_go_to_feedparser(body: bytes, ctype: str | None) -> None:
    """Whatever feedparser might read differently is left to feedparser."""
    assert fast_parse(body, URL, ctype) is None


@pytest.mark.skipif(not NEWS.exists(), reason="shared corpora absent (../shared/corpora)")
def test_news_corpus_as_feeds_agrees() -> None:
    """Real titles and descriptions (markup, entities, odd dates) wrapped as RSS and Atom."""
    with gzip.open(NEWS, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh][::7]
    taken = total = 0
    for start in range(0, len(rows), 30):
        chunk = rows[start:start + 30]
        items = "".join(
            f"<item><title>{escape(r.get('title') or '')}</title>"
            f"<link>{escape(r.get('link') or '')}</link>"
            f"<description>{escape(r.get('description') or '')}</description>"
            f"<pubDate>{escape(r.get('date_published') or '')}</pubDate></item>" for r in chunk)
        rss = (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>c</title>'
               f"{items}</channel></rss>").encode()
        entries = "".join(
            f'<entry><title type="html">{escape(r.get("title") or "")}</title>'
            f'<link href={quoteattr(r.get("link") or "")}/><id>{escape(r.get("link") or "")}</id>'
            f'<content type="html">{escape(r.get("description") or "")}</content></entry>'
            for r in chunk)
        atom = (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>a</title>{entries}</feed>").encode()
        for body, ctype in ((rss, "application/rss+xml"), (atom, "application/atom+xml")):
            total += 1
            taken += _same(body, ctype)
    assert taken > total * 0.6  # most real news text needs no sanitiser rewrite


@pytest.mark.skipif(not FEEDPARSER_TESTS.exists(), reason="shared corpora absent (../shared/corpora)")
def test_feedparser_suite_documents_agree_when_taken() -> None:
    """feedparser's own test documents: the fast path declines or agrees, never differs."""
    for path in sorted(FEEDPARSER_TESTS.rglob("*.xml")):
        body = path.read_bytes()
        header = re.search(rb"Header:\s*Content-type:\s*([^\r\n]+)", body[:3000], re.IGNORECASE)
        ctype = header.group(1).decode("latin-1").strip().rstrip("-").strip() if header else None
        for content_type in {ctype or "application/xml", "application/rss+xml", "application/atom+xml"}:
            _same(body, content_type)


def test_plain_absolute_links_resolve_as_feedparser_resolves_them() -> None:
    """The short cut for absolute links gives what feedparser's _urljoin gives, edge cases too."""
    from feedparser.urls import _urljoin

    from monitor.fastparse import _join

    links = [
        "https://news.example/a/b?x=1&y=2#top", "http://news.example", "http://news.example?x",
        "https://news.example/a?", "https://news.example/a#", "https://news.example/a?#f",
        "https://news.example/a;p", "https://news.example/a;", "HTTP://news.example/a",
        "http:///news.example/a", "https://[::1/a", "https://[::1]:8080/a", "https:// news/a",
        "https://news.example/a b", "https://news.example/a\tb", "https://nеws.example/a",
        "https://news.example/ü", "ftp://news.example/a", "/relative/path", "../up", "?q=1",
        "#frag", "", "https://news.example/a/../b/./c", "https://user:pw@news.example:8443/a",
        "https://news.example/%2e%2e/a", "https://news.example/a\x7f", "https://-bad/a",
    ]
    rnd = random.Random(3)
    alphabet = "ab/?#;:[]@% .\t-_=&"
    links += ["https://news.example/" + "".join(rnd.choice(alphabet) for _ in range(8))
              for _ in range(3000)]
    for base in ("http://feeds.example/rss.xml", "https://feeds.example/atom"):
        for link in links:
            assert _join(base, link) == _urljoin(base, link), (base, link)
