"""Ceasefire and settlement terms: key, proposer, stance and attributes, per sentence."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from monitor.analysis.model import TermMention
from monitor.analysis.vocab import Actors, PartyHit, VocabularyError, compile_list, lowered

_STANCES = ("rejected", "demanded", "accepted", "agreed", "proposed")
_PRIORITY = {s: i for i, s in enumerate(_STANCES)}
# The clause holding a stance starts after the last reporting verb before it.
_REPORTING = re.compile(r"\b(?:says?|said|tells?|told|according to|that|claims?|added|"
                        r"warns?|warned|writes|заявил\w*|сказал\w*|заяви\w*|сказав|but|while|"
                        r"whereas|however)\b|[:;]", re.I)
# A bare "ceasefire" in an item that names a specific one (Easter, energy, Black Sea) is
# that specific ceasefire, not a general one.
_QUALIFIED = re.compile(r"full|complete|comprehensive|immediate|unconditional|general|total|"
                        r"lasting|\d|thirty|long-term|permanent|cessation|полн|всеобъемлющ|"
                        r"безоговорочн|повн|всеосяжн", re.I)
# A party after a preposition is an object or a place ("attacks on Ukraine's cities"),
# and one in a compound ("Russia-Ukraine talks") names both sides: neither holds a stance.
_PREP_BEFORE = re.compile(r"\b(?:in|on|at|against|to|into|for|with|of|over|across|about|"
                          r"from|by|between|toward|towards|despite|и|and|в|на|з|с|у|до)\s+"
                          r"(?:the\s+|a\s+)?$", re.I)
_CUE_WINDOW = 90
_NEG_AFTER = 40
# Obligation cues: their grammatical subject is the one obliged, not the one demanding.
_OBLIGATION = re.compile(r"must|should|has to|have to|needs? to|должн\w*|повинн\w*|мусит\w*|мають|має",
                         re.I)
_OWNER_NEAR = 30
# "no truce until Russia removes its forces": a negation does not reach across these.
_CLAUSE_WORD = re.compile(r"\b(?:until|unless|if|before|after|while|when|once|but)\b|[,;:]", re.I)
_PROPOSAL = re.compile(r"\b(?:proposals?|offers?|plans?|ideas?|initiatives?|demands?|ultimatum|"
                       r"suggestions?|proposed|calls?|requests?|appeals?|пропозиц\w*|"
                       r"предложени\w*|план\w*)\b|-(?:proposed|brokered|backed|drafted)\b",
                       re.I)
# Nouns and hyphenated adjectives ("an offer", "U.S.-proposed") name a proposal without
# saying what anyone did with it; a stance verb nearby wins over them.
_WEAK_CUE = re.compile(r"(?:offers?|proposals?|plans?|initiative|promises?|pledges?|ideas?)$",
                       re.I)
_WEAK_PENALTY = 60
_DURATION = re.compile(r"\b(\d{1,3})[- ](day|hour|дн|денн|час|годин)\w*|\bfor (\d{1,3}) (day|hour)s\b|"
                       r"\b(thirty|sixty|ninety)[- ]day\b", re.I)
_WORD_DAYS = {"thirty": 30, "sixty": 60, "ninety": 90}
_COUNT = re.compile(r"\b(\d[\d,]*)[- ]for[- ](\d[\d,]*)\b|\b(\d[\d,]*) (?:[a-z]+ )?"
                    r"(?:prisoners|pows|captives|servicemen|soldiers|bodies|children|"
                    r"civilians|people)\b", re.I)
_CORE = {"RU", "UA", "US"}
# "Russia rejected Ukraine's call for a truce": a reject/accept verb this close before a
# proposal cue governs it, so the stance is the verb's and the proposal keeps its owner.
_GOVERN = 30
# Subjects naming both sides: a nameless sentence with one does not continue one party.
_PLURAL_SUBJECT = re.compile(r"\b(?:both|the two|the sides|they|the parties|all sides|"
                             r"обе|обидві|сторон\w*)\b", re.I)
# "agrees to" with one party as subject is that party's acceptance, not a joint agreement.
_ONE_SIDED = re.compile(r"agree[sd]? to\b(?! (?:a |the )?(?:deal|agreement))", re.I)
# "to agree a ceasefire", "if Russia agrees": an agreement that has not happened.
_HYPOTHETICAL = re.compile(r"\b(?:to|if|unless|until|whether|once|when)\s+(?:\w+\s+){0,3}$", re.I)


@dataclass(frozen=True)
class TermRule:
    """One taxonomy key and how to recognise it."""

    key: str
    pattern: re.Pattern[str]
    suppresses: tuple[str, ...]
    requires: tuple[str, ...]
    min_core_parties: int
    possessive: bool
    keep_name: bool
    blocker: re.Pattern[str] | None = None  # a sentence matching it does not state the term


class TermFinder:
    """Finds terms from terms.toml and the actors vocabulary."""

    def __init__(self, table: dict[str, Any], actors: Actors) -> None:
        self.actors = actors
        self._lowered: list[re.Pattern[str] | None] | None = None
        try:
            self.rules = tuple(
                TermRule(t["key"], compile_list(t["patterns"], f"terms.{t['key']}"),
                         tuple(t.get("suppresses", ())), tuple(t.get("requires", ())),
                         int(t.get("min_core_parties", 0)), bool(t.get("possessive", False)),
                         bool(t.get("name", False)),
                         compile_list(t["blockers"], f"terms.{t['key']}.blockers")
                         if t.get("blockers") else None)
                for t in table.get("term", [])
            )
            self.stances = {s: compile_list(table["stance"][s], f"terms.stance.{s}")
                            for s in _STANCES}
            self.negation = compile_list(table["negation"]["before"], "terms.negation")
            after = table["negation"].get("after", [])
            self.negation_after = compile_list(after, "terms.negation.after") if after else None
        except KeyError as exc:
            raise VocabularyError(f"terms.toml: missing {exc}") from exc

    def find(self, sentences: tuple[str, ...]) -> tuple[TermMention, ...]:
        """One mention per key, the best attributed one across the item's sentences."""
        best: dict[str, TermMention] = {}
        qualified_general = False
        antecedent: str | None = None
        for sentence in sentences:
            for mention, qualified in self._sentence(sentence, antecedent):
                if mention.key == "ceasefire.general" and qualified:
                    qualified_general = True
                seen = best.get(mention.key)
                if seen is None or _rank(mention) > _rank(seen):
                    best[mention.key] = mention
            hits = self.actors.find(sentence)
            subjects = _subjects(sentence, hits)
            if subjects:
                # "Trump and Putin agree ...": a later "they" or "the two" is both of them.
                lead = subjects[0]
                joint = any(re.fullmatch(r"\s+(?:and|и|і|та)\s+", sentence[lead.end:q.start])
                            and q.party != lead.party for q in hits)
                antecedent = None if joint else lead.party
        specific = [k for k in best if k.startswith("ceasefire.") and k != "ceasefire.general"]
        if specific and "ceasefire.general" in best and not qualified_general:
            general = best.pop("ceasefire.general")
            first = best[specific[0]]
            if first.proposer is None and general.proposer is not None:
                best[specific[0]] = replace(first, proposer=general.proposer,
                                            stance=general.stance)
        return tuple(best.values())

    def twins(self) -> list[re.Pattern[str] | None]:
        """Each rule's case-sensitive twin (see `lowered`), compiled on first use."""
        if self._lowered is None:
            self._lowered = [lowered(rule.pattern) for rule in self.rules]
        return self._lowered

    def _sentence(self, sentence: str,
                  antecedent: str | None = None) -> list[tuple[TermMention, bool]]:
        """Terms stated in one sentence, each with whether its match carries a qualifier."""
        matches: list[tuple[TermRule, re.Match[str]]] = []
        # Most sentences state no term: on ASCII text each rule's twin, searching the
        # lower-cased sentence, rules it out at half the cost; a hit is matched again as
        # written, so what is found does not change.
        plain = sentence.isascii()
        low = sentence.lower() if plain else sentence
        twins = self.twins() if plain else [None] * len(self.rules)
        for rule, twin in zip(self.rules, twins, strict=True):
            if twin is not None and twin.search(low) is None:
                continue
            m = rule.pattern.search(sentence)
            if m:
                matches.append((rule, m))
        if not matches:
            return []
        suppressed: set[str] = set()
        for rule, m in matches:
            for other, m2 in matches:
                if other.key in rule.suppresses and m2.start() < m.end() and m.start() < m2.end():
                    suppressed.add(other.key)
        parties = self.actors.find(sentence)
        codes = {p.party for p in parties}
        cues = [(s, c) for s, pat in self.stances.items() for c in pat.finditer(sentence)]
        found: list[tuple[TermMention, bool]] = []
        for rule, m in matches:
            if rule.key in suppressed:
                continue
            if rule.blocker is not None and rule.blocker.search(sentence):
                continue
            if rule.requires and not codes.intersection(rule.requires):
                continue
            if len(codes & _CORE) < rule.min_core_parties:
                continue
            mention = self._mention(rule, m, sentence, parties, cues, antecedent)
            if mention is not None:
                found.append((mention, bool(_QUALIFIED.search(m.group(0)))))
        return found

    def _mention(self, rule: TermRule, m: re.Match[str], sentence: str,
                 parties: Sequence[PartyHit], cues: list[tuple[str, re.Match[str]]],
                 antecedent: str | None = None) -> TermMention | None:
        """The term of one pattern match, or None when it is only named as absent."""
        outside = [(s, c) for s, c in cues if c.end() <= m.start() or c.start() >= m.end()
                   or (c.start() >= m.start() and c.end() <= m.end())]
        near = [(s, c) for s, c in outside if _distance(c, m) <= _CUE_WINDOW
                and not (s == "agreed" and _HYPOTHETICAL.search(sentence[:c.start()]))]
        cue = min(near, key=lambda sc: (_cue_cost(sc[1], m), _PRIORITY[sc[0]]), default=None)
        if cue is not None and cue[0] in ("proposed", "demanded"):
            governing = [(s, c) for s, c in cues if s in ("rejected", "accepted")
                         and c.end() <= cue[1].start() <= c.end() + _GOVERN
                         and not _CLAUSE_WORD.search(sentence[c.end():cue[1].start()])]
            if governing:
                cue = governing[-1]
        negs = list(self.negation.finditer(sentence, max(0, m.start() - 40), m.start()))
        if negs:
            neg = negs[-1]
            in_cue = any(c.start() <= neg.start() and neg.end() <= c.end() for _, c in cues)
            between = sentence[neg.end():m.start()]
            if not in_cue and len(between.split()) <= 3 and not _CLAUSE_WORD.search(between):
                return None  # only named as absent: "ended without a ceasefire"
        if self.negation_after is not None and self.negation_after.search(
                sentence, m.end(), m.end() + _NEG_AFTER):
            return None  # "a ceasefire could not be reached"
        stance = cue[0] if cue else "discussed"
        if cue is not None and stance in ("accepted", "proposed") and _joint(sentence, cue[1],
                                                                             parties):
            stance = "agreed"  # "Ukraine and Russia agreed to ...": both sides, no proposer
        proposer: str | None = None
        if (cue is not None and stance == "agreed" and _ONE_SIDED.match(sentence, cue[1].start())
                and len({p.party for p in parties if p.end <= cue[1].start()}) == 1
                and not _PLURAL_SUBJECT.search(sentence, 0, cue[1].start())):
            # "Putin agrees to a pause in strikes": one party saying yes accepts it.
            holder = _holder(sentence, cue[1], parties)
            if holder is not None:
                stance, proposer = "accepted", holder
        if stance == "agreed":
            proposer = None
        elif cue is not None:
            holder = _holder(sentence, cue[1], parties)
            proposer = holder
            if stance in ("rejected", "accepted"):
                # "Kyiv dismisses Putin's ceasefire", "Kyiv accepts a truce proposed by
                # Washington": what is rejected or accepted keeps its owner.
                if stance == "accepted":
                    proposer = (_adjacent_party(m, parties, max_gap=1)
                                or _proposal_owner(sentence, parties, m) or holder)
                else:
                    proposer = (_proposal_owner(sentence, parties)
                                or _adjacent_party(m, parties) or holder)
            elif holder is None:
                # "Responding to a European call for a ceasefire": no subject, but an owner.
                proposer = _proposal_owner(sentence, parties, m)
            if (proposer is None and not _subjects(sentence, parties)
                    and not _PLURAL_SUBJECT.search(sentence, 0, cue[1].start())):
                # "He proposed a truce in the sky": a sentence naming no subject continues
                # the one before it.
                proposer = antecedent
        if rule.possessive:
            # "revised US plan": the party named inside the term owns it, whoever demands,
            # rejects or discusses it.
            inner = [p for p in parties if m.start() <= p.start and p.end <= m.end()]
            if inner and stance != "agreed":
                proposer = inner[0].party
            elif proposer is None:
                proposer = _adjacent_party(m, parties, max_gap=1)
        return TermMention(
            key=rule.key,
            proposer=proposer,
            stance=stance,
            duration_days=_duration(sentence) if rule.key.startswith("ceasefire") else None,
            count=_count(sentence) if rule.key in ("prisoners.exchange", "remains.repatriation",
                                                   "children.return", "civilians.release")
            else None,
            name=m.group(0) if rule.keep_name else None,
            evidence=sentence,
        )


def _rank(t: TermMention) -> tuple[bool, bool, bool]:
    """Prefer attributed mentions, then ones with a stated stance, then a numbered name."""
    numbered = t.name is not None and any(c.isdigit() for c in t.name)
    return (t.proposer is not None, t.stance != "discussed", numbered)


def _cue_cost(cue: re.Match[str], m: re.Match[str]) -> int:
    """How far a cue is from a term, weak cues counting as farther."""
    return _distance(cue, m) + (_WEAK_PENALTY if _is_weak(cue) else 0)


def _is_weak(cue: re.Match[str]) -> bool:
    """A cue that names a proposal without saying what anyone did with it."""
    text = cue.string
    return (bool(_WEAK_CUE.fullmatch(cue.group(0))) or text[cue.start() - 1:cue.start()] == "-"
            or text[cue.end():cue.end() + 3] == " by")


def _distance(cue: re.Match[str], m: re.Match[str]) -> int:
    """Characters between a cue and a term match (0 when they overlap)."""
    if cue.end() <= m.start():
        return m.start() - cue.end()
    if cue.start() >= m.end():
        return cue.start() - m.end()
    return 0


def _subjects(sentence: str, parties: Sequence[PartyHit],
              keep_after_prep: bool = False) -> list[PartyHit]:
    """Parties that can be the subject of a clause: not after a preposition, not compounds."""
    found = []
    for p in parties:
        if not keep_after_prep and _PREP_BEFORE.search(sentence[max(0, p.start - 30):p.start]):
            continue
        if sentence[p.end:p.end + 1] == "-" and any(q.start == p.end + 1 for q in parties):
            continue
        if p.start and sentence[p.start - 1] == "-" and any(q.end == p.start - 1 for q in parties):
            continue
        found.append(p)
    return found


def _holder(sentence: str, cue: re.Match[str], parties: Sequence[PartyHit]) -> str | None:
    """The subject of the clause a stance cue belongs to; the agent of a passive one."""
    cue_start = cue.start()
    # "the ceasefire ordered by Russia's president": the agent after "by" holds it.
    agent = re.match(r"\s+by\s+(?:the\s+)?", sentence[cue.end():])
    if agent:
        after = [p for p in parties if p.start == cue.end() + agent.end()]
        if after:
            return after[0].party
    head = sentence[:cue_start]
    clause_start = boundary = 0
    for r in _REPORTING.finditer(head):
        clause_start, boundary = r.end(), r.start()
    subjects = _subjects(sentence, parties)
    if _OBLIGATION.fullmatch(cue.group(0)):
        # "The Kremlin said Kyiv must withdraw": the one who says "must" demands it.
        speaker = [p for p in subjects if p.start < boundary]
        if speaker:
            return speaker[0].party
    in_clause = [p for p in subjects if clause_start <= p.start < cue_start]
    if in_clause:
        return in_clause[0].party
    # A pronoun or nameless clause refers back to the sentence's subject.
    before_cue = [p for p in subjects if p.start < cue_start]
    if before_cue:
        return before_cue[0].party
    # "proposed by Russia", "the promises by Russian forces"
    for p in parties:
        if p.start >= cue_start and re.search(r"\b(?:by|from)\s+(?:the\s+)?$",
                                              sentence[cue_start:p.start]):
            if len(sentence[cue_start:p.start].split()) <= 4:
                return p.party
            break
    return None


def _joint(sentence: str, cue: re.Match[str], parties: Sequence[PartyHit]) -> bool:
    """Whether the cue's subject is two sides together ("Ukraine and Russia agreed")."""
    subjects = {p.start for p in _subjects(sentence, parties)}
    for p, q in pairwise(parties):
        if (p.start in subjects and p.party != q.party and {p.party, q.party} <= _CORE
                and q.end <= cue.start()
                and re.fullmatch(r"\s+(?:and|и|і|та)\s+", sentence[p.end:q.start])
                and len(sentence[q.end:cue.start()].split()) <= 3
                and not _CLAUSE_WORD.search(sentence[q.end:cue.start()])):
            return True
    return False


def _proposal_owner(sentence: str, parties: Sequence[PartyHit],
                    near: re.Match[str] | None = None) -> str | None:
    """The owner of a proposal ("Moscow's offer", "offer from Moscow"), near `near` if given."""
    parties = _subjects(sentence, parties, keep_after_prep=True)
    for noun in _PROPOSAL.finditer(sentence):
        if near is not None and _distance(noun, near) > _OWNER_NEAR:
            continue
        before = [p for p in parties if p.end <= noun.start()]
        if before:
            gap = sentence[before[-1].end:noun.start()]
            if len(gap.split()) <= 2 and "," not in gap:
                return before[-1].party
        # Russian and Ukrainian put the owner in the genitive right after the noun
        # ("пропозицію США").
        link = r"\s+" if not noun.group(0).isascii() else r"\s+(?:from|by|of)\s+(?:the\s+)?"
        for p in parties:
            if p.start >= noun.end() and re.fullmatch(link, sentence[noun.end():p.start]):
                return p.party
    return None


def _adjacent_party(m: re.Match[str], parties: Sequence[PartyHit], max_gap: int = 3) -> str | None:
    """A party named right before the term (owner) or right after it ("by X")."""
    text = m.string
    for p in reversed(parties):
        if p.end <= m.start() and len(text[p.end:m.start()].split()) <= max_gap:
            return p.party
    for p in parties:
        if p.start >= m.end() and re.fullmatch(r"\s+(?:by|from|of)\s+(?:the\s+)?",
                                               text[m.end():p.start]):
            return p.party
    return None


def _duration(sentence: str) -> int | None:
    """A ceasefire's duration in days ("30-day", "72-hour" → 3)."""
    m = _DURATION.search(sentence)
    if not m:
        return None
    if m[5]:
        return _WORD_DAYS[m[5].lower()]
    n, unit = (int(m[1]), m[2]) if m[1] else (int(m[3]), m[4])
    return max(1, round(n / 24)) if unit.lower() in ("hour", "час", "годин") else n


def _count(sentence: str) -> int | None:
    """How many people a humanitarian term concerns ("1,000 for 1,000" → 1000)."""
    m = _COUNT.search(sentence)
    if not m:
        return None
    return int((m[1] or m[3]).replace(",", ""))
