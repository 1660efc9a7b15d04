"""What the suite checks: a registered source with its fixtures, and each of its endpoints.

`load_source` turns a registered source type plus `fixtures/<source>/manifest.toml` into a `SourceUnderTest`, or
raises `FixtureProblem` with a message that says what to record.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import inspect
from pathlib import Path
from typing import Any

from harness.fixtures.manifest import MANIFEST_NAME, EndpointFixtures, Manifest, ManifestError, Scenario, load_manifest
from harness.runs.sync_driver import get_source, typed_scenario_value
from sources.common.base import BaseSource, ResumableSource, SourceSchema, WebhookSource
from sources.common.errors import SourceError
from sources.common.scrub import is_sensitive_name


class FixtureProblem(Exception):
    """A registered source cannot be checked from its fixtures; the message says what to record."""


def record_hint(source_type: str, fixtures_root: Path) -> str:
    directory = fixtures_root / source_type
    return (
        f"write a simulator in {directory}/simulator.py, record with `python -m harness record {source_type}` "
        f'and describe the scenarios in {directory / MANIFEST_NAME} (DESIGN.md, "The fixture format")'
    )


@dataclasses.dataclass(frozen=True)
class ResponseProfile:
    """The `SourceResponse` settings of one endpoint, as its `source_for_pipeline` returned them."""

    name: str
    primary_keys: tuple[str, ...] | None
    partition_keys: tuple[str, ...] | None
    partition_mode: str | None
    partition_format: str | None
    partition_count: int | None
    partition_size: int | None
    sort_mode: str
    has_duplicate_primary_keys: bool | None

    @classmethod
    def of(cls, response: Any) -> ResponseProfile:
        return cls(
            name=response.name,
            primary_keys=tuple(response.primary_keys) if response.primary_keys else None,
            partition_keys=tuple(response.partition_keys) if response.partition_keys else None,
            partition_mode=response.partition_mode,
            partition_format=response.partition_format,
            partition_count=response.partition_count,
            partition_size=response.partition_size,
            sort_mode=response.sort_mode,
            has_duplicate_primary_keys=response.has_duplicate_primary_keys,
        )


@dataclasses.dataclass
class SourceUnderTest:
    source_type: str
    source: BaseSource
    manifest: Manifest
    config: Any
    schemas: dict[str, SourceSchema]
    fixtures_root: Path
    # HAR files the manifest names but nothing recorded yet (a fresh `python -m harness new` skeleton): only the
    # checks that need no recording run, and the `fixtures` case says to record.
    unrecorded: tuple[Path, ...] = ()

    def fresh_source(self) -> BaseSource:
        """A new instance: nothing a previous run left on the instance can leak into the next one."""
        return type(self.source)()

    @property
    def resumable(self) -> bool:
        return isinstance(self.source, ResumableSource)

    @property
    def webhooks(self) -> bool:
        return isinstance(self.source, WebhookSource)

    @functools.cached_property
    def secrets(self) -> frozenset[str]:
        payload = self.manifest.config
        values = {str(payload[key]) for key in self.source.sensitive_keys if payload.get(key)}
        values |= {str(value) for key, value in payload.items() if is_sensitive_name(key) and value}
        return frozenset(value for value in values if len(value) >= 4)

    @functools.cached_property
    def origin_dirs(self) -> tuple[str, ...]:
        """Directories holding the source's own code: its package, else its module file."""
        module_file = Path(inspect.getfile(type(self.source))).resolve()
        package = importlib.import_module(type(self.source).__module__).__package__
        directory = module_file.parent if package and package not in ("", "sources") else module_file
        return (str(directory),)

    @property
    def endpoints(self) -> list[str]:
        return list(self.manifest.endpoints)

    def endpoint(self, name: str) -> EndpointUnderTest:
        return EndpointUnderTest(self, name, self.manifest.endpoints[name], self.schemas.get(name))


@dataclasses.dataclass
class EndpointUnderTest:
    sut: SourceUnderTest
    name: str
    fixtures: EndpointFixtures
    schema: SourceSchema | None
    profile: ResponseProfile | None = None

    @property
    def source_type(self) -> str:
        return self.sut.source_type

    @property
    def incremental(self) -> bool:
        return bool(self.schema and self.schema.supports_incremental)

    @property
    def webhooks(self) -> bool:
        return bool(self.schema and self.schema.supports_webhooks and self.sut.webhooks)

    def scenario(self, name: str) -> Scenario | None:
        return self.fixtures.scenarios.get(name)

    def bypass_reason(self, check_id: str) -> str | None:
        return self.fixtures.bypass.get(check_id)


def load_source(source_type: str, fixtures_root: Path) -> SourceUnderTest:
    directory = fixtures_root / source_type
    if not (directory / MANIFEST_NAME).is_file():
        raise FixtureProblem(
            f"no fixtures for {source_type!r} in {directory}: {record_hint(source_type, fixtures_root)}"
        )
    try:
        manifest = load_manifest(directory, recorded=False)
        unrecorded = tuple(manifest.unrecorded)
        if unrecorded and len(unrecorded) < len(manifest.hars):
            manifest = load_manifest(directory)  # partly recorded: the strict error names the missing file
    except ManifestError as exc:  # the fixtures are there: the error names the file and the key, no recording hint
        raise FixtureProblem(str(exc)) from None
    if manifest.source_type != source_type:
        raise FixtureProblem(
            f"{manifest.path}: `source = {manifest.source_type!r}` but the directory is for {source_type!r}"
        )
    try:
        source = get_source(source_type)
        config = source.parse_config(manifest.config)
        schemas = {schema.name: schema for schema in source.get_schemas(config, 1)}
    except (SourceError, ValueError, TypeError) as exc:
        raise FixtureProblem(f"{manifest.path}: cannot build {source_type!r} from [config]: {exc}") from None
    _check_watermark_types(manifest, schemas)
    return SourceUnderTest(source_type, source, manifest, config, schemas, fixtures_root, unrecorded)


def _check_watermark_types(manifest: Manifest, schemas: dict[str, SourceSchema]) -> None:
    """Every last_value / earliest_value fits its incremental field's declared type (one line naming the key)."""
    for endpoint in manifest.endpoints.values():
        schema = schemas.get(endpoint.name)
        fields = {field.field: field.field_type for field in schema.incremental_fields} if schema else {}
        for scenario in endpoint.scenarios.values():
            for key in ("last_value", "earliest_value"):
                if getattr(scenario, key) is None or scenario.incremental_field not in fields:
                    continue
                try:
                    typed_scenario_value(scenario, key, fields[scenario.incremental_field], str(manifest.path))
                except ManifestError as exc:
                    raise FixtureProblem(str(exc)) from None
