"""Log lines of every monitor process: plain text for people, one JSON object for tools."""

from __future__ import annotations

import json
import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.settings import Settings


class JsonFormatter(logging.Formatter):
    """One JSON object per log line with fixed keys."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record."""
        data = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                "logger": record.name, "message": record.getMessage()}
        for key in ("feed_id", "url", "stage"):
            if hasattr(record, key):
                data[key] = getattr(record, key)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def setup_logging(settings: Settings, fmt: str | None = None) -> None:
    """Configure the root logger once, from settings and the --log-format switch."""
    handler = logging.StreamHandler(sys.stderr)
    if (fmt or settings.log.format) == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log.level)
    for noisy in ("httpx", "httpcore", "alembic", "apscheduler.executors.default", "apscheduler.scheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
