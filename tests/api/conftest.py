"""A seeded store and the app over it, on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from monitor.api import create_app
from monitor.query import Limits, QueryService
from monitor.settings import Settings, load_settings
from monitor.store.db import make_engine
from tests.query.data import Seeded, seed


def settings_for(db_url: str) -> Settings:
    """Settings pointing at the test store."""
    return load_settings(None, database={"url": db_url})


@pytest.fixture
def seeded_app(db_url: str) -> Iterator[tuple[FastAPI, Seeded, str]]:
    """The app over a store with the shared fixtures."""
    engine = make_engine(db_url)
    seeded = seed(engine)
    engine.dispose()
    svc = QueryService(db_url, Limits(timeout=5, max_rows=100))
    yield create_app(settings_for(db_url), service=svc), seeded, db_url
    svc.close()


@pytest.fixture
def client(seeded_app: tuple[FastAPI, Seeded, str]) -> Iterator[TestClient]:
    """A client that turns server errors into responses, as a real server would."""
    with TestClient(seeded_app[0], raise_server_exceptions=False) as c:
        yield c
