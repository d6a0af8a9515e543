"""The query side: read-only, time-limited, row-capped queries shared by the CLI and the API."""

from monitor.query.articles import ArticleQuery
from monitor.query.errors import BadQuery, NotFound, QueryError, QueryTimeout, StoreUnavailable
from monitor.query.service import QueryService
from monitor.query.session import Limits

__all__ = ["ArticleQuery", "BadQuery", "Limits", "NotFound", "QueryError", "QueryService",
           "QueryTimeout", "StoreUnavailable"]
