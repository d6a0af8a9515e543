"""Level 3 of dedup: near-duplicate articles grouped into stories (MinHash, LSH in the store).

Other stages use `story_outlets` (alerts list the outlets of a story) and the
`articles.story_id` column (search collapses its results on it).
"""

from __future__ import annotations

from monitor.store.stories import story_outlets, title_history
from monitor.stories.stage import StoryStage

__all__ = ["StoryStage", "story_outlets", "title_history"]
