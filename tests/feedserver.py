"""A programmable HTTP server on 127.0.0.1 for feed tests: validators, trickles, bombs."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/rss+xml; charset=utf-8"
    validators: bool = True  # send ETag/Last-Modified and answer 304 to a matching request
    trickle: float = 0.0  # seconds between 1-byte chunks
    gzip: bool = False
    handler: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str], bytes]] | None = None


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    at: float = 0.0  # time.monotonic() when received


class FeedServer:
    """Serves `routes` on an ephemeral loopback port in a background thread."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                """Answer from the route table."""
                with server._lock:
                    server.requests.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                time.monotonic()))
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, {}, b"not found")
                    return
                if route.handler is not None:
                    status, headers, body = route.handler(self)
                    self._send(status, headers, body)
                    return
                headers = {"Content-Type": route.content_type, **route.headers}
                if route.validators and route.status == 200:
                    etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                    headers["ETag"] = etag
                    headers["Last-Modified"] = formatdate(1_700_000_000, usegmt=True)
                    if self.headers.get("If-None-Match") == etag:
                        self._send(304, {"ETag": etag}, b"")
                        return
                body = route.body
                if route.gzip:
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                self._send(route.status, headers, body, route.trickle)

            def _send(self, status: int, headers: dict[str, str], body: bytes,
                      trickle: float = 0.0) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if trickle:
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(trickle)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        ThreadingHTTPServer.request_queue_size = 256  # many feeds are fetched at once
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        """Absolute URL of a path."""
        return self.base + path

    def add(self, path: str, route: Route | bytes) -> str:
        """Register a route, return its URL."""
        self.routes[path] = route if isinstance(route, Route) else Route(route)
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        """Requests received for a path."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> None:
        """Serve in the background."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def rss(items: list[dict[str, str]], title: str = "Test feed", ttl: int | None = None) -> bytes:
    """A small RSS 2.0 document; items take title, link, guid, description, pubDate."""
    parts = [f"<item><title>{i.get('title', '')}</title><link>{i.get('link', '')}</link>"
             + (f"<guid>{i['guid']}</guid>" if "guid" in i else "")
             + f"<description>{i.get('description', '')}</description>"
             + (f"<pubDate>{i['pubDate']}</pubDate>" if "pubDate" in i else "")
             + "</item>" for i in items]
    ttl_el = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}'
            f"</title><link>http://example.org/</link>{ttl_el}{''.join(parts)}</channel></rss>"
            ).encode()


def make_items(prefix: str, n: int, host: str = "news.example.org") -> list[dict[str, str]]:
    """n distinct items with links and GUIDs."""
    return [{"title": f"{prefix} story {k}", "link": f"https://{host}/{prefix}/{k}",
             "guid": f"{prefix}-{k}", "description": f"Body of {prefix} story {k}.",
             "pubDate": "Tue, 01 Mar 2022 10:00:00 GMT"} for k in range(n)]
