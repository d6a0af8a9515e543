"""The `monitor` command as a person runs it: real processes, real store, loopback feeds."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.feedserver import FeedServer, Route, make_items, rss

MONITOR = str(Path(sys.executable).with_name("monitor"))


def run(*args: str, db: str | None = None, config: Path | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI with an isolated environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    if db:
        env["MONITOR_DATABASE_URL"] = db
    cmd = [MONITOR, *(["--config", str(config)] if config else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, input=stdin, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])


def test_bad_config_is_one_clear_line(tmp_path: Path) -> None:
    """Exit 2 with the key named, never a traceback."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[fetch]\nconcurrency = "many"\n')
    out = run("config", "show", config=cfg)
    assert out.returncode == 2
    assert "fetch.concurrency" in out.stderr and "Traceback" not in out.stderr


def test_usage_error_is_clicks_message_and_exit_2() -> None:
    """An unknown command or option is one usage message and exit 2, not a traceback."""
    for args in (["no-such-command"], ["poll", "--no-such-option"]):
        out = run(*args)
        assert out.returncode == 2, out.stderr
        assert "No such" in out.stderr and "Traceback" not in out.stderr


def test_store_not_at_head_says_what_to_run(tmp_path: Path) -> None:
    """A command on an empty store points to `monitor db upgrade`."""
    cfg = tmp_path / "m.toml"
    cfg.write_text("")
    out = run("feeds", "list", db=f"sqlite:///{tmp_path}/empty.db", config=cfg)
    assert out.returncode == 2 and "monitor db upgrade" in out.stderr


def test_feeds_lifecycle_and_poll(tmp_path: Path, feed_server: FeedServer) -> None:
    """upgrade → add → list → poll (summary) → remove, on a config with no feeds."""
    cfg = tmp_path / "m.toml"
    cfg.write_text("[fetch]\nparse_workers = 1\n")
    db = f"sqlite:///{tmp_path}/data/m.db"
    assert run("db", "upgrade", db=db, config=cfg).returncode == 0
    good = feed_server.add("/good.xml", rss(make_items("good", 3)))
    bad = feed_server.add("/bad.xml", Route(status=500, validators=False))
    for url in (good, bad):
        added = run("feeds", "add", url, "--name", "T", db=db, config=cfg)
        assert added.returncode == 0, added.stderr
    listed = run("feeds", "list", "--json", db=db, config=cfg)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["url"] for r in rows} == {good, bad}

    polled = run("poll", "--quiet", db=db, config=cfg)
    assert polled.returncode == 0, polled.stderr
    assert "2 feeds: 1 ok, 0 not modified, 1 failed; 3 new articles" in polled.stdout
    # The failures' table (rich) comes after the summary line (a plain print).
    assert polled.stdout.index("1 failed;") < polled.stdout.index("HTTP 500")

    again = run("poll", "1", db=db, config=cfg)  # with the progress bar, on stderr
    assert again.returncode == 0, again.stderr
    assert "1 feeds: 0 ok, 1 not modified, 0 failed; 0 new articles" in again.stdout
    assert "polling" in again.stderr and "1/1" in again.stderr

    listed = run("feeds", "list", "--json", db=db, config=cfg)
    bad_row = next(json.loads(x) for x in listed.stdout.splitlines() if bad in x)
    assert bad_row["error_count"] == 1 and bad_row["last_outcome"] == "server_error"

    removed = run("feeds", "remove", bad, db=db, config=cfg)
    assert removed.returncode == 0
    missing = run("feeds", "remove", bad, db=db, config=cfg)
    assert missing.returncode == 2 and "no feed" in missing.stderr


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    """Passwords in the database URL never print."""
    cfg = tmp_path / "m.toml"
    cfg.write_text("")
    out = run("config", "show", "--json", db="postgresql+psycopg://me:s3cret@db/x", config=cfg)
    assert out.returncode == 0
    assert "s3cret" not in out.stdout
    assert json.loads(out.stdout)["database"]["url"].startswith("postgresql+psycopg://me:")


def test_a_broken_vocabulary_stops_a_poll_and_blames_no_feed(tmp_path: Path,
                                                               feed_server: FeedServer) -> None:
    """A vocabulary value of the wrong type is one line naming the folder and exit 2, for a
    poll with or without new entries and for the daemon, and no feed is blamed."""
    vocab = tmp_path / "analysis"
    shutil.copytree(Path(__file__).resolve().parents[1] / "config" / "analysis", vocab)
    cfg = tmp_path / "m.toml"
    cfg.write_text(f'[analysis]\nconfig_dir = "{vocab}"\n[fetch]\nparse_workers = 1\n')
    db = f"sqlite:///{tmp_path}/m.db"
    assert run("db", "upgrade", db=db, config=cfg).returncode == 0
    old = feed_server.add("/old.xml", rss(make_items("old", 3)))
    assert run("feeds", "add", old, db=db, config=cfg).returncode == 0
    assert run("poll", "--quiet", db=db, config=cfg).returncode == 0

    topic = vocab / "topic.toml"
    topic.write_text(topic.read_text().replace("threshold = 2.0", 'threshold = "high"', 1))
    unchanged = run("poll", "--quiet", db=db, config=cfg)  # a 304 would need no analysis
    new = feed_server.add("/new.xml", rss(make_items("new", 3)))
    assert run("feeds", "add", new, db=db, config=cfg).returncode == 0
    fresh = run("poll", "--quiet", db=db, config=cfg)
    daemon = run("run", db=db, config=cfg)  # the daemon refuses to start the same way
    # The fetch process that `monitor poll` forks finds the error; without one, the poll does.
    alone = tmp_path / "alone.toml"
    alone.write_text(cfg.read_text() + "processes = 0\n")
    by_itself = run("poll", "--quiet", db=db, config=alone)
    for polled in (unchanged, fresh, daemon, by_itself):
        assert polled.returncode == 2, polled.stderr
        assert f"{vocab}: malformed vocabulary" in polled.stderr, polled.stderr
        assert "Traceback" not in polled.stderr
    with sqlite3.connect(f"{tmp_path}/m.db") as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (3,)
        errors = conn.execute("SELECT url, error_count, last_error FROM feeds").fetchall()
    assert sorted(errors) == sorted([(old, 0, None), (new, 0, None)])


def test_analyze_reads_json_lines(tmp_path: Path) -> None:
    """`monitor analyze -` answers one line per input line, in order, errors inline."""
    cfg = tmp_path / "m.toml"
    cfg.write_text("")
    lines = [
        {"id": "a", "title": "Russia and Ukraine begin second round of talks in Istanbul",
         "summary": "Delegations met on Monday.", "published": "2025-06-02T18:00:00+00:00"},
        "not json",
        {"id": "c", "title": "Football: second round of the cup", "summary": "Goals galore."},
    ]
    text = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    out = run("analyze", "-", config=cfg, stdin=text)
    assert out.returncode == 0, out.stderr
    got = [json.loads(x) for x in out.stdout.splitlines()]
    assert [g.get("id") for g in got] == ["a", None, "c"]
    assert got[0]["relevant"] is True and got[2]["relevant"] is False
    assert "error" in got[1]


def test_db_backup_copies_a_live_store(tmp_path: Path, feed_server: FeedServer) -> None:
    """`db backup` writes a consistent copy that opens at the same revision with the data."""
    import sqlite3

    cfg = tmp_path / "m.toml"
    cfg.write_text("[fetch]\nparse_workers = 1\n")
    db = f"sqlite:///{tmp_path}/m.db"
    run("db", "upgrade", db=db, config=cfg)
    run("feeds", "add", feed_server.add("/a.xml", rss(make_items("a", 2))), db=db, config=cfg)
    run("poll", "--quiet", db=db, config=cfg)
    out = run("db", "backup", str(tmp_path / "copy" / "b.db"), db=db, config=cfg)
    assert out.returncode == 0, out.stderr
    with sqlite3.connect(tmp_path / "copy" / "b.db") as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 2
    pg = run("db", "backup", str(tmp_path / "x.db"), db="postgresql+psycopg://u@h/d", config=cfg)
    assert pg.returncode == 2 and "pg_dump" in pg.stderr


def test_poll_where_every_feed_failed_exits_1(tmp_path: Path, feed_server: FeedServer) -> None:
    """The exit status of a command is the one it chose, not always 0."""
    cfg = tmp_path / "m.toml"
    cfg.write_text("[fetch]\nparse_workers = 1\n")
    db = f"sqlite:///{tmp_path}/m.db"
    run("db", "upgrade", db=db, config=cfg)
    run("feeds", "add", feed_server.add("/x.xml", Route(status=500, validators=False)),
        db=db, config=cfg)
    out = run("poll", "--quiet", db=db, config=cfg)
    assert out.returncode == 1 and "1 failed" in out.stdout


def test_csv_cells_never_start_a_formula() -> None:
    """Feed text that looks like a spreadsheet formula is quoted in CSV output."""
    from monitor.cli.query_cmds import _cell

    assert _cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert _cell("-1+2") == "'-1+2" and _cell("Talks resume") == "Talks resume" and _cell(3) == 3


def test_json_logs_carry_fixed_keys(tmp_path: Path, feed_server: FeedServer) -> None:
    """`--log-format json`: one JSON object a line, with feed_id, url and stage on feed faults."""
    cfg = tmp_path / "m.toml"
    cfg.write_text("[fetch]\nparse_workers = 1\n")
    db = f"sqlite:///{tmp_path}/m.db"
    run("db", "upgrade", db=db, config=cfg)
    url = feed_server.add("/down.xml", Route(status=503, validators=False))
    run("feeds", "add", url, db=db, config=cfg)
    out = run("--log-format", "json", "poll", "--quiet", db=db, config=cfg)
    records = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
    assert records, out.stderr
    fault = next(r for r in records if r.get("stage") == "fetch")
    assert fault["url"] == url and isinstance(fault["feed_id"], int)
    assert {"time", "level", "logger", "message"} <= set(fault)


def _modules_loaded(code: str, *argv: str, db: str | None = None) -> set[str]:
    """The modules a fresh interpreter has loaded when `code` ends (exit included)."""
    dump = ("import atexit, sys\n"
            "atexit.register(lambda: print('\\n'.join(sys.modules), file=sys.__stdout__))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    if db:
        env["MONITOR_DATABASE_URL"] = db
    out = subprocess.run([sys.executable, "-c", dump + code, *argv], capture_output=True,
                         text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    return set(out.stdout.split())


# What only other commands use: the API, queries, alerts, migrations.
_ELSEWHERE = {"alembic", "fastapi", "uvicorn", "monitor.api", "monitor.query", "monitor.delivery",
              "monitor.store.outbox"}


def test_registering_the_commands_loads_none_of_their_work() -> None:
    """The CLI with every command registered (what --help needs) loads no store, HTTP or rules."""
    loaded = _modules_loaded("import monitor.cli")
    assert "monitor.cli.run_cmds" in loaded and "monitor.cli.alerts_cmds" in loaded
    heavy = _ELSEWHERE | {"sqlalchemy", "sqlmodel", "pydantic", "httpx", "rich",
                          "monitor.settings", "monitor.pipeline", "monitor.analysis"}
    assert loaded & heavy == set()


def test_quiet_poll_loads_only_what_it_runs(tmp_path: Path) -> None:
    """`monitor poll -q` imports the pipeline but nothing of the other commands, nor rich
    (no progress bar, a plain summary line), nor the analyzer while it has nothing to analyse
    (its fetch process checks the vocabulary)."""
    cfg = tmp_path / "m.toml"
    cfg.write_text("")
    db = f"sqlite:///{tmp_path}/m.db"
    assert run("db", "upgrade", db=db, config=cfg).returncode == 0
    loaded = _modules_loaded("import sys\nfrom monitor.cli import main\n"
                             "sys.argv[0] = 'monitor'\nmain()", "--config", str(cfg), "poll", "-q",
                             db=db)
    assert {"monitor.pipeline", "monitor.fetcher"} <= loaded
    assert loaded & (_ELSEWHERE | {"rich", "monitor.analysis.analyzer"}) == set()


def test_poll_of_unchanged_feeds_loads_no_orm(tmp_path: Path, feed_server: FeedServer) -> None:
    """A poll whose feeds all answer 304 or the same bytes records them through Core
    statements: no ORM, no models, no after-store stages are imported, and the checks land."""
    cfg = tmp_path / "m.toml"
    cfg.write_text("")
    db = f"sqlite:///{tmp_path}/m.db"
    assert run("db", "upgrade", db=db, config=cfg).returncode == 0
    urls = [feed_server.add("/calm-304.xml", rss(make_items("calm", 3))),
            feed_server.add("/calm-same.xml", Route(rss(make_items("same", 3)), validators=False))]
    for url in urls:
        assert run("feeds", "add", url, db=db, config=cfg).returncode == 0
    first = run("poll", "-q", db=db, config=cfg)
    assert first.returncode == 0 and "6 new articles" in first.stdout, first.stdout + first.stderr
    loaded = _modules_loaded("import sys\nfrom monitor.cli import main\n"
                             "sys.argv[0] = 'monitor'\nmain()", "--config", str(cfg), "poll", "-q",
                             db=db)
    assert "monitor.pipeline" in loaded
    orm = {"sqlmodel", "sqlalchemy.orm", "monitor.store.models", "monitor.store.articles",
           "monitor.stories.stage", "monitor.events.stage", "monitor.analysis.analyzer"}
    assert loaded & orm == set()
    with sqlite3.connect(tmp_path / "m.db") as conn:
        rows = dict(conn.execute("SELECT url, last_outcome FROM feeds WHERE lease_owner IS NULL"
                                 " AND last_checked_at IS NOT NULL"))
    assert rows == {urls[0]: "not_modified", urls[1]: "unchanged"}


def test_alert_statuses_are_the_outboxs() -> None:
    """The statuses `alerts list --status` offers are those the outbox stores."""
    from monitor.cli.alerts_cmds import STATUSES
    from monitor.store.outbox import STATUSES as OUTBOX_STATUSES

    assert STATUSES == OUTBOX_STATUSES
