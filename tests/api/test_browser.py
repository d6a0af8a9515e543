"""The web page in headless Chromium (Debian's, driven by Playwright): timeline and search."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from tests.query.data import Seeded

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _need_chromium() -> None:
    """Skip with the reason when the browser is absent, except in CI where it must be there."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI; `make test` installs the chromium package")
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium); the browser test needs it")


@pytest.fixture
def live_url(seeded_app: tuple[FastAPI, Seeded, str]) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(seeded_app[0], host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    httpx.get(f"{url}/healthz", timeout=5).raise_for_status()
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def test_timeline_and_search_in_chromium(live_url: str, tmp_path: Path) -> None:
    """The timeline lists the fixture rounds with venue, status, outcome and terms; search finds."""
    _need_chromium()
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{live_url}/")
            rounds = page.locator("li.round")
            assert rounds.count() == 2
            first = rounds.nth(0).inner_text()
            assert "2025-06-02" in first and "Istanbul, Turkey" in first and "concluded" in first
            assert "Outcome: no ceasefire" in first and "prisoners.exchange — UA" in first
            assert "Riyadh, Saudi Arabia" in rounds.nth(1).inner_text()
            assert "security.nato — RU" in page.inner_text("main")  # a term with no round
            page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)

            page.click("text=Search")
            page.fill("input[name=q]", "Istanbul talks")
            page.click("button[type=submit]")
            page.wait_for_selector("li.result")
            results = page.locator("li.result")
            assert results.count() >= 1
            assert "Second round of Russia-Ukraine talks" in results.nth(0).inner_text()
            assert page.locator("li.result mark").count() >= 1
            page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

            page.fill("input[name=q]", "rejected")  # the article holding "<script>alert(1)</script>"
            page.click("button[type=submit]")
            page.wait_for_selector("li.result")
            # Shown as text (SQLite) or left out as a tag by ts_headline (PostgreSQL); never run.
            assert "alert(1)" in page.inner_text("li.result")
            assert page.locator("li.result script").count() == 0
            page.fill("input[name=q]", '"unclosed')
            page.click("button[type=submit]")
            assert "unclosed quote" in page.inner_text("p.error")
        finally:
            browser.close()
    assert dialogs == []  # nothing from the feeds ran as script
    assert (tmp_path / "timeline.png").stat().st_size > 1000
    assert (tmp_path / "search.png").stat().st_size > 1000
