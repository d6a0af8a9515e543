"""Reading labelled sets: full items, or link-only labels joined to a shared corpus."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Labels of corpus entries are stored without the corpus text (its licence and size keep it
# out of the repository); the text is read from the shared corpus at evaluation time.
DEFAULT_CORPUS = (Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
                  / "news-entries-2022-2023.jsonl.gz")


class CorpusMissing(FileNotFoundError):
    """Link-only labels whose corpus is not available here."""


def _is_link_only(obj: dict[str, Any]) -> bool:
    """A label line that names its item by link and carries no text."""
    return "link" in obj and "title" not in obj and "summary" not in obj


def _open_text(path: Path) -> Any:
    """Open a JSON-lines file, gzip-compressed or not."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def corpus_entries(corpus: Path, links: set[str]) -> dict[str, dict[str, Any]]:
    """The corpus entries whose link is among `links`."""
    if not corpus.exists():
        raise CorpusMissing(f"{corpus.resolve()} is absent; link-only labels need it")
    found: dict[str, dict[str, Any]] = {}
    with _open_text(corpus) as fh:
        for line in fh:
            # Cheap substring test first: the corpus has ~18,000 lines, we want ~120.
            if '"link"' not in line:
                continue
            entry = json.loads(line)
            if entry.get("link") in links:
                found[entry["link"]] = entry
    return found


def labelled_items(path: Path | str, corpus: Path | None = None) -> Iterator[dict[str, Any]]:
    """Labelled items of a JSONL file in order; link-only lines get the corpus text."""
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    links = {str(r["link"]) for r in rows if _is_link_only(r)}
    entries = corpus_entries(corpus or DEFAULT_CORPUS, links) if links else {}
    for row in rows:
        if not _is_link_only(row):
            yield row
            continue
        entry = entries.get(str(row["link"]))
        if entry is None:
            raise CorpusMissing(f"{row['link']} is not in the corpus")
        yield {**entry, "id": row.get("id") or row["link"], "label": row["label"]}
