"""Time to find a new article's story as the store grows (goal: flat, no scan of the store).

    .venv/bin/python bench/bench_stories.py [--sizes 10000,100000,1000000] [--probes 200]

Grows one SQLite store in steps. Each step bulk-loads background articles (random MinHash
signatures, so random LSH buckets: what unrelated articles look like) with their stories,
signatures and buckets, then stores `--probes` synthetic articles one transaction each, as
polls do, and times the stories stage on them: half start a story, half are near-copies of an
earlier probe that must join it. Prints ms per article per size and the ratio last/first.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.normalizer import canonical_url, content_hash, item_key  # noqa: E402
from monitor.settings import StorySettings  # noqa: E402
from monitor.store.articles import store_entries  # noqa: E402
from monitor.store.db import make_engine, session_scope, upgrade  # noqa: E402
from monitor.store.feeds import add_feed  # noqa: E402
from monitor.stories import StoryStage  # noqa: E402
from monitor.values import Analysed, Entry  # noqa: E402

CHUNK = 50_000
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def bulk_load(path: Path, feed_id: int, start: int, stop: int, cfg: StorySettings) -> None:
    """Background articles start..stop-1 with one story each, signatures and buckets."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    # Rebuilding the buckets' article index once is far cheaper than maintaining it row by
    # row; the primary key (key, article_id) is the table itself and is filled in key order.
    conn.execute("DROP INDEX IF EXISTS ix_story_bands_article_id")
    rng = np.random.default_rng(start)
    stamp = (NOW - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S.000000")
    for lo in range(start, stop, CHUNK):
        ids = range(lo, min(lo + CHUNK, stop))
        conn.executemany(
            "INSERT INTO stories (id, representative_id, first_seen_at, updated_at, "
            "article_count, outlets) VALUES (?, ?, ?, ?, 1, '[\"bulk\"]')",
            ((i, i, stamp, stamp) for i in ids))
        conn.executemany(
            "INSERT INTO articles (id, feed_id, title, summary, content, fetched_at, "
            "content_hash, story_id) VALUES (?, ?, ?, '', '', ?, ?, ?)",
            ((i, feed_id, f"b{i}", stamp, f"h{i}", i) for i in ids))
        sigs = rng.integers(0, 2**32, size=(len(ids), cfg.permutations), dtype=np.uint32)
        conn.executemany("INSERT INTO article_signatures (article_id, signature) VALUES (?, ?)",
                         ((i, sigs[k].astype("<u4").tobytes()) for k, i in enumerate(ids)))
        keys = rng.integers(-2**63, 2**63 - 1, size=(len(ids), cfg.bands), dtype=np.int64)
        conn.executemany("INSERT INTO story_bands (key, article_id) VALUES (?, ?)",
                         sorted((int(k), i) for row, i in zip(keys, ids, strict=True) for k in row))
        conn.commit()
    conn.execute("CREATE INDEX ix_story_bands_article_id ON story_bands (article_id)")
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


class Texts:
    """Synthetic news-like texts: random words, and near-copies with a few words changed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocab = [hashlib.md5(str(i).encode()).hexdigest()[:7] for i in range(20_000)]

    def fresh(self) -> tuple[str, str]:
        """A new title and a 120-word summary."""
        return (" ".join(self.rng.choices(self.vocab, k=10)),
                " ".join(self.rng.choices(self.vocab, k=120)))

    def copy(self, title: str, summary: str) -> tuple[str, str]:
        """The same story with boilerplate and three words changed (Jaccard about 0.85)."""
        words = summary.split()
        for _ in range(3):
            words[self.rng.randrange(len(words))] = self.rng.choice(self.vocab)
        return title, " ".join(words) + " Continue reading..."


def entry(n: int, title: str, summary: str) -> Entry:
    """A probe entry."""
    url = f"https://bench.example.org/p/{n}"
    digest = content_hash(title, summary, "")
    return Entry(item_key=item_key(None, canonical_url(url), digest), guid=None, url=url,
                 canonical_url=canonical_url(url), title=title, summary=summary, content="",
                 author=None, published=NOW, content_hash=digest)


def probe(engine: object, stage: StoryStage, feed_id: int, texts: Texts, n: int,
          base: int) -> tuple[list[float], int]:
    """Store n probes one per transaction; return stage times (s) and how many copies joined."""
    times: list[float] = []
    originals: list[tuple[str, str]] = []
    joined = 0
    for k in range(n):
        if k % 2 == 0 or not originals:
            title, summary = texts.fresh()
            originals.append((title, summary))
        else:
            title, summary = texts.copy(*originals[-1])
        with session_scope(engine) as s:  # type: ignore[arg-type]
            stored = store_entries(s, feed_id, [Analysed(entry(base + k, title, summary))],
                                   NOW, {})
            t = time.perf_counter()
            stage(s, stored, NOW)
            times.append(time.perf_counter() - t)
            if k % 2 == 1:
                story = s.connection().exec_driver_sql(
                    "SELECT count(*) FROM articles a JOIN stories s ON s.id = a.story_id "
                    "WHERE a.id = ? AND s.article_count = 2", (stored[0].id,)).scalar()
                joined += int(story or 0)
    return times, joined


def main() -> None:
    """Grow the store and time the probes at each size."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="store sizes (articles) at which to time, ascending")
    ap.add_argument("--probes", type=int, default=200, help="timed articles per size")
    ap.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "bench_stories.db")
    ap.add_argument("--keep", action="store_true", help="keep the store (2.7 GB at 1M) afterwards")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    args.db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{args.db}"
    upgrade(url)
    engine = make_engine(url)
    feed_id = add_feed(engine, "https://bench.example.org/rss", now=NOW).id
    cfg = StorySettings()
    stage = StoryStage(cfg)
    texts = Texts(7)
    # Bulk ids grow downwards from here and probes' ids (max + 1) upwards: never colliding.
    bulk_top, loaded, probes_done, results = 10_000_000, 0, 0, []
    print(f"{'articles':>10} {'build s':>8} {'median ms':>10} {'p95 ms':>8} {'joined':>7}")
    for size in sizes:
        t0 = time.perf_counter()
        if size > loaded:
            engine.dispose()
            bulk_load(args.db, feed_id, bulk_top - size, bulk_top - loaded, cfg)
            loaded = size
        build = time.perf_counter() - t0
        times, joined = probe(engine, stage, feed_id, texts, args.probes, probes_done)
        probes_done += args.probes
        ms = sorted(t * 1000 for t in times)
        median, p95 = statistics.median(ms), ms[int(len(ms) * 0.95) - 1]
        results.append(median)
        print(f"{size:>10} {build:>8.1f} {median:>10.2f} {p95:>8.2f} {joined:>4}/{args.probes // 2}")
    print(f"ratio last/first (median): {results[-1] / results[0]:.2f}")
    engine.dispose()
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
