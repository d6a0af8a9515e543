"""Level 3 of dedup: near-duplicate articles grouped into stories (MinHash, LSH in the store).

Other stages use `story_outlets` (alerts list the outlets of a story) and the
`articles.story_id` column (search collapses its results on it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.store.stories import story_outlets, title_history
    from monitor.stories.stage import StoryStage

__all__ = ["StoryStage", "story_outlets", "title_history"]


def __getattr__(name: str) -> Any:
    """Load the store-side names on first use: parse workers import only the text modules."""
    if name == "StoryStage":
        from monitor.stories.stage import StoryStage

        return StoryStage
    if name in ("story_outlets", "title_history"):
        from monitor.store import stories

        return getattr(stories, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
