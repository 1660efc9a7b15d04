"""REST helpers: a paginating client, one paginator per style, and dependent-resource fan-out."""

from sources.common.rest_source.client import Page, PageCapHit, RESTClient
from sources.common.rest_source.errors import FanoutError, PaginationLoopError, UnexpectedResponseError
from sources.common.rest_source.fanout import (
    ChildPage,
    DependentEndpointConfig,
    FanoutPosition,
    dependent_pages,
    dependent_rows,
    make_parent_key_name,
)
from sources.common.rest_source.keyset import KeysetPaginator
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
    "ChildPage",
    "DependentEndpointConfig",
    "FanoutError",
    "FanoutPosition",
    "HeaderLinkPaginator",
    "JSONLinkPaginator",
    "JSONResponseCursorPaginator",
    "KeysetPaginator",
    "OffsetPaginator",
    "Page",
    "PageCapHit",
    "PageNumberPaginator",
    "PageRequest",
    "PaginationLoopError",
    "RESTClient",
    "SinglePagePaginator",
    "TimeWindowPaginator",
    "UnexpectedResponseError",
    "dependent_pages",
    "dependent_rows",
    "make_parent_key_name",
]
