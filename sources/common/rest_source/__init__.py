"""REST helpers: a paginating client, one paginator per style, and dependent-resource fan-out."""

from sources.common.rest_source.client import Page, PageCapHit, RESTClient
from sources.common.rest_source.paginators import (
    BasePaginator,
    HeaderLinkPaginator,
    JSONLinkPaginator,
    JSONResponseCursorPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PageRequest,
    SinglePagePaginator,
    TimeWindowPaginator,
)

__all__ = [
    "BasePaginator",
    "HeaderLinkPaginator",
    "JSONLinkPaginator",
    "JSONResponseCursorPaginator",
    "OffsetPaginator",
    "Page",
    "PageCapHit",
    "PageNumberPaginator",
    "PageRequest",
    "RESTClient",
    "SinglePagePaginator",
    "TimeWindowPaginator",
]
