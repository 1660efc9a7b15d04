"""Endpoint catalog lookups: the endpoint for a schema, and the incremental field a sync may filter on."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sources.common.base import IncrementalField
from sources.common.endpoints import (
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


@dataclasses.dataclass(frozen=True)
class Endpoint:
    name: str
    incremental_fields: tuple[IncrementalField, ...] = ()
    description: str | None = None


def test_schemas_follow_the_catalog() -> None:
    updated = IncrementalField("updated_at", "datetime", "updated_at", "datetime")
    catalog = [Endpoint("orders", (updated,), "Every order."), Endpoint("stores")]
    orders, stores = endpoint_schemas(catalog)
    assert (orders.name, orders.supports_incremental, orders.supports_append) == ("orders", True, True)
    assert orders.incremental_fields == [updated] and orders.description == "Every order."
    assert (stores.name, stores.supports_incremental, stores.supports_append) == ("stores", False, False)
    assert stores.incremental_fields == [] and stores.description is None
    assert not orders.supports_webhooks and not stores.supports_webhooks
