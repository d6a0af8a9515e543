"""The query side's errors; each knows its HTTP status and a stable code.

    MonitorError                 (monitor.errors)
    └── QueryError               a query the user asked for cannot be answered
        ├── BadQuery             400 bad_query: search syntax, a bad cursor or filter
        ├── NotFound             404 not_found: no such article, round, …
        ├── QueryTimeout         503 query_timeout: the query ran past its time limit
        └── StoreUnavailable     503 unavailable: the database cannot be reached
"""

from __future__ import annotations

from monitor.errors import MonitorError


class QueryError(MonitorError):
    """Base of the query side's errors."""

    status = 500
    code = "query_error"


class BadQuery(QueryError):
    """The query, a filter or a cursor is malformed; the message says how to fix it."""

    status = 400
    code = "bad_query"


class NotFound(QueryError):
    """The thing asked for does not exist."""

    status = 404
    code = "not_found"


class QueryTimeout(QueryError):
    """The query ran longer than the configured time limit."""

    status = 503
    code = "query_timeout"


class StoreUnavailable(QueryError):
    """The database cannot be reached or is not ready."""

    status = 503
    code = "unavailable"
