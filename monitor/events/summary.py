"""The sentence a person reads in an alert: what happened, where, when, with what result."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from monitor.events.model import RoundFact, TermFact

_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth",
             7: "seventh", 8: "eighth", 9: "ninth", 10: "tenth"}
_PARTY_NAMES = {"RU": "Russia", "UA": "Ukraine", "US": "US", "TR": "Turkey", "EU": "EU",
                "CN": "China"}
# Ordered so "US–Russia", "Russia–Ukraine" and "US–Russia–Ukraine" read as the press writes them.
_PARTY_ORDER = ["US", "RU", "UA"]
_TERM_LABELS = {
    "ceasefire.general": "a general ceasefire", "ceasefire.energy": "an energy ceasefire",
    "ceasefire.maritime": "a Black Sea ceasefire", "ceasefire.air": "a ceasefire in the air",
    "ceasefire.local": "a local truce", "humanitarian.corridors": "humanitarian corridors",
    "prisoners.exchange": "a prisoner exchange", "remains.repatriation": "return of the fallen",
    "children.return": "return of children", "civilians.release": "release of civilians",
    "territory.withdrawal": "withdrawal of forces", "territory.recognition":
    "recognition of annexed territory", "territory.freeze": "a freeze along the front line",
    "security.demilitarization": "demilitarisation", "security.neutrality": "neutrality",
    "security.nato": "no NATO membership", "security.guarantees": "security guarantees",
    "security.foreign_troops": "foreign troops", "military.aid": "military aid",
    "military.mobilization": "mobilisation", "political.elections": "elections",
    "political.sanctions": "sanctions relief", "political.reparations": "reparations",
    "political.identity": "language and identity", "monitoring.mechanism": "monitoring",
    "nuclear.zaporizhzhia": "the Zaporizhzhia plant",
    "process.leaders_meeting": "a leaders' meeting", "process.peace_plan": "a peace plan",
}
_COUNTABLE = {"ceasefire", "truce", "deal", "agreement", "breakthrough", "statement"}
_STANCE_VERBS = {"proposed": "proposed", "demanded": "demanded", "accepted": "accepted",
                 "rejected": "rejected", "agreed": "agreed", "discussed": "discussed"}


def long_date(d: date) -> str:
    """2 June 2025."""
    return f"{d.day} {d:%B %Y}"


def parties_label(parties: Sequence[str]) -> str:
    """Russia–Ukraine, US–Russia …; "peace" when nobody is known."""
    known = [p for p in _PARTY_ORDER if p in parties]
    known += sorted(p for p in parties if p not in _PARTY_ORDER)
    if len(known) < 2:
        return "peace"
    return "–".join(_PARTY_NAMES.get(p, p) for p in known)


def round_label(r: RoundFact) -> str:
    """second round of Russia–Ukraine talks, Istanbul, 2 June 2025."""
    which = f"{_ORDINALS[r.ordinal]} round" if r.ordinal in _ORDINALS else (
        f"round {r.ordinal}" if r.ordinal else "round")
    place = r.venue.city or r.venue.region
    where = ", ".join(p for p in (place, r.venue.country) if p) or "venue not reported"
    when = ("around " if r.date_estimated else "") + long_date(r.start_date)
    return f"{which} of {parties_label(r.parties)} talks, {where}, {when}"


def status_phrase(r: RoundFact) -> str:
    """announced / held / concluded without a ceasefire / concluded: <outcome>."""
    if r.status != "concluded":
        return f"{r.status}" + (f" ({r.outcome})" if r.outcome else "")
    if not r.outcome:
        return "concluded"
    outcome = r.outcome.strip().rstrip(".")
    words = outcome.split()
    if len(words) == 2 and words[0].lower() == "no" and words[1].lower() in _COUNTABLE:
        return f"concluded without a {words[1]}"
    return f"concluded: {outcome}"


def round_summary(kind: str, after: RoundFact, before: RoundFact | None = None) -> str:
    """The alert's sentence for round.new and round.updated."""
    label = round_label(after)
    if kind == "round.new" or before is None:
        return f"New round: {label}, {status_phrase(after)}"
    if before.status != after.status:
        return f"Round update: {label}, now {status_phrase(after)} (was {before.status})"
    return f"Round update: {label}, outcome reported: {after.outcome}"


def term_phrase(t: TermFact) -> str:
    """a general ceasefire (30 days) proposed by US."""
    label = _TERM_LABELS.get(t.key, t.key)
    extra = []
    if t.attributes.get("duration_days"):
        extra.append(f"{t.attributes['duration_days']} days")
    if t.attributes.get("count"):
        extra.append(f"{t.attributes['count']}")
    if t.attributes.get("name"):
        extra.append(str(t.attributes["name"]))
    if extra:
        label += f" ({', '.join(extra)})"
    verb = _STANCE_VERBS.get(t.stance, t.stance)
    who = _PARTY_NAMES.get(t.proposer, t.proposer) if t.proposer else None
    return f"{label} {verb}" + (f" by {who}" if who else "")


def terms_summary(terms: Sequence[TermFact], r: RoundFact | None) -> str:
    """The alert's sentence for terms.new."""
    listed = "; ".join(term_phrase(t) for t in terms[:5])
    more = f" and {len(terms) - 5} more" if len(terms) > 5 else ""
    where = f" at the {round_label(r)}" if r else ""
    return f"New terms{where}: {listed}{more}"
