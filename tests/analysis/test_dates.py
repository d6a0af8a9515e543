"""Relative and explicit dates resolved against the publication date."""

from __future__ import annotations

from datetime import date

from monitor.analysis.dates import resolve_date

FRIDAY = date(2022, 4, 1)
SATURDAY = date(2025, 5, 10)


def test_weekday_in_past_report_is_the_latest_one() -> None:
    assert resolve_date("talks on Thursday", FRIDAY, future=False) == date(2022, 3, 31)
    assert resolve_date("envoys met on Tuesday", FRIDAY, future=False) == date(2022, 3, 29)


def test_same_weekday_as_publication_is_that_day() -> None:
    assert resolve_date("meeting Monday", date(2022, 2, 28), future=True) == date(2022, 2, 28)


def test_next_weekday_crosses_the_weekend() -> None:
    assert resolve_date("talks next Monday", SATURDAY, future=True) == date(2025, 5, 12)
    assert resolve_date("talks on Thursday", SATURDAY, future=True) == date(2025, 5, 15)
    assert resolve_date("last Friday", SATURDAY, future=False) == date(2025, 5, 9)


def test_explicit_and_counted_dates() -> None:
    assert resolve_date("on 16 May 2025", SATURDAY, future=False) == date(2025, 5, 16)
    assert resolve_date("from March 29", FRIDAY, future=False) == date(2022, 3, 29)
    assert resolve_date("they met 19 days ago", date(2022, 3, 29), False) == date(2022, 3, 10)
    assert resolve_date("talks tomorrow", SATURDAY, future=True) == date(2025, 5, 11)
    assert resolve_date("у четвер", SATURDAY, future=True) == date(2025, 5, 15)
    assert resolve_date("no date here", SATURDAY, future=True) is None
    assert resolve_date("on Thursday", None, future=True) is None
