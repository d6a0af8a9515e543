"""What the daemon and `monitor poll` assemble: the analyzer, the after-store stages, the jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from monitor.daemon import Job
from monitor.pipeline import AfterStore, AnalysisStage
from monitor.settings import Settings
from monitor.values import StoredArticle

if TYPE_CHECKING:
    from sqlmodel import Session

    from monitor.analysis import Analyzer
    from monitor.stories.fingerprint import Shape


def load_analysis_stage(settings: Settings, checked: tuple[str | None, str | None] | None = None
                        ) -> AnalysisStage:
    """The configured analyzer, ready for the pipeline.

    `checked` is what a fetch process found loading the same vocabulary (version, error): a
    broken one stops here as if loaded here; a sound one is loaded here only when first used.
    """
    folder = settings.analysis.config_dir
    if checked is not None:
        version, error = checked
        if error is not None:
            from monitor.analysis.vocab import VocabularyError

            raise VocabularyError(error)
        if version is not None:
            # The analysis package is imported with the vocabulary (~40 ms), not before.
            return AnalysisStage(version=version, load=lambda: _load_analyzer(folder))
    return AnalysisStage(_load_analyzer(folder))


def _load_analyzer(folder: Path | None) -> Analyzer:
    """The analyzer of that vocabulary folder (None: the shipped one)."""
    from monitor.analysis import load_analyzer

    return load_analyzer(folder)


def after_store_stages(settings: Settings, engine: Engine) -> list[AfterStore]:
    """Stages run inside each feed's storing transaction, in order (stories, then events).

    Each is built on its first call: their modules load the ORM and the models, and a poll
    that stores nothing (unchanged feeds) never calls them.
    """
    from monitor.stories.fingerprint import Shape

    def stories() -> AfterStore:
        from monitor.stories import StoryStage

        return StoryStage(settings.stories)

    def events() -> AfterStore:
        from monitor.events.stage import EventsStage

        return EventsStage(settings)

    first: list[AfterStore] = []
    if settings.stories.enabled:
        # What the pipeline's workers fingerprint, and of which articles (as StoryStage says).
        first.append(Deferred(stories, shape=Shape.of(settings.stories),
                              relevant_only=settings.stories.relevant_only))
    return [*first, Deferred(events)]


class Deferred:
    """An after-store stage built when first called (or asked for)."""

    def __init__(self, make: Callable[[], AfterStore], *, shape: Shape | None = None,
                 relevant_only: bool = False) -> None:
        self._make = make
        self._stage: AfterStore | None = None
        # Read by the pipeline when it starts (see Pipeline.__post_init__).
        self.shape = shape
        self.relevant_only = relevant_only

    @property
    def stage(self) -> AfterStore:
        """The stage itself, built now if it is not yet."""
        if self._stage is None:
            self._stage = self._make()
        return self._stage

    def __call__(self, s: Session, stored: Sequence[StoredArticle], now: datetime) -> None:
        """Run the stage (called in the writer thread only, so built once)."""
        self.stage(s, stored, now)


def daemon_jobs(settings: Settings, engine: Engine) -> list[Job]:
    """Periodic jobs beyond polling and housekeeping (delivery of alerts, …)."""
    from monitor.daemon import owner_id
    from monitor.delivery.channel import build_channels
    from monitor.delivery.deliverer import Deliverer

    jobs: list[Job] = []
    if settings.stories.enabled:
        from monitor.store.stories import prune_stories

        # Housekeeping prunes articles; stories left empty or headless are tidied daily after it.
        jobs.append(Job("stories-prune", timedelta(days=1),
                        lambda: asyncio.to_thread(prune_stories, engine)))
    if settings.alerts.channels:
        deliverer = Deliverer(engine, build_channels(settings.alerts), settings.alerts, owner_id())
        jobs.append(Job("deliver", settings.alerts.deliver_every, deliverer.job))
    return jobs
