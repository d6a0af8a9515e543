"""`monitor analyze` and `monitor evaluate`: the analysis stage without a store."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.app import app, state


@app.command("analyze")
def analyze(
    file: Annotated[str, typer.Argument(help="JSON lines file, or - for standard input.")] = "-",
) -> None:
    """Analyse JSON lines (id, title, summary, content, url, published, source); print JSON lines."""
    from monitor.analysis import load_analyzer
    from monitor.analysis.cli import analyze_stream

    analyzer = load_analyzer(state.settings().analysis.config_dir)
    with contextlib.ExitStack() as stack:
        src = sys.stdin if file == "-" else stack.enter_context(Path(file).open(encoding="utf-8"))
        for line in analyze_stream(src, analyzer):
            sys.stdout.write(line + "\n")
            sys.stdout.flush()


@app.command("evaluate")
def evaluate(
    file: Annotated[Path, typer.Argument(help="Labelled JSON lines (eval/GUIDE.md format).")],
    holdout: Annotated[str, typer.Option(
        help="all, tune or held-out: which part of the set to score.")] = "all",
) -> None:
    """Score the analysis on a labelled file and print the table of eval/GUIDE.md section 5."""
    from monitor.analysis import load_analyzer
    from monitor.analysis.cli import evaluate as run_eval
    from monitor.analysis.cli import print_report

    analyzer = load_analyzer(state.settings().analysis.config_dir)
    print_report(run_eval(file, analyzer, part=holdout))
