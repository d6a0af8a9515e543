"""Round identity (eval/GUIDE.md §2): venue agrees and dates are close; the ordinal never decides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from monitor.events.model import Mention, RoundFact, Venue

DATED_WINDOW = 2  # days between two stated dates of one round
ESTIMATED_WINDOW = 3  # when either date is only a publication date
SEARCH_WINDOW = timedelta(days=ESTIMATED_WINDOW)


def _same(a: str | None, b: str | None) -> bool | None:
    """Equal ignoring case, or None when either side is unknown."""
    if not a or not b:
        return None
    return a.casefold() == b.casefold()


def venue_agreement(a: Venue, b: Venue) -> int | None:
    """How well two venues agree (3 city, 2 region, 1 country, 0 unknown), None if they differ."""
    if not a.is_known() or not b.is_known():
        return 0  # a mention that does not say where matches on the date alone
    city = _same(a.city, b.city)
    if city is not None:
        return 3 if city else None
    # No city on one side: Belovezhskaya Pushcha (Brest) is not Gomel though both are Belarus.
    region = _same(a.region, b.region)
    if region is not None:
        return 2 if region else None
    country = _same(a.country, b.country)
    if country is not None:
        return 1 if country else None
    return 0


def dates_agree(a: date, a_estimated: bool, b: date, b_estimated: bool) -> bool:
    """Stated dates within 2 days; 3 when either is an estimate."""
    window = ESTIMATED_WINDOW if a_estimated or b_estimated else DATED_WINDOW
    return abs((a - b).days) <= window


def best_round(mention: Mention, candidates: Sequence[RoundFact]) -> RoundFact | None:
    """The known round this mention reports, preferring the best venue then the nearest date."""
    best: tuple[int, int, int] | None = None
    found: RoundFact | None = None
    for r in candidates:
        agreement = venue_agreement(mention.venue, r.venue)
        if agreement is None:
            continue
        if not dates_agree(mention.effective_date, mention.estimated, r.start_date,
                           r.date_estimated):
            continue
        rank = (agreement, -abs((mention.effective_date - r.start_date).days), -r.id)
        if best is None or rank > best:
            best, found = rank, r
    return found


def merged_venue(known: Venue, seen: Venue) -> Venue:
    """The round's venue with parts it lacked filled in from a new mention."""
    return Venue(known.city or seen.city, known.region or seen.region,
                 known.country or seen.country)
