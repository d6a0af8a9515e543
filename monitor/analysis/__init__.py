"""Analysis stage: relevance, negotiation rounds and ceasefire terms of feed items."""

from monitor.analysis.analyzer import Analyzer, load_analyzer
from monitor.analysis.model import Analysis, Item, RoundMention, TermMention, Venue

__all__ = ["Analysis", "Analyzer", "Item", "RoundMention", "TermMention", "Venue",
           "load_analyzer"]
