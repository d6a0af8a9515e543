"""Loading the analysis vocabulary from config/analysis/*.toml and compiling it once."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.analysis.model import Venue
from monitor.errors import MonitorError

# Bumped when the code's interpretation of the vocabulary changes, so the store's
# `reanalyze` sees a new Analyzer.version even when the TOML files are unchanged.
CODE_VERSION = "2"
CONFIG_FILES = ("topic.toml", "actors.toml", "venues.toml", "rounds.toml", "terms.toml")


class VocabularyError(MonitorError, ValueError):
    """A vocabulary file that is missing or malformed."""


def default_config_dir() -> Path:
    """The repository's config/analysis, next to the monitor package."""
    return Path(__file__).resolve().parents[2] / "config" / "analysis"


def alternation(fragments: list[str]) -> str:
    """One non-capturing alternation of regex fragments, longest first."""
    return "(?:" + "|".join(sorted(fragments, key=len, reverse=True)) + ")"


def bounded(pattern: str) -> str:
    """A pattern that must start and end on word boundaries (Unicode aware)."""
    return rf"(?<![\w]){pattern}(?![\w])"


def lowered(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """The case-sensitive twin of a case-insensitive pattern, to search lower-cased ASCII text.

    On such text it finds a match wherever the pattern would (case folding of ASCII is just
    lower-casing) at about half the cost. None for a pattern with an upper-case letter, as a
    literal or in an escape such as \\W, which lower-cased text would not match.
    """
    if not pattern.flags & re.I or any(c.isupper() for c in pattern.pattern):
        return None
    return re.compile(pattern.pattern, pattern.flags & ~re.I)


def compile_list(fragments: list[str], name: str) -> re.Pattern[str]:
    """Compile a list of regex fragments into one case-insensitive bounded pattern."""
    try:
        return re.compile(bounded(alternation(fragments)), re.I)
    except re.error as exc:
        raise VocabularyError(f"{name}: {exc}") from exc


@dataclass(frozen=True)
class PartyHit:
    """A party named in a sentence."""

    start: int
    end: int
    party: str


# Sentences whose party hits Actors keeps (an item has tens; a thread may interleave items).
_SEEN_SENTENCES = 512


class Actors:
    """Recognises parties by names, demonyms, leaders and capitals."""

    def __init__(self, table: dict[str, Any]) -> None:
        groups: list[str] = []
        self.codes: list[str] = []
        for code, entry in table.get("parties", {}).items():
            names = [n for n in entry.get("names", [])]
            exact = [rf"(?-i:{re.escape(e)})" for e in entry.get("exact", [])]
            group = f"p{len(self.codes)}"
            self.codes.append(code)
            groups.append(f"(?P<{group}>{alternation(names + exact)})")
        self._seen: dict[str, tuple[PartyHit, ...]] = {}
        if not groups:
            raise VocabularyError("actors.toml: no parties")
        try:
            self.pattern = re.compile(bounded("(?:" + "|".join(groups) + ")"), re.I)
        except re.error as exc:
            raise VocabularyError(f"actors.toml: {exc}") from exc

    def find(self, sentence: str) -> tuple[PartyHit, ...]:
        """Every party mention in the sentence, in order.

        The terms, the rounds and the item's parties each ask for the same sentences, and the
        pattern (every name of every party) is the analysis's costliest: the hits of the last
        sentences are kept.
        """
        hits = self._seen.get(sentence)
        if hits is None:
            if len(self._seen) >= _SEEN_SENTENCES:
                self._seen.clear()
            hits = self._seen[sentence] = tuple(
                PartyHit(m.start(), m.end(), self.codes[int(m.lastgroup[1:])])
                for m in self.pattern.finditer(sentence) if m.lastgroup)
        return hits


@dataclass(frozen=True)
class VenueHit:
    """A place named in a sentence."""

    start: int
    end: int
    venue: Venue
    metonym: bool


class Venues:
    """Recognises meeting places and maps them to English exonyms."""

    def __init__(self, table: dict[str, Any]) -> None:
        groups: list[str] = []
        self.entries: list[tuple[Venue, bool]] = []
        for i, entry in enumerate(table.get("venue", [])):
            venue = Venue(entry.get("city"), entry.get("region"), entry.get("country"))
            self.entries.append((venue, bool(entry.get("metonym", False))))
            groups.append(f"(?P<v{i}>{alternation(entry['aliases'])})")
        try:
            self.pattern = re.compile(bounded("(?:" + "|".join(groups) + ")"), re.I)
        except re.error as exc:
            raise VocabularyError(f"venues.toml: {exc}") from exc

    def find(self, sentence: str) -> list[VenueHit]:
        """Every venue mention in the sentence, in order."""
        hits = []
        for m in self.pattern.finditer(sentence):
            if m.lastgroup:
                venue, metonym = self.entries[int(m.lastgroup[1:])]
                hits.append(VenueHit(m.start(), m.end(), venue, metonym))
        return hits


@dataclass(frozen=True)
class Config:
    """All vocabulary tables of one config directory, with their version hash."""

    topic: dict[str, Any]
    actors: dict[str, Any]
    venues: dict[str, Any]
    rounds: dict[str, Any]
    terms: dict[str, Any]
    version: str


def load_config(config_dir: Path | None = None) -> Config:
    """Read and hash the TOML files of a config directory."""
    root = config_dir or default_config_dir()
    digest = hashlib.sha256(CODE_VERSION.encode())
    tables: dict[str, dict[str, Any]] = {}
    for name in CONFIG_FILES:
        path = root / name
        try:
            raw = path.read_bytes()
            tables[name.removesuffix(".toml")] = tomllib.loads(raw.decode("utf-8"))
        except FileNotFoundError as exc:
            raise VocabularyError(f"missing vocabulary file {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise VocabularyError(f"{path}: {exc}") from exc
        digest.update(name.encode() + b"\0" + raw + b"\0")
    return Config(version=digest.hexdigest()[:12], **tables)
