"""When the next check happens: intervals, hints, backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from monitor.fetcher import parse_max_age, parse_retry_after
from monitor.schedule import next_check
from monitor.settings import FetchSettings
from monitor.values import FetchResult

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
CFG = FetchSettings(interval=timedelta(minutes=15), min_interval=timedelta(minutes=2),
                    max_interval=timedelta(hours=6))


def _delay(result: FetchResult, **kw: object) -> float:
    return (next_check(NOW, result, CFG, rng=random.Random(1), **kw) - NOW).total_seconds()  # type: ignore[arg-type]


def test_success_uses_interval_and_hints() -> None:
    """Plain interval; max-age and ttl stretch it but never past max_interval."""
    assert 0.95 * 900 <= _delay(FetchResult("ok")) <= 1.05 * 900
    assert _delay(FetchResult("ok", max_age=3600)) >= 3600 * 0.95
    assert _delay(FetchResult("ok"), ttl_seconds=10 * 86400) <= 6 * 3600 * 1.05


def test_failures_back_off_exponentially_with_a_cap() -> None:
    """Each error doubles the step, jittered, capped; never given up."""
    err = FetchResult("server_error", error="HTTP 500")
    delays = [_delay(err, error_count=n) for n in range(1, 12)]
    assert delays[0] < delays[3] < 6 * 3600
    assert max(delays) <= 6 * 3600
    assert min(delays) >= 120


def test_retry_after_is_honoured() -> None:
    """429 with Retry-After waits at least that long."""
    assert _delay(FetchResult("rate_limited", error="HTTP 429", retry_after=7200), error_count=1) >= 7200


def test_header_parsing() -> None:
    """Retry-After as seconds or date; Cache-Control max-age."""
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Mon, 02 Jun 2025 13:00:00 GMT", NOW) == 3600
    assert parse_retry_after("garbage") is None
    assert parse_max_age("public, max-age=600") == 600
    assert parse_max_age("no-cache, max-age=600") is None
