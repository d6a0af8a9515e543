"""Highlighting in Python, for the queries the database highlights slowly (SQLite prefixes).

snippet() on a prefix query makes FTS5 merge the position lists of every word sharing the
prefix across the whole index (a quarter of a second at a million articles); the twenty texts
of a page are quicker to scan here.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from monitor.query.syntax import Query

_TOKEN = re.compile(r"\w+", re.UNICODE)


def _marks(words: list[str], q: Query) -> list[bool]:
    """Which tokens a term of the query matches (words, phrases, prefixes; not exclusions)."""
    hit = [False] * len(words)
    for alt in q.include:
        for term in alt.terms:
            seq = [w.lower() for w in _TOKEN.findall(term.text)]
            if not seq:
                continue
            for i in range(len(words) - len(seq) + 1):
                head = words[i + len(seq) - 1]
                last_ok = head.startswith(seq[-1]) if term.prefix else head == seq[-1]
                if last_ok and words[i:i + len(seq) - 1] == seq[:-1]:
                    for k in range(i, i + len(seq)):
                        hit[k] = True
    return hit


def highlight(parts: Sequence[str], q: Query, tokens: int = 24) -> str:
    """An HTML-safe excerpt of about `tokens` words around the densest matches."""
    text = " … ".join(p for p in parts if p)
    found = list(_TOKEN.finditer(text))
    if not found:
        return ""
    hit = _marks([m.group().lower() for m in found], q)
    window = min(tokens, len(found))
    best, score = 0, sum(hit[:window])
    running = score
    for start in range(1, len(found) - window + 1):
        running += hit[start + window - 1] - hit[start - 1]
        if running > score:
            best, score = start, running
    out = ["…" if best > 0 else ""]
    pos = found[best].start()
    for k in range(best, best + window):
        m = found[k]
        out.append(html.escape(text[pos:m.start()]))
        word = html.escape(m.group())
        out.append(f"<mark>{word}</mark>" if hit[k] else word)
        pos = m.end()
    end = found[best + window - 1].end()
    out.append("…" if end < len(text) else "")
    return "".join(out)
