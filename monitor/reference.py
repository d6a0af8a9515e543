"""The settings reference: every key with its default and help, generated from the models."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from monitor.settings import EmailChannelSettings, FeedSettings, Settings, WebhookChannelSettings

# Lists of tables: documented by their item model under this prefix.
TABLES: dict[str, type[BaseModel]] = {
    "feeds[]": FeedSettings,
    "alerts.channels[] (webhook)": WebhookChannelSettings,
    "alerts.channels[] (email)": EmailChannelSettings,
}


def _show(value: Any) -> str:
    """A default as it would be written in the TOML file."""
    if value is None or value is PydanticUndefined:
        return "—"
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds())
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
            if seconds and seconds % size == 0:
                return f"{seconds // size}{unit}"
        return f"{seconds}s"
    if isinstance(value, BaseModel):
        return "(table)"
    return json.dumps(value, default=str, ensure_ascii=False)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings model behind a field's type, if it is a nested table."""
    candidates = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    for c in candidates:
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
    return None


def rows(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """(dotted key, default, help) for every leaf setting."""
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        if key in ("feeds", "alerts.channels"):
            continue
        nested = _model_of(field.annotation)
        if nested is not None:
            yield from rows(nested, key + ".")
            continue
        default = field.get_default(call_default_factory=True)
        yield key, _show(default), field.description or ""
    if model is Settings:
        for table, item in TABLES.items():
            for name, field in item.model_fields.items():
                default = field.get_default(call_default_factory=True)
                yield f"{table}.{name}", _show(default), field.description or ""


def markdown() -> str:
    """The reference as a Markdown table."""
    lines = ["| key | default | meaning |", "| --- | --- | --- |"]
    for key, default, help_text in rows():
        lines.append(f"| `{key}` | `{default}` | {help_text} |".replace("`—`", "—"))
    return "\n".join(lines)
