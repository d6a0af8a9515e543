"""What the parse processes run: parsing a document, and analysing the entries found new.

Kept apart from monitor.pipeline so a worker imports the parser and the analysis, never the
store (SQLAlchemy, the models): workers stay small and start fast.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from monitor.stories.fingerprint import Fingerprint, Fingerprinter, Shape
from monitor.values import Entry, ParsedFeed

log = logging.getLogger("monitor.worker")
# JSON naming the analysis directory and fingerprint shape for the forkserver to preload.
PRELOAD_ENV = "MONITOR_WORKER_PRELOAD"

# relevant, score, the JSON kept in the store; None when the analysis of that entry failed.
Verdict = tuple[bool, float, dict[str, Any]] | None
# What a worker's analysis of some entries gives back: their verdicts and their fingerprints.
Done = tuple[list[Verdict], list[Fingerprint | None]]



def serve(daemon_pid: int) -> None:
    """Start-up of every parse worker: Ctrl-C is the daemon's to handle, and die with it.

    Ctrl-C signals the whole process group; the daemon stops its workers itself. A worker's
    parent is the forkserver, not the daemon, and neither notices a daemon killed by SIGKILL
    or the OOM killer: the workers (which hold the forkserver's liveness pipe) would wait on
    their queue for ever, and keep the forkserver alive with them.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(daemon_pid,), name="exit-with-daemon",
                     daemon=True).start()


def _exit_with(pid: int) -> None:
    """Exit this process as soon as process `pid` has ended."""
    try:
        fd = os.pidfd_open(pid)  # Linux 5.3+: readable once the process ends, no polling
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        select.select([fd], [], [])
    else:
        while os.getppid() != 1 and _alive(pid):
            time.sleep(2)
    os._exit(0)


def _alive(pid: int) -> bool:
    """Whether a process exists (a PID reused meanwhile keeps a worker until it ends too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """monitor.parser.parse_feed, imported on the first call."""
    # A daemon whose parsing happens in worker processes never loads feedparser (10 MB) itself.
    from monitor.parser import parse_feed as parse

    return parse(body, url, content_type)


def verdict(analyzer: Any, entry: Entry, source: str | None) -> tuple[bool, float, dict[str, Any]]:
    """One entry through the analysis package, as the store keeps it."""
    from monitor.analysis import Item

    item = Item(id=None, title=entry.title, summary=entry.summary, content=entry.content,
                url=entry.url, published=entry.published, source=source)
    result = analyzer.analyze(item)
    data = result.to_json(None)
    data.pop("id", None)
    return result.relevant, result.score, data


@lru_cache(maxsize=4)
def _analyzer(config_dir: str | None) -> Any:
    """The analyzer of a config directory, loaded once per process."""
    from monitor.analysis import load_analyzer

    return load_analyzer(Path(config_dir) if config_dir else None)


@lru_cache(maxsize=4)
def _printer(shape: Shape) -> Fingerprinter:
    """The fingerprinter of a shape, built once per process."""
    return Fingerprinter(shape)


def warm(config_dir: str | None, shape: Shape | None) -> None:
    """Build the analyzer (and fingerprinter) now, as the first call would."""
    # The term rules' lower-case twins too, so that workers share them instead of each
    # compiling its own on its first sentence.
    _analyzer(config_dir).terms.twins()
    if shape is not None:
        _printer(shape)


def analyse_entries(config_dir: str | None, version: str, entries: Sequence[Entry],
                    source: str | None, shape: Shape | None = None,
                    relevant_only: bool = False) -> Done | None:
    """Verdicts for entries, and their fingerprints when the stories stage gives a shape.

    With `relevant_only`, only entries not found irrelevant are fingerprinted: the stories
    stage places no others. None when this process's vocabulary is not the daemon's version.
    """
    analyzer = _analyzer(config_dir)
    if analyzer.version != version:
        return None  # the files changed since the daemon loaded them: let it analyse
    out: list[Verdict] = []
    for entry in entries:
        try:
            out.append(verdict(analyzer, entry, source))
        except Exception:  # a rule that trips on odd text must not lose the article
            log.exception("analyze: entry %s of %s failed; stored unanalysed", entry.item_key,
                          source, extra={"url": source, "stage": "analyze"})
            out.append(None)
    prints: list[Fingerprint | None] = [None] * len(entries)
    if shape is not None:
        printer = _printer(shape)
        for i, (entry, judged) in enumerate(zip(entries, out, strict=True)):
            if relevant_only and judged is not None and not judged[0]:
                continue
            try:
                prints[i] = printer(entry.title, entry.summary, entry.content)
            except Exception:  # the stage fingerprints it again, and logs what fails there
                log.exception("stories: fingerprint of %s failed in a worker", entry.item_key)
    return out, prints


def parse_and_analyse(body: bytes, url: str, content_type: str | None, config_dir: str | None,
                      version: str, shape: Shape | None,
                      relevant_only: bool = False) -> tuple[ParsedFeed, Done | None]:
    """A feed never read before: parse it and analyse all its entries in one trip to a worker."""
    parsed = parse_feed(body, url, content_type)
    if parsed.error or not parsed.entries:
        return parsed, None
    return parsed, analyse_entries(config_dir, version, parsed.entries, url, shape, relevant_only)
