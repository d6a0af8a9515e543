"""The exceptions of the monitor, one tree.

    MonitorError
    ├── ConfigError            bad or unreadable configuration, names the key
    ├── VocabularyError        the analysis vocabulary cannot be read (monitor.analysis.vocab)
    ├── StoreError             the database
    │   ├── SchemaNotAtHead    the schema needs `monitor db upgrade`
    │   └── StoreLocked        another daemon holds an SQLite store
    └── FetchError             one fetch of one feed; `kind` names the outcome
        ├── TransientFetchError   worth retrying soon: timeout, connection, 429, 5xx
        └── PermanentFetchError   retrying will not help soon: 404, 410, not a feed, oversize
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(MonitorError):
    """The configuration cannot be loaded or is invalid."""


class StoreError(MonitorError):
    """The store cannot do what was asked."""


class SchemaNotAtHead(StoreError):
    """The database schema is not at the migrations' head."""


class StoreLocked(StoreError):
    """Another daemon already runs on this SQLite store."""


class FetchError(MonitorError):
    """A fetch failed; `kind` is a short stable name of the outcome."""

    def __init__(self, kind: str, message: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(f"fetch: {kind}: {message}")
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


class TransientFetchError(FetchError):
    """A failure that may pass by itself: back off and retry."""


class PermanentFetchError(FetchError):
    """A failure that will not pass soon: back off long, or disable on 410."""
