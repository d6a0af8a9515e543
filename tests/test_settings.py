"""Settings: the file, the environment over it, and one clear line per bad key."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.settings import Settings, load_settings, masked, parse_duration


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """MONITOR_DATABASE_URL and MONITOR_<SECTION>_<KEY> beat the TOML file."""
    cfg = tmp_path / "m.toml"
    cfg.write_text('[database]\nurl = "sqlite:///a.db"\n[fetch]\ninterval = "5m"\n')
    monkeypatch.setenv("MONITOR_DATABASE_URL", "postgresql+psycopg://u:pw@h/db")
    monkeypatch.setenv("MONITOR_FETCH_USER_AGENT", "env-agent")
    monkeypatch.setenv("MONITOR_ALERTS_MAX_AGE", "3d")
    s = load_settings(cfg)
    assert s.database.url == "postgresql+psycopg://u:pw@h/db"
    assert s.fetch.user_agent == "env-agent"
    assert s.fetch.interval == timedelta(minutes=5)
    assert s.alerts.max_age == timedelta(days=3)


@pytest.mark.parametrize("text, key", [
    ('[fetch]\ndeadline = "soon"\n', "fetch.deadline"),
    ('[fetch]\ntimeout = 3\n', "fetch.timeout: unknown key"),
    ('[[feeds]]\nurl = "ftp://x.org/feed"\n', "feeds.0.url"),
    ('[scheduler]\ntick = "often"\n', "scheduler.tick"),
    ('[database\nurl = 1', "TOML syntax error"),
])
def test_bad_config_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    """A bad value gives a ConfigError naming the dotted key, not a traceback."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(cfg)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """An explicit path that does not exist is reported."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "nope.toml")


def test_durations() -> None:
    """Durations read as people write them."""
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration(30) == timedelta(seconds=30)
    with pytest.raises(ValueError):
        parse_duration("two days")


def test_secrets_are_masked() -> None:
    """Passwords in URLs and secret-named keys are hidden; *_env names stay visible."""
    data = masked({"database": {"url": "postgresql+psycopg://me:hunter2@db/x"},
                   "alerts": {"channels": [{"password": "p", "password_env": "SMTP_PW"}]}})
    assert "hunter2" not in str(data)
    assert data["alerts"]["channels"][0] == {"password": "********", "password_env": "SMTP_PW"}


def test_shipped_config_is_valid() -> None:
    """config/monitor.toml loads and lists real feeds."""
    path = Path(__file__).resolve().parents[1] / "config" / "monitor.toml"
    s = load_settings(path)
    assert isinstance(s, Settings) and len(s.feeds) >= 10
    assert all(f.url.startswith("https://") for f in s.feeds)


def test_commented_channel_examples_are_valid() -> None:
    """The alert channel examples in config/monitor.toml load once uncommented."""
    path = Path(__file__).resolve().parents[1] / "config" / "monitor.toml"
    text = path.read_text()
    head, _, examples = text.partition("# [[alerts.channels]]")
    lines = ("# [[alerts.channels]]" + examples).splitlines()
    body = "\n".join(line[2:] if line.startswith("# ") else "" for line in lines)
    s = Settings(**tomllib.loads(head + body))
    assert [(c.name, c.type) for c in s.alerts.channels] == [("ops", "webhook"), ("editors", "email")]
