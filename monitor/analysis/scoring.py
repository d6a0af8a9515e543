"""Scoring analyses against labelled items by eval/GUIDE.md section 5."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Counts:
    """True positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: int, gold: int, matched: int) -> None:
        """Add one item's predicted, gold and matched counts."""
        self.tp += matched
        self.fp += predicted - matched
        self.fn += gold - matched

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when nothing was to be found."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """Scores of one labelled set (or part of one)."""

    name: str
    items: int = 0
    relevance: Counts = field(default_factory=Counts)
    rounds: Counts = field(default_factory=Counts)
    ordinal_ok: int = 0
    status_ok: int = 0
    term_keys: Counts = field(default_factory=Counts)
    term_proposers: Counts = field(default_factory=Counts)
    errors: list[str] = field(default_factory=list)

    def add(self, item_id: str, published: date | None, predicted: dict[str, Any],
            label: dict[str, Any]) -> None:
        """Score one item's prediction against its label."""
        self.items += 1
        p_rel, g_rel = bool(predicted["relevant"]), bool(label["relevant"])
        self.relevance.add(int(p_rel), int(g_rel), int(p_rel and g_rel))
        if p_rel != g_rel:
            self.errors.append(f"{item_id} relevance predicted={p_rel} gold={g_rel}")
        pairs = match_rounds(predicted["rounds"], label["rounds"], published)
        self.rounds.add(len(predicted["rounds"]), len(label["rounds"]), len(pairs))
        for p, g in pairs:
            self.ordinal_ok += p.get("ordinal") == g.get("ordinal")
            self.status_ok += p.get("status") == g.get("status")
        if len(pairs) != len(predicted["rounds"]) or len(pairs) != len(label["rounds"]):
            self.errors.append(f"{item_id} rounds predicted={_short(predicted['rounds'])} "
                               f"gold={_short(label['rounds'])}")
        p_keys = {t["key"] for t in predicted["terms"]}
        g_keys = {t["key"] for t in label["terms"]}
        self.term_keys.add(len(p_keys), len(g_keys), len(p_keys & g_keys))
        p_kp = {(t["key"], t.get("proposer")) for t in predicted["terms"]}
        g_kp = {(t["key"], t.get("proposer")) for t in label["terms"]}
        self.term_proposers.add(len(p_kp), len(g_kp), len(p_kp & g_kp))
        if p_kp != g_kp:
            self.errors.append(f"{item_id} terms predicted={sorted(p_kp, key=str)} "
                               f"gold={sorted(g_kp, key=str)}")


def _short(rounds: list[dict[str, Any]]) -> list[str]:
    """Compact text of round mentions for error lines."""
    return [f"{(r.get('venue') or {}).get('city') or (r.get('venue') or {}).get('country')}"
            f"@{r.get('date')}/{r.get('status')}" for r in rounds]


def _venue_agrees(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same city, or same country when a city is missing; unknown venues agree."""
    va, vb = a.get("venue") or {}, b.get("venue") or {}
    known_a = any(va.get(k) for k in ("city", "region", "country"))
    known_b = any(vb.get(k) for k in ("city", "region", "country"))
    if not (known_a and known_b):
        return True
    if va.get("city") and vb.get("city"):
        return bool(va["city"] == vb["city"])
    return bool(va.get("country")) and va.get("country") == vb.get("country")


def _date(r: dict[str, Any]) -> date | None:
    """A mention's date, parsed."""
    value = r.get("date")
    return date.fromisoformat(value) if value else None


def same_round(a: dict[str, Any], b: dict[str, Any], published: date | None) -> bool:
    """The GUIDE's identity rule for two round mentions of an item."""
    if not _venue_agrees(a, b):
        return False
    da, db = _date(a), _date(b)
    tolerance = 2
    if da is None or db is None:
        tolerance = 3
        da, db = da or published, db or published
    if da is None or db is None:
        return True
    return abs((da - db).days) <= tolerance


def match_rounds(predicted: Iterable[dict[str, Any]], gold: Iterable[dict[str, Any]],
                 published: date | None) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Greedy one-to-one matching of predicted to gold mentions by identity."""
    free = list(gold)
    pairs = []
    for p in predicted:
        for g in free:
            if same_round(p, g, published):
                pairs.append((p, g))
                free.remove(g)
                break
    return pairs


def format_report(report: Report) -> str:
    """The GUIDE section 5 table as text."""
    def row(name: str, c: Counts) -> str:
        return (f"{name:<22} {c.precision:6.3f} {c.recall:6.3f} {c.f1:6.3f}"
                f"   tp={c.tp} fp={c.fp} fn={c.fn}")

    matched = report.rounds.tp
    lines = [
        f"{report.name}: {report.items} items",
        f"{'':<22} {'P':>6} {'R':>6} {'F1':>6}",
        row("relevance", report.relevance),
        row("round mentions", report.rounds),
        f"{'  ordinal accuracy':<22} {report.ordinal_ok / matched if matched else 1.0:6.3f}"
        f"   over {matched} matched",
        f"{'  status accuracy':<22} {report.status_ok / matched if matched else 1.0:6.3f}"
        f"   over {matched} matched",
        row("term key", report.term_keys),
        row("term key+proposer", report.term_proposers),
    ]
    return "\n".join(lines)
