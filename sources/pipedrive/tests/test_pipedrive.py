"""Pipedrive: what is specific to this vendor (form, config, request parameters, rows, error bodies).

The conformance suite (`pytest harness --source pipedrive`) already proves paging, credentials by status,
the future watermark and resume; do not test those again here. TODO: once recorded, test the request parameters and rows
with `serve_har("<endpoint>", "full")` and the vendor's error bodies with `serve_simulator(...)`.
"""

from __future__ import annotations

import re

import pytest

from harness.testing import config_error
from sources.common.fields import SourceFieldInputConfigType
from sources.common.registry import SourceRegistry
from sources.pipedrive.settings import ENDPOINTS
from sources.pipedrive.source import PipedriveSource


def test_registered_with_a_password_api_key(source: PipedriveSource) -> None:
    assert SourceRegistry.get_source_class("pipedrive") is PipedriveSource
    fields = {field.name: field for field in source.get_source_config.fields}
    assert fields["api_key"].type is SourceFieldInputConfigType.PASSWORD
    assert source.sensitive_keys == {"api_key"}


@pytest.mark.parametrize(
    ("payload", "named"),
    [({}, "api_key"), ({"api_key": "fake-key", "page_size": 0}, "page_size")],
)
def test_bad_config_names_the_field(source: PipedriveSource, payload: dict, named: str) -> None:
    assert re.match(rf"pipedrive config(?: > \w+)?: field '{named}'", config_error(source, payload))


def test_schemas_are_the_endpoint_catalog(source: PipedriveSource, config: object) -> None:
    assert [schema.name for schema in source.get_schemas(config, team_id=1)] == list(ENDPOINTS)
