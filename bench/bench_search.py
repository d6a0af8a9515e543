"""Search latency and ingest rate as an SQLite store grows to a million articles.

    .venv/bin/python bench/bench_search.py [--n 1000000] [--db PATH] [--queries 300]

Articles are generated news-like text (talks vocabulary mixed into a Zipf-distributed
vocabulary of 40,000 words; title ~10 words, summary ~30, full text of ~150 words in one
item of four, as feeds deliver) and inserted in
batches of 10,000 (one transaction each) through the real schema: the migrations' tables,
unique indexes and FTS5 triggers, with the store's connection pragmas; fetching, parsing and
the ORM are left out, so the rate is the database's cost of growing its indexes. Searches
go through monitor.query (parse, FTS5 match, bm25, filters, snippets, read-only session).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from monitor.query import ArticleQuery, Limits, QueryService
from monitor.store.db import make_engine, upgrade

BATCH = 10_000
TALKS = [
    "ceasefire", "truce", "talks", "negotiations", "delegation", "round", "memorandum",
    "prisoners", "exchange", "withdrawal", "guarantees", "NATO", "neutrality", "sanctions",
    "corridor", "energy", "maritime", "Istanbul", "Riyadh", "Geneva", "Minsk", "Abu", "Dhabi",
    "Jeddah", "Kremlin", "Kyiv", "Moscow", "Washington", "envoy", "summit", "mediator",
    "Turkey", "Saudi", "Qatar", "Zelensky", "Putin", "Trump", "Witkoff", "Umerov", "Medinsky",
    "Lavrov", "Rubio", "proposal", "plan", "framework", "draft", "rejected", "accepted",
    "demanded", "agreed", "discussed",
]
COMMON = [
    "the", "a", "of", "to", "in", "and", "on", "for", "with", "at", "by", "from", "said",
    "says", "after", "before", "over", "new", "officials", "president", "government",
    "minister", "week", "day", "year", "people", "report", "statement", "military", "forces",
    "attack", "drone", "missile", "city", "region", "front", "line", "troops", "war",
]
VENUES = ["Istanbul", "Riyadh", "Geneva", "Abu Dhabi", "Jeddah", "Minsk", "Doha", "Vatican"]


def vocabulary(rng: random.Random, size: int = 40_000) -> list[str]:
    """Common words, talks words, then made-up words shaped like real ones (C/V letters)."""
    consonants, vowels = "bcdfghklmnprstvz", "aeiou"
    made: set[str] = set()
    while len(made) < size - len(COMMON) - len(TALKS):
        length = rng.randint(4, 11)
        made.add("".join(rng.choice(vowels if k % 2 else consonants) for k in range(length)))
    return COMMON + TALKS + sorted(made, key=lambda w: rng.random())


class TextMaker:
    """News-like titles, summaries and (for one feed item in four) full text."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.np = np.random.default_rng(seed)
        self.words = vocabulary(self.rng)
        weights = 1.0 / (np.arange(len(self.words)) + 8.0)  # Zipf by rank
        self.p = weights / weights.sum()
        self.vocab = np.array(self.words, dtype=object)
        self.pool: list[str] = []
        self.at = 0

    def words_(self, k: int) -> str:
        """k words drawn by Zipf weight (drawn in bulk: drawing one by one dominated the run)."""
        if self.at + k > len(self.pool):
            self.pool = list(self.vocab[self.np.choice(len(self.words), size=2_000_000, p=self.p)])
            self.at = 0
        self.at += k
        return " ".join(self.pool[self.at - k:self.at])

    def article(self, i: int) -> tuple[str, str, str, bool, list[dict[str, str]]]:
        """Title, summary, content, relevance and terms of article i."""
        rng = self.rng
        relevant = rng.random() < 0.3
        lead = f"{rng.choice(TALKS).capitalize()} {rng.choice(VENUES)} " if relevant else ""
        title = lead + self.words_(rng.randint(6, 10))
        summary = self.words_(rng.randint(20, 40))
        content = self.words_(rng.randint(100, 200)) if rng.random() < 0.25 else ""
        terms = ([{"key": rng.choice(["ceasefire.general", "prisoners.exchange", "ceasefire.energy"]),
                   "proposer": rng.choice(["RU", "UA", "US"])}] if relevant else [])
        return title, summary, content, relevant, terms


INSERT_ARTICLE = (
    "INSERT INTO articles (feed_id, guid, url, canonical_url, title, summary, content, "
    "published_at, fetched_at, content_hash, relevant, score, analysis) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
INSERT_ENTRY = ("INSERT INTO article_entries (feed_id, item_key, article_id, content_hash, seen_at) "
                "VALUES (?, ?, ?, ?, ?)")


def ingest(engine_url: str, n: int, maker: TextMaker, on_batch: object) -> list[float]:
    """Insert n articles in batches; return articles per second of each batch."""
    engine = make_engine(engine_url)
    rates = []
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        raw.execute("INSERT INTO feeds (url, source, enabled, error_count, moved_count, created_at) "
                    "VALUES ('https://wire.example/rss', 'cli', 1, 0, 0, '2024-01-01 00:00:00')")
        raw.commit()
        for start in range(0, n, BATCH):
            rows = []
            for i in range(start, min(n, start + BATCH)):
                title, summary, content, relevant, terms = maker.article(i)
                when = (t0 + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S.%f")
                digest = hashlib.sha256(f"{i}{title}".encode()).hexdigest()
                url = f"https://wire.example/{i}"
                rows.append((1, f"g{i}", url, url, title, summary, content, when, when, digest,
                             relevant, 0.9 if relevant else 0.1,
                             json.dumps({"relevant": relevant, "rounds": [], "terms": terms})))
            began = time.perf_counter()
            cur = raw.cursor()
            cur.executemany(INSERT_ARTICLE, rows)
            last = cur.execute("SELECT max(id) FROM articles").fetchone()[0]
            first_id = last - len(rows) + 1  # ids are dense: one writer, a fresh store
            cur.executemany(INSERT_ENTRY, [(1, r[1], first_id + k, r[9], r[8])
                                           for k, r in enumerate(rows)])
            raw.commit()
            rates.append(len(rows) / (time.perf_counter() - began))
            on_batch(start + len(rows))  # type: ignore[operator]
    engine.dispose()
    return rates


def queries(maker: TextMaker, count: int) -> list[ArticleQuery]:
    """A mix of what people type: talks words, rarer words, phrases, OR, prefixes, filters."""
    rng = random.Random(11)
    rare = maker.words[2_000:40_000]
    mid = maker.words[300:2_000]
    out = []
    for i in range(count):
        kind = i % 8
        if kind == 0:
            q = f"{rng.choice(TALKS)} {rng.choice(VENUES)}"
        elif kind == 1:
            q = f"{rng.choice(rare)}"
        elif kind == 2:
            q = f'"{rng.choice(TALKS)} {rng.choice(mid)}"'
        elif kind == 3:
            q = f"{rng.choice(mid)} OR {rng.choice(rare)}"
        elif kind == 4:
            q = f"{rng.choice(rare)[:4]}*"
        elif kind == 5:
            q = f"{rng.choice(TALKS)} {rng.choice(mid)} -{rng.choice(COMMON)}"
        elif kind == 6:
            q = f"{rng.choice(mid)} {rng.choice(rare)}"
        else:
            q = f"{rng.choice(TALKS)} {rng.choice(TALKS)}"
        out.append(ArticleQuery(q=q, relevant=True if i % 3 == 0 else None,
                                sort="newest" if i % 5 == 0 else None, limit=20))
    return out


def latencies(url: str, qs: list[ArticleQuery]) -> list[float]:
    """Milliseconds per search through the query service (first page, with snippets)."""
    svc = QueryService(url, Limits(timeout=30, max_rows=1000))
    svc.search(qs[0])  # warm the connection and the page cache
    out = []
    for q in qs:
        began = time.perf_counter()
        svc.search(q)
        out.append((time.perf_counter() - began) * 1000)
    svc.close()
    return out


def pct(values: list[float], p: float) -> float:
    """The p-th percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def summary(label: str, ms: list[float]) -> str:
    """p50 / p95 / p99 / max of a latency sample."""
    return (f"{label}: p50 {statistics.median(ms):.1f} ms, p95 {pct(ms, 95):.1f} ms, "
            f"p99 {pct(ms, 99):.1f} ms, max {max(ms):.1f} ms over {len(ms)} searches")


def main() -> None:
    """Grow the store, measure, print."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="articles to insert")
    ap.add_argument("--db", type=Path, default=None, help="SQLite file (default: a temp dir)")
    ap.add_argument("--queries", type=int, default=300, help="searches per measurement")
    ap.add_argument("--keep", action="store_true", help="keep the temporary store (2 GB at 1M)")
    args = ap.parse_args()
    db = args.db or Path(tempfile.mkdtemp(prefix="bench_search_")) / "bench.db"
    db.unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    upgrade(url)
    maker = TextMaker()
    qs = queries(maker, args.queries)
    early: list[float] = []
    began = time.perf_counter()

    def on_batch(done: int) -> None:
        if done == BATCH:
            early.extend(latencies(url, qs))
        if done % 100_000 == 0:
            print(f"  {done:>9,} articles, {time.perf_counter() - began:6.0f} s", flush=True)

    print(f"store: {db}")
    rates = ingest(url, args.n, maker, on_batch)
    late = latencies(url, qs)
    first, last = rates[0], rates[-1]
    head, tail = statistics.median(rates[:10]), statistics.median(rates[-10:])
    print(f"ingest: {args.n:,} articles in {time.perf_counter() - began:.0f} s; "
          f"first 10k {first:,.0f}/s, last 10k {last:,.0f}/s, ratio last/first {last / first:.2f}")
    print(f"ingest, median of 10 batches of 10k: first {head:,.0f}/s, last {tail:,.0f}/s, "
          f"ratio {tail / head:.2f}; slowest batch {min(rates):,.0f}/s (FTS5 segment merges)")
    print(summary(f"search at {BATCH:,}", early))
    print(summary(f"search at {args.n:,}", late))
    print(f"p95 ratio {args.n:,}/{BATCH:,}: {pct(late, 95) / pct(early, 95):.2f}; goal p95 < 50 ms: "
          f"{'met' if pct(late, 95) < 50 else 'NOT met'}")
    print(f"store size: {db.stat().st_size / 1e9:.2f} GB")
    if args.db is None and not args.keep:
        shutil.rmtree(db.parent)


if __name__ == "__main__":
    main()
