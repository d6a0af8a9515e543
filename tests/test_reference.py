"""The settings reference: every setting has help text and stands in the README, as generated."""

from __future__ import annotations

from pathlib import Path

from monitor.reference import markdown, rows

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_setting_has_help_text() -> None:
    """An undocumented setting fails here."""
    missing = [key for key, _default, help_text in rows() if not help_text.strip()]
    assert missing == []


def test_readme_holds_the_generated_reference() -> None:
    """README.md carries `monitor config reference` as it is now (regenerate it when this fails)."""
    assert markdown() in README.read_text()


def test_reference_covers_nested_tables() -> None:
    """Sections, list tables and channel kinds all appear."""
    keys = {key for key, _d, _h in rows()}
    for key in ("database.url", "fetch.deadline", "stories.threshold", "feeds[].url",
                "alerts.channels[] (webhook).secret_env", "alerts.channels[] (email).security"):
        assert key in keys
