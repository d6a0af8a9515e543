"""Fetcher: one polite conditional GET of one feed, every outcome named."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import ssl
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

import httpx

from monitor.http1 import Http1Pools
from monitor.settings import FetchSettings
from monitor.values import FeedRef, FetchResult

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json, "
    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def parse_max_age(value: str | None) -> float | None:
    """The max-age of a Cache-Control header, in seconds; None when absent or no-cache."""
    if not value:
        return None
    directives = [d.strip().lower() for d in value.split(",")]
    if "no-cache" in directives or "no-store" in directives:
        return None
    for d in directives:
        if d.startswith("max-age="):
            try:
                return float(d.split("=", 1)[1].strip('"'))
            except ValueError:
                return None
    return None


def body_digest(body: bytes) -> str:
    """The hash that tells an unchanged body without parsing it."""
    return hashlib.blake2b(body, digest_size=20).hexdigest()


class Fetcher:
    """Fetches feeds with one shared client, a global and a per-host concurrency limit."""

    def __init__(self, settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._global = asyncio.Semaphore(settings.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host)
        )
        timeout = httpx.Timeout(
            connect=settings.connect_timeout, read=settings.read_timeout,
            write=settings.read_timeout, pool=settings.deadline,
        )
        # The transport a plain GET goes to straight (see _send); None: always via the client.
        self._direct: httpx.AsyncBaseTransport | None = None
        if transport is None and not getproxies():
            # With a proxy in the environment httpx's own transport stays: it routes through it.
            transport = self._direct = Http1Pools(
                per_origin=settings.per_host,
                max_origins=max(1, IDLE_CONNECTIONS_PER_FETCH * settings.concurrency
                                // settings.per_host))
        self.client = httpx.AsyncClient(
            timeout=timeout,
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            headers={"User-Agent": settings.user_agent, "Accept": ACCEPT},
            # For httpx's own transport only (behind a proxy): not more idle connections than
            # fetches in flight, since httpcore checks each one it holds on every request.
            limits=httpx.Limits(max_connections=settings.concurrency,
                                max_keepalive_connections=settings.concurrency),
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def fetch(self, feed: FeedRef, extra_headers: dict[str, str] | None = None) -> FetchResult:
        """Fetch one feed within the deadline; never raises for a network or HTTP failure."""
        host = host_of(feed.url)
        started = time.monotonic()
        async with self._global, self._hosts[host]:
            try:
                async with asyncio.timeout(self.settings.deadline):
                    result = await self._get(feed, extra_headers or {})
            except TimeoutError:
                result = _failure("deadline", f"no complete answer within {self.settings.deadline:g}s")
            except httpx.TooManyRedirects:
                result = _failure("redirect_loop", "too many redirects", permanent=True)
            except httpx.TimeoutException as exc:
                result = _failure("timeout", f"{type(exc).__name__} {exc}".strip())
            except httpx.ConnectError as exc:
                kind = "tls" if _is_tls(exc) else "connect"
                result = _failure(kind, str(exc) or type(exc).__name__)
            except httpx.DecodingError as exc:
                result = _failure("decoding", f"bad content encoding: {exc}")
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                result = _failure("protocol", str(exc) or type(exc).__name__)
            except httpx.UnsupportedProtocol as exc:
                result = _failure("bad_url", str(exc), permanent=True)
            except httpx.HTTPError as exc:
                result = _failure("http", f"{type(exc).__name__}: {exc}")
        return _with_elapsed(result, time.monotonic() - started)

    async def _get(self, feed: FeedRef, extra_headers: dict[str, str]) -> FetchResult:
        """The request itself; raises httpx errors for the caller to name."""
        headers = dict(extra_headers)
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        resp = await self._send(_parsed(feed.url), headers)
        async with contextlib.aclosing(resp):
            moved = _permanent_move(resp)
            common: dict[str, Any] = {
                "status": resp.status_code,
                "retry_after": parse_retry_after(resp.headers.get("retry-after")),
                "max_age": parse_max_age(resp.headers.get("cache-control")),
                "moved_to": moved,
            }
            if resp.status_code == 304:
                # Reading the (empty) body ends the message, so the transport keeps the connection;
                # leaving it unread closes it, and every 304 would cost a new connection.
                await resp.aread()
                return FetchResult("not_modified", etag=feed.etag, last_modified=feed.last_modified,
                                   body_hash=feed.body_hash, **common)
            if resp.status_code >= 400:
                return _http_failure(resp.status_code, common)
            declared = resp.headers.get("content-length")
            limit = self.settings.max_body_bytes
            if declared and declared.isdigit() and int(declared) > limit:
                return _failure("oversize", f"Content-Length {declared} over the {limit}-byte cap",
                                permanent=True, **common)
            chunks: list[bytes] = []
            size = 0
            # Counting decoded bytes also stops a gzip bomb before it fills memory.
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    return _failure("oversize", f"body over the {limit}-byte cap", permanent=True,
                                    **common)
                chunks.append(chunk)
        body = b"".join(chunks)
        if not body.strip():
            return _failure("empty", "empty body", **common)
        digest = body_digest(body)
        kind = "unchanged" if digest == feed.body_hash else "ok"
        return FetchResult(
            kind,
            body=None if kind == "unchanged" else body,
            content_type=resp.headers.get("content-type"),
            etag=resp.headers.get("etag"),
            last_modified=resp.headers.get("last-modified"),
            body_hash=digest,
            **common,
        )

    async def _send(self, url: httpx.URL, headers: dict[str, str]) -> httpx.Response:
        """The response to a GET, its body unread; redirects are followed by the client.

        A GET that is not redirected goes straight to the transport: the client's layers
        around it (auth flow, redirect loop, cookie jar, event hooks) cost ~15% of a 304's CPU,
        and a poll of thousands of unchanged feeds is mostly 304s. A redirect is
        asked again through the client, which follows it and keeps the history that tells a
        permanent move. Cookies a feed sets are therefore not kept from one poll to the next
        (a feed that needs one gets it from `feeds[].headers`).
        """
        request = self.client.build_request("GET", url, headers=headers)
        if self._direct is None:
            return await self.client.send(request, stream=True)
        response = await self._direct.handle_async_request(request)
        response.request = request
        if response.has_redirect_location:
            await response.aclose()
            return await self.client.send(request, stream=True)
        return response


# Idle keep-alive connections kept per fetch in flight (with the defaults, 80 over 40 hosts).
IDLE_CONNECTIONS_PER_FETCH = 4


@functools.lru_cache(maxsize=16_384)
def host_of(url: str) -> str:
    """A feed URL's host, lower-cased, for the per-host limits (parsed once per URL)."""
    return (urlsplit(url).hostname or "").lower()


@functools.lru_cache(maxsize=16_384)
def _parsed(url: str) -> httpx.URL:
    """A feed's URL parsed once: httpx would parse the same string again on every poll."""
    return httpx.URL(url)


def _permanent_move(resp: httpx.Response) -> str | None:
    """The final URL when every redirect on the way was permanent (301/308)."""
    if resp.history and all(r.status_code in (301, 308) for r in resp.history):
        return str(resp.url)
    return None


_HTTP_KINDS = {404: "not_found", 410: "gone", 429: "rate_limited", 401: "unauthorized",
               403: "forbidden"}


def _http_failure(status: int, common: dict[str, Any]) -> FetchResult:
    """Name an HTTP error status; 4xx but 408/429 are permanent, 5xx transient."""
    kind = _HTTP_KINDS.get(status) or ("server_error" if status >= 500 else "client_error")
    permanent = 400 <= status < 500 and status not in (408, 425, 429)
    return _failure(kind, f"HTTP {status}", permanent=permanent, **common)


def _failure(kind: str, error: str, *, permanent: bool = False, **common: Any) -> FetchResult:
    """A failed FetchResult."""
    return FetchResult(kind, error=error, permanent=permanent, **common)


def _with_elapsed(result: FetchResult, elapsed: float) -> FetchResult:
    """The same result with its wall time."""
    return replace(result, elapsed=elapsed)


def _is_tls(exc: Exception) -> bool:
    """True when a connect error came from the TLS handshake."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "SSL" in str(exc) or "certificate" in str(exc).lower()
