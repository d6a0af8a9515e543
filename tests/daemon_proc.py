"""Run `monitor run` as a real subprocess with a temporary config, for kill and stop tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

MONITOR = Path(sys.executable).with_name("monitor")


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(path: Path, db_url: str, feeds: list[str], extra: str = "") -> Path:
    """A config for a fast-ticking daemon on loopback feeds."""
    feed_tables = "".join(f'\n[[feeds]]\nurl = "{u}"\n' for u in feeds)
    path.write_text(f"""
[database]
url = "{db_url}"
[fetch]
parse_workers = 1
interval = "1h"
min_interval = "1s"
connect_timeout = 5
read_timeout = 10
deadline = 30
per_host = 20
[scheduler]
tick = "1s"
lease = "3s"
[server]
port = {free_port()}
{extra}
{feed_tables}
""")
    return path


class DaemonProcess:
    """A `monitor run` child process whose output is kept in a file."""

    def __init__(self, config: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.log = log
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        env.pop("MONITOR_DATABASE_URL", None)
        self._fh = log.open("ab")
        self.proc = subprocess.Popen([str(MONITOR), "--config", str(config), "run", *args],
                                     stdout=self._fh, stderr=subprocess.STDOUT, env=env)

    def __enter__(self) -> DaemonProcess:
        """Use as `with DaemonProcess(...) as d:`; the process never outlives the block."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """SIGKILL it if the test left it running."""
        if self.proc.poll() is None:
            self.kill()

    def output(self) -> str:
        """What the process printed so far."""
        return self.log.read_text(errors="replace")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        """Send a signal."""
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 20) -> int:
        """Wait for exit; return the code."""
        try:
            return self.proc.wait(timeout)
        finally:
            self._fh.close()

    def kill(self) -> None:
        """SIGKILL, no chance to clean up."""
        self.proc.kill()
        self.wait()


def wait_until(check: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    """Poll `check` until true or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
