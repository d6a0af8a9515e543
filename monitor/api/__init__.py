"""The HTTP side: a read-only JSON API, a web page and Atom feeds, over monitor.query."""

from monitor.api.app import create_app

__all__ = ["create_app"]
