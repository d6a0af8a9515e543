"""What the daemon and `monitor poll` assemble: the analyzer, the after-store stages, the jobs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine

from monitor.daemon import Job
from monitor.pipeline import AfterStore, AnalysisStage
from monitor.settings import Settings


def load_analysis_stage(settings: Settings) -> AnalysisStage:
    """The configured analyzer, ready for the pipeline."""
    from monitor.analysis import load_analyzer

    return AnalysisStage(load_analyzer(settings.analysis.config_dir))


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
