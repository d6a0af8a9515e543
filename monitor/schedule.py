"""When to poll a feed next: intervals, server hints, and backoff with jitter."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from monitor.settings import FetchSettings
from monitor.values import FetchResult

# Retry-After may ask for long pauses; honour them up to a day, never forever.
MAX_RETRY_AFTER = 86400.0
BACKOFF_CAP_EXPONENT = 10

# One generator for the jitter; seeding a new one from urandom on every poll cost more than it.
_RNG = random.Random()


def next_check(
    now: datetime,
    result: FetchResult,
    settings: FetchSettings,
    *,
    interval_seconds: float | None = None,
    error_count: int = 0,
    ttl_seconds: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """The next check time after `result`; `error_count` is the count including this one."""
    rng = rng or _RNG
    base = interval_seconds or settings.interval.total_seconds()
    lo, hi = settings.min_interval.total_seconds(), settings.max_interval.total_seconds()
    if result.failed:
        # Exponential backoff with full jitter in the upper half; capped, never given up.
        step = base * (2 ** min(max(error_count - 1, 0), BACKOFF_CAP_EXPONENT))
        delay = min(step, hi) * rng.uniform(0.5, 1.0)
        delay = max(delay, lo)
        if result.retry_after is not None:
            delay = max(delay, min(result.retry_after, MAX_RETRY_AFTER))
        return now + timedelta(seconds=delay)
    delay = base
    for hint in (result.max_age, ttl_seconds):
        if hint is not None:
            delay = max(delay, min(hint, hi))
    if result.retry_after is not None:
        delay = max(delay, min(result.retry_after, MAX_RETRY_AFTER))
    delay = max(delay, lo)
    # A little spread so feeds added together do not stay in lockstep.
    return now + timedelta(seconds=delay * rng.uniform(0.95, 1.05))
