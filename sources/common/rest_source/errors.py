"""Errors of the REST helpers. Each message names the resource, the request or the field that was wrong."""

from __future__ import annotations

from sources.common.errors import SourceError


class UnexpectedResponseError(SourceError, ValueError):
    """A response body is not the JSON the paginator and data selector expect."""


class PaginationLoopError(SourceError):
    """The next request would fetch the same page again: the API ignores the paginator's parameter."""


class FanoutError(SourceError, ValueError):
    """A dependent resource cannot be built from its config or from a parent row."""
