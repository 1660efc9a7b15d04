"""Endpoint catalog lookups: the endpoint for a schema, and the incremental field a sync may filter on."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sources.common.base import IncrementalField
from sources.common.endpoints import (
    Endpoint,
    UnknownEndpointError,
    UnsupportedIncrementalFieldError,
    chosen_incremental_field,
    endpoint_schemas,
    lookup_endpoint,
)
from sources.common.typings import SourceInputs

CATALOG = {"orders": "orders endpoint", "customers": "customers endpoint"}


class VendorError(ValueError):
    pass


def inputs(**overrides: Any) -> SourceInputs:
    return SourceInputs(schema_name="orders", team_id=1, job_id="job", schema_id="s-orders", **overrides)


def test_lookup_finds_the_endpoint() -> None:
    assert lookup_endpoint(CATALOG, "customers", "acme") == "customers endpoint"


def test_an_unknown_endpoint_lists_the_catalog_in_its_order() -> None:
    with pytest.raises(UnknownEndpointError) as caught:
        lookup_endpoint(CATALOG, "refunds", "acme")
    assert str(caught.value) == "acme: unknown endpoint 'refunds'; known: orders, customers"


def test_the_error_type_and_listing_are_the_callers() -> None:
    with pytest.raises(VendorError, match=r"^acme: unknown endpoint 'refunds'; known: customers, orders$"):
        lookup_endpoint(CATALOG, "refunds", "acme", error=VendorError, known=sorted(CATALOG))


def test_a_full_refresh_has_no_incremental_field() -> None:
    assert chosen_incremental_field(inputs(incremental_field="updated_at"), ["updated_at"], "acme orders") is None


def test_the_requested_field_is_used_when_offered() -> None:
    chosen = inputs(should_use_incremental_field=True, incremental_field="created_at")
    assert chosen_incremental_field(chosen, ["updated_at", "created_at"], "acme orders") == "created_at"


@pytest.mark.parametrize(
    ("offered", "choices"), [(["updated_at", "created_at"], "updated_at, created_at"), ([], "none (full refresh only)")]
)
def test_a_field_not_offered_is_refused_naming_the_choices(offered: list[str], choices: str) -> None:
    chosen = inputs(should_use_incremental_field=True, incremental_field="amount")
    with pytest.raises(UnsupportedIncrementalFieldError) as caught:
        chosen_incremental_field(chosen, offered, "acme orders")
    assert str(caught.value) == f"acme orders: cannot sync incrementally on 'amount'; choose one of {choices}"


def test_the_incremental_error_type_is_the_callers() -> None:
    chosen = inputs(should_use_incremental_field=True, incremental_field="amount")
    with pytest.raises(VendorError):
        chosen_incremental_field(chosen, ["updated_at"], "acme orders", error=VendorError)


UPDATED = IncrementalField("updated_at", "datetime", "updated_at", "datetime")


def test_schemas_follow_the_catalog() -> None:
    catalog = [
        Endpoint(name="orders", incremental_fields=(UPDATED,), description="Every order.", supports_webhooks=True),
        Endpoint(name="stores"),
    ]
    orders, stores = endpoint_schemas(catalog)
    assert (orders.name, orders.supports_incremental, orders.supports_append) == ("orders", True, True)
    assert orders.incremental_fields == [UPDATED] and orders.description == "Every order."
    assert (stores.name, stores.supports_incremental, stores.supports_append) == ("stores", False, False)
    assert stores.incremental_fields == [] and stores.description is None
    assert orders.supports_webhooks and not stores.supports_webhooks


def test_the_response_carries_the_declared_keys_partitioning_and_order() -> None:
    def items() -> list[list[dict[str, Any]]]:
        return [[{"id": 1}]]

    endpoint = Endpoint(name="orders", primary_keys=("store", "id"), partition_key="created_at", sort_mode="desc")
    response = endpoint.response(items)
    assert (response.name, response.items, response.primary_keys) == ("orders", items, ["store", "id"])
    assert (response.partition_keys, response.partition_mode, response.partition_format) == (
        ["created_at"],
        "datetime",
        "month",
    )
    assert response.sort_mode == "desc"
    assert (response.partition_count, response.partition_size) == (None, None)


def test_an_endpoint_without_a_partition_key_is_not_partitioned() -> None:
    response = Endpoint(name="stores").response(list)
    assert (response.primary_keys, response.partition_keys, response.partition_mode) == (["id"], None, None)
    assert response.partition_format is None and response.sort_mode == "asc"


@pytest.mark.parametrize(("maximum", "requested", "sent"), [(None, 500, 500), (100, 500, 100), (100, 10, 10)])
def test_the_page_size_is_capped_at_the_vendors_maximum(maximum: int | None, requested: int, sent: int) -> None:
    assert Endpoint(name="orders", max_page_size=maximum).page_size(requested) == sent


@dataclasses.dataclass(frozen=True, kw_only=True)
class AcmeEndpoint(Endpoint):
    path: str
    incremental_fields: tuple[IncrementalField, ...] = (UPDATED,)


def test_a_connector_adds_its_own_fields_and_defaults() -> None:
    endpoint = AcmeEndpoint(name="orders", path="/v1/orders")
    assert endpoint.path == "/v1/orders" and endpoint.incremental_field_names == ("updated_at",)
    assert endpoint.schema().supports_incremental
