"""Fetch processes: the same outcomes as fetching alone, per-host limits kept, deaths survived."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from monitor.fetchproc import FetchProcess
from monitor.settings import FetchSettings
from monitor.store.db import make_engine
from tests.daemon_proc import DaemonProcess, wait_until, write_config
from tests.feedserver import FeedServer, Route, make_items, rss
from tests.helpers import counts

DRIVER = Path(__file__).with_name("fetch_driver.py")


def _drive(tmp_path: Path, spec: dict[str, Any],
           timeout: float = 60) -> tuple[list[int], dict[str, Any], str]:
    """Run the driver to its end: (fetch process pids, its report, its stderr)."""
    path = tmp_path / f"spec{time.monotonic_ns()}.json"
    path.write_text(json.dumps(spec))
    done = subprocess.run([sys.executable, str(DRIVER), str(path)], capture_output=True, text=True,
                          timeout=timeout, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.strip().splitlines()
    return json.loads(first)["pids"], json.loads(second), done.stderr


class Concurrency:
    """A route handler that holds each request a while and records the most in flight at once."""

    def __init__(self, body: bytes, hold: float) -> None:
        self.body, self.hold = body, hold
        self.now = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, _request: object) -> tuple[int, dict[str, str], bytes]:
        """Answer 200 with the body after `hold` seconds."""
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.hold)
        with self._lock:
            self.now -= 1
        return 200, {"Content-Type": "application/rss+xml"}, self.body


@pytest.fixture
def servers() -> Any:
    """Three origins (three loopback ports) serving the same routes."""
    started = [FeedServer() for _ in range(3)]
    for s in started:
        s.start()
    yield started
    for s in started:
        s.stop()


def _routes(server: FeedServer) -> list[dict[str, Any]]:
    """Feeds of every kind on one origin: new, 304, gone, failing, moved, gzip, not a feed."""
    body = rss(make_items("p", 3))
    feeds = [{"url": server.add(f"/ok{i}.xml", body)} for i in range(6)]
    feeds.append({"url": server.add("/gz.xml", Route(body, gzip=True))})
    etag = '"' + __import__("hashlib").sha1(body).hexdigest()[:16] + '"'
    feeds.append({"url": server.add("/same.xml", body), "etag": etag})
    feeds.append({"url": server.add("/gone.xml", Route(b"", status=410))})
    feeds.append({"url": server.add("/err.xml", Route(b"oops", status=500))})
    server.add("/new-home.xml", body)
    feeds.append({"url": server.add("/moved.xml", Route(
        b"", status=301, headers={"Location": server.url("/new-home.xml")}))})
    feeds.append({"url": server.add("/page.html", Route(b"<html>hi</html>",
                                                        content_type="text/html"))})
    return feeds


def test_outcomes_are_those_of_fetching_alone(tmp_path: Path, servers: list[FeedServer]) -> None:
    """Every kind of answer comes back from a fetch process as the daemon's own fetcher names it."""
    feeds = [f for s in servers for f in _routes(s)]
    settings = {"concurrency": 6, "per_host": 2}
    pids, shared, _ = _drive(tmp_path, {"settings": {**settings, "processes": 1}, "feeds": feeds})
    none, alone, _ = _drive(tmp_path, {"settings": {**settings, "processes": 0}, "feeds": feeds})
    assert len(pids) == 1 and none == []
    assert shared["placed"]["remote"] > 0  # the fetch process did take a share
    assert alone["placed"] == {}
    assert shared["results"] == alone["results"]
    kinds = {r["kind"] for r in shared["results"]}
    assert {"ok", "not_modified", "gone", "server_error"} <= kinds
    moved = [r for r in shared["results"] if r["moved_to"]]
    assert len(moved) == 3 and all(r["moved_to"].endswith("/new-home.xml") for r in moved)


def test_per_host_limit_holds_across_processes(tmp_path: Path, servers: list[FeedServer]) -> None:
    """With two fetch processes and the daemon, one host never has more than per_host requests."""
    body = rss(make_items("h", 2))
    gates = [Concurrency(body, 0.05) for _ in servers]
    feeds = [{"url": s.add(f"/slow{i}.xml", Route(handler=gate))}
             for s, gate in zip(servers, gates, strict=True) for i in range(12)]
    _pids, report, _ = _drive(tmp_path, {"settings": {"concurrency": 12, "per_host": 2,
                                                      "processes": 2}, "feeds": feeds})
    assert [r["kind"] for r in report["results"]] == ["ok"] * len(feeds)
    assert [g.most for g in gates] == [2, 2, 2]


def test_a_dead_fetch_process_loses_no_fetch(tmp_path: Path, servers: list[FeedServer]) -> None:
    """SIGKILL of the fetch process mid-poll: the fetches it held are done again by the daemon."""
    body = rss(make_items("k", 2))
    gate = Concurrency(body, 0.5)
    feeds = [{"url": s.add(f"/held{i}.xml", Route(handler=gate))} for s in servers
             for i in range(4)]
    pids, report, err = _drive(tmp_path, {"settings": {"concurrency": 12, "per_host": 4,
                                                       "processes": 1},
                                          "feeds": feeds, "kill_after": 0.2})
    assert report["placed"]["remote"] > 0
    assert [r["kind"] for r in report["results"]] == ["ok"] * len(feeds)
    assert f"fetch process {pids[0]} stopped" in err
    # Those the fetch process held were asked twice: once by it, once again by the daemon.
    assert sum(len(s.requests) for s in servers) > len(feeds)


def test_a_silent_fetch_process_is_given_up_on(tmp_path: Path, servers: list[FeedServer]) -> None:
    """A fetch process that stops answering (SIGSTOP): its fetches end as "deadline" once the
    deadline and the grace have passed, and the poll goes on."""
    body = rss(make_items("s", 2))
    gate = Concurrency(body, 0.5)
    feeds = [{"url": s.add(f"/mute{i}.xml", Route(handler=gate))} for s in servers
             for i in range(4)]
    started = time.monotonic()
    _pids, report, _ = _drive(tmp_path, {"settings": {"concurrency": 12, "per_host": 4,
                                                      "processes": 1, "deadline": 1},
                                         "feeds": feeds, "stop_after": 0.2, "grace": 0.5})
    kinds = Counter(r["kind"] for r in report["results"])
    assert report["placed"]["remote"] > 0
    assert kinds["deadline"] == report["placed"]["remote"]
    assert kinds["ok"] == report["placed"].get("local", 0) == len(feeds) - kinds["deadline"]
    assert all("no answer from the fetch process" in (r["error"] or "")
               for r in report["results"] if r["kind"] == "deadline")
    assert time.monotonic() - started < 30


def test_fetch_processes_exit_when_the_daemon_dies(tmp_path: Path) -> None:
    """A SIGKILLed daemon leaves no fetch process behind: each sees its socket close and exits."""
    path = tmp_path / "hang.json"
    path.write_text(json.dumps({"settings": {"processes": 2}, "feeds": [], "hang": True}))
    proc = subprocess.Popen([sys.executable, str(DRIVER), str(path)], stdout=subprocess.PIPE,
                            text=True, cwd=Path(__file__).parent.parent)
    assert proc.stdout is not None
    pids = json.loads(proc.stdout.readline())["pids"]
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in pids)


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_no_fork_while_threads_run() -> None:
    """A process with threads does not fork (a lock held by another thread would stay held)."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert FetchProcess.start(FetchSettings(processes=1)) is None
    finally:
        stop.set()
        thread.join()
    assert os.getpid() > 0


def _children(pid: int) -> list[int]:
    """The direct children of a process."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_daemon_with_a_fetch_process(stop: str, sqlite_url: str, tmp_path: Path,
                                     feed_server: FeedServer) -> None:
    """`monitor run` with fetch.processes = 1 stores every feed, and its fetch process ends with it."""
    urls = [feed_server.add(f"/d{k}.xml", rss(make_items(f"d{k}", 4))) for k in range(12)]
    config = write_config(tmp_path / "m.toml", sqlite_url, urls)
    engine = make_engine(sqlite_url)
    with DaemonProcess(config, tmp_path / "d.log", env={"MONITOR_FETCH_PROCESSES": "1"}) as daemon:
        wait_until(lambda: counts(engine)[0] == 48, 60, "every feed to be stored")
        own = Path(f"/proc/{daemon.proc.pid}/cmdline").read_bytes()
        fetchers = [k for k in _children(daemon.proc.pid)
                    if Path(f"/proc/{k}/cmdline").read_bytes() == own]
        assert len(fetchers) == 1  # forked, so it runs the daemon's own command line
        if stop == "sigterm":
            daemon.signal(signal.SIGTERM)
            assert daemon.wait(15) == 0, daemon.output()
        else:
            daemon.kill()
    deadline = time.monotonic() + 10
    while _alive(fetchers[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(fetchers[0])
    engine.dispose()


def test_the_first_fetch_process_checks_the_vocabulary(tmp_path: Path) -> None:
    """A fetch process started with a vocabulary loads it first: the same version as loading it
    here, or the error that stops a poll; the stage built from its answer loads on first use."""
    import shutil

    from monitor.analysis import load_analyzer
    from monitor.analysis.vocab import VocabularyError
    from monitor.settings import load_settings
    from monitor.values import Entry
    from monitor.wiring import load_analysis_stage

    broken = tmp_path / "analysis"
    shutil.copytree(Path(__file__).resolve().parents[1] / "config" / "analysis", broken)
    topic = broken / "topic.toml"
    topic.write_text(topic.read_text().replace("threshold = 2.0", 'threshold = "high"', 1))
    # In a fresh interpreter: this one may have threads by now, and then nothing is forked.
    script = ("import json, sys; from pathlib import Path\n"
              "from monitor.fetchproc import Vocabulary, start_processes\n"
              "from monitor.settings import FetchSettings\n"
              "folder = Path(sys.argv[1]) if sys.argv[1] else None\n"
              "(proc,) = start_processes(FetchSettings(), 1, Vocabulary(folder))\n"
              "print(json.dumps(proc.vocabulary_check())); proc.close()\n")
    answers: list[tuple[str | None, str | None]] = []
    for folder in ("", str(broken)):
        out = subprocess.run([sys.executable, "-c", script, folder], capture_output=True,
                             text=True, timeout=60, check=True)
        answers.append(tuple(json.loads(out.stdout)))  # type: ignore[arg-type]
    (version, error), (no_version, broken_error) = answers
    assert version == load_analyzer(None).version and error is None
    assert no_version is None and broken_error is not None
    assert f"{broken}: malformed vocabulary" in broken_error

    settings = load_settings(None)
    stage = load_analysis_stage(settings, answers[0])
    assert stage.version == version and not stage.loaded
    with pytest.raises(VocabularyError, match="malformed vocabulary"):
        load_analysis_stage(settings, answers[1])
    assert load_analysis_stage(settings, (None, None)).loaded  # no answer: loaded here
    title = "Russia and Ukraine hold a second round of peace talks in Istanbul"
    entry = Entry("k", None, None, None, title, "Delegations met on Monday.", "", None, None, "h")
    analysed = stage.analyze_entry(entry, "http://example.invalid/f.xml")
    assert stage.loaded and analysed.relevant is True and analysed.version == version
