"""`monitor serve` serves the app on the given port and stops on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from monitor.store.db import upgrade


def test_monitor_serve_answers_and_stops(tmp_path: Path) -> None:
    """The command line starts the API; SIGTERM ends it cleanly."""
    url = f"sqlite:///{tmp_path}/monitor.db"
    upgrade(url)
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(f'[database]\nurl = "{url}"\n')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", "from monitor.cli import main; main()",
                             "--config", str(cfg), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                assert time.monotonic() < deadline, "monitor serve did not come up"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "schema": "ok"}
        assert httpx.get(f"http://127.0.0.1:{port}/api/articles").json()["items"] == []
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    assert proc.returncode == 0


def test_monitor_serve_on_a_taken_port_says_so(tmp_path: Path) -> None:
    """A port in use is one line and exit status 2, not a traceback."""
    url = f"sqlite:///{tmp_path}/monitor.db"
    upgrade(url)
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(f'[database]\nurl = "{url}"\n')
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-c", "from monitor.cli import main; main()",
                            "--config", str(cfg), "serve", "--port", str(port)],
                           capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "cannot serve on 127.0.0.1" in r.stderr and "Traceback" not in r.stderr
