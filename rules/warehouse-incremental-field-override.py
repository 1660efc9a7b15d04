# Rule tests for warehouse-incremental-field-override: the cursor field is the one the user picked.
from typing import Any

from sources.common.typings import SourceInputs

from . import settings
from .settings import ENDPOINTS, INCREMENTAL_FIELDS, STRIPE_INCREMENTAL_FIELDS


def cursor_field(inputs: SourceInputs) -> str:
    # ruleid: warehouse-incremental-field-override
    return INCREMENTAL_FIELDS[inputs.schema_name][0]["field"]


def cursor_field_from_module(endpoint: str) -> str:
    # ruleid: warehouse-incremental-field-override
    return settings.INCREMENTAL_FIELDS[endpoint][0]["field"]


def cursor_field_fallback(inputs: SourceInputs) -> str:
    # ruleid: warehouse-incremental-field-override
    return inputs.incremental_field or INCREMENTAL_FIELDS[inputs.schema_name][0]["field"]


def cursor_entry(endpoint: str) -> dict[str, Any]:
    # ruleid: warehouse-incremental-field-override
    return INCREMENTAL_FIELDS.get(endpoint, [{}])[0]


def last_cursor_entry(endpoint: str) -> dict[str, Any]:
    # ruleid: warehouse-incremental-field-override
    return STRIPE_INCREMENTAL_FIELDS[endpoint][-1]


def cursor_via_next(endpoint: str) -> dict[str, Any]:
    # ruleid: warehouse-incremental-field-override
    return next(iter(INCREMENTAL_FIELDS[endpoint]))


def cursor_via_next_default(endpoint: str) -> dict[str, Any] | None:
    # ruleid: warehouse-incremental-field-override
    return next(iter(INCREMENTAL_FIELDS[endpoint]), None)


def cursor_via_unpacking(endpoint: str) -> dict[str, Any]:
    # ruleid: warehouse-incremental-field-override
    first, *_ = INCREMENTAL_FIELDS[endpoint]
    return first


def cursor_via_list_unpacking(endpoint: str) -> dict[str, Any]:
    # ruleid: warehouse-incremental-field-override
    [first, *_rest] = INCREMENTAL_FIELDS[endpoint]
    return first


def earliest_named_field(endpoint: str) -> dict[str, Any]:
    # ruleid: warehouse-incremental-field-override
    return min(INCREMENTAL_FIELDS[endpoint], key=lambda option: option["field"])


def sorted_first_field(endpoint: str) -> dict[str, Any]:
    # ruleid: warehouse-incremental-field-override
    return sorted(settings.INCREMENTAL_FIELDS[endpoint], key=lambda option: option["label"])[0]


def cursor_via_loop(endpoint: str) -> str:
    field_name = ""
    # ruleid: warehouse-incremental-field-override
    for option in INCREMENTAL_FIELDS[endpoint]:
        field_name = option["field"]
        break
    return field_name


def request_params(inputs: SourceInputs) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": 100}
    # ok: warehouse-incremental-field-override
    if inputs.should_use_incremental_field and inputs.incremental_field:
        # ok: warehouse-incremental-field-override
        params[f"{inputs.incremental_field}[gte]"] = inputs.db_incremental_field_last_value
        params["sort"] = inputs.incremental_field
    return params


def advertised_fields(endpoint: str) -> list[dict[str, Any]]:
    # ok: warehouse-incremental-field-override
    return INCREMENTAL_FIELDS.get(endpoint, [])


def is_supported(endpoint: str, field: str) -> bool:
    # ok: warehouse-incremental-field-override
    return any(option["field"] == field for option in INCREMENTAL_FIELDS[endpoint])


def primary_key(endpoint: str) -> str:
    # ok: warehouse-incremental-field-override
    return ENDPOINTS[endpoint].primary_keys[0]
