"""Round identity by the rule of eval/GUIDE.md §2, without a store."""

from __future__ import annotations

from datetime import date

from monitor.events.identity import best_round, dates_agree, venue_agreement
from monitor.events.model import Mention, RoundFact, Venue

GOMEL = Venue(None, "Gomel", "Belarus")
BREST = Venue(None, "Brest", "Belarus")
ISTANBUL = Venue("Istanbul", None, "Turkey")


def known(id_: int, venue: Venue, day: date, estimated: bool = False,
          ordinal: int | None = None) -> RoundFact:
    """A round the store knows."""
    return RoundFact(id_, ordinal, venue, day, estimated, "held", ("RU", "UA"), None)


def seen(venue: Venue, day: date | None, published: date, ordinal: int | None = None) -> Mention:
    """A mention."""
    return Mention(venue, day, published, "held", ordinal)


def test_same_ordinal_other_venue_and_year_is_another_round() -> None:
    """'Second round' in Belarus (March 2022) is not 'second round' in Istanbul (June 2025)."""
    belarus = known(1, BREST, date(2022, 3, 3), ordinal=2)
    m = seen(ISTANBUL, date(2025, 6, 2), date(2025, 6, 2), ordinal=2)
    assert best_round(m, [belarus]) is None
    # Same ordinal, same year, other venue, close dates: still another round.
    m2 = seen(Venue("Antalya", None, "Turkey"), date(2022, 3, 3), date(2022, 3, 3), ordinal=2)
    assert best_round(m2, [belarus]) is None


def test_ordinal_never_separates_one_round() -> None:
    """Press calls one meeting 'second' and 'third': the venue and date decide."""
    r = known(1, ISTANBUL, date(2025, 6, 2), ordinal=2)
    assert best_round(seen(ISTANBUL, date(2025, 6, 2), date(2025, 6, 3), ordinal=3), [r]) == r


def test_dates_within_two_days_or_three_when_estimated() -> None:
    """Stated dates: ±2 days; a publication-date estimate: ±3."""
    assert dates_agree(date(2022, 3, 1), False, date(2022, 3, 3), False)
    assert not dates_agree(date(2022, 2, 28), False, date(2022, 3, 3), False)
    assert dates_agree(date(2022, 2, 28), True, date(2022, 3, 3), False)
    assert not dates_agree(date(2022, 2, 28), True, date(2022, 3, 4), False)


def test_venue_agreement() -> None:
    """City decides when both have one; a region separates two places in one country."""
    assert venue_agreement(ISTANBUL, Venue("istanbul", None, None)) == 3
    assert venue_agreement(ISTANBUL, Venue("Antalya", None, "Turkey")) is None
    assert venue_agreement(GOMEL, BREST) is None
    assert venue_agreement(Venue(None, None, "Belarus"), BREST) == 1
    assert venue_agreement(Venue(), ISTANBUL) == 0


def test_mention_without_venue_matches_on_date_alone() -> None:
    """'Talks resumed on Monday' joins the round held that day, wherever it was."""
    r = known(1, BREST, date(2022, 3, 7))
    assert best_round(seen(Venue(), None, date(2022, 3, 8)), [r]) == r
    assert best_round(seen(Venue(), None, date(2022, 3, 12)), [r]) is None


def test_best_venue_then_nearest_date_wins() -> None:
    """Among candidates, the one whose city agrees beats one matched on date alone."""
    vague = known(1, Venue(), date(2022, 3, 29))
    exact = known(2, ISTANBUL, date(2022, 3, 30))
    assert best_round(seen(ISTANBUL, date(2022, 3, 29), date(2022, 3, 29)), [vague, exact]) == exact
    near = known(3, Venue(), date(2022, 3, 28), estimated=True)
    assert best_round(seen(Venue(), date(2022, 3, 29), date(2022, 3, 29)), [vague, near]) == vague
