"""Round mentions: venue, date, status, ordinal; and what is not a round."""

from __future__ import annotations

from datetime import date

import pytest

from tests.analysis.conftest import AnalyzeText


def test_second_round_in_belarus_2022_and_istanbul_2025_are_different(
        analyze: AnalyzeText) -> None:
    belarus = analyze("Second round of Russia-Ukraine talks begins in Belarus",
                      "Delegations met near Brest on Thursday.",
                      published="2022-03-03T18:00:00+00:00")
    istanbul = analyze("Second round of Russia-Ukraine peace talks ends in Istanbul",
                       "The delegations met for about an hour at the Ciragan palace.",
                       published="2025-06-02T18:00:00+00:00")
    (b,) = belarus.rounds
    (i,) = istanbul.rounds
    assert b.ordinal == i.ordinal == 2
    assert b.venue.country == "Belarus" and b.venue.region == "Brest"
    assert b.date == date(2022, 3, 3)
    assert i.venue.city == "Istanbul" and i.venue.country == "Turkey"
    assert i.status == "concluded"
    assert {"RU", "UA"} <= set(i.parties)


def test_relative_day_of_a_past_meeting(analyze: AnalyzeText) -> None:
    result = analyze(
        "Russia's promise to scale back near Kyiv met with scepticism",
        "After Russian envoys spoke to a Ukrainian delegation in Istanbul, Turkey, on Tuesday, "
        "Moscow said it would draw back its forces from Kyiv and Chernihiv.",
        published="2022-04-01T13:00:00+00:00")
    (r,) = result.rounds
    assert r.venue.city == "Istanbul"
    assert r.date == date(2022, 3, 29)
    assert r.status == "concluded"


def test_announced_round_on_next_weekday(analyze: AnalyzeText) -> None:
    result = analyze("Russia and Ukraine to hold direct talks in Istanbul next Monday",
                     "Both delegations are expected to arrive on Sunday.",
                     published="2025-05-31T09:00:00+00:00")
    (r,) = result.rounds
    assert r.status == "announced"
    assert r.date == date(2025, 6, 2)
    assert r.venue.city == "Istanbul"


def test_belovezhskaya_pushcha_has_region_not_city(analyze: AnalyzeText) -> None:
    result = analyze("Ukrainian and Russian delegations meet in Belovezhskaya Pushcha",
                     "The talks are under way, the Ukrainian side said.",
                     published="2022-03-03T15:00:00+00:00")
    (r,) = result.rounds
    assert (r.venue.city, r.venue.region, r.venue.country) == (None, "Brest", "Belarus")


def test_leaders_summit_is_a_round_with_us_and_ru(analyze: AnalyzeText) -> None:
    result = analyze("Trump and Putin end Alaska summit without a ceasefire deal",
                     "The two leaders met at a base in Anchorage on Friday.",
                     published="2025-08-16T08:00:00+00:00")
    (r,) = result.rounds
    assert r.venue.region == "Alaska"
    assert r.date == date(2025, 8, 15)
    assert {"RU", "US"} <= set(r.parties)
    assert r.outcome == "no ceasefire"
    assert not [t for t in result.terms if t.key == "ceasefire.general"]


def test_phone_calls_are_not_rounds(analyze: AnalyzeText) -> None:
    result = analyze("Putin lays out his peace demands in phone call with Erdogan",
                     "Russia's president revealed his conditions in a phone call on Thursday.")
    assert result.relevant
    assert result.rounds == ()


def test_multilateral_meetings_without_russia_are_not_rounds(analyze: AnalyzeText) -> None:
    result = analyze(
        "Kyiv-backed peace talks begin in Malta - without Russia",
        "A third round of Ukrainian-backed peace talks opens in Malta today with "
        "representatives from more than 50 countries.",
        published="2023-10-28T07:00:00+00:00")
    assert result.relevant
    assert result.rounds == ()


def test_other_rounds_are_not_talks(analyze: AnalyzeText) -> None:
    sanctions = analyze("EU agrees new round of sanctions against Russia",
                        "The 17th round targets Russia's shadow fleet.")
    sport = analyze("Ukraine's Svitolina reaches second round in Rome",
                    "She beat a Russian opponent in straight sets.")
    shelling = analyze("Russia launches a new round of shelling on Kharkiv")
    for result in (sanctions, sport, shelling):
        assert not result.relevant
        assert result.rounds == ()


def test_a_country_as_subject_is_no_venue(analyze: AnalyzeText) -> None:
    result = analyze("Turkey to take part in new Ukraine peace talks",
                     "Erdogan will join the meeting, Zelensky said.",
                     published="2023-10-21T15:00:00+00:00")
    assert result.relevant
    assert result.rounds == ()


def test_a_country_after_a_preposition_is_the_venue(analyze: AnalyzeText) -> None:
    result = analyze("US and Russian delegations to hold talks in Saudi Arabia on Tuesday",
                     published="2025-02-16T10:00:00+00:00")
    (r,) = result.rounds
    assert r.venue.country == "Saudi Arabia"
    assert r.date == date(2025, 2, 18)


def test_named_talks_need_no_party_in_the_sentence(analyze: AnalyzeText) -> None:
    result = analyze("Ukraine and Russia complete prisoner exchange",
                     "The swap agreed at the Istanbul talks ended on Sunday.",
                     published="2025-05-26T09:00:00+00:00")
    (r,) = result.rounds
    assert r.venue.city == "Istanbul"
    assert {"RU", "UA"} <= set(r.parties)


def test_after_alone_does_not_make_a_round_concluded(analyze: AnalyzeText) -> None:
    result = analyze("Ukraine confirms delegation will attend second round of talks in Istanbul",
                     "Kyiv will send a team to Monday's meeting with Russian negotiators, "
                     "Zelensky said, after Moscow promised to hand over its draft memorandum.",
                     published="2025-06-01T18:00:00+00:00")
    (r,) = result.rounds
    assert r.status == "announced"
    assert r.date == date(2025, 6, 2)
    assert r.ordinal == 2


def test_participation_of_third_countries_makes_talks_multilateral(
        analyze: AnalyzeText) -> None:
    result = analyze("Kyiv says peace talks in Jeddah were 'productive'",
                     "Moscow called them futile. Kuleba hailed Beijing's participation.",
                     published="2023-08-07T07:00:00+00:00")
    assert result.relevant
    assert result.rounds == ()


def test_kremlin_meeting_is_in_moscow_and_russian_future_is_announced(
        analyze: AnalyzeText) -> None:
    kremlin = analyze("Putin meets US envoys at the Kremlin for five hours",
                      published="2025-12-02T21:00:00+00:00")
    alaska = analyze("Встреча Путина и Трампа пройдет на Аляске в пятницу",
                     published="2025-08-14T09:00:00+00:00")
    assert kremlin.rounds[0].venue.city == "Moscow"
    (a,) = alaska.rounds
    assert a.status == "announced"
    assert a.date == date(2025, 8, 15)


def test_next_round_is_not_merged_into_the_round_just_held(analyze: AnalyzeText) -> None:
    result = analyze("Second round of Russia-Ukraine talks ends in Istanbul",
                     "The delegations agreed to swap all severely wounded prisoners. Medinsky "
                     "said the next round of talks would take place in the coming weeks.",
                     published="2025-06-02T18:00:00+00:00")
    held, later = result.rounds
    assert held.venue.city == "Istanbul" and held.status == "concluded"
    assert held.outcome is not None and held.outcome.startswith("agreed to swap")
    assert later.status == "announced" and later.ordinal is None


def test_next_round_in_an_item_about_it_stays_one_round(analyze: AnalyzeText) -> None:
    result = analyze("Zelensky says Ukraine and Russia will meet in Istanbul on Wednesday",
                     "Umerov proposed the next round of talks for July 23 and Moscow has "
                     "confirmed.", published="2025-07-21T20:00:00+00:00")
    (r,) = result.rounds
    assert r.date == date(2025, 7, 23) and r.venue.city == "Istanbul"


def test_months_of_back_channel_talks_are_no_round(analyze: AnalyzeText) -> None:
    result = analyze("Eight Ukrainian children reunited with families",
                     "Melania Trump said Russia had returned the children after months of "
                     "back-channel talks.", published="2025-10-10T12:00:00+00:00")
    assert result.relevant
    assert result.rounds == ()


def test_ukrainian_past_meeting_at_the_white_house(analyze: AnalyzeText) -> None:
    result = analyze("Зеленський і європейські лідери зустрілися з Трампом у Білому домі",
                     published="2025-08-18T21:00:00+00:00")
    (r,) = result.rounds
    assert r.venue.city == "Washington"
    assert {"UA", "US"} <= set(r.parties)


def test_following_sentence_states_the_outcome(analyze: AnalyzeText) -> None:
    result = analyze("Третій раунд переговорів України та Росії у Стамбулі тривав менше години",
                     "Сторони домовилися про обмін 1200 полоненими, повідомив Умєров.",
                     published="2025-07-23T19:00:00+00:00")
    (r,) = result.rounds
    assert r.ordinal == 3 and r.status == "concluded"
    assert r.outcome is not None


def test_russian_names_of_us_envoys_are_parties(analyze: AnalyzeText) -> None:
    result = analyze("В Эр-Рияде прошли переговоры России и США",
                     "Лавров и Рубио договорились назначить переговорные группы.",
                     published="2025-02-18T15:00:00+00:00")
    (r,) = result.rounds
    assert r.venue.city == "Riyadh" and r.status == "concluded"


def test_named_building_before_a_meeting_word_is_the_venue(analyze: AnalyzeText) -> None:
    result = analyze("Zelensky's White House meeting with Trump ends in shouting match",
                     published="2025-02-28T20:00:00+00:00")
    (r,) = result.rounds
    assert r.venue.city == "Washington"


def test_talks_with_europeans_present_are_still_a_round(analyze: AnalyzeText) -> None:
    result = analyze("Witkoff, Rubio hold talks with Europeans and Ukrainians in Paris",
                     "The US presented ideas for a ceasefire.",
                     published="2025-04-17T17:00:00+00:00")
    (r,) = result.rounds
    assert r.venue.city == "Paris" and {"US", "UA"} <= set(r.parties)


def test_a_cancelled_summit_is_no_round(analyze: AnalyzeText) -> None:
    result = analyze("Trump cancels planned Budapest summit with Putin",
                     published="2025-10-22T10:00:00+00:00")
    assert result.relevant
    assert result.rounds == ()


def test_the_two_leaders_refer_to_the_item_parties(analyze: AnalyzeText) -> None:
    result = analyze("Trump and Zelensky talk in St Peter's Basilica before pope's funeral",
                     "The two leaders sat face to face for 15 minutes; Zelensky called it a "
                     "'very symbolic meeting'.", published="2025-04-26T10:00:00+00:00")
    (r,) = result.rounds
    assert {"US", "UA"} <= set(r.parties)


def test_negotiators_named_without_countries(analyze: AnalyzeText) -> None:
    result = analyze("Umerov and Witkoff meet in Florida to refine peace framework",
                     published="2025-11-30T12:00:00+00:00")
    assert result.relevant
    (r,) = result.rounds
    assert r.venue.region == "Florida" and {"US", "UA"} <= set(r.parties)


@pytest.mark.parametrize(("title", "summary", "venue"), [
    ("Trump and Putin agree to meet in Budapest after phone call", "", "Budapest"),
    ("Trilateral talks to begin in Abu Dhabi on Friday, Zelensky says", "", "Abu Dhabi"),
    ("Rubio says US may walk away from peace efforts within days",
     "'We need to move on,' he said after talks with Ukrainian officials in Paris.", "Paris"),
    ("Путин примет Уиткоффа и Кушнера в Кремле во вторник",
     "Американские переговорщики привезут обновленный мирный план.", "Moscow"),
])
def test_fifth_probe_rounds(analyze: AnalyzeText, title: str, summary: str, venue: str) -> None:
    result = analyze(title, summary, published="2025-10-16T20:00:00+00:00")
    assert venue in {r.venue.city for r in result.rounds}


def test_a_past_proposal_at_a_summit_is_not_announced(analyze: AnalyzeText) -> None:
    result = analyze("Putin wants all of Donbas in exchange for freezing the front elsewhere",
                     "The proposal was made at the Anchorage summit on Friday, people briefed "
                     "on the talks said.", published="2025-08-16T10:00:00+00:00")
    (r,) = result.rounds
    assert r.date == date(2025, 8, 15) and r.status == "concluded"


def test_munich_is_a_venue_and_after_meeting_reports_a_round(analyze: AnalyzeText) -> None:
    munich = analyze("Zelensky meets Vance in Munich, says Ukraine needs security guarantees",
                     published="2025-02-15T10:00:00+00:00")
    assert munich.rounds[0].venue.city == "Munich"
    after = analyze("Trump says 'no deal until there's a deal' after meeting Putin",
                    published="2025-08-16T02:00:00+00:00")
    (r,) = after.rounds
    assert {"US", "RU"} <= set(r.parties)


def test_next_meeting_in_the_same_sentence_is_its_own_round(analyze: AnalyzeText) -> None:
    result = analyze("First trilateral talks end in Abu Dhabi; next meeting set for February 1",
                     "The Ukrainian, Russian and US teams discussed territory, Zelensky said.",
                     published="2026-01-25T12:00:00+00:00")
    dates = {r.date for r in result.rounds}
    assert len(result.rounds) == 2 and date(2026, 2, 1) in dates


def test_proposing_to_resume_is_announced_and_na_weekday_is_ahead(analyze: AnalyzeText) -> None:
    resume = analyze("Putin proposes resuming direct talks with Ukraine in Istanbul",
                     published="2025-05-11T02:00:00+00:00")
    assert resume.rounds[0].status == "announced"
    moved = analyze("Делегация Украины прибыла в Стамбул, переговоры перенесены на пятницу",
                    published="2025-05-15T20:00:00+00:00")
    assert moved.rounds[0].date == date(2025, 5, 16)


def test_expects_is_future_and_lasted_reports_a_meeting(analyze: AnalyzeText) -> None:
    expects = analyze("Kremlin expects 'difficult' third round of talks in Istanbul on Wednesday",
                      published="2025-07-22T19:00:00+00:00")
    assert expects.rounds[0].date == date(2025, 7, 23)
    lasted = analyze("Умєров: у переговорах з Росією домовилися про обмін 314 полоненими",
                     "Переговори тривали два дні.", published="2026-02-05T12:00:00+00:00")
    assert lasted.rounds
