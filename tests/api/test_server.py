"""The daemon serves the app in its own event loop and stops it with itself."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from monitor.api.server import server_hook
from monitor.daemon import Daemon
from monitor.settings import load_settings
from monitor.store.db import upgrade


def _free_port() -> int:
    """A port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_daemon_serves_api_and_stops_it(tmp_path: Path) -> None:
    """/healthz and /readyz (scheduler alive) answer while the daemon runs; stop ends both."""
    url = f"sqlite:///{tmp_path}/monitor.db"
    upgrade(url)
    port = _free_port()
    settings = load_settings(None, database={"url": url}, server={"host": "127.0.0.1", "port": port})
    daemon = Daemon(settings)
    daemon.server = server_hook(settings, liveness=daemon.alive)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=lambda: loop.run_until_complete(daemon.run(install_signals=False)))
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the API never came up"
            time.sleep(0.1)
        ready = httpx.get(f"{base}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["scheduler"] == "ok"
    finally:
        loop.call_soon_threadsafe(daemon.stop)
        thread.join(timeout=20)
    assert not thread.is_alive()
    loop.close()
    try:
        httpx.get(f"{base}/healthz", timeout=1)
        raise AssertionError("the API still answers after the daemon stopped")
    except httpx.TransportError:
        pass


def test_the_daemon_loads_the_page_templates_only_when_a_page_is_asked_for() -> None:
    """Jinja2 and the HTML cleaner (3.3 MB) stay out of a daemon nobody browses."""
    code = ("import sys, monitor.serve, monitor.api.app, monitor.api.web as web\n"
            "heavy = ('jinja2', 'nh3', 'starlette.templating')\n"
            "assert not [m for m in heavy if m in sys.modules], sys.modules.keys() & set(heavy)\n"
            "web.templates()\n"
            "assert all(m in sys.modules for m in heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
