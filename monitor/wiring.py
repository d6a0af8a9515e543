"""What the daemon and `monitor poll` assemble: the analyzer, the after-store stages, the jobs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from monitor.daemon import Job
from monitor.pipeline import AfterStore, AnalysisStage
from monitor.settings import Settings

if TYPE_CHECKING:
    from monitor.analysis import Analyzer


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
    """Stages run inside each feed's storing transaction, in order (stories, then events)."""
    from monitor.events.stage import EventsStage
    from monitor.stories import StoryStage

    stories: list[AfterStore] = [StoryStage(settings.stories)] if settings.stories.enabled else []
    return [*stories, EventsStage(settings)]


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
