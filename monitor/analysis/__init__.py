"""Analysis stage: relevance, negotiation rounds and ceasefire terms of feed items.

The names load on first use: the events' data classes import `monitor.analysis.model`
alone, and a poll of unchanged feeds never needs the analyzer (~30 ms of imports).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.analysis.analyzer import Analyzer, load_analyzer
    from monitor.analysis.model import Analysis, Item, RoundMention, TermMention, Venue

__all__ = ["Analysis", "Analyzer", "Item", "RoundMention", "TermMention", "Venue",
           "load_analyzer"]


def __getattr__(name: str) -> Any:
    """Import the analyzer or the model module when one of their names is first asked for."""
    if name in ("Analyzer", "load_analyzer"):
        from monitor.analysis import analyzer

        return getattr(analyzer, name)
    if name in __all__:
        from monitor.analysis import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
