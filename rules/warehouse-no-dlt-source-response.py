# Rule tests for warehouse-no-dlt-source-response: sources build their SourceResponse themselves.
# The imports are cases under test, each under its annotation, so isort stays off.
# ruff: noqa: I001
from collections.abc import Iterator
from typing import Any

# ruleid: warehouse-no-dlt-source-response
from sources.common.dlt_helpers import dlt_source_to_source_response

# ok: warehouse-no-dlt-source-response
from sources.common import dlt_helpers as helpers

# ruleid: warehouse-no-dlt-source-response
from sources.common.dlt_helpers import dlt_source_to_source_response as to_response
from sources.common.typings import SourceInputs, SourceResponse

from .settings import ENDPOINTS


def rest_api_source(inputs: SourceInputs) -> Any:
    raise NotImplementedError


def via_dlt(inputs: SourceInputs) -> SourceResponse:
    dlt_source = rest_api_source(inputs)
    # ruleid: warehouse-no-dlt-source-response
    return dlt_source_to_source_response(dlt_source, primary_keys=["id"])


def via_module(inputs: SourceInputs) -> SourceResponse:
    # ruleid: warehouse-no-dlt-source-response
    return helpers.dlt_source_to_source_response(rest_api_source(inputs))


def via_alias(inputs: SourceInputs) -> SourceResponse:
    # ruleid: warehouse-no-dlt-source-response
    return to_response(rest_api_source(inputs))


def via_reference(inputs: SourceInputs) -> SourceResponse:
    # ruleid: warehouse-no-dlt-source-response
    convert = helpers.dlt_source_to_source_response
    return convert(rest_api_source(inputs))


def rows(inputs: SourceInputs) -> Iterator[list[dict[str, Any]]]:
    yield [{"id": 1, "endpoint": inputs.schema_name}]


def direct(inputs: SourceInputs) -> SourceResponse:
    endpoint = ENDPOINTS[inputs.schema_name]
    # ok: warehouse-no-dlt-source-response
    return SourceResponse(
        name=inputs.schema_name,
        items=lambda: rows(inputs),
        primary_keys=endpoint.primary_keys,
        sort_mode="asc",
    )


def source_to_response_name() -> str:
    # ok: warehouse-no-dlt-source-response
    return "dlt_source_to_source_response is not used here"
