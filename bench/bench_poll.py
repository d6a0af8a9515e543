"""Poll throughput and memory: `monitor poll` against rss2email 3.14 on the same loopback feeds.

One run: start the feed farm, measure the feedparser floor, then for each case run both pollers
as subprocesses and sample the RSS of their whole process tree. Cases: 1 first poll, 2 second
poll with 304s, 3 second poll with the validators ignored (same bytes). Prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import feedfarm

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
R2E_VERSION = "3.14"
CASES = {1: "first poll (all new)", 2: "second poll, 304s", 3: "second poll, same bytes"}


@dataclass
class Run:
    """One measured process tree."""

    wall: float
    peak_mb: float  # PSS of the process tree
    rss_mb: float  # RSS summed over the tree (shared pages counted once per process)
    rc: int
    out: str


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, from /proc."""
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; fields restart after the last ')'.
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def descendants(pid: int) -> list[int]:
    """A process and all its descendants."""
    kids = _children()
    todo, out = [pid], []
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def tree_memory(pids: Sequence[int]) -> tuple[int, int]:
    """(RSS, PSS) bytes of these processes now.

    RSS counts pages shared between the processes (forked workers, libraries) once per
    process; PSS splits each shared page between its users, so the tree's PSS is what it costs.
    """
    rss = pss = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return rss, pss


def measure(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = ROOT,
            every: float = 0.1, until: Callable[[], bool] | None = None) -> Run:
    """Wall time and peak RSS of one command's process tree, sampled from /proc.

    With `until`, the command is a daemon: the wall time ends when until() first holds, and
    the daemon is then stopped with SIGTERM (its peak memory counts until it exits).
    """
    started = time.perf_counter()
    wall = None
    proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    peak = peak_rss = 0
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read() if proc.stdout else ""))
    reader.start()
    pids: list[int] = []
    ticks = 0
    while proc.poll() is None:
        # Walking all of /proc for the tree is the costly part: once a second is enough, as
        # the workers live as long as the poll.
        if ticks % 10 == 0:
            pids = descendants(proc.pid)
        ticks += 1
        rss, pss = tree_memory(pids)
        peak, peak_rss = max(peak, pss), max(peak_rss, rss)
        if until is not None and wall is None and ticks % 5 == 0 and until():
            wall = time.perf_counter() - started
            proc.send_signal(signal.SIGTERM)
        time.sleep(every)
    wall = wall if wall is not None else time.perf_counter() - started
    reader.join()
    return Run(wall, peak / 2**20, peak_rss / 2**20, proc.returncode, "".join(out))


def ensure_rss2email(venv: Path) -> Path:
    """rss2email 3.14 in its own virtual environment (created once, from PyPI)."""
    r2e = venv / "bin" / "r2e"
    if r2e.exists():
        return r2e
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                    f"rss2email=={R2E_VERSION}"], check=True)
    return r2e


def start_farm(feeds: int, hosts: int) -> tuple[subprocess.Popen[str], int]:
    """The farm as a subprocess; returns it and its port once it listens (and says what it serves)."""
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("feedfarm.py")),
                             "--feeds", str(feeds), "--hosts", str(hosts)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    print(f"farm: {info['feeds']} feeds of {info['mean_bytes']} bytes on average, items from the "
          f"{info.get('items', 'corpus')}", flush=True)
    return proc, int(info["port"])


def farm_call(port: int, what: str) -> dict[str, int]:
    """Switch the farm's mode or read its counters."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_farm/{what}", timeout=10) as r:
        return dict(json.load(r))


FLOOR = """
import json, sys, time, urllib.request
import feedparser
urls = json.load(open(sys.argv[1]))
bodies = [urllib.request.urlopen(u, timeout=30).read() for u in urls]
t = time.perf_counter()
n = sum(len(feedparser.parse(b).entries) for b in bodies)
print(json.dumps({"seconds": time.perf_counter() - t, "entries": n}))
"""


def run_floor(urls_file: Path) -> tuple[float, float, int]:
    """feedparser.parse over the same bytes in one process: seconds, peak MB, entries."""
    run = measure([sys.executable, "-c", FLOOR, str(urls_file)])
    if run.rc:
        raise SystemExit(f"bench: floor failed:\n{run.out}")
    data = json.loads(run.out.strip().splitlines()[-1])
    return float(data["seconds"]), run.peak_mb, int(data["entries"])


def setup_monitor(work: Path, urls: Sequence[str], stories: bool = True) -> dict[str, str]:
    """A fresh store with every feed configured; returns the environment to run in."""
    db = work / "monitor.db"
    feeds = "".join(f'\n[[feeds]]\nurl = "{u}"\n' for u in urls)
    (work / "monitor.toml").write_text(
        f'[database]\nurl = "sqlite:///{db}"\n\n[fetch]\n'
        'user_agent = "talks-monitor-bench/0.1"\n\n'
        f"[stories]\nenabled = {str(stories).lower()}\n" + feeds)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_CONFIG"] = str(work / "monitor.toml")
    subprocess.run([str(VENV_BIN / "monitor"), "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return env


def setup_rss2email(work: Path, urls: Sequence[str]) -> list[str]:
    """rss2email's config file with every feed (what `r2e add` writes, without 1,000 runs)."""
    cfg, data = work / "r2e.cfg", work / "r2e.json"
    sections = "".join(f"\n[feed.f{i:05d}]\nurl = {u}\n" for i, u in enumerate(urls))
    cfg.write_text("[DEFAULT]\nto = bench@example.invalid\nfrom = r2e@example.invalid\n"
                   "user-agent = rss2email-bench\n" + sections)
    return ["-c", str(cfg), "-d", str(data)]


def run_daemon(work: Path, urls: Sequence[str], port: int, stories: bool, expected: int) -> Run:
    """`monitor run` (scheduler, API server and all) on a fresh store, until its first poll
    has stored every article: the memory goal is about the daemon, not only `monitor poll`."""
    env = setup_monitor(work, urls, stories=stories)
    env["MONITOR_SERVER_HOST"], env["MONITOR_SERVER_PORT"] = "127.0.0.1", str(_free_port())
    farm_call(port, "mode/honour")
    farm_call(port, "reset")

    def stored_all() -> bool:
        try:
            return count_articles(work) >= expected
        except sqlite3.Error:  # the store is being written: ask again at the next tick
            return False

    run = measure([str(VENV_BIN / "monitor"), "run"], env=env, until=stored_all)
    print(f"case 1d monitor run: {run.wall:.2f}s to store {count_articles(work)} articles, "
          f"PSS {run.peak_mb:.0f} MB RSS {run.rss_mb:.0f} MB rc={run.rc} "
          f"farm={farm_call(port, 'reset')}", flush=True)
    return run


def _free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def count_articles(work: Path) -> int:
    """Articles in the monitor's store."""
    with sqlite3.connect(work / "monitor.db") as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


def r2e_seen(work: Path) -> int:
    """Entries rss2email has recorded as seen."""
    data = json.loads((work / "r2e.json").read_text())
    return sum(len(f.get("seen", {})) for f in data["feeds"])


def _row(label: str, a: Run | None, b: Run | None, floor: float | None, cores: int) -> str:
    """One line of the table."""
    def cell(r: Run | None) -> str:
        return f"{r.wall:8.2f} {r.peak_mb:7.0f}" if r else f"{'-':>8} {'-':>7}"

    ratio = f"{a.wall / b.wall:9.3f}" if a and b else f"{'-':>9}"
    fl = f"{a.wall / (floor / cores):10.3f}" if a and floor else f"{'':>10}"
    return f"{label:<28} {cell(a)}  {cell(b)}  {ratio} {fl}"


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--hosts", type=int, default=25, help="loopback addresses the farm uses")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "poll")
    ap.add_argument("--no-rss2email", action="store_true", help="measure only the monitor")
    ap.add_argument("--no-stories", action="store_true",
                    help="monitor without level 3 of dedup (stories), to see what it costs")
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 1,
                    help="cores the monitor may use, for the floor ratio")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    out: Path = args.out.resolve()
    r2e = None if args.no_rss2email else ensure_rss2email(out.parent / "r2e-venv")
    # Like for like: rss2email's venv holds bytecode from pip; an editable install of ours
    # under PYTHONDONTWRITEBYTECODE (set here) would compile monitor/ on every start (~0.1 s).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "monitor")], check=True,
                   stdout=subprocess.DEVNULL)
    for sub in ("monitor", "rss2email", "daemon"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True)
    farm, port = start_farm(args.feeds, args.hosts)
    try:
        urls = [feedfarm.feed_url(i, port, args.hosts) for i in range(args.feeds)]
        (out / "urls.json").write_text(json.dumps(urls))
        floor, floor_mb, floor_entries = run_floor(out / "urls.json")
        print(f"floor: feedparser.parse of {args.feeds} feeds ({floor_entries} entries) in "
              f"{floor:.2f}s, one process", flush=True)
        env = setup_monitor(out / "monitor", urls, stories=not args.no_stories)
        r2e_args = setup_rss2email(out / "rss2email", urls)
        results: dict[int, tuple[Run, Run | None]] = {}
        for case in (1, 2, 3):
            farm_call(port, "mode/ignore" if case == 3 else "mode/honour")
            farm_call(port, "reset")
            mon = measure([str(VENV_BIN / "monitor"), "poll", "-q"], env=env)
            stats = farm_call(port, "reset")
            print(f"case {case} monitor: {mon.wall:.2f}s PSS {mon.peak_mb:.0f} MB "
                  f"RSS {mon.rss_mb:.0f} MB rc={mon.rc} "
                  f"farm={stats} | {_last(mon.out)}", flush=True)
            theirs = None
            if r2e is not None:
                theirs = measure([str(r2e), *r2e_args, "run", "--no-send"])
                stats = farm_call(port, "reset")
                print(f"case {case} rss2email: {theirs.wall:.2f}s PSS {theirs.peak_mb:.0f} MB "
                      f"RSS {theirs.rss_mb:.0f} MB "
                      f"rc={theirs.rc} farm={stats} | {_last(theirs.out)}", flush=True)
            results[case] = (mon, theirs)
        daemon = run_daemon(out / "daemon", urls, port, not args.no_stories,
                            feedfarm.ITEMS * args.feeds)
        stored = count_articles(out / "monitor")
        seen = r2e_seen(out / "rss2email") if r2e is not None else 0
    finally:
        farm.terminate()
        farm.wait()
    print(f"\n{args.feeds} feeds; monitor stored {stored} articles, rss2email saw {seen} entries; "
          f"floor {floor:.2f}s ({floor_mb:.0f} MB), cores {args.cores}\n")
    print(f"{'case':<28} {'monitor s':>8} {'PSS MB':>7}  {'r2e s':>8} {'PSS MB':>7}  {'mon/r2e':>9} "
          f"{'mon/floor*':>10}")
    for case, (mon, theirs) in results.items():
        print(_row(f"{case}. {CASES[case]}", mon, theirs, floor if case == 1 else None, args.cores))
    print(_row("1d. first poll, daemon", daemon, results[1][1], floor, args.cores))
    print(f"\n* monitor wall / (feedparser floor / {args.cores} cores); "
          f"whole benchmark {time.perf_counter() - t0:.0f}s")
    (out / "results.json").write_text(json.dumps({
        "feeds": args.feeds, "floor_s": floor, "cores": args.cores, "stored": stored,
        "cases": {c: {"monitor": [m.wall, m.peak_mb, m.rss_mb],
                      "rss2email": [r.wall, r.peak_mb, r.rss_mb] if r else None}
                  for c, (m, r) in results.items()},
        "daemon": [daemon.wall, daemon.peak_mb, daemon.rss_mb]}, indent=1))


def _last(text: str) -> str:
    """The last non-empty line of an output, for the log."""
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return re.sub(r"\s+", " ", lines[-1])[:160] if lines else ""


if __name__ == "__main__":
    main()
