"""The `monitor` command line: one typer app, subcommands per noun."""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading

from monitor.cli.app import app
from monitor.errors import MonitorError


def main() -> None:
    """Entry point: run the app, turning known errors into one line on stderr and exit 2."""
    try:
        _run()
    except SystemExit as exc:
        _exit_now(exc)
        raise
    finally:
        # Python's last collection at exit walks every object SQLAlchemy and pydantic made:
        # 0.17 s of each command's wall time. Frozen objects are skipped; nothing is lost
        # (files and connections are closed as before, atexit handlers still run).
        gc.freeze()


def _exit_now(exc: SystemExit) -> None:
    """Exit as sys.exit would, without tearing the interpreter down when that is safe.

    Tearing down frees every module and object one by one: 0.2 s after a poll, for nothing
    the process needs. atexit handlers run and the standard streams are flushed as usual. With
    another thread alive the usual exit is kept, since it waits for non-daemon threads.
    """
    if threading.active_count() > 1:
        return
    code = exc.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (`monitor … | head`) or stream has nothing left to flush into.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code or 0)


def _run() -> None:
    """Run the app and exit with its code."""
    try:
        # Without standalone mode click returns typer.Exit's code instead of exiting with it.
        code = app(standalone_mode=False)
    except MonitorError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click's own usage errors arrive here in non-standalone mode
        import typer

        if isinstance(exc, typer.Abort):
            sys.exit(1)
        # Typer 0.2x carries its own copy of click (typer._click), whose errors are not
        # click.ClickException; both kinds have show() and exit_code.
        show, exit_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        raise
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "main"]
