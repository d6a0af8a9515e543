"""Command-line entry points: JSON lines in → analyses out, and scoring on labelled sets."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TextIO

from monitor.analysis.analyzer import Analyzer, load_analyzer
from monitor.analysis.labelled import labelled_items
from monitor.analysis.model import Item
from monitor.analysis.scoring import Report, format_report

_ID_NUMBER = re.compile(r"(\d+)(?!.*\d)")


class InputError(ValueError):
    """An input line that is not a usable item."""


def parse_published(value: Any) -> datetime | None:
    """An ISO 8601 (or RFC 822) timestamp as an aware datetime; naive means UTC."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InputError("published must be a string")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError) as exc:
            raise InputError(f"published is not a date: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(obj: dict[str, Any], key: str) -> str:
    """A text field, empty when absent."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{key} must be a string")
    return value


def item_from_json(obj: Any) -> Item:
    """An Item from one decoded input object; the id falls back to the url."""
    if not isinstance(obj, dict):
        raise InputError("line is not a JSON object")
    url = obj.get("url") or obj.get("link")
    item_id = obj.get("id")
    return Item(
        id=str(item_id) if item_id is not None else (str(url) if url else None),
        title=_text(obj, "title"),
        summary=_text(obj, "summary") or _text(obj, "description"),
        content=_text(obj, "content"),
        url=str(url) if url else None,
        published=parse_published(obj.get("published", obj.get("date_published"))),
        source=str(obj["source"]) if obj.get("source") else None,
    )


def analyze_stream(lines: Iterable[str], analyzer: Analyzer) -> Iterator[str]:
    """Analyse JSON lines in input order; a bad line yields an error object and we go on."""
    for line in lines:
        if not line.strip():
            continue
        try:
            item = item_from_json(json.loads(line))
        except (json.JSONDecodeError, InputError) as exc:
            yield json.dumps({"id": None, "error": f"analysis: {exc}"}, ensure_ascii=False)
            continue
        yield json.dumps(analyzer.analyze(item).to_json(item.id), ensure_ascii=False)


def is_holdout(item_id: str | None) -> bool:
    """The deterministic held-out part: ids whose last number is divisible by 5."""
    m = _ID_NUMBER.search(item_id or "")
    return m is not None and int(m.group(1)) % 5 == 0


PARTS = ("all", "tune", "held-out")


@dataclass(frozen=True)
class Evaluation:
    """Scores on the whole labelled set and on its tune and held-out parts."""

    all: Report
    tune: Report
    holdout: Report

    def part(self, name: str) -> Report:
        """The report of one part: all, tune or held-out."""
        if name not in PARTS:
            raise ValueError(f"part must be one of {', '.join(PARTS)}")
        return {"all": self.all, "tune": self.tune, "held-out": self.holdout}[name]


def evaluate_parts(labelled_path: Path | str, analyzer: Analyzer,
                   corpus: Path | None = None) -> Evaluation:
    """Score a labelled JSONL file (link-only lines read text from `corpus`), whole and split."""
    reports = Evaluation(Report("all"), Report("tune"), Report("held-out (id % 5 == 0)"))
    for obj in labelled_items(labelled_path, corpus):
        item = item_from_json(obj)
        predicted = analyzer.analyze(item).to_json(item.id)
        published = item.published.date() if item.published else None
        part = reports.holdout if is_holdout(item.id) else reports.tune
        for report in (reports.all, part):
            report.add(str(item.id), published, predicted, obj["label"])
    return reports


def evaluate(labelled_path: Path | str, analyzer: Analyzer, part: str = "all",
             corpus: Path | None = None) -> Report:
    """The scores of one part (all, tune or held-out) of a labelled JSONL file."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {', '.join(PARTS)}")
    return evaluate_parts(labelled_path, analyzer, corpus).part(part)


def print_report(report: Report | Evaluation, out: TextIO = sys.stdout,
                 errors: bool = False) -> None:
    """Print the scores table(s), optionally with the per-item differences."""
    reports = [report.all, report.tune, report.holdout] if isinstance(report, Evaluation) \
        else [report]
    for r in reports:
        print(format_report(r), file=out)
        print(file=out)
    if errors:
        for line in reports[0].errors:
            print(line, file=out)


def _write_lines(lines: Iterable[str]) -> None:
    """Write output lines to stdout as they come."""
    for line in lines:
        sys.stdout.write(line + "\n")


def main(argv: list[str] | None = None) -> int:
    """`python -m monitor.analysis analyze|evaluate …`."""
    parser = argparse.ArgumentParser(prog="python -m monitor.analysis")
    parser.add_argument("--config", type=Path, default=None, help="config/analysis directory")
    sub = parser.add_subparsers(dest="command", required=True)
    p_an = sub.add_parser("analyze", help="JSON lines in, analyses out")
    p_an.add_argument("file", nargs="?", default="-")
    p_ev = sub.add_parser("evaluate", help="score on a labelled JSONL file")
    p_ev.add_argument("file")
    p_ev.add_argument("--holdout", action="store_true",
                      help="also report the tune and held-out (id %% 5 == 0) parts")
    p_ev.add_argument("--errors", action="store_true", help="list per-item differences")
    p_ev.add_argument("--corpus", type=Path, default=None,
                      help="JSONL(.gz) corpus that link-only label lines refer to")
    args = parser.parse_args(argv)
    analyzer = load_analyzer(args.config)
    if args.command == "analyze":
        if args.file == "-":
            _write_lines(analyze_stream(sys.stdin, analyzer))
        else:
            with open(args.file, encoding="utf-8") as fh:
                _write_lines(analyze_stream(fh, analyzer))
        return 0
    evaluation = evaluate_parts(args.file, analyzer, args.corpus)
    print_report(evaluation if args.holdout else evaluation.all, errors=args.errors)
    return 0
