"""Story grouping over the news corpus, through the real store on SQLite; writes a sample.

    .venv/bin/python bench/stories_corpus.py [--limit N] [--no-analysis] [--sample 50]

Replays ../shared/corpora/news-entries-2022-2023.jsonl.gz in publication order, one batch per
(feed, day) as a poll would bring it, with the analyzer (for the round guard) and the stories
stage in each storing transaction. Prints the numbers of articles and stories and writes 50
random stories of more than one member (fixed seed) to bench/out/story_sample.txt for judging.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.normalizer import canonical_url, content_hash, item_key, plain_text  # noqa: E402
from monitor.settings import load_settings  # noqa: E402
from monitor.store.articles import store_entries  # noqa: E402
from monitor.store.db import make_engine, session_scope, upgrade  # noqa: E402
from monitor.store.feeds import add_feed  # noqa: E402
from monitor.store.models import Article  # noqa: E402
from monitor.store.story_models import Story  # noqa: E402
from monitor.stories import StoryStage, story_outlets  # noqa: E402
from monitor.values import Analysed, Entry  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "news-entries-2022-2023.jsonl.gz"
OUT = ROOT / "bench" / "out"


def parse_date(text: str) -> datetime:
    """Both formats of the corpus ("2022-01-01 13:01:11+00:00" and ISO with a T), as UTC."""
    when = datetime.fromisoformat(text.replace(" ", "T", 1))
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def read_corpus(path: Path, limit: int | None) -> list[dict[str, str]]:
    """The corpus rows in publication order (the first `limit` of the file when given)."""
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if limit is not None and n >= limit:
                break
            rows.append(json.loads(line))
    return sorted(rows, key=lambda r: parse_date(r["date_published"]))


def to_entry(row: dict[str, str]) -> Entry:
    """A corpus row as the parser would normalise it."""
    title, summary = plain_text(row.get("title")), plain_text(row.get("description"))
    digest = content_hash(title, summary, "")
    canon = canonical_url(row.get("link"))
    return Entry(item_key=item_key(None, canon, digest), guid=None, url=row.get("link"),
                 canonical_url=canon, title=title, summary=summary, content="", author=None,
                 published=parse_date(row["date_published"]), content_hash=digest,
                 language=row.get("language"))


def batches(rows: list[dict[str, str]]) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """Consecutive rows of one feed and one day, as one poll would bring them."""
    current: tuple[str, str] | None = None
    batch: list[dict[str, str]] = []
    for row in rows:
        key = (row["source"], row["date_published"][:10])
        if key != current and batch:
            yield batch[0]["source"], batch
            batch = []
        current = key
        batch.append(row)
    if batch:
        yield batch[0]["source"], batch


def replay(engine: Engine, rows: list[dict[str, str]], analyse: bool, scope: str = "all") -> float:
    """Store every row with analysis and stories; return the seconds the stories stage took.

    The grouping is judged on every article (`scope` "all"), not only the relevant ones the
    daemon groups by default.
    """
    settings = load_settings(None)
    stage = StoryStage(settings.stories.model_copy(update={"scope": scope}))
    analyzer = None
    if analyse:
        from monitor.wiring import load_analysis_stage

        analyzer = load_analysis_stage(settings)
    feeds: dict[str, int] = {}
    staged = 0.0
    for source, batch in batches(rows):
        if source not in feeds:
            feeds[source] = add_feed(engine, source, now=datetime.now(UTC)).id
        seen: set[str] = set()
        items = []
        for row in batch:
            e = to_entry(row)
            if e.item_key in seen:
                continue
            seen.add(e.item_key)
            items.append(analyzer.analyze_entry(e, source) if analyzer else Analysed(e))
        now = max(e.entry.published for e in items if e.entry.published)
        with session_scope(engine) as s:
            stored = store_entries(s, feeds[source], items, now, {})
            t = time.perf_counter()
            stage(s, stored, now)
            staged += time.perf_counter() - t
    return staged


def write_sample(engine: Engine, path: Path, n: int, seed: int) -> int:
    """n random stories of more than one member, each with its members; return how many."""
    with Session(engine) as s:
        multi = [int(i) for i in s.exec(select(Story.id).where(Story.article_count > 1)
                                         .order_by(col(Story.id))).all() if i is not None]
        chosen = sorted(random.Random(seed).sample(multi, min(n, len(multi))))
        lines = [f"# {len(chosen)} random stories of >1 member (seed {seed}) out of {len(multi)}\n"]
        for k, sid in enumerate(chosen, 1):
            members = s.exec(select(Article).where(Article.story_id == sid)
                             .order_by(col(Article.published_at), col(Article.id))).all()
            outlets = story_outlets(s, members[0].id) if members and members[0].id else []
            lines.append(f"## G{k:02d} story {sid}: {len(members)} articles; "
                         f"outlets: {', '.join(outlets)}")
            for a in members:
                rounds = [(r.get("ordinal"), (r.get("venue") or {}).get("country"), r.get("date"))
                          for r in (a.analysis or {}).get("rounds") or []]
                when = a.published_at.strftime("%Y-%m-%d %H:%M") if a.published_at else "?"
                lines.append(f"- [{a.id}] {when} {a.url}\n  T: {a.title}\n"
                             f"  S: {a.summary[:300]}" + (f"\n  rounds: {rounds}" if rounds else ""))
            lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return len(chosen)


def main() -> None:
    """Run the replay and print the numbers."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--db", type=Path, default=OUT / "stories_corpus.db")
    ap.add_argument("--limit", type=int, default=None, help="only the first N lines")
    ap.add_argument("--no-analysis", action="store_true", help="skip the analyzer (no round guard)")
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=OUT / "story_sample.txt")
    args = ap.parse_args()
    if not args.corpus.exists():
        sys.exit(f"{args.corpus} is absent")
    args.db.unlink(missing_ok=True)
    url = f"sqlite:///{args.db}"
    upgrade(url)
    engine = make_engine(url)
    rows = read_corpus(args.corpus, args.limit)
    start = time.perf_counter()
    staged = replay(engine, rows, analyse=not args.no_analysis)
    total = time.perf_counter() - start
    with Session(engine) as s:
        articles = s.exec(select(func.count()).select_from(Article)).one()
        stories = s.exec(select(func.count()).select_from(Story)).one()
        sizes = Counter(s.exec(select(Story.article_count)).all())
    multi = sum(c for size, c in sizes.items() if size > 1)
    in_multi = sum(size * c for size, c in sizes.items() if size > 1)
    print(f"corpus rows {len(rows)}, articles {articles}, stories {stories}")
    print(f"stories with >1 member: {multi} holding {in_multi} articles; "
          f"largest: {max(sizes)}; sizes: {dict(sorted(sizes.items()))}")
    print(f"replay {total:.1f}s, stories stage {staged:.1f}s "
          f"({staged / max(articles, 1) * 1000:.2f} ms an article)")
    shown = write_sample(engine, args.out, args.sample, args.seed)
    print(f"wrote {shown} groups to {args.out}")
    by_outlets: defaultdict[int, int] = defaultdict(int)
    with Session(engine) as s:
        for outlets in s.exec(select(Story.outlets).where(Story.article_count > 1)).all():
            by_outlets[len(outlets)] += 1
    print(f"multi-member stories by number of outlets: {dict(sorted(by_outlets.items()))}")
    engine.dispose()


if __name__ == "__main__":
    main()
