"""A connector's endpoint catalog: the schemas it offers, the endpoint for a schema, the field it filters on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, TypeVar

from sources.common.base import IncrementalField, SourceSchema
from sources.common.errors import SourceError
from sources.common.typings import SourceInputs

Endpoint = TypeVar("Endpoint")


class CatalogEndpoint(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def incremental_fields(self) -> tuple[IncrementalField, ...]: ...

    @property
    def description(self) -> str | None: ...


class UnknownEndpointError(SourceError, ValueError):
    """A schema name that is not in the connector's endpoint catalog."""


class UnsupportedIncrementalFieldError(SourceError, ValueError):
    """An incremental field the endpoint cannot filter on server-side."""


def lookup_endpoint(
    endpoints: Mapping[str, Endpoint],
    name: str,
    source: str,
    *,
    error: type[Exception] = UnknownEndpointError,
    known: Iterable[str] | None = None,
) -> Endpoint:
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


def endpoint_schemas(endpoints: Iterable[CatalogEndpoint]) -> list[SourceSchema]:
    """One schema per endpoint; an endpoint is incremental (and appendable) when it offers incremental fields."""
    return [
        SourceSchema(
            name=endpoint.name,
            supports_incremental=bool(endpoint.incremental_fields),
            supports_append=bool(endpoint.incremental_fields),
            incremental_fields=list(endpoint.incremental_fields),
            description=endpoint.description,
        )
        for endpoint in endpoints
    ]
