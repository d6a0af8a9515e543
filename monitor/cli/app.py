"""The typer app and its global options; subcommand groups live beside it.

Every command module is imported to register its commands, so each imports at module level
only what its signatures need; the rest (settings, the store, rich tables, the pipeline…) is
imported in the command that uses it, and `monitor poll` loads no module it does not run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from monitor.logs import setup_logging

if TYPE_CHECKING:
    from rich.console import Console

    from monitor.settings import Settings

app = typer.Typer(
    name="monitor",
    help="News monitor for the Russia–Ukraine peace talks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class _LazyConsole:
    """rich's Console, made on first use: rich costs ~50 ms to load, and `monitor poll -q`
    prints one plain line. Attributes are the console's; hand rich objects `real(...)`."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def get(self) -> Console:
        """The console itself, made now if it is not yet."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return self._console

    def __getattr__(self, name: str) -> Any:
        """The real console's attribute."""
        return getattr(self.get(), name)


def real(console: Console) -> Console:
    """The rich Console behind `console` or `err_console`, for rich objects that take one
    (a Progress uses it as a context manager, which the stand-in is not)."""
    return console.get() if isinstance(console, _LazyConsole) else console


console = cast("Console", _LazyConsole())
err_console = cast("Console", _LazyConsole(stderr=True))


class State:
    """What the global options decided, shared by the subcommands."""

    config: Path | None = None
    log_format: str | None = None
    _settings: Settings | None = None

    def settings(self, **overrides: Any) -> Settings:
        """Load the settings once."""
        if self._settings is None:
            from monitor.settings import load_settings

            self._settings = load_settings(self.config, **overrides)
            setup_logging(self._settings, self.log_format)
        return self._settings


state = State()

HostOpt = Annotated[str | None, typer.Option(help="Address to listen on (default server.host).")]
PortOpt = Annotated[int | None, typer.Option(help="Port to listen on (default server.port).")]


def settings_with_server(host: str | None, port: int | None) -> Settings:
    """The settings, with --host and --port over server.host and server.port."""
    settings = state.settings()
    if host:
        settings.server.host = host
    if port is not None:
        settings.server.port = port
    return settings


@app.callback()
def _global(
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", envvar="MONITOR_CONFIG",
        help="Config file (TOML). Default: config/monitor.toml when it exists.")] = None,
    log_format: Annotated[str | None, typer.Option(
        "--log-format", help="Log lines as 'text' or 'json' (overrides log.format).")] = None,
) -> None:
    """News monitor for the Russia–Ukraine peace talks."""
    state.config = config
    state.log_format = log_format
    state._settings = None


config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of TOML-like text.")] = False,
) -> None:
    """Print the effective settings (file + environment), secrets masked."""
    from monitor.settings import masked

    data = masked(state.settings().model_dump(mode="json"))
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for section, values in data.items():
        if isinstance(values, dict):
            console.print(f"[bold][{section}][/bold]", highlight=False)
            for k, v in values.items():
                console.print(f"{k} = {json.dumps(v, ensure_ascii=False)}", highlight=False,
                              markup=False)
        else:
            console.print(f"{section} = {json.dumps(values, ensure_ascii=False)}",
                          highlight=False, markup=False)


@config_app.command("reference")
def config_reference() -> None:
    """Print every setting with its default and meaning, as a Markdown table."""
    from monitor.reference import markdown

    print(markdown())


# Subcommand modules register themselves on `app`.
from monitor.cli import alerts_cmds, analysis_cmds, db_cmds, feed_cmds, query_cmds, run_cmds  # noqa: E402,F401
