"""The round guard: near-duplicate text never puts reports of two different rounds together."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

# GUIDE §2: stated dates match within 2 days; a date estimated from publication within 3.
STATED_DAYS = 2
ESTIMATED_DAYS = 3


def round_keys(analysis: dict[str, Any] | None, published: datetime | None) -> list[dict[str, Any]]:
    """The article's round mentions reduced to what identity needs, dates filled by estimate."""
    out = []
    for r in (analysis or {}).get("rounds") or []:
        venue = r.get("venue") or {}
        when, estimated = r.get("date"), False
        if not when and published is not None:
            when, estimated = published.date().isoformat(), True
        out.append({
            "ordinal": r.get("ordinal"),
            "city": (venue.get("city") or "").casefold() or None,
            "country": (venue.get("country") or "").casefold() or None,
            "date": when,
            "estimated": estimated,
        })
    return out


def _same_venue(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same city, or same country when a city is missing; no venue at all matches any."""
    if not (a["city"] or a["country"]) or not (b["city"] or b["country"]):
        return True
    if a["city"] and b["city"]:
        return bool(a["city"] == b["city"])
    return a["country"] is None or b["country"] is None or a["country"] == b["country"]


def _close_dates(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Dates within the GUIDE's tolerance; an unknown date never separates two mentions."""
    if not a["date"] or not b["date"]:
        return True
    days = abs((date.fromisoformat(a["date"]) - date.fromisoformat(b["date"])).days)
    return days <= (ESTIMATED_DAYS if a["estimated"] or b["estimated"] else STATED_DAYS)


def same_round(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """One round by the GUIDE's identity rule, and no contradicting ordinals."""
    if a["ordinal"] is not None and b["ordinal"] is not None and a["ordinal"] != b["ordinal"]:
        return False
    return _same_venue(a, b) and _close_dates(a, b)


def rounds_agree(a: list[dict[str, Any]], b: list[dict[str, Any]] | None) -> bool:
    """True unless both sides mention rounds and some mention on one side has no match."""
    if not a or not b:
        return True
    return (all(any(same_round(x, y) for y in b) for x in a)
            and all(any(same_round(x, y) for x in a) for y in b))
