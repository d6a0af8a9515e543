"""Settings: one TOML file, every value overridable by a MONITOR_* environment variable."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from monitor.errors import ConfigError

DEFAULT_CONFIG = Path("config/monitor.toml")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}


def parse_duration(value: Any) -> timedelta:
    """Read "90s", "15m", "2h", "2d", "1w" or a number of seconds as a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str) and (m := _DURATION.match(value)):
        return timedelta(seconds=float(m.group(1)) * _UNIT_SECONDS[m.group(2)])
    raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 2h, 2d)")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def http_url(value: str, what: str) -> str:
    """The value when it is an http(s)://host/… URL, else a ValueError naming `what`."""
    if not re.match(r"^https?://[^/\s]+", value, re.IGNORECASE):
        raise ValueError(f"{what} url must be http(s)://host/…, got {value!r}")
    return value


class _Section(BaseModel):
    """A config table: unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    """Where the store lives."""

    url: str = Field("sqlite:///data/monitor.db", description="SQLAlchemy URL of the store")
    echo: bool = Field(
        False, description="log the SQL statements SQLAlchemy runs (not the bulk ones sent to the driver)")


class FeedSettings(_Section):
    """One feed declared in the config file."""

    url: str = Field(description="feed URL (http or https)")
    name: str | None = Field(None, description="display name")
    interval: Duration | None = Field(None, description="poll interval; default fetch.interval")
    enabled: bool = Field(True, description="poll it or not")
    headers: dict[str, str] = Field(
        default_factory=dict, description="request headers sent with every fetch (auth, cookies)")

    @field_validator("url")
    @classmethod
    def _http_only(cls, v: str) -> str:
        return http_url(v, "feed")


class FetchSettings(_Section):
    """How feeds are fetched: politely and cheaply."""

    user_agent: str = Field(
        "talks-monitor/0.1 (+https://github.com/talks-monitor; feed poller)",
        description="User-Agent header sent with every request",
    )
    interval: Duration = Field(timedelta(minutes=15), description="default poll interval")
    min_interval: Duration = Field(timedelta(minutes=2), description="never poll a feed faster")
    max_interval: Duration = Field(timedelta(hours=6), description="cap on backoff and on ttl")
    connect_timeout: float = Field(10.0, gt=0, description="seconds to connect")
    read_timeout: float = Field(20.0, gt=0, description="seconds between two reads")
    deadline: float = Field(60.0, gt=0, description="seconds for one whole fetch")
    max_body_bytes: int = Field(10_000_000, gt=0, description="larger bodies are refused")
    max_redirects: int = Field(5, ge=0, description="redirects followed per fetch")
    concurrency: int = Field(20, ge=1, description="fetches in flight at once")
    per_host: int = Field(2, ge=1, description="fetches in flight to one host")
    moved_after: int = Field(
        2, ge=1, description="permanent redirects seen this many times in a row move the URL"
    )
    silence: Duration = Field(
        timedelta(days=7), description="a feed with no new item for this long is flagged silent")
    failing_after: int = Field(
        3, ge=1, description="consecutive errors after which a feed is reported failing")
    parse_workers: int = Field(
        0, ge=0, description="parser processes; 0 = one per core, 1 = a thread in the daemon"
    )
    processes: int | None = Field(
        None, ge=0, le=8,
        description="processes that fetch beside the poller, each taking a share of the fetches; "
                    "unset = 1 for `monitor poll`, 0 for the daemon (each costs 15-25 MB)",
    )


class SchedulerSettings(_Section):
    """The daemon's periodic jobs."""

    tick: Duration = Field(timedelta(seconds=30), description="how often due feeds are picked")
    batch: int = Field(100, ge=1, description="feeds claimed per tick")
    lease: Duration = Field(timedelta(minutes=5), description="how long a claim on a feed lasts")
    retention: Duration = Field(
        timedelta(days=30), description="irrelevant articles older than this are pruned"
    )


class StorySettings(_Section):
    """Level 3 of dedup: near-duplicate articles grouped into stories by MinHash and LSH.

    Two articles are near-duplicates when the Jaccard similarity of their sets of word
    shingles (title + summary + content, boilerplate stripped) is at least `threshold`.
    MinHash estimates it from `permutations` hash minima; LSH cuts the signature into `bands`
    of `rows` and only articles sharing a whole band are compared, so finding a story costs
    `bands` index probes. A pair of similarity s shares a band with probability
    1 - (1 - s**rows)**bands; with 32 x 4 that is 0.985 at s = 0.6, 0.87 at 0.5, 0.23 at 0.3:
    the S-curve's steep part, (1/bands)**(1/rows) = 0.42, sits under the threshold, so pairs
    above it are found and a missed one is rare; the extra candidates below it cost one
    signature comparison each. The threshold of 0.6 comes from judging the 2022-23 corpus:
    pairs between 0.5 and 0.6 were as often a series or a live blog quoting an article as a
    re-titled copy, pairs above 0.6 were copies (docs/story-sample-judged.md).

    By default only articles about the talks are grouped (and those not analysed): the others
    are kept for `monitor reanalyze` and pruned, and grouping them was half of a first poll's
    store time. `monitor reanalyze` places an article in a story when it turns relevant.
    """

    enabled: bool = Field(True, description="group articles into stories after storing them")
    scope: Literal["relevant", "all"] = Field(
        "relevant",
        description="which articles are grouped: relevant ones (and unanalysed), or all")
    shingle: int = Field(
        3, ge=1, le=8,
        description="words per shingle; 3 tells a retold sentence from a shared phrase")
    permutations: int = Field(
        128, ge=16, le=1024,
        description="MinHash values per article; 128 estimates similarity within about ±0.05")
    bands: int = Field(32, ge=1, description="LSH bands, one database row and probe each")
    rows: int = Field(4, ge=1, description="signature values per band; bands x rows <= permutations")
    threshold: float = Field(
        0.6, gt=0, le=1,
        description="estimated Jaccard similarity at or above which two articles are one story")
    window: Duration = Field(
        timedelta(days=4),
        description="an article joins a story only if published within this of the story's start")
    max_candidates: int = Field(
        64, ge=1, description="articles compared at most per new article (most recent first)")
    seed: int = Field(1, description="seed of the MinHash permutations; never change on a live store")

    @property
    def relevant_only(self) -> bool:
        """Whether only articles not found irrelevant are grouped (scope "relevant")."""
        return self.scope == "relevant"

    @model_validator(mode="after")
    def _bands_fit(self) -> StorySettings:
        if self.bands * self.rows > self.permutations:
            raise ValueError(f"bands x rows ({self.bands} x {self.rows}) exceeds permutations "
                             f"({self.permutations})")
        return self


class AnalysisSettings(_Section):
    """Relevance, rounds and terms."""

    config_dir: Path | None = Field(
        None, description="folder of the vocabulary and rules; default config/analysis"
    )


class ServerSettings(_Section):
    """The HTTP API and web page."""

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8080, ge=0, le=65535, description="port to listen on")
    query_timeout: float = Field(
        2.0, gt=0, le=300, description="seconds one query may run before it is stopped")
    max_rows: int = Field(
        1000, ge=1, le=100_000, description="row cap of one query; results say when it truncated")
    search_window: int = Field(
        1000, ge=1, le=1_000_000,
        description="a text search ranks the newest this many matches; results say when it cut")


class LogSettings(_Section):
    """Logging."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="log level")
    format: Literal["text", "json"] = Field("text", description="text for people, json for tools")


EVENT_TYPES = ("round.new", "round.updated", "terms.new")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INLINE_SECRETS = ("secret", "password", "username", "token")


class _ChannelBase(_Section):
    """What every delivery channel has: a unique name and the event types it wants."""

    name: str = Field(min_length=1, max_length=64, description="channel name, unique")
    events: list[str] = Field(default_factory=lambda: list(EVENT_TYPES),
                              description="event types sent to this channel")

    @model_validator(mode="before")
    @classmethod
    def _no_inline_secrets(cls, data: Any) -> Any:
        # A secret written in the file would end up in git and in `config show`.
        if isinstance(data, dict):
            for key in _INLINE_SECRETS:
                if key in data:
                    raise ValueError(f"{key!r} must not be written in the config; put it in an "
                                     f"environment variable and name that in {key}_env")
        return data

    @field_validator("events")
    @classmethod
    def _known_events(cls, v: list[str]) -> list[str]:
        bad = [e for e in v if e not in EVENT_TYPES]
        if bad:
            raise ValueError(f"unknown event type {bad[0]!r}; known: {', '.join(EVENT_TYPES)}")
        return v


def _env_name(v: str | None) -> str | None:
    """An environment variable's name, checked."""
    if v is not None and not _ENV_NAME.match(v):
        raise ValueError(f"not an environment variable name: {v!r}")
    return v


class WebhookChannelSettings(_ChannelBase):
    """A Standard Webhooks receiver."""

    type: Literal["webhook"] = Field(description="\"webhook\": a signed POST per the Standard Webhooks spec")
    url: str = Field(description="receiver URL (http or https)")
    secret_env: str = Field(description="environment variable holding the whsec_… secret")
    timeout: float = Field(10.0, gt=0, description="seconds for one delivery attempt")

    @field_validator("url")
    @classmethod
    def _http_only(cls, v: str) -> str:
        return http_url(v, "webhook")

    @field_validator("secret_env")
    @classmethod
    def _env(cls, v: str) -> str:
        return _env_name(v) or v


class EmailChannelSettings(_ChannelBase):
    """Mail over SMTP."""

    type: Literal["email"] = Field(description="\"email\": SMTP, multipart text and HTML")
    smtp_host: str = Field(min_length=1, description="SMTP server")
    smtp_port: int | None = Field(None, ge=1, le=65535,
                                  description="default 587 (starttls), 465 (ssl), 25 (none)")
    security: Literal["starttls", "ssl", "none"] = Field("starttls", description="transport security")
    username_env: str | None = Field(None, description="environment variable holding the login")
    password_env: str | None = Field(None, description="environment variable holding the password")
    sender: str = Field(min_length=3, description="From address")
    recipients: list[str] = Field(min_length=1, description="To addresses")
    digest: Duration | None = Field(None, description="gather alerts for this long into one mail")
    ca_file: Path | None = Field(None, description="extra CA bundle to trust (self-signed servers)")
    timeout: float = Field(30.0, gt=0, description="seconds for one SMTP conversation")

    @field_validator("username_env", "password_env")
    @classmethod
    def _env(cls, v: str | None) -> str | None:
        return _env_name(v)

    @property
    def port(self) -> int:
        """The port to use, defaulted by the security mode."""
        return self.smtp_port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


ChannelSettings = Annotated[WebhookChannelSettings | EmailChannelSettings,
                            Field(discriminator="type")]


class AlertSettings(_Section):
    """Alerts: which events, where to, and how hard to try."""

    max_age: Duration = Field(
        timedelta(days=2), description="older articles build knowledge, never alert"
    )
    channels: list[ChannelSettings] = Field(default_factory=list, description="delivery channels")
    max_attempts: int = Field(8, ge=1, description="attempts before a delivery is marked failed")
    backoff_base: Duration = Field(timedelta(seconds=30), description="delay after the first failure")
    backoff_cap: Duration = Field(timedelta(hours=1), description="longest delay between attempts")
    lease: Duration = Field(timedelta(minutes=2),
                            description="a claimed delivery is retried by others after this")
    deliver_every: Duration = Field(timedelta(seconds=10), description="how often the outbox is read")
    batch: int = Field(50, ge=1, description="deliveries claimed at once")

    @field_validator("channels")
    @classmethod
    def _unique_names(cls, v: list[Any]) -> list[Any]:
        names = [c.name for c in v]
        dup = next((n for n in names if names.count(n) > 1), None)
        if dup:
            raise ValueError(f"channel name {dup!r} is used twice")
        return v

    def channel(self, name: str) -> WebhookChannelSettings | EmailChannelSettings | None:
        """The channel of that name, if configured."""
        return next((c for c in self.channels if c.name == name), None)


class Settings(BaseSettings):
    """All settings; the TOML file first, then MONITOR_* variables over it."""

    model_config = SettingsConfigDict(
        env_prefix="MONITOR_",
        env_nested_delimiter="_",
        # MONITOR_DATABASE_URL → database.url, MONITOR_FETCH_USER_AGENT → fetch.user_agent
        env_nested_max_split=1,
        extra="forbid",
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    feeds: list[FeedSettings] = Field(default_factory=list)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    stories: StorySettings = Field(default_factory=StorySettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment over file: the file's values arrive as init arguments."""
        return (env_settings, init_settings)


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse the file, turning syntax errors into one readable line."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path}: TOML syntax error: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config {path}: cannot read: {exc.strerror}") from None


def _describe(exc: ValidationError, path: Path | None) -> str:
    """One line per problem, naming the dotted key."""
    where = f"config {path}" if path else "config"
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{where}: {key}: {msg}")
    return "\n".join(lines)


def config_path(explicit: str | Path | None = None) -> Path | None:
    """The config file to read: the argument, then MONITOR_CONFIG, then the default if it exists."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get("MONITOR_CONFIG"):
        return Path(env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Load and validate the settings, raising ConfigError with a readable message."""
    file = config_path(path)
    data: dict[str, Any] = _read_toml(file) if file else {}
    data.update(overrides)
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, file)) from None


SECRET_HINTS = ("password", "secret", "token", "apikey", "api_key")


def masked(value: Any, key: str = "") -> Any:
    """A copy of a settings dump with secrets and URL passwords masked, for `config show`."""
    if isinstance(value, dict):
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    if isinstance(value, str):
        if any(h in key.lower() for h in SECRET_HINTS) and not key.endswith("_env"):
            return "********" if value else value
        return re.sub(r"(://[^:/@\s]+:)[^@/\s]+@", r"\1********@", value)
    return value
