"""Read-only sessions with a time limit: every query of the query side runs in one."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from monitor.query.errors import BadQuery, QueryTimeout, StoreUnavailable
from monitor.settings import ServerSettings
from monitor.store.db import make_engine

# SQLite calls the progress handler every this many virtual-machine steps; small enough to
# stop a runaway query within milliseconds, large enough to cost nothing measurable.
PROGRESS_STEPS = 10_000


@dataclass(frozen=True, slots=True)
class Limits:
    """The time limit and row cap of every query."""

    timeout: float = 2.0
    max_rows: int = 1000
    window: int = 1000  # a text search ranks this many newest matches

    @classmethod
    def from_settings(cls, server: ServerSettings) -> Limits:
        """The limits configured under [server]."""
        return cls(timeout=server.query_timeout, max_rows=server.max_rows,
                   window=server.search_window)


def _query_only(dbapi_conn: Any, _record: Any) -> None:
    """SQLite refuses any write on this connection."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def open_engine(url: str) -> Engine:
    """An engine of its own for the query side, so read-only settings never reach writers."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _query_only)
    return engine


@contextmanager
def read_session(engine: Engine, limits: Limits) -> Iterator[Session]:
    """A read-only session whose statements stop after `limits.timeout` seconds."""
    try:
        session = Session(engine, expire_on_commit=False)
        conn = session.connection()
    except OperationalError as exc:
        raise StoreUnavailable(f"query: the database cannot be reached: {exc.orig}") from None
    except PoolTimeout:
        raise StoreUnavailable("query: every database connection is busy; try again") from None
    raw: Any = conn.connection.driver_connection
    sqlite = engine.dialect.name == "sqlite"
    try:
        if sqlite:
            deadline = time.monotonic() + limits.timeout
            raw.set_progress_handler(lambda: int(time.monotonic() > deadline), PROGRESS_STEPS)
        else:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(limits.timeout * 1000)}")
        yield session
    except DBAPIError as exc:
        raise _translate(exc, limits) from None
    finally:
        if sqlite:
            raw.set_progress_handler(None, 0)
        session.rollback()
        session.close()


def _translate(exc: DBAPIError, limits: Limits) -> Exception:
    """A database error as a query error a person can read; unknown ones stay as they are."""
    orig = exc.orig
    name = type(orig).__name__
    text = str(orig)
    if isinstance(orig, sqlite3.OperationalError) and "interrupted" in text:
        return QueryTimeout(f"query: stopped after the time limit of {limits.timeout:g}s")
    if name == "QueryCanceled":
        return QueryTimeout(f"query: stopped after the time limit of {limits.timeout:g}s")
    if "fts5" in text or (name == "SyntaxError" and "tsquery" in text):
        # The translator quotes every term, so this is a bug; still not a 500 for the user.
        return BadQuery("search: the query could not be understood")
    if isinstance(exc, DataError):  # e.g. a NUL character or an out-of-range number from a user
        return BadQuery(f"query: a value is not acceptable: {text.splitlines()[0]}")
    if isinstance(exc, OperationalError) and not isinstance(orig, sqlite3.OperationalError):
        return StoreUnavailable(f"query: the database failed: {text.splitlines()[0]}")
    return exc
