"""A news monitor for the Russia–Ukraine peace talks."""

import sys
import types

__version__ = "0.1.0"


def _httpx_without_its_cli() -> None:
    """Keep `import httpx` from loading httpx's own command line.

    httpx imports its CLI module whenever click, rich and pygments are installed (typer brings
    them): 5 MB and 0.1 s in every process that fetches, for a program the monitor never runs.
    httpx itself treats that module as optional, so a placeholder stands in for it.
    """
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    cli = types.ModuleType("httpx._main", "Placeholder: the monitor does not load httpx's CLI.")

    def main() -> None:
        raise SystemExit("httpx's command line is not loaded inside the monitor")

    cli.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = cli


_httpx_without_its_cli()
