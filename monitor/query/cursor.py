"""Opaque page cursors: where the last page ended and which snapshot of the store it read."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from monitor.query.errors import BadQuery


@dataclass(frozen=True, slots=True)
class Cursor:
    """The snapshot bound (`as_of`: newest article id at page one) and the last row's sort key."""

    query: str  # digest of the query and filters it belongs to
    as_of: int
    key: Any  # rank (float) or time (ISO string) of the last row
    last_id: int

    def encode(self) -> str:
        """URL-safe text."""
        raw = json.dumps([1, self.query, self.as_of, self.key, self.last_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def digest(params: dict[str, Any]) -> str:
    """A short fingerprint of a query and its filters."""
    text = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def decode(text: str, query: str) -> Cursor:
    """Read a cursor made for this same query, or raise BadQuery."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, q, as_of, key, last_id = json.loads(raw)
        if version != 1 or not isinstance(as_of, int) or not isinstance(last_id, int):
            raise ValueError
        if not isinstance(key, int | float | str) or isinstance(key, bool):
            raise ValueError
    except (ValueError, TypeError, json.JSONDecodeError):
        raise BadQuery("cursor: not a cursor this server made; start again without it") from None
    if q != query:
        raise BadQuery("cursor: it belongs to another query or other filters; "
                       "start again without it")
    return Cursor(q, as_of, key, last_id)
