"""Terms: keys, negation, attribution of proposer and stance, attributes, languages."""

from __future__ import annotations

import json
import re
from pathlib import Path

from monitor.analysis import Analysis, Analyzer
from monitor.analysis.terms import TermFinder
from monitor.analysis.text import make_document
from monitor.analysis.vocab import lowered
from tests.analysis.conftest import AnalyzeText

DATA = Path(__file__).with_name("data")


def term(result: Analysis, key: str) -> tuple[str | None, str] | None:
    """(proposer, stance) of the term with `key`, or None."""
    for t in result.terms:
        if t.key == key:
            return t.proposer, t.stance
    return None


def test_negated_interest_is_a_rejection(analyze: AnalyzeText) -> None:
    result = analyze("Ukraine has no interest in demilitarizing, Zelensky says",
                     "Kyiv will not accept Russian peace terms, he added.")
    assert term(result, "security.demilitarization") == ("UA", "rejected")


def test_term_named_only_as_absent_is_not_a_term(analyze: AnalyzeText) -> None:
    result = analyze("Russia-Ukraine talks ended without a ceasefire",
                     "The delegations met for two hours in Istanbul.")
    assert result.relevant
    assert term(result, "ceasefire.general") is None


def test_rejected_proposal_keeps_its_proposer(analyze: AnalyzeText) -> None:
    result = analyze("Moscow rejected the U.S.-proposed unconditional ceasefire",
                     "Kremlin spokesman Dmitry Peskov said the idea was premature.")
    assert term(result, "ceasefire.general") == ("US", "rejected")
    moscow = analyze("Ukraine slams Moscow's offer to evacuate civilians to Russia")
    assert term(moscow, "humanitarian.corridors") == ("RU", "rejected")


def test_stance_holder_is_the_clause_subject(analyze: AnalyzeText) -> None:
    result = analyze("Peace talks falter",
                     "Ukraine says Russia has broken a promise to pull back troops.")
    assert term(result, "territory.withdrawal") == ("RU", "proposed")
    demand = analyze("Russia demands recognition of Crimea as Russian territory",
                     "The Kremlin set out its conditions for ending the war.")
    assert term(demand, "territory.recognition") == ("RU", "demanded")


def test_specific_ceasefires_replace_the_general_key(analyze: AnalyzeText) -> None:
    result = analyze("Russia and Ukraine agree to Black Sea ceasefire after Riyadh talks",
                     "Both sides agreed to a halt of strikes on energy infrastructure.")
    keys = {t.key for t in result.terms}
    assert {"ceasefire.maritime", "ceasefire.energy"} <= keys
    assert "ceasefire.general" not in keys


def test_attributes_duration_count_and_name(analyze: AnalyzeText) -> None:
    result = analyze("Ukraine backs US plan for a 30-day ceasefire",
                     "Russia and Ukraine agreed a 1,000-for-1,000 prisoner exchange at talks "
                     "in Istanbul, and Washington presented a 28-point plan.")
    by_key = {t.key: t for t in result.terms}
    assert by_key["ceasefire.general"].duration_days == 30
    assert by_key["prisoners.exchange"].count == 1000
    assert by_key["process.peace_plan"].name == "28-point plan"
    assert by_key["prisoners.exchange"].evidence.startswith("Russia and Ukraine agreed")


def test_holiday_truce_is_local(analyze: AnalyzeText) -> None:
    result = analyze("Putin declares Easter truce in Ukraine",
                     "Russian President Vladimir Putin announced a 30-hour Easter ceasefire.")
    assert term(result, "ceasefire.local") == ("RU", "proposed")
    assert term(result, "ceasefire.general") is None


def test_russian_and_ukrainian_items(analyze: AnalyzeText) -> None:
    ru = analyze("Зеленский готов встретиться с Путиным в Стамбуле в четверг",
                 "Украина согласна на 30-дневное перемирие, заявил президент.",
                 published="2025-05-12T10:00:00+00:00")
    assert ru.relevant
    assert ru.rounds and ru.rounds[0].venue.city == "Istanbul"
    assert {"ceasefire.general", "process.leaders_meeting"} <= {t.key for t in ru.terms}
    ua = analyze("У Стамбулі завершився другий раунд переговорів між Україною та Росією",
                 "Сторони домовилися про обмін полоненими «всіх на всіх».",
                 published="2025-06-02T20:00:00+00:00")
    assert ua.relevant
    assert ua.rounds[0].ordinal == 2 and ua.rounds[0].venue.country == "Turkey"
    assert term(ua, "prisoners.exchange") is not None


def test_bare_ceasefire_refers_to_the_named_holiday_truce(analyze: AnalyzeText) -> None:
    result = analyze("Putin orders 36-hour ceasefire over Orthodox Christmas",
                     "Kyiv dismissed the ceasefire ordered by the Kremlin as a ploy.")
    keys = {t.key for t in result.terms}
    assert "ceasefire.local" in keys and "ceasefire.general" not in keys
    local = next(t for t in result.terms if t.key == "ceasefire.local")
    assert local.proposer == "RU" and local.duration_days == 2


def test_accepted_proposal_keeps_its_named_proposer(analyze: AnalyzeText) -> None:
    result = analyze("Ukraine accepts US proposal for 30-day ceasefire after Jeddah talks",
                     "Kyiv said it was ready to accept an immediate 30-day interim ceasefire "
                     "proposed by Washington.")
    assert term(result, "ceasefire.general") == ("US", "accepted")


def test_owner_of_a_call_without_a_subject(analyze: AnalyzeText) -> None:
    result = analyze("Putin proposes direct talks with Ukraine",
                     "Responding to a European call for an unconditional 30-day ceasefire, "
                     "the talks could begin on May 15.")
    assert term(result, "ceasefire.general") == ("EU", "proposed")


def test_negation_does_not_cross_a_clause(analyze: AnalyzeText) -> None:
    result = analyze("Ukraine rejects Putin's Christmas ceasefire",
                     "Kyiv said there will be no truce until Russia removes its invading forces "
                     "from occupied land.")
    assert term(result, "territory.withdrawal") is not None


def test_absent_after_the_term(analyze: AnalyzeText) -> None:
    result = analyze("У Стамбулі завершилися переговори України та Росії",
                     "Домовленості про припинення вогню досягти не вдалося.")
    assert term(result, "ceasefire.general") is None


def test_unseen_wordings_of_terms(analyze: AnalyzeText) -> None:
    bodies = analyze("Bodies of British volunteers returned in prisoner swap with Russia")
    assert term(bodies, "remains.repatriation") is not None
    sanctions = analyze("Moscow says Black Sea ceasefire needs sanctions relief",
                        "The deal would take effect once sanctions on its bank were lifted.")
    assert term(sanctions, "political.sanctions") is not None
    swap = analyze("Україна повернула 1000 захисників",
                   "Сторони домовилися про обмін 1200 полоненими.")
    assert term(swap, "prisoners.exchange") is not None
    short = analyze("Russia offers two-to-three-day truces to collect bodies")
    assert term(short, "ceasefire.local") is not None
    assert term(short, "ceasefire.general") is None


def test_bystander_neutrality_is_no_term(analyze: AnalyzeText) -> None:
    result = analyze("Kuleba tells Chinese envoy Ukraine rejects ceasefire freezing the war",
                     "Kazakhstan has maintained neutrality in the Ukrainian conflict.")
    assert term(result, "security.neutrality") is None


def test_us_plan_clauses(analyze: AnalyzeText) -> None:
    result = analyze("US plan would see Ukraine give up Donbas and halve its army",
                     "The draft also offers Ukraine security guarantees and bars it from "
                     "joining NATO.")
    keys = {t.key for t in result.terms}
    assert {"process.peace_plan", "security.demilitarization", "security.guarantees",
            "territory.recognition", "security.nato"} <= keys


def test_a_ceasefire_proposal_is_not_a_peace_plan(analyze: AnalyzeText) -> None:
    result = analyze("Ukraine accepts US proposal for 30-day ceasefire after Jeddah talks")
    assert term(result, "process.peace_plan") is None
    assert term(result, "ceasefire.general") is not None


def test_ukrainian_safe_navigation_is_maritime(analyze: AnalyzeText) -> None:
    result = analyze("Білий дім: Україна і Росія погодилися на безпечне судноплавство в "
                     "Чорному морі", "Про це повідомили після переговорів делегацій у Ер-Ріяді.",
                     published="2025-03-25T20:00:00+00:00")
    assert term(result, "ceasefire.maritime") is not None


def test_who_says_must_demands(analyze: AnalyzeText) -> None:
    result = analyze("Кремль: Украина должна вывести войска из Донбасса",
                     "Песков заявил, что это условие прекращения огня.")
    assert term(result, "territory.withdrawal") == ("RU", "demanded")


def test_third_probe_terms(analyze: AnalyzeText) -> None:
    energy = analyze("Qatar-mediated talks on halting energy strikes between Russia and Ukraine")
    assert term(energy, "ceasefire.energy") is not None
    force = analyze("Paris declaration: allies commit to multinational force in Ukraine after "
                    "ceasefire")
    assert term(force, "security.foreign_troops") is not None
    summit = analyze("Erdogan offers to host Russia-Ukraine peace summit")
    assert term(summit, "process.leaders_meeting") is not None
    delegations = analyze("Is the Ukraine-Russia meeting a path forward or a sideshow?",
                          "Delegations meet on the Belarus border on Monday.")
    assert term(delegations, "process.leaders_meeting") is None


def test_an_envoy_meeting_putin_is_no_leaders_meeting(analyze: AnalyzeText) -> None:
    result = analyze("Witkoff flies to Moscow to brief Kremlin on ceasefire plan",
                     "The US envoy is expected to meet Putin on Thursday evening.")
    assert term(result, "process.leaders_meeting") is None


def test_fourth_probe_terms(analyze: AnalyzeText) -> None:
    civilians = analyze("Kyiv agrees to release captured Russian civilians in exchange for "
                        "deportees", "The deal was brokered by Qatar.")
    assert civilians.relevant and term(civilians, "civilians.release") is not None
    bodies = analyze("Moscow and Kyiv remain far apart after brief third round of talks",
                     "Both sides said they would continue exchanges of prisoners and bodies.")
    assert term(bodies, "remains.repatriation") is not None
    crimea = analyze("Зеленський: Україна не визнає окуповані території російськими",
                     "Жодна угода не може передбачати визнання Криму, заявив президент.")
    assert crimea.relevant and term(crimea, "territory.recognition") is not None


def test_seventh_probe_terms(analyze: AnalyzeText) -> None:
    silence = analyze("Україна готова до 30-денного режиму тиші, якщо погодиться Росія")
    assert term(silence, "ceasefire.general") is not None
    assert term(silence, "ceasefire.local") is None
    monitor = analyze("Allies pledge to monitor Ukraine ceasefire with US-led mechanism")
    assert term(monitor, "monitoring.mechanism") is not None
    plan = analyze("Ушаков: по ряду пунктов американского плана есть согласие")
    assert plan.relevant and term(plan, "process.peace_plan") is not None


def test_eighth_probe_terms(analyze: AnalyzeText) -> None:
    borders = analyze("Hegseth says return to Ukraine's pre-2014 borders is unrealistic",
                      "NATO membership is not a realistic outcome of a negotiated settlement.")
    assert term(borders, "territory.recognition") is not None
    meet = analyze("Putin says he sees no point in meeting Zelensky")
    assert term(meet, "process.leaders_meeting") is not None
    envoy = analyze("Witkoff meets Putin in Moscow for the fourth time",
                    "The meeting brought Russia and Ukraine closer to direct talks.")
    assert term(envoy, "process.leaders_meeting") is None
    swap = analyze("Мединский: стороны договорились об обмене 1200 военнопленными",
                   "Третий раунд переговоров России и Украины завершился.")
    assert term(swap, "prisoners.exchange") is not None
    order = analyze("Кремль: Путин отдал приказ прекратить удары по энергетике Украины")
    assert order.relevant and term(order, "ceasefire.energy") == ("RU", "proposed")


def test_rejected_call_keeps_its_owner(analyze: AnalyzeText) -> None:
    result = analyze("Russia rejected Ukraine's call for an unconditional ceasefire",
                     "The Kremlin said conditions were not met.")
    assert term(result, "ceasefire.general") == ("UA", "rejected")


def test_hypothetical_agreement_is_not_agreed(analyze: AnalyzeText) -> None:
    ready = analyze("Ukraine ready for 30-day ceasefire if Russia agrees, joint statement says")
    assert term(ready, "ceasefire.general") == ("UA", "accepted")
    deadline = analyze("Trump gives Russia 50 days to agree a ceasefire or face tariffs")
    assert term(deadline, "ceasefire.general") == ("US", "demanded")


def test_two_sides_together_agree_with_no_proposer(analyze: AnalyzeText) -> None:
    result = analyze("Russia and Ukraine agree to present ceasefire visions after Istanbul talks")
    assert term(result, "ceasefire.general") == (None, "agreed")
    shipping = analyze("Білий дім: Україна і Росія погодилися на безпечне судноплавство в Чорному морі")
    assert term(shipping, "ceasefire.maritime") == (None, "agreed")


def test_nameless_sentence_continues_the_previous_subject(analyze: AnalyzeText) -> None:
    result = analyze("Zelensky calls for steps to end the war",
                     "In a post on X, he proposed a truce in the sky and at sea as first steps.")
    assert term(result, "ceasefire.air") == ("UA", "proposed")
    both = analyze("Moscow and Kyiv remain far apart after brief third round",
                   "Both sides said they would continue exchanges of prisoners.")
    assert term(both, "prisoners.exchange") != ("RU", "proposed")


def test_owner_named_in_the_plan_is_its_proposer(analyze: AnalyzeText) -> None:
    result = analyze("Kremlin: revised US plan must reflect Alaska understandings")
    assert term(result, "process.peace_plan") == ("US", "demanded")
    basis = analyze("Putin calls US plan 'basis' for future agreements")
    assert term(basis, "process.peace_plan") is not None
    assert term(basis, "process.peace_plan")[0] == "US"  # type: ignore[index]


def test_one_party_agreeing_to_a_term_accepts_it(analyze: AnalyzeText) -> None:
    result = analyze("Putin agrees to 30-day pause in strikes on energy infrastructure after call "
                     "with Trump")
    assert term(result, "ceasefire.energy") == ("RU", "accepted")
    joint = analyze("Second round of Istanbul talks ends after an hour",
                    "Russian and Ukrainian negotiators met at the palace and agreed to swap all "
                    "severely wounded prisoners.")
    assert term(joint, "prisoners.exchange") == (None, "agreed")



def test_lower_case_twins_find_what_the_rules_find(analyzer: Analyzer) -> None:
    """Ruling a rule out on lower-cased ASCII text changes no mention over the labelled items."""
    rows = [json.loads(line) for name in ("written_2025.jsonl", "corpus_labels.jsonl")
            for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    sentences = [s for r in rows for s in make_document(r.get("title") or "", r.get("summary")
                                                        or "", r.get("content") or "").sentences]
    sentences += ["NATO MEMBERSHIP IS OFF THE TABLE, PUTIN SAYS", "Erdoğan offers a Black Sea truce"]
    assert sum(s.isascii() for s in sentences) > len(sentences) // 2
    fast = TermFinder(analyzer.config.terms, analyzer.actors)
    slow = TermFinder(analyzer.config.terms, analyzer.actors)
    slow._lowered = [None] * len(slow.rules)  # no twin: every rule searched as written
    found = [fast._sentence(s) for s in sentences]
    assert found == [slow._sentence(s) for s in sentences]
    assert sum(map(bool, found)) > 50  # the items do state terms


def test_a_pattern_with_upper_case_has_no_twin() -> None:
    """A lower-cased text never matches an upper-case literal or an escape such as \\W."""
    assert lowered(re.compile(r"truce\W+talks", re.I)) is None
    assert lowered(re.compile(r"(?-i:NATO)", re.I)) is None
    assert lowered(re.compile("truce", 0)) is None
    twin = lowered(re.compile(r"(?<![\w])(?:ceasefire|truce)(?![\w])", re.I))
    assert twin is not None and not twin.flags & re.I and twin.search("a truce now")
