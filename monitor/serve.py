"""The daemon's own process: what `monitor run` becomes once the command line has checked it.

`monitor run` validates the settings, then replaces its process (same PID) with
`python -P -m monitor.serve`: a daemon runs for months, and the command line's modules
(typer, its help machinery, rich: ~10 MB) would stay resident in it for nothing. Only the
standard library is imported at module level: the parse workers import this module again as
their `__main__`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.daemon import Daemon
    from monitor.fetchproc import FetchProcess
    from monitor.settings import Settings


def build_daemon(settings: Settings, fetch_processes: list[FetchProcess] | None = None) -> Daemon:
    """The daemon of these settings: analysis, after-store stages, jobs and the API server."""
    from monitor.api.server import server_hook
    from monitor.daemon import Daemon
    from monitor.wiring import after_store_stages, daemon_jobs, load_analysis_stage

    daemon = Daemon(settings, analyzer=load_analysis_stage(settings),
                    fetch_processes=fetch_processes or [])
    daemon.after_store = after_store_stages(settings, daemon.engine)
    daemon.extra_jobs = daemon_jobs(settings, daemon.engine)
    daemon.server = server_hook(settings, liveness=daemon.alive)
    return daemon


def exec_argv(config: str | None, log_format: str | None, host: str | None,
              port: int | None) -> list[str]:
    """The command line that runs this module with the given options."""
    # -P: the working directory must not shadow the installed package.
    argv = [sys.executable, "-P", "-m", "monitor.serve"]
    for flag, value in (("--config", config), ("--log-format", log_format), ("--host", host),
                        ("--port", port)):
        if value is not None:
            argv += [flag, str(value)]
    return argv


def main(argv: list[str] | None = None) -> int:
    """Run the daemon until SIGTERM; known errors become one line on stderr and exit 2."""
    ap = argparse.ArgumentParser(prog="monitor run", description="The monitor's daemon.")
    ap.add_argument("--config", help="config file (TOML)")
    ap.add_argument("--log-format", choices=("text", "json"))
    ap.add_argument("--host", help="address to listen on (default server.host)")
    ap.add_argument("--port", type=int, help="port to listen on (default server.port)")
    args = ap.parse_args(argv)

    import asyncio

    from monitor.errors import MonitorError
    from monitor.fetchproc import start_processes
    from monitor.logs import setup_logging
    from monitor.settings import load_settings

    try:
        settings = load_settings(args.config)
        setup_logging(settings, args.log_format)
        if args.host:
            settings.server.host = args.host
        if args.port is not None:
            settings.server.port = args.port
        # None unless configured: each costs 15-25 MB for as long as the daemon runs, and a
        # daemon polls a tick's batch at a time. Forked first, while this process has no
        # thread and no event loop (monitor.fetchproc).
        procs = start_processes(settings.fetch, default=0)
        asyncio.run(build_daemon(settings, procs).run())
    except MonitorError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
