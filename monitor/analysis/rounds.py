"""Round mentions: which meeting of the sides an item reports, where, when and how it went."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from monitor.analysis.dates import resolve_date
from monitor.analysis.model import RoundMention, Venue
from monitor.analysis.vocab import Actors, PartyHit, VenueHit, Venues, compile_list

CORE = ("RU", "UA", "US")
_STATUS_RANK = {"announced": 1, "held": 2, "concluded": 3}
# A venue word right after one of these prepositions is a place, not a government.
_METONYM_PREP = re.compile(r"(?:\b(?:in|at)\s+(?:the\s+)?|\b[ву]\s+)$", re.I)
# A country is the venue "in Turkey", "to Saudi Arabia" or in "Belarus talks"; as a subject
# ("Turkey to take part", "Saudi Arabia will host") it is an actor, and the city decides.
_COUNTRY_PREP = re.compile(r"(?:\b(?:in|at|to|inside|hosted by|host)\s+(?:the\s+)?"
                           r"|\b(?:в|у|на|до)\s+)$", re.I)
_COUNTRY_TALKS = re.compile(r"[\s-]+(?:talks|negotiations|summit|meeting)\b", re.I)
# A meeting word next to a place ("the Istanbul talks", "talks in Geneva", "Alaska summit")
# says plainly that a particular negotiation is meant.
_NEAR_VENUE = 32
# "proposes resuming talks", "talks could start": a held cue in a future construction.
_FUTURE_BEFORE = re.compile(r"\b(?:to|will|would|could|may|might|propos\w*|plan\w*|ready to|"
                            r"agree\w* to|set to|expected to)\s+(?:\w+\s+)?$", re.I)
# "Witkoff and Rubio hold talks with Europeans and Ukrainians": talks, not a courtesy visit.
_HOLD_TALKS = re.compile(r"\b(?:hold|holds|held|holding)\s+(?:\w+\s+)?talks\b", re.I)
_OUTCOME_WORDS = 12
_PLACE_OF = re.compile(r"\b(?:in|of|across|over|inside|to|into|on|against|toward|towards)\s+"
                       r"(?:the\s+)?$", re.I)
_BILATERAL = re.compile(r"\bbetween\b|delegation|negotiators|\bbilateral\b|\bdirect talks\b|"
                        r"\btrilateral\b", re.I)
_ORDINAL_RE = r"(\w+)\s+(?:round|раунд\w*)|round\s+(two|three|four|five|\d)"
_ROUND_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5}


@dataclass(frozen=True)
class _Mention:
    """A round mention before merging, with how sure the status is."""

    mention: RoundMention
    explicit_status: bool
    later: bool = False  # "the next round": a later meeting, never the one reported


class RoundFinder:
    """Finds round mentions from rounds.toml, actors and venues."""

    def __init__(self, table: dict[str, Any], actors: Actors, venues: Venues) -> None:
        self.actors = actors
        self.venues = venues
        self.meeting = compile_list(table["meeting"], "rounds.meeting")
        self.specific = compile_list(table["specific"], "rounds.specific")
        self.negotiation = compile_list(table["negotiation"], "rounds.negotiation")
        self.peace = compile_list(table["peace"], "rounds.peace")
        self.blockers = compile_list(table["blockers"], "rounds.blockers")
        self.multilateral = compile_list(table["multilateral"], "rounds.multilateral")
        self.concluded = compile_list(table["concluded"], "rounds.concluded")
        self.held = compile_list(table["held"], "rounds.held")
        self.announced = compile_list(table["announced"], "rounds.announced")
        self.later = compile_list(table.get("later", ["next round"]), "rounds.later")
        self.outcomes = [(compile_list([o["pattern"]], "rounds.outcome"), str(o["text"]))
                         for o in table.get("outcome", [])]
        self.ordinals: dict[str, int] = {k.lower(): int(v)
                                         for k, v in table.get("ordinals", {}).items()}
        self.ordinal_re = re.compile(_ORDINAL_RE, re.I)
        self.agreement = re.compile(
            "(?:" + "|".join(table.get("outcome_clause", [])) + r")[^,;.:()\"]*" if
            table.get("outcome_clause") else r"(?!)", re.I)

    def ordinal(self, sentence: str) -> int | None:
        """The ordinal the sentence gives a round ("second round" → 2)."""
        for m in self.ordinal_re.finditer(sentence):
            if m[2]:
                return int(m[2]) if m[2].isdigit() else _ROUND_NUMBERS[m[2].lower()]
            word = m[1].lower()
            for stem, number in self.ordinals.items():
                if word == stem or (not stem.isascii() and word.startswith(stem)):
                    return number
        return None

    def venue(self, sentence: str) -> Venue:
        """The most specific place the sentence names as a venue."""
        best: VenueHit | None = None
        country: str | None = None
        for hit in self.venues.find(sentence):
            head = sentence[max(0, hit.start - 12):hit.start]
            # A capital is a place only "in" or "at" it; "near Kyiv" is usually the front.
            # ... or right before a meeting word ("Zelensky's White House meeting").
            if hit.metonym and not (_METONYM_PREP.search(head)
                                    or _COUNTRY_TALKS.match(sentence, hit.end)):
                continue
            if _country_only(hit.venue) and not (_COUNTRY_PREP.search(head)
                                                 or _COUNTRY_TALKS.match(sentence, hit.end)):
                continue
            if best is None or _specificity(hit.venue) > _specificity(best.venue):
                best = hit
            if hit.venue.city is None and hit.venue.region is None:
                country = country or hit.venue.country
        if best is None:
            return Venue()
        return best.venue if best.venue.country else replace(best.venue, country=country)

    def status(self, sentence: str, has_outcome: bool) -> tuple[str, bool]:
        """The round's status and whether a cue stated it."""
        if has_outcome or self.concluded.search(sentence):
            return "concluded", True
        held = self.held.search(sentence)
        if held and not _FUTURE_BEFORE.search(sentence[max(0, held.start() - 20):held.start()]):
            return "held", True
        if self.announced.search(sentence):
            return "announced", True
        return "held", False

    def venue_talks(self, sentence: str) -> bool:
        """Whether a meeting word stands right next to a named place."""
        places = [h for h in self.venues.find(sentence)
                  if not h.metonym or _METONYM_PREP.search(sentence[max(0, h.start - 12):h.start])]
        if not places:
            return False
        for m in self.meeting.finditer(sentence):
            if any(m.start() - _NEAR_VENUE <= h.end and h.start <= m.end() + _NEAR_VENUE
                   for h in places):
                return True
        return False

    def outcome_clause(self, sentence: str) -> str | None:
        """The sentence's own words for what a concluded round agreed ("agreed to swap ...")."""
        m = self.agreement.search(sentence)
        if m is None:
            return None
        words = m.group(0).split()
        text = " ".join(words[:_OUTCOME_WORDS])
        return text if len(words) <= _OUTCOME_WORDS else text + " ..."

    def outcome(self, sentence: str) -> str | None:
        """A short outcome text, when the sentence states one."""
        for pattern, text in self.outcomes:
            if pattern.search(sentence):
                return text
        return None

    def find(self, sentences: tuple[str, ...], published: date | None,
             item_parties: set[str]) -> tuple[RoundMention, ...]:
        """All distinct round mentions of an item's sentences."""
        text = " ".join(sentences)
        multilateral = bool(self.multilateral.search(text))
        core_item = [p for p in CORE if p in item_parties]
        found: list[_Mention] = []
        previous: _Mention | None = None
        # "Talks end in Abu Dhabi; next meeting set for February 1": a clause about a later
        # meeting is its own mention.
        clauses = [c.strip() for s in sentences
                   for c in (s.split("; ") if self.later.search(s) else [s]) if c.strip()]
        for sentence in clauses:
            # A sentence right after a round mention may go on about it without naming the
            # sides ("The two leaders met in Anchorage on Friday").
            current = self._sentence(sentence, published, multilateral, core_item,
                                     previous is not None)
            if current is None and previous is not None and found:
                # "The sides agreed to swap 1,200 prisoners": the outcome of that round.
                found[-1] = self._outcome_of(found[-1], sentence)
            previous = current
            if current is not None:
                found.append(current)
        return tuple(m.mention for m in _merge(found, published))

    def _outcome_of(self, mention: _Mention, sentence: str) -> _Mention:
        """The mention concluded by a following sentence that states an agreement."""
        if mention.later or mention.mention.status == "announced":
            return mention
        outcome = self.outcome(sentence) or self.outcome_clause(sentence)
        if outcome is None:
            return mention
        m = mention.mention
        return replace(mention, mention=replace(m, status="concluded",
                                                outcome=m.outcome or outcome),
                       explicit_status=True)

    def _sentence(self, sentence: str, published: date | None, multilateral: bool,
                  core_item: list[str], continues: bool) -> _Mention | None:
        """The round mention of one sentence, or None."""
        if not self.meeting.search(sentence) or self.blockers.search(sentence):
            return None
        venue = self.venue(sentence)
        ordinal = self.ordinal(sentence)
        outcome = self.outcome(sentence)
        status, explicit = self.status(sentence, outcome is not None)
        if outcome is None and status == "concluded":
            outcome = self.outcome_clause(sentence)
        day = resolve_date(sentence, published, future=status == "announced")
        if not (venue.is_known() or ordinal or day or self.specific.search(sentence)):
            return None
        # "the war in Ukraine", "invasion of Ukraine": a party named as a place is no participant.
        hits = self.actors.find(sentence)
        parties = {h.party for h in hits if not _as_place(sentence, h, hits)}
        core = [p for p in CORE if p in parties]
        # Multilateral gatherings (Jeddah, Malta) are no rounds even when the press numbers
        # them; in such items a round must be explicitly between two of the sides.
        if multilateral and (len(core) < 2 or not _BILATERAL.search(sentence)):
            return None
        third = parties - set(CORE) - _hosts(venue)
        if third and len(core) >= 2 and not (_BILATERAL.search(sentence)
                                             or self.peace.search(sentence)
                                             or _HOLD_TALKS.search(sentence)):
            return None  # "Kishida meets Zelenskiy as Xi meets Putin": visits, not talks
        if len(core) < 2:
            # A third country's leader meeting one side ("Xi and Putin hold talks") is
            # diplomacy around the war, not a round; a sentence naming fewer than two sides
            # must say plainly that it is about the negotiations.
            if third or not (continues or self.negotiation.search(sentence)
                             or self.venue_talks(sentence)):
                return None
            core = core_item if len(core_item) >= 2 else ["RU", "UA"]
        if "TR" in parties and venue.country == "Turkey":
            core = [*core, "TR"]
        mention = RoundMention(ordinal, venue, day, status, tuple(core), outcome, sentence)
        return _Mention(mention, explicit, bool(self.later.search(sentence)))


def _hosts(venue: Venue) -> set[str]:
    """Parties that host a meeting at this venue rather than take part (Turkey in Istanbul)."""
    return {"TR"} if venue.country == "Turkey" else set()


def _as_place(sentence: str, hit: PartyHit, hits: Sequence[PartyHit]) -> bool:
    """Whether a party is named as a place or object ("war in Ukraine"), not a participant."""
    compound = any(q.start == hit.end + 1 or q.end == hit.start - 1 for q in hits)
    return not compound and bool(_PLACE_OF.search(sentence[max(0, hit.start - 12):hit.start]))


def _country_only(venue: Venue) -> bool:
    """A venue entry naming only a country."""
    return venue.city is None and venue.region is None and venue.country is not None


def _specificity(venue: Venue) -> int:
    """City beats region beats country."""
    return 3 if venue.city else 2 if venue.region else 1 if venue.country else 0


def _compatible(a: RoundMention, b: RoundMention, published: date | None) -> bool:
    """Whether two mentions of one item can be the same round (the GUIDE's identity rule)."""
    da, db = a.date or published, b.date or published
    tolerance = 2 if a.date and b.date else 3
    if da and db and abs((da - db).days) > tolerance:
        return False
    if a.venue.is_known() and b.venue.is_known():
        if a.venue.city and b.venue.city:
            return a.venue.city == b.venue.city
        return a.venue.country == b.venue.country
    return not (a.ordinal and b.ordinal and a.ordinal != b.ordinal)


def _combine(a: _Mention, b: _Mention) -> _Mention:
    """One mention from two of the same round, keeping the most specific facts."""
    x, y = a.mention, b.mention
    venue = x.venue if _specificity(x.venue) >= _specificity(y.venue) else y.venue
    if b.explicit_status and (not a.explicit_status
                              or _STATUS_RANK[y.status] > _STATUS_RANK[x.status]):
        status, explicit = y.status, True
    else:
        status, explicit = x.status, a.explicit_status
    parties = tuple(dict.fromkeys(x.parties + y.parties))
    merged = RoundMention(x.ordinal or y.ordinal, venue, x.date or y.date, status, parties,
                          x.outcome or y.outcome, x.evidence)
    return _Mention(merged, explicit, a.later and b.later)


def _merge(found: list[_Mention], published: date | None) -> list[_Mention]:
    """Merge mentions of the same round within an item."""
    merged: list[_Mention] = []
    for item in found:
        for i, seen in enumerate(merged):
            current = item if seen.later else seen
            if seen.later != item.later and current.mention.status != "announced":
                continue  # "the next round will be held ...": not the meeting just held
            if _compatible(seen.mention, item.mention, published):
                merged[i] = _combine(seen, item)
                break
        else:
            merged.append(item)
    return merged
