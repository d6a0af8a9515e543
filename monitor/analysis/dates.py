"""Resolving the date a sentence gives a meeting, against the item's publication date."""

from __future__ import annotations

import re
from datetime import date, timedelta

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "мая": 5, "мае": 5, "июн": 6, "июл": 7,
    "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
    "січ": 1, "лют": 2, "берез": 3, "квіт": 4, "травн": 5, "черв": 6, "лип": 7, "серп": 8,
    "верес": 9, "жовт": 10, "листопад": 11, "груд": 12,
}
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
    "понедельник": 0, "вторник": 1, "среду": 2, "среда": 2, "четверг": 3, "пятницу": 4,
    "пятница": 4, "субботу": 5, "суббота": 5, "воскресенье": 6,
    "понеділок": 0, "вівторок": 1, "середу": 2, "середа": 2, "четвер": 3, "п'ятницю": 4,
    "пʼятницю": 4, "п'ятниця": 4, "суботу": 5, "субота": 5, "неділю": 6, "неділя": 6,
}
_MONTH_WORD = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
               r"|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
               r"|январ\w*|феврал\w*|март\w*|апрел\w*|ма[яе]|июн\w*|июл\w*|август\w*"
               r"|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*|січ\w*|лют\w*|берез\w*|квіт\w*"
               r"|травн\w*|черв\w*|лип\w*|серп\w*|верес\w*|жовт\w*|листопад\w*|груд\w*)")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH_WORD})\.?"
                        rf"(?:,?\s+(\d{{4}}))?\b", re.I)
_MONTH_DAY = re.compile(rf"\b({_MONTH_WORD})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b"
                        rf"(?:,?\s+(\d{{4}}))?", re.I)
_ISO = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
_WEEKDAY = re.compile(r"\b(?:(next|last|this|coming|past|on|на|в|у|во|в цей|в эту)\s+)?"
                      r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
                      r"понедельник|вторник|среду|среда|четверг|пятницу|пятница|субботу|"
                      r"суббота|воскресенье|понеділок|вівторок|середу|середа|четвер|"
                      r"п['ʼ]ятницю|п['ʼ]ятниця|суботу|субота|неділю|неділя)\b", re.I)
_AGO = re.compile(r"\b(\d+|a|one|two|three|four|five|six|seven|ten)\s+(day|week)s?\s+ago\b",
                  re.I)
_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "ten": 10}
_TODAY = re.compile(r"\b(today|tonight|this morning|this afternoon|this evening|сегодня|"
                    r"сьогодні)\b", re.I)
_TOMORROW = re.compile(r"\b(tomorrow|завтра)\b", re.I)
_YESTERDAY = re.compile(r"\b(yesterday|вчера|вчора)\b", re.I)


def _month(word: str) -> int | None:
    """The month number of an English, Russian or Ukrainian month word."""
    w = word.lower()
    for stem, number in _MONTHS.items():
        if w.startswith(stem):
            return number
    return None


def _with_year(month: int, day: int, year: str | None, published: date) -> date | None:
    """A calendar date; without a year, the one closest to publication."""
    try:
        if year:
            return date(int(year), month, day)
        candidates = [date(published.year + d, month, day) for d in (-1, 0, 1)]
    except ValueError:
        return None
    return min(candidates, key=lambda c: abs((c - published).days))


def explicit_date(sentence: str, published: date) -> date | None:
    """A calendar date written in the sentence, if any."""
    if m := _ISO.search(sentence):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    if (m := _DAY_MONTH.search(sentence)) and (month := _month(m[2])):
        return _with_year(month, int(m[1]), m[3], published)
    if (m := _MONTH_DAY.search(sentence)) and (month := _month(m[1])):
        return _with_year(month, int(m[2]), m[3], published)
    return None


def weekday_date(name: str, modifier: str | None, published: date, future: bool) -> date:
    """The date of a named weekday relative to publication.

    "next Monday" and future-tense mentions look forward (the same day counts), "last
    Friday" and past or present mentions look back (the same day counts).
    """
    target = _WEEKDAYS[name.lower().replace("ʼ", "'")]
    mod = (modifier or "").lower()
    # "перенесены на пятницу": Russian and Ukrainian "на" + weekday is always ahead.
    if mod == "на":
        return published + timedelta(days=(target - published.weekday()) % 7 or 7)
    if mod in ("next", "coming"):
        ahead = (target - published.weekday()) % 7
        return published + timedelta(days=ahead or 7)
    if mod in ("last", "past"):
        back = (published.weekday() - target) % 7
        return published - timedelta(days=back or 7)
    if future:
        return published + timedelta(days=(target - published.weekday()) % 7)
    return published - timedelta(days=(published.weekday() - target) % 7)


def resolve_date(sentence: str, published: date | None, future: bool) -> date | None:
    """The meeting date the sentence gives or implies, else None."""
    if published is None:
        return None
    if found := explicit_date(sentence, published):
        return found
    if m := _WEEKDAY.search(sentence):
        return weekday_date(m[2], m[1], published, future)
    if m := _AGO.search(sentence):
        n = int(m[1]) if m[1].isdigit() else _NUMBERS[m[1].lower()]
        return published - timedelta(days=n * (7 if m[2].lower() == "week" else 1))
    if _TOMORROW.search(sentence):
        return published + timedelta(days=1)
    if _YESTERDAY.search(sentence):
        return published - timedelta(days=1)
    if _TODAY.search(sentence):
        return published
    return None
