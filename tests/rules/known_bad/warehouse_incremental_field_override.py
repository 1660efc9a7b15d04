"""Known bad: the cursor field is taken from the advertised menu, not from the user's choice."""

from typing import Any

from sources.common.typings import SourceInputs

INCREMENTAL_FIELDS: dict[str, list[dict[str, str]]] = {
    "orders": [
        {"label": "created_at", "type": "datetime", "field": "created_at", "field_type": "datetime"},
        {"label": "updated_at", "type": "datetime", "field": "updated_at", "field_type": "datetime"},
    ],
}


def order_params(inputs: SourceInputs) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": 100}
    if inputs.should_use_incremental_field:
        cursor = INCREMENTAL_FIELDS[inputs.schema_name][0]["field"]
        params[f"{cursor}_gte"] = inputs.db_incremental_field_last_value
        params["sort"] = cursor
    return params
