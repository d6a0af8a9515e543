"""`monitor run` becomes `python -m monitor.serve`: the daemon without the command line's modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from monitor.serve import exec_argv

HEAVY = ("typer", "rich", "pygments")

PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(body: str) -> list[str]:
    """Which of the command line's modules a fresh interpreter holds after running `body`."""
    out = subprocess.run([sys.executable, "-P", "-c", PROBE.format(body=body, heavy=HEAVY)],
                         capture_output=True, text=True, check=True, timeout=120)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_fetching_does_not_load_httpx_command_line() -> None:
    """httpx loads its CLI (rich, pygments) unless the monitor keeps it out; requests still work."""
    assert _loaded("import httpx") == ["pygments", "rich"]  # what httpx alone does here
    assert _loaded("import monitor.fetcher, httpx; assert callable(httpx.AsyncClient)") == []


def test_daemon_process_holds_no_command_line_modules(tmp_path: Path) -> None:
    """The daemon as built by monitor.serve (store, pipeline, API server) has no typer or rich."""
    config = tmp_path / "m.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "m.db"}"\n')
    subprocess.run([str(Path(sys.executable).with_name("monitor")), "--config", str(config),
                    "db", "upgrade"], check=True, capture_output=True, timeout=120)
    body = ("from monitor.settings import load_settings\nfrom monitor.serve import build_daemon\n"
            f"build_daemon(load_settings({str(config)!r}))")
    assert _loaded(body) == []


def test_exec_argv_passes_the_options_on() -> None:
    """The options `monitor run` was given reach the daemon's command line; unset ones do not."""
    argv = exec_argv("/etc/m.toml", "json", None, 8081)
    assert argv[:4] == [sys.executable, "-P", "-m", "monitor.serve"]
    assert argv[4:] == ["--config", "/etc/m.toml", "--log-format", "json", "--port", "8081"]
