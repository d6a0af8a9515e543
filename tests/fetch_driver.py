"""Fetches feeds through fetch processes in a fresh process, as `monitor poll` and the daemon do.

The test process runs servers in threads, and a fetch process is forked only from a process
without threads; this one has none. Usage: `python fetch_driver.py SPEC.json`, where the spec
holds `settings` (FetchSettings fields), `feeds` ([{url, etag}]) and optionally `kill_after`
(seconds after which the first fetch process is SIGKILLed), `stop_after` (… SIGSTOPped, so
it answers nothing), `grace` (seconds the poller waits past the deadline for a silent fetch
process) and `hang` (fetch nothing, wait to be killed). Prints one JSON line with the fetch
processes' pids, then one with the results and where each fetch was placed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from typing import Any

from monitor import fetchproc
from monitor.fetchproc import SharedFetcher, make_fetcher, start_processes
from monitor.settings import FetchSettings
from monitor.values import FeedRef


def main() -> None:
    """Run the spec."""
    with open(sys.argv[1]) as fh:
        spec: dict[str, Any] = json.load(fh)
    settings = FetchSettings(**spec["settings"])
    if "grace" in spec:
        fetchproc._GRACE = spec["grace"]
    procs = start_processes(settings, default=0)
    print(json.dumps({"pids": [p.pid for p in procs]}), flush=True)
    if spec.get("hang"):
        signal.pause()
    placed: Counter[str] = Counter()

    async def go() -> list[dict[str, Any]]:
        fetcher = make_fetcher(settings, procs)
        if isinstance(fetcher, SharedFetcher):
            place = fetcher._place

            def counted(host: str) -> int:
                where = place(host)
                placed["local" if where < 0 else "remote"] += 1
                return where

            fetcher._place = counted  # type: ignore[method-assign]
        feeds = [FeedRef(i, f["url"], etag=f.get("etag")) for i, f in enumerate(spec["feeds"])]
        tasks = [asyncio.create_task(fetcher.fetch(f)) for f in feeds]
        if spec.get("kill_after"):
            await asyncio.sleep(spec["kill_after"])
            os.kill(procs[0].pid, signal.SIGKILL)
        if spec.get("stop_after"):
            await asyncio.sleep(spec["stop_after"])
            os.kill(procs[0].pid, signal.SIGSTOP)
        results = await asyncio.gather(*tasks)
        await fetcher.aclose()
        return [{"kind": r.kind, "status": r.status, "etag": r.etag, "body_hash": r.body_hash,
                 "moved_to": r.moved_to, "error": r.error} for r in results]

    results = asyncio.run(go())
    print(json.dumps({"results": results, "placed": placed}), flush=True)


if __name__ == "__main__":
    main()
