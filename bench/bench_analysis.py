"""Items analysed per second on one core, against a plain tokenisation baseline.

Run: .venv/bin/python bench/bench_analysis.py [--items N] [--repeat R]
Uses ../shared/corpora/news-entries-2022-2023.jsonl.gz when present (title + summary of
real feed entries), otherwise generated items of a title and one to three sentences.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from monitor.analysis import Item, load_analyzer
from monitor.analysis.cli import item_from_json

CORPUS = (Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora"
          / "news-entries-2022-2023.jsonl.gz")
GOAL = 2000.0

_TITLES = [
    "Russia and Ukraine to hold peace talks in Istanbul on Thursday",
    "Shelling continues in Kharkiv as Russian forces advance",
    "EU agrees new round of sanctions against Moscow",
    "Zelensky rejects Russian demand to withdraw from Donbas",
    "Oil prices climb as markets weigh supply risks",
    "US envoy meets Putin in Moscow to discuss ceasefire plan",
]
_SENTENCES = [
    "Delegations from both sides are expected to meet for a second round.",
    "Officials said the talks ended without a ceasefire but with a prisoner exchange.",
    "Air raid sirens sounded across the capital overnight.",
    "The central bank kept interest rates unchanged on Wednesday.",
    "The Kremlin said it was ready to consider a 30-day truce if weapons supplies stopped.",
    "Local authorities opened a humanitarian corridor for civilians in the city.",
]


def load_items(limit: int) -> tuple[list[Item], str]:
    """Real feed entries when the shared corpus is present, else generated ones."""
    if CORPUS.exists():
        items: list[Item] = []
        with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
            for line in fh:
                items.append(item_from_json(json.loads(line)))
                if len(items) >= limit:
                    break
        return items, f"{CORPUS.name} (first {len(items)} entries)"
    rng = random.Random(20220228)
    now = datetime(2025, 5, 14, tzinfo=UTC)
    generated = [
        Item(str(i), rng.choice(_TITLES), " ".join(rng.sample(_SENTENCES, rng.randint(1, 3))),
             "", None, now, None)
        for i in range(limit)
    ]
    return generated, f"{limit} generated items (shared corpus absent)"


def baseline(item: Item) -> int:
    """A regex-free tokenisation pass: lower-case and split the title and summary."""
    return len(item.title.lower().split()) + len(item.summary.lower().split())


def rate(fn: Callable[[Item], object], items: Sequence[Item], repeat: int) -> float:
    """Best items-per-second of `repeat` passes of fn over the items."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def main() -> None:
    """Measure and print the analysis rate and its ratio to the baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    items, origin = load_items(args.items)
    analyzer = load_analyzer()
    relevant = sum(analyzer.analyze(item).relevant for item in items)  # also warms up
    analysis_rate = rate(analyzer.analyze, items, args.repeat)
    baseline_rate = rate(baseline, items, args.repeat)
    print(f"items: {origin}; {relevant} judged relevant")
    print(f"analysis: {analysis_rate:,.0f} items/s on one core (goal {GOAL:,.0f})")
    print(f"baseline (str.split tokenisation): {baseline_rate:,.0f} items/s")
    print(f"analysis costs {baseline_rate / analysis_rate:,.1f}x the baseline")
    print("PASS" if analysis_rate >= GOAL else "BELOW GOAL")


if __name__ == "__main__":
    main()
