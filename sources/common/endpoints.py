"""A connector's endpoint catalog: one declaration per endpoint, and the schema and `SourceResponse` built from it.

A connector declares each endpoint as an `Endpoint` (or a frozen, keyword-only subclass adding what only its
vendor needs, e.g. a path or an SDK service); `endpoint_schemas` lists the schemas and `Endpoint.response` hands
the rows to the pipeline with the endpoint's keys, partitioning and sort order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from sources.common.base import IncrementalField, SourceSchema
from sources.common.errors import SourceError
from sources.common.typings import Batch, PartitionFormat, PartitionMode, SortMode, SourceInputs, SourceResponse


@dataclasses.dataclass(frozen=True, kw_only=True)
class Endpoint:
    """What the pipeline and the schema list need to know of one endpoint.

    `partition_key` is a creation-time field (rows never move between partitions when they change); None means
    the endpoint is not partitioned. `max_page_size` is the most rows the vendor returns per request.
    """

    name: str
    description: str | None = None
    primary_keys: tuple[str, ...] = ("id",)
    incremental_fields: tuple[IncrementalField, ...] = ()
    partition_key: str | None = None
    partition_mode: PartitionMode = "datetime"
    partition_format: PartitionFormat = "month"
    sort_mode: SortMode = "asc"
    max_page_size: int | None = None
    supports_webhooks: bool = False

    @property
    def incremental_field_names(self) -> tuple[str, ...]:
        return tuple(field.field for field in self.incremental_fields)

    def page_size(self, requested: int) -> int:
        """The configured page size, capped at what the vendor allows for this endpoint."""
        return requested if self.max_page_size is None else min(requested, self.max_page_size)

    def schema(self) -> SourceSchema:
        """The endpoint's schema: incremental (and appendable) when it offers incremental fields."""
        return SourceSchema(
            name=self.name,
            supports_incremental=bool(self.incremental_fields),
            supports_append=bool(self.incremental_fields),
            incremental_fields=list(self.incremental_fields),
            supports_webhooks=self.supports_webhooks,
            description=self.description,
        )

    def response(self, items: Callable[[], Iterable[Batch]]) -> SourceResponse:
        """The hand-off to the pipeline: `items` keyed, partitioned and ordered as declared."""
        partitioned = self.partition_key is not None
        return SourceResponse(
            name=self.name,
            items=items,
            primary_keys=list(self.primary_keys),
            partition_keys=[self.partition_key] if self.partition_key is not None else None,
            partition_mode=self.partition_mode if partitioned else None,
            partition_format=self.partition_format if partitioned else None,
            sort_mode=self.sort_mode,
        )


AnyEndpoint = TypeVar("AnyEndpoint")


class UnknownEndpointError(SourceError, ValueError):
    """A schema name that is not in the connector's endpoint catalog."""


class UnsupportedIncrementalFieldError(SourceError, ValueError):
    """An incremental field the endpoint cannot filter on server-side."""


def lookup_endpoint(
    endpoints: Mapping[str, AnyEndpoint],
    name: str,
    source: str,
    *,
    error: type[Exception] = UnknownEndpointError,
    known: Iterable[str] | None = None,
) -> AnyEndpoint:
    """`endpoints[name]`, else `error("<source>: unknown endpoint 'x'; known: a, b")` listing `known`
    (the catalog's own order unless given)."""
    try:
        return endpoints[name]
    except KeyError:
        listed = ", ".join(endpoints if known is None else known)
        raise error(f"{source}: unknown endpoint {name!r}; known: {listed}") from None


def chosen_incremental_field(
    inputs: SourceInputs,
    offered: Iterable[str],
    resource: str,
    *,
    error: type[Exception] = UnsupportedIncrementalFieldError,
) -> str | None:
    """`inputs.incremental_field` when the sync is incremental (None when it is not); a field the endpoint does
    not offer is `error`, naming the ones it does."""
    if not inputs.should_use_incremental_field:
        return None
    field = inputs.incremental_field
    names = tuple(offered)
    if field not in names:
        choices = ", ".join(names) or "none (full refresh only)"
        raise error(f"{resource}: cannot sync incrementally on {field!r}; choose one of {choices}")
    return field


def endpoint_schemas(endpoints: Iterable[Endpoint]) -> list[SourceSchema]:
    """One schema per endpoint, in the catalog's order."""
    return [endpoint.schema() for endpoint in endpoints]
