"""Story grouping over a slice of the real 2022 corpus (the Belarus and Istanbul rounds)."""

from __future__ import annotations

import importlib.util
from itertools import combinations
from types import ModuleType

from sqlalchemy import Engine
from sqlmodel import Session, select

from monitor.store.models import Article
from monitor.store.story_models import Story
from monitor.stories.rounds import round_keys, rounds_agree
from tests.conftest import REPO, shared_path

FIRST, LAST = "2022-02-24", "2022-03-15"


def _replay_module() -> ModuleType:
    """The corpus replay of bench/stories_corpus.py, so the test and the report agree."""
    spec = importlib.util.spec_from_file_location("stories_corpus",
                                                  REPO / "bench" / "stories_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_slice_groups_sanely(engine: Engine) -> None:
    """Every article in one story; copies grouped; no story mixes rounds or outlives its window."""
    corpus = shared_path("corpora", "news-entries-2022-2023.jsonl.gz")
    replay = _replay_module()
    rows = [r for r in replay.read_corpus(corpus, None) if FIRST <= r["date_published"][:10] <= LAST]
    replay.replay(engine, rows, analyse=True)
    with Session(engine) as s:
        articles = s.exec(select(Article)).all()
        stories = {st.id: st for st in s.exec(select(Story)).all()}
    assert len(articles) > 600 and all(a.story_id in stories for a in articles)
    members: dict[int, list[Article]] = {}
    for a in articles:
        assert a.story_id is not None
        members.setdefault(a.story_id, []).append(a)
    multi = [m for m in members.values() if len(m) > 1]
    # 2022's feeds hold few copies (2023's hold more): some groups, most articles alone.
    assert 1 <= len(multi) < len(articles) // 10
    for sid, group in members.items():
        assert stories[sid].article_count == len(group)
        keys = [round_keys(a.analysis, a.published_at) for a in group]
        assert all(rounds_agree(x, y) for x, y in combinations(keys, 2)), sid
        times = [a.published_at for a in group if a.published_at is not None]
        assert not times or max(times) - min(times) <= 2 * replay.load_settings(None).stories.window
