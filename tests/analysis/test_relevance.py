"""Relevance: the talks, and the look-alikes that are not about them."""

from __future__ import annotations

import pytest

from monitor.analysis import Analyzer
from monitor.analysis.relevance import index_document
from monitor.analysis.text import make_document
from tests.analysis.conftest import AnalyzeText


@pytest.mark.parametrize(("title", "summary"), [
    ("Xi says China willing to mediate in Ukraine", ""),
    ("Zelensky asked if he'll give Russia any part of Ukraine",
     "He isn't ready to give away his country in return for peace."),
    ("Russia and Ukraine swap 390 prisoners in first stage of exchange", ""),
    ("Witkoff and Kushner meet Putin in Moscow to discuss the peace plan", ""),
])
def test_talks_items_are_relevant(analyze: AnalyzeText, title: str, summary: str) -> None:
    assert analyze(title, summary).relevant


@pytest.mark.parametrize(("title", "summary"), [
    ("Israel and Hamas hold ceasefire talks in Doha", "Russia called for a truce in Gaza."),
    ("Russia and Iran call for ceasefire in Gaza", ""),
    ("Armenia and Azerbaijan agree text of peace treaty",
     "The talks concluded, Russia's foreign ministry said."),
    ("Ukraine and Russia in talks over gas transit deal", "Gas transit ended on 1 January."),
    ("Putin meets Erdogan to discuss grain deal", "Russia wants its exports eased."),
    ("India and US hold 2+2 trade talks as Ukraine looms", ""),
    ("Orla Guerin talks to people in rebel-held Ukraine", ""),
    ("Russia warns of missile strikes on Kyiv", "Ukraine's air defences were on alert."),
])
def test_look_alikes_are_not_relevant(analyze: AnalyzeText, title: str, summary: str) -> None:
    result = analyze(title, summary)
    assert not result.relevant
    assert result.rounds == () and result.terms == ()


def test_related_link_headlines_do_not_count(analyze: AnalyzeText) -> None:
    summary = ('<p>Moments of defiance in Kharkiv as people stand up to Russia.</p><ul><li>'
               '<a href="https://example.org/a">Russia-Ukraine war - latest updates</a></li><li>'
               '<a href="https://example.org/b">Kyiv-Moscow peace talks begin</a></li></ul> '
               '<a href="https://example.org/c">Continue reading...</a>')
    assert not analyze("How Ukraine has stood up to Russia - video", summary).relevant
    body = summary.replace("Moments of defiance", "Peace talks between Russia and Ukraine "
                           "began near the Belarus border. Moments of defiance")
    assert analyze("How Ukraine has stood up to Russia - video", body).relevant


@pytest.mark.parametrize(("title", "summary"), [
    ("Zelensky meets Trump at White House as Tomahawk request stalls",
     "Trump said the war should end along the current front line."),
    ("Talks begin in Saudi Arabia on how to end Russia-Ukraine war", ""),
    ("Eight Ukrainian children reunited with families",
     "Russia returned the children after months of back-channel talks."),
    ("Путин согласился на 30-дневный отказ от ударов по энергетике", ""),
    ("Встреча Путина и Трампа пройдет на Аляске в пятницу", ""),
])
def test_unseen_kinds_of_talks_items_are_relevant(analyze: AnalyzeText, title: str,
                                                  summary: str) -> None:
    assert analyze(title, summary).relevant


@pytest.mark.parametrize(("title", "summary"), [
    ("Shakhtar advance to next round of Conference League",
     "The Ukrainian champions beat Besiktas in Istanbul on Thursday."),
    ("Russia-Ukraine war at a glance",
     "Turkey, Romania and Bulgaria will clear Black Sea mines after months of talks between "
     "the Nato allies."),
    ("Thousands join Berlin rally calling for Ukraine peace talks",
     "They called for an end to the war."),
])
def test_talks_look_alikes_stay_irrelevant(analyze: AnalyzeText, title: str,
                                           summary: str) -> None:
    assert not analyze(title, summary).relevant


def test_trump_zelensky_meeting_without_peace_wording_is_relevant(
        analyze: AnalyzeText) -> None:
    assert analyze("Trump hosts Zelensky and European leaders at White House",
                   "Starmer, Macron and Merz joined Monday's meeting in Washington.").relevant
    assert analyze("Зеленський і європейські лідери зустрілися з Трампом у Білому домі").relevant


@pytest.mark.parametrize(("title", "summary"), [
    ("Lavrov: Russia will not accept any Western troops in Ukraine", ""),
    ("Ukraine and Russia blame each other as exchange of bodies stalls", ""),
    ("Zelensky says Ukraine could hold elections within 90 days if security is guaranteed",
     ""),
])
def test_settlement_conditions_alone_are_relevant(analyze: AnalyzeText, title: str,
                                                  summary: str) -> None:
    assert analyze(title, summary).relevant


def test_a_peacekeeping_pretext_is_not_a_settlement_term(analyze: AnalyzeText) -> None:
    assert not analyze("Map shows what a Russian invasion could look like",
                       "Putin ordered troops into eastern Ukraine in what the Kremlin called "
                       "a 'peacekeeping' mission.").relevant


@pytest.mark.parametrize(("title", "summary", "relevant"), [
    ("У Абу-Дабі завершився другий раунд тристоронніх переговорів",
     "Сторони домовилися про обмін 314 полоненими.", True),
    ("Україна і Польща провели переговори щодо експорту зерна",
     "Міністри аграрної політики зустрілися у Варшаві.", False),
    ("Trump says Zelensky wants a deal, Putin may be destroying Russia by not making one", "",
     True),
    ("Thailand and Cambodia agree to extend ceasefire at talks in Kuala Lumpur",
     "Russia's foreign ministry welcomed the truce.", False),
    ("US and Russia swap prisoners in Abu Dhabi",
     "A US-Russian dual national was freed in exchange for an alleged arms smuggler.", False),
])
def test_2025_26_wordings(analyze: AnalyzeText, title: str, summary: str,
                          relevant: bool) -> None:
    assert analyze(title, summary).relevant is relevant


@pytest.mark.parametrize(("title", "summary", "relevant"), [
    ("Ukrainian team led by Umerov arrives in Istanbul for talks", "", True),
    ("Kremlin: revised US plan must reflect Alaska understandings", "", True),
    ("Zelensky: Ukraine won't accept any deal made behind its back",
     "He postponed a visit to avoid lending legitimacy to the US-Russia meeting.", True),
    ("Israel strikes Iran's nuclear sites; Russia offers to mediate", "", False),
    ("Trump and Xi agree trade truce at Busan summit", "Trump said they also discussed Ukraine.",
     False),
    ("Some Ukrainian soldiers freeze sperm amid war with Russia", "", False),
    ("Against the odds, EU agrees to open membership negotiations with Ukraine",
     "Orban left the room as leaders agreed.", False),
    ("Germany appoints defence chief in time for key Ukraine meeting", "", False),
])
def test_third_probe_wordings(analyze: AnalyzeText, title: str, summary: str,
                              relevant: bool) -> None:
    assert analyze(title, summary).relevant is relevant


@pytest.mark.parametrize(("title", "summary", "relevant"), [
    ("Lavrov says Russia will not accept NATO peacekeepers after Riyadh meeting", "", True),
    ("Zelensky faces choice between dignity and losing key partner",
     "He said Kyiv would work calmly with Washington on the 28-point document.", True),
    ("Умєров: Україна передала Росії свій меморандум і список дітей", "", True),
    ("Iran and Israel agree ceasefire after 12-day war", "Russia welcomed the truce.", False),
    ("Putin and Xi hold talks in Beijing",
     "They discussed the war in Ukraine and signed a memorandum on a new gas pipeline.", False),
    ("Tory MPs issue 12-point plan on migration", "Sunak faces pressure over Ukraine visas.",
     False),
])
def test_fifth_probe_wordings(analyze: AnalyzeText, title: str, summary: str,
                              relevant: bool) -> None:
    assert analyze(title, summary).relevant is relevant


def test_a_stated_term_with_some_diplomacy_rescues_relevance(analyze: AnalyzeText) -> None:
    result = analyze("Putin says Russia will achieve its goals by diplomacy or by force",
                     "Putin insisted that Kyiv withdraw from the parts of Donetsk region it "
                     "still holds.")
    assert result.relevant
    assert {t.key for t in result.terms} == {"territory.withdrawal"}


def test_no_rescue_without_any_diplomacy(analyze: AnalyzeText) -> None:
    assert not analyze("Russia withdraws troops from Kherson city",
                       "The defence ministry announced the withdrawal of its forces.").relevant


@pytest.mark.parametrize(("title", "summary"), [
    ("Кремль: саммит на Аляске может продлиться шесть-семь часов", ""),
    ("Сибіга: Росія висунула неприйнятні вимоги в Стамбулі",
     "Російська сторона вимагала виведення українських військ з частини території України."),
    ("Зеленський: Україна не погодиться на жодну угоду, яка обмежує нашу армію",
     "Розмір Збройних сил не може бути предметом переговорів."),
])
def test_sixth_probe_wordings(analyze: AnalyzeText, title: str, summary: str) -> None:
    assert analyze(title, summary).relevant


@pytest.mark.parametrize("text", [
    "Negotiators from Kyiv and Moscow met in Istanbul for peace talks",
    "Zelensky rejects freezing the conflict along the front line",
    "Мирные переговоры России и Украины начались в Стамбуле",
    "Football: the second round of the cup", "Kremlin says a ceasefire is not on the table"])
def test_an_index_without_expanded_prefixes_gets_the_same_verdict(analyzer: Analyzer,
                                                                   text: str) -> None:
    """The prefix words found by binary search give what the one-pass expansion gives."""
    doc = make_document(text, "", "")
    relevance = analyzer.relevance
    assert relevance.judge(index_document(doc)) == relevance.judge(relevance.index(doc))
    assert relevance.index(doc).expanded and not index_document(doc).expanded
