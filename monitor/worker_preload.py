"""Imported once by the forkserver: builds what every parse worker needs before workers fork.

Workers forked afterwards share these pages with the server instead of each building a copy
of its own (the analyzer's vocabulary and patterns, the MinHash tables). What to build comes
from the environment the daemon gave the server (monitor.pipeline.make_parse_pool).
"""

from __future__ import annotations

import gc
import json
import logging
import os

from monitor import worker
from monitor.stories.fingerprint import Shape

log = logging.getLogger("monitor.worker")


def preload() -> None:
    """Load the analyzer and the fingerprinter named in the environment, then freeze the heap."""
    spec = os.environ.get(worker.PRELOAD_ENV)
    if not spec:
        return
    try:
        data = json.loads(spec)
        worker.warm(data.get("analysis"), Shape(*data["shape"]) if data.get("shape") else None)
    except Exception:  # each worker then builds its own on first use and reports any error
        log.exception("worker: preloading the analysis failed")
    # Objects made so far are never collected: the collector's visits would write to their
    # pages and undo the sharing in every worker.
    gc.freeze()


preload()
