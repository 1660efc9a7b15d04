"""Build inventory entries from the registry: static facts from the code, endpoint facts from the source."""

from __future__ import annotations

import contextlib
import inspect
import sys
from pathlib import Path
from typing import Any

from harness.fixtures.manifest import ManifestError, load_manifest
from harness.inventory.analyze import analyze_package
from harness.inventory.model import CodeFacts, EndpointInfo, SourceEntry, Tracking
from harness.paths import FIXTURES_ROOT, REPO_ROOT
from harness.runs.sync_driver import make_inputs, open_response
from harness.simulators.loader import has_model
from sources.common.base import BaseSource, ResumableSource, SimpleSource, WebhookSource
from sources.common.errors import SourceError


class InventoryError(RuntimeError):
    """A registered source cannot be described; the message names the source and why."""


def base_classes(source_class: type[BaseSource]) -> tuple[str, ...]:
    names = []
    if issubclass(source_class, SimpleSource):
        names.append("Simple")
    if issubclass(source_class, ResumableSource):
        names.append("Resumable")
    if issubclass(source_class, WebhookSource):
        names.append("Webhook")
    return tuple(names)


def communication(facts: CodeFacts, webhook: bool) -> tuple[str, str]:
    """(communication method, primary library)."""
    if facts.grpc:
        method, library = "gRPC", "grpc"
    elif facts.db_modules:
        method, library = "DB protocol", facts.db_modules[0]
    elif facts.vendor_sdks:
        method, library = "HTTP vendor SDK", facts.vendor_sdks[0]
    elif facts.uses_tracked_session or facts.uses_raw_http:
        method, library = "HTTP", "requests"
    else:
        method, library = ("Webhook", "—") if webhook else ("—", "—")
        return method, library
    return (f"{method} + Webhook" if webhook else method), library


def tracking(facts: CodeFacts) -> tuple[Tracking, str | None]:
    reasons = [pragma.reason for pragma in facts.pragmas if pragma.reason]
    if facts.db_modules and not (facts.vendor_sdks or facts.uses_tracked_session or facts.grpc):
        return "n/a", None
    if facts.grpc:
        return "partial", "gRPC"
    if facts.vendor_sdks and not facts.vendor_sdk_injected:
        return "partial", "Vendor SDK"
    if facts.pragmas or facts.uses_raw_http:
        return "partial", "Pragma" if reasons else "Untracked call"
    if not (facts.uses_tracked_session or facts.vendor_sdks):
        return "n/a", None
    return "tracked", None


def _package_dir(source_class: type[BaseSource]) -> Path:
    source_file = inspect.getsourcefile(source_class)
    if source_file is None:
        raise InventoryError(f"{source_class.__qualname__}: cannot locate its source file")
    return Path(source_file).resolve().parent


def _manifest_config(source: BaseSource, fixtures_root: Path) -> Any:
    try:
        manifest = load_manifest(fixtures_root / source.source_type)
    except ManifestError:
        return None
    try:
        return source.parse_config(manifest.config)
    except SourceError as exc:
        raise InventoryError(f"{source.source_type}: fixture config does not parse: {exc}") from None


def endpoints(source: BaseSource, config: Any) -> tuple[EndpointInfo, ...]:
    infos = []
    for schema in sorted(source.get_schemas(config, 1), key=lambda schema: schema.name):
        response = None
        if config is not None:
            inputs = make_inputs(source, config, schema.name, None, job_id="inventory")
            with contextlib.suppress(Exception):  # a source that cannot open offline still gets listed
                response = open_response(source, config, inputs)
        infos.append(
            EndpointInfo(
                name=schema.name,
                incremental_fields=tuple(field.field for field in schema.incremental_fields),
                primary_keys=tuple(response.primary_keys or ()) if response else (),
                partition_mode=response.partition_mode if response else None,
                partition_keys=tuple(response.partition_keys or ()) if response else (),
                partition_format=response.partition_format if response else None,
                sort_mode=response.sort_mode if response else "?",
                supports_webhooks=schema.supports_webhooks,
            )
        )
    return tuple(infos)


def describe(
    source_class: type[BaseSource], root: Path = REPO_ROOT, fixtures_root: Path = FIXTURES_ROOT
) -> SourceEntry:
    source = source_class()
    config = source.get_source_config
    package = _package_dir(source_class)
    try:
        relative_root = root if package.is_relative_to(root) else package.parent
        facts = analyze_package(package, relative_root)
    except SyntaxError as exc:
        raise InventoryError(f"{source.source_type}: {exc.filename}:{exc.lineno}: cannot parse ({exc.msg})") from None
    webhook = issubclass(source_class, WebhookSource)
    method, library = communication(facts, webhook)
    state, note = tracking(facts)
    status = "Scaffolded" if config.unreleasedSource or facts.stub else "Implemented"
    return SourceEntry(
        source_type=source.source_type,
        label=config.label,
        status=status,
        release_status=config.releaseStatus or "ga",
        feature_flag=config.featureFlag,
        base_classes=base_classes(source_class),
        communication=method,
        primary_library=library,
        tracking=state,
        tracking_note=note,
        endpoints=endpoints(source, _manifest_config(source, fixtures_root)) if status == "Implemented" else (),
        module=source_class.__module__,
        pragmas=facts.pragmas,
        vendor_model=has_model(fixtures_root / source.source_type),
    )


def collect(sources: dict[str, type[BaseSource]], root: Path = REPO_ROOT) -> list[SourceEntry]:
    entries = []
    for source_type, source_class in sorted(sources.items()):
        try:
            entries.append(describe(source_class, root))
        except InventoryError:
            raise
        except Exception as exc:
            print(f"inventory: {source_type}: {type(exc).__name__}: {exc}", file=sys.stderr)
            raise InventoryError(f"{source_type}: cannot be described ({type(exc).__name__}: {exc})") from None
    return entries
