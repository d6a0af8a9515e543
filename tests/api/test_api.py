"""The JSON API: endpoints, filters, cursor pages, health, and the one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.query import Limits, QueryService
from tests.api.conftest import settings_for
from tests.query.data import Seeded


def assert_error_shape(body: Any, status: int, code: str) -> None:
    """The pinned error shape: exactly these keys, the status repeated, a stable code."""
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"status", "code", "message", "details"}
    assert err["status"] == status and err["code"] == code
    assert isinstance(err["message"], str) and err["message"]
    assert "Traceback" not in err["message"] and "SELECT" not in err["message"]


def test_articles_search_filters_and_pages(client: TestClient,
                                           seeded_app: tuple[FastAPI, Seeded, str]) -> None:
    """Search, filters and cursor pages over HTTP are the query service's."""
    s = seeded_app[1]
    r = client.get("/api/articles", params={"q": "Istanbul talks"})
    assert r.status_code == 200
    body = r.json()
    assert body["items"][0]["id"] == s.articles[0] and "<mark>" in body["items"][0]["snippet_html"]
    r = client.get("/api/articles", params={"q": "ceasefire", "feed": s.feeds[0], "relevant": "true",
                                            "until": "2025-06-09"})
    assert {h["id"] for h in r.json()["items"]} == {s.articles[0], s.articles[4]}
    r = client.get("/api/articles", params={"term": "ceasefire.general", "proposer": "US"})
    assert [h["id"] for h in r.json()["items"]] == [s.articles[1]]
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"q": "ceasefire", "limit": 6}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/articles", params=params).json()
        seen += [h["id"] for h in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    whole = [h["id"] for h in client.get("/api/articles", params={"q": "ceasefire", "limit": 100})
             .json()["items"]]
    assert seen == whole and len(set(seen)) == len(seen)


def test_one_article_round_terms_feeds_alerts(client: TestClient,
                                              seeded_app: tuple[FastAPI, Seeded, str]) -> None:
    """Each resource answers with what the fixtures hold."""
    s = seeded_app[1]
    a = client.get(f"/api/articles/{s.articles[0]}").json()
    assert a["rounds"][0]["city"] == "Istanbul" and {t["key"] for t in a["terms"]} == {"prisoners.exchange"}
    rounds = client.get("/api/rounds").json()["items"]
    assert [r["city"] for r in rounds] == ["Istanbul", "Riyadh"]
    one = client.get(f"/api/rounds/{s.rounds[0]}").json()
    assert {x["article_id"] for x in one["articles"]} == {s.articles[0], s.articles[3]}
    assert [h["status"] for h in one["status_history"]] == ["announced", "concluded"]
    assert {t["key"] for t in one["terms"]} == {"prisoners.exchange", "ceasefire.general"}
    assert [r["city"] for r in client.get("/api/rounds", params={"status": "held"}).json()["items"]] == [
        "Riyadh"]
    terms = client.get("/api/terms", params={"proposer": "US"}).json()["items"]
    assert {t["key"] for t in terms} == {"ceasefire.general", "ceasefire.energy"}
    feeds = client.get("/api/feeds").json()["items"]
    assert [f["health"] for f in feeds] == ["ok", "erroring", "new"]  # one error: not yet failing
    alerts = client.get("/api/alerts", params={"status": "failed"}).json()["items"]
    assert len(alerts) == 1 and alerts[0]["deliveries"][0]["last_error"] == "HTTP 500"


def test_health_and_readiness(seeded_app: tuple[FastAPI, Seeded, str]) -> None:
    """/healthz always; /readyz checks the database, the schema and the scheduler."""
    _, _, db_url = seeded_app
    alive = {"ok": True}
    app = create_app(settings_for(db_url), liveness=lambda: alive["ok"])
    with TestClient(app) as c:
        assert c.get("/healthz").json() == {"status": "ok"}
        r = c.get("/readyz")
        assert r.status_code == 200 and r.json()["checks"] == {
            "database": "ok", "schema": "ok", "scheduler": "ok"}
        alive["ok"] = False
        r = c.get("/readyz")
        assert_error_shape(r.json(), 503, "not_ready")
        assert r.json()["error"]["details"]["scheduler"] == "not running"


def test_readiness_without_a_database(tmp_path: Any) -> None:
    """A store that is not migrated is not ready, and its queries answer 503."""
    app = create_app(settings_for(f"sqlite:///{tmp_path}/empty.db"))
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/readyz")
        assert_error_shape(r.json(), 503, "not_ready")
        assert "schema" in r.json()["error"]["details"]
    down = create_app(settings_for("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with TestClient(down, raise_server_exceptions=False) as c:
        r = c.get("/api/rounds")
        assert r.status_code == 503
        assert_error_shape(r.json(), 503, "unavailable")


@pytest.mark.parametrize("path, status, code", [
    ("/api/articles/999999", 404, "not_found"),
    ("/api/rounds/999999", 404, "not_found"),
    ("/no/such/page", 404, "not_found"),
    ("/api/articles/abc", 422, "invalid_request"),
    ("/api/articles?limit=0", 422, "invalid_request"),
    ("/api/articles?since=yesterday", 422, "invalid_request"),
    ("/api/articles?q=%22unclosed", 400, "bad_query"),
    ("/api/articles?q=-only", 400, "bad_query"),
    ("/api/articles?q=a%00b", 422, "invalid_request"),
    ("/api/articles?cursor=nonsense", 400, "bad_query"),
    ("/api/articles?since=2025-06-05&until=2025-06-01", 400, "bad_query"),
])
def test_every_error_has_the_one_shape(client: TestClient, path: str, status: int, code: str) -> None:
    """404, 422, 400 … all answer {"error": {status, code, message, details}}."""
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert_error_shape(r.json(), status, code)


def test_method_not_allowed_and_internal_error_shapes(
        seeded_app: tuple[FastAPI, Seeded, str]) -> None:
    """405 and an unexpected exception (500) answer in the same shape, without internals."""
    _, _, db_url = seeded_app

    class Broken(QueryService):
        def feeds(self) -> Any:
            raise RuntimeError("secret internals")

    svc = Broken(db_url, Limits())
    with TestClient(create_app(settings_for(db_url), service=svc), raise_server_exceptions=False) as c:
        r = c.post("/api/articles")
        assert_error_shape(r.json(), 405, "method_not_allowed")
        r = c.get("/api/feeds")
        assert r.status_code == 500
        assert_error_shape(r.json(), 500, "internal_error")
        assert "secret" not in r.text
    svc.close()


def test_row_cap_reported(seeded_app: tuple[FastAPI, Seeded, str]) -> None:
    """A page cut by server.max_rows says truncated."""
    _, _, db_url = seeded_app
    svc = QueryService(db_url, Limits(max_rows=3))
    with TestClient(create_app(settings_for(db_url), service=svc)) as c:
        page = c.get("/api/articles", params={"q": "ceasefire", "limit": 50}).json()
        assert len(page["items"]) == 3 and page["truncated"] and page["limit"] == 3
    svc.close()
