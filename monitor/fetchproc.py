"""Fetching on more than one core: processes that fetch beside the poller, host by host.

A conditional GET costs about 0.7 ms of CPU (httpx and h11, then the system calls); with
thousands of feeds due at once that is most of a poll of unchanged feeds. A
fetch process runs its own event loop and Fetcher, and the poller (`monitor poll` or the
daemon) hands it a share of the fetches over a socket pair (requests and results as pickled
tuples, bodies included). A host's fetches in flight are all in one place, so
`fetch.per_host` still holds; `fetch.concurrency` is counted here, across all of them. A
fetch process is forked before the poller starts any thread or event loop (fork copies
nothing half-alive then); it starts sharing the poller's pages, but each page either process
writes stops being shared, so it costs 15-25 MB. It exits when its socket closes, so when the
poller dies. If it dies first, the fetches it held are done again by the poller, which
fetches everything itself from then on.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import pickle
import signal
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.fetcher import Fetcher, host_of
from monitor.settings import FetchSettings
from monitor.values import FeedRef, FetchResult

log = logging.getLogger("monitor.fetch")

_HEADER = struct.Struct("!I")
_REF_FIELDS = FeedRef.__slots__
_RESULT_FIELDS = FetchResult.__slots__
# The poller's own loop also runs every poll's other steps: count its fetches four times when
# choosing where a fetch goes, so the fetch processes take the larger share.
_LOCAL_WEIGHT = 4
# The poller's ends of the sockets of the fetch processes started so far.
_STARTED: list[socket.socket] = []
# Seconds past the fetch deadline after which a silent fetch process is given up on.
_GRACE = 10.0


class FetchProcess:
    """A forked process that fetches what it is sent; the poller's end of its socket."""

    def __init__(self, pid: int, sock: socket.socket, deadline: float) -> None:
        self.pid = pid
        self.sock = sock
        self.deadline = deadline

    @classmethod
    def start(cls, settings: FetchSettings, vocabulary: Vocabulary | None = None
              ) -> FetchProcess | None:
        """Fork a fetch process; None (the poller fetches alone) when fork is unsafe here.

        With `vocabulary`, the process first loads the analysis vocabulary of that folder (None:
        the shipped one) and says what came of it (see `vocabulary_check`).

        Safe means this process has no other thread yet: a fork copies only the calling thread,
        and a lock another thread held (logging's, the allocator's) would stay held forever.
        """
        if threading.active_count() > 1 or not hasattr(os, "fork"):
            log.info("fetch: not forking a fetch process (threads are running); fetching here")
            return None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # Objects that exist now stay out of the collector in both processes: a collection
        # writes to every object it visits, and a page written by either process stops being
        # shared (the parent's first collection after the fork would copy them all).
        gc.freeze()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; its work is tested through its socket
            code = 0
            try:
                # Only the poller may hold the poller's ends: a process sees its socket close
                # (and exits) only once no other process holds the other end.
                ours.close()
                for other in _STARTED:
                    other.close()
                if vocabulary is not None:
                    theirs.sendall(_frame(_check_vocabulary(vocabulary.folder)))
                _child(theirs, settings)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        _STARTED.append(ours)
        return cls(pid, ours, settings.deadline)

    def vocabulary_check(self, timeout: float = 60.0) -> tuple[str | None, str | None] | None:
        """What the process found loading the vocabulary: (version, None) when it loads,
        (None, the error) when it is broken; None when the process could not tell.

        Read before the socket is handed to the event loop: the check is its first frame.
        """
        try:
            self.sock.settimeout(timeout)
            try:
                (size,) = _HEADER.unpack(_recv_exactly(self.sock, _HEADER.size))
                version, error = pickle.loads(_recv_exactly(self.sock, size))
            finally:
                self.sock.settimeout(None)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            return None
        if version is None and error is None:
            return None
        return version, error

    def close(self) -> None:
        """Close the socket (the process exits on it) and reap the process without blocking long."""
        self.sock.close()
        if self.sock in _STARTED:
            _STARTED.remove(self.sock)
        try:
            # It exits within milliseconds of seeing the socket close: look often at first
            # (a 20 ms step was most of `monitor poll`'s time after its last fetch).
            pause, waited = 0.001, 0.0
            while waited < 1.0:
                done, _status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    return
                time.sleep(pause)
                waited += pause
                pause = min(pause * 2, 0.05)
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The analysis vocabulary a fetch process loads before fetching (None: the shipped one)."""

    folder: Path | None


def _check_vocabulary(folder: Path | None) -> tuple[str | None, str | None]:
    """Load the vocabulary as the poller would: its version, or the error that stops a poll.

    `monitor poll` has this done here, on the other core while it is still starting, rather
    than compiling it itself (~0.1 s before its first fetch); it then builds its own copy only
    if it analyses an entry itself. (None, None): a fault of another kind, which the poller
    meets again loading the vocabulary itself.
    """
    from monitor.analysis import load_analyzer
    from monitor.analysis.vocab import VocabularyError

    try:
        return load_analyzer(folder).version, None
    except VocabularyError as exc:
        return None, str(exc)
    except Exception:  # reported by the poller's own load, with its traceback
        return None, None


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    """size bytes from a blocking socket; EOFError if it closes first."""
    chunks, left = [], size
    while left:
        chunk = sock.recv(left)
        if not chunk:
            raise EOFError("the fetch process closed its socket")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _child(sock: socket.socket, settings: FetchSettings) -> None:
    """The fetch process: serve requests from the socket until it closes."""
    # Ctrl-C reaches the whole process group; the poller decides when to stop, and closes the
    # socket then.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    asyncio.run(_serve(sock, settings))


async def _serve(sock: socket.socket, settings: FetchSettings) -> None:
    """Read (id, feed, headers) frames, fetch each in its own task, answer (id, result)."""
    reader, writer = await asyncio.open_unix_connection(sock=sock)
    out = _Outbox(writer)
    fetcher = Fetcher(settings)
    tasks: set[asyncio.Task[None]] = set()

    async def one(rid: int, ref: tuple[object, ...], headers: dict[str, str]) -> None:
        try:
            result = await fetcher.fetch(FeedRef(*ref), headers)  # type: ignore[arg-type]
        except Exception as exc:  # a fault the fetcher does not name must still get an answer
            result = FetchResult("http", error=f"{type(exc).__name__}: {exc}")
        out.put((rid, tuple(getattr(result, f) for f in _RESULT_FIELDS)))

    try:
        while True:
            message = await _read_frame(reader)
            if message is None:
                break
            rid, ref, headers = message
            task = asyncio.create_task(one(rid, ref, headers))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for task in tasks:
            task.cancel()
        await fetcher.aclose()


class _Outbox:
    """Frames written once per loop turn: one send() for all the frames of a turn.

    A poll's fetches (and their results) come in bursts of tens; written one by one, each
    frame would be a system call of its own and wake the other process once more.
    """

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self._frames: list[bytes] = []

    def put(self, obj: object) -> None:
        """Queue a frame; the first of a turn schedules the flush."""
        if not self._frames:
            asyncio.get_running_loop().call_soon(self._flush)
        self._frames.append(_frame(obj))

    def _flush(self) -> None:
        """Write what the turn queued, in one piece."""
        frames, self._frames = self._frames, []
        if not self.writer.is_closing():
            self.writer.write(b"".join(frames))


def _frame(obj: object) -> bytes:
    """A length-prefixed pickle."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


async def _read_frame(reader: asyncio.StreamReader) -> Any:
    """The next frame's object; None at the end of the stream."""
    try:
        head = await reader.readexactly(_HEADER.size)
        (size,) = _HEADER.unpack(head)
        return pickle.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        return None


class Remote:
    """The poller's side of one fetch process: requests sent, results awaited by id."""

    def __init__(self, proc: FetchProcess) -> None:
        self.proc = proc
        self.alive = True
        self.in_flight = 0  # counted by SharedFetcher when it places a fetch here
        self._next = 0
        self._waiting: dict[int, asyncio.Future[FetchResult | None]] = {}
        self._out: _Outbox | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._opening: asyncio.Lock | None = None

    async def _open(self) -> _Outbox:
        """Attach the socket to the running loop on first use."""
        if self._out is None:
            self._opening = self._opening or asyncio.Lock()
            async with self._opening:
                if self._out is None:
                    reader, writer = await asyncio.open_unix_connection(sock=self.proc.sock)
                    self._reader_task = asyncio.create_task(self._read(reader))
                    self._out = _Outbox(writer)
        return self._out

    async def fetch(self, feed: FeedRef, headers: dict[str, str]) -> FetchResult | None:
        """The process's result for this feed; None when the process is gone."""
        out = await self._open()
        if not self.alive:
            return None
        rid = self._next = self._next + 1
        done: asyncio.Future[FetchResult | None] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = done
        try:
            out.put((rid, tuple(getattr(feed, f) for f in _REF_FIELDS), headers))
            # The process enforces the deadline; this only guards against one that hangs.
            async with asyncio.timeout(self.proc.deadline + _GRACE):
                return await done
        except TimeoutError:
            return FetchResult("deadline", error="no answer from the fetch process within "
                                                 f"{self.proc.deadline + _GRACE:g}s")
        except (ConnectionError, OSError):
            self._dead("its socket failed")
            return None
        finally:
            self._waiting.pop(rid, None)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        """Settle the waiting fetches as results arrive; all of them at the end of the stream."""
        try:
            while True:
                message = await _read_frame(reader)
                if message is None:
                    break
                rid, fields = message
                done = self._waiting.get(rid)
                if done is not None and not done.done():
                    done.set_result(FetchResult(*fields))
        except (ConnectionError, OSError):
            pass
        except Exception:  # a frame that does not decode: the stream is lost from here on
            log.exception("fetch: bad answer from fetch process %d", self.proc.pid)
        self._dead("it exited")

    def _dead(self, why: str) -> None:
        """Stop using the process; its pending fetches return None (and are done again)."""
        if self.alive:
            self.alive = False
            log.warning("fetch: fetch process %d stopped (%s); fetching in the poller",
                        self.proc.pid, why)
        for done in self._waiting.values():
            if not done.done():
                done.set_result(None)

    async def aclose(self) -> None:
        """Close the socket and reap the process."""
        self.alive = False
        if self._out is not None:
            self._out.writer.close()
        if self._reader_task is not None:
            self._reader_task.cancel()
        await asyncio.to_thread(self.proc.close)


class SharedFetcher:
    """A Fetcher whose work is shared with fetch processes, each host's at one place at a time."""

    def __init__(self, local: Fetcher, procs: list[FetchProcess]) -> None:
        self.local = local
        self.remotes = [Remote(p) for p in procs]
        self._global = asyncio.Semaphore(local.settings.concurrency)
        self._local_in_flight = 0
        # host -> (where its fetches in flight are: an index into remotes or -1 here, how many)
        self._busy: dict[str, list[int]] = {}

    def _place(self, host: str) -> int:
        """Where a fetch goes: where its host's other fetches are, else the least busy place.

        Keeping a host's concurrent fetches in one process keeps `fetch.per_host` exact; a host
        with nothing in flight may go anywhere (each place keeps its own idle connections).
        """
        busy = self._busy.get(host)
        if busy is not None:
            if busy[0] >= 0 and not self.remotes[busy[0]].alive:
                busy[0] = -1  # what it held there is being fetched again here
            busy[1] += 1
            return busy[0]
        best, load = -1, self._local_in_flight * _LOCAL_WEIGHT
        for i, remote in enumerate(self.remotes):
            if remote.alive and remote.in_flight <= load:
                best, load = i, remote.in_flight
        self._busy[host] = [best, 1]
        return best

    def _done(self, host: str) -> None:
        """One fetch of a host ended."""
        busy = self._busy.get(host)
        if busy is not None:
            busy[1] -= 1
            if busy[1] <= 0:
                del self._busy[host]

    async def fetch(self, feed: FeedRef, extra_headers: dict[str, str] | None = None) -> FetchResult:
        """Fetch one feed here or in a fetch process; never raises for feed faults."""
        host = host_of(feed.url)
        async with self._global:
            where = self._place(host)
            try:
                if where >= 0:
                    remote = self.remotes[where]
                    remote.in_flight += 1
                    try:
                        result = await remote.fetch(feed, extra_headers or {})
                    finally:
                        remote.in_flight -= 1
                    if result is not None:
                        return result
                    # The process died with this fetch: its host's fetches move here, count kept.
                    self._busy[host][0] = -1
                self._local_in_flight += 1
                try:
                    return await self.local.fetch(feed, extra_headers)
                finally:
                    self._local_in_flight -= 1
            finally:
                self._done(host)

    async def aclose(self) -> None:
        """Close this process's connections and stop the fetch processes."""
        await self.local.aclose()
        for remote in self.remotes:
            await remote.aclose()


def start_processes(settings: FetchSettings, default: int,
                    vocabulary: Vocabulary | None = None) -> list[FetchProcess]:
    """The `fetch.processes` fetch processes (`default` when unset), forked now.

    None are forked where fork is unsafe (see FetchProcess.start). With `vocabulary`, the
    first one loads it before fetching (see FetchProcess.vocabulary_check).
    """
    procs: list[FetchProcess] = []
    for _ in range(default if settings.processes is None else settings.processes):
        proc = FetchProcess.start(settings, None if procs else vocabulary)
        if proc is None:
            break
        procs.append(proc)
    return procs


def make_fetcher(settings: FetchSettings, procs: list[FetchProcess]) -> Fetcher | SharedFetcher:
    """This process's fetcher, sharing the hosts with the fetch processes if there are any."""
    local = Fetcher(settings)
    return SharedFetcher(local, procs) if procs else local
