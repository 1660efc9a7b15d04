"""Fixture roots for the Acme sources: the good one, and each known-bad one registered under its own type."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from acme_vendor.dataset import AcmeData
from acme_vendor.known_bad import KNOWN_BAD, KnownBad
from acme_vendor.recording import RecorderWithoutUrlRefusal, record
from acme_vendor.source import AcmeSource
from harness.recording.recorder import CredentialInUrl
from sources.common.registry import SourceRegistry

GOOD = "acme"
ALL_SOURCES = (AcmeSource, *{bad.source for bad in KNOWN_BAD})


@contextlib.contextmanager
def registered() -> Iterator[None]:
    """Register the Acme sources for the duration of the block only."""
    for source in ALL_SOURCES:
        SourceRegistry.register(source)
    try:
        yield
    finally:
        for source in ALL_SOURCES:
            SourceRegistry.unregister(source.source_type.fget(None))  # type: ignore[attr-defined]


def copy_fixtures(good_dir: Path, source_type: str, out_dir: Path) -> Path:
    """The good source's recording, claimed by `source_type` (a regression after the fixtures were recorded)."""
    shutil.copytree(good_dir, out_dir, ignore=shutil.ignore_patterns("manifest.toml"))
    manifest = (good_dir / "manifest.toml").read_text()
    (out_dir / "manifest.toml").write_text(manifest.replace(f'source = "{GOOD}"', f'source = "{source_type}"', 1))
    return out_dir


def record_through_the_bug(bad: KnownBad, data: AcmeData, target: Path) -> None:
    """Record `bad` with its own code, as its author would have. A URL carrying a credential is refused by today's
    recorder; such fixtures are what a recorder without that refusal would have written."""
    options: dict[str, Any] = {"lenient": bad.lenient_vendor, "incremental_watermark": bad.incremental_watermark}
    try:
        record(bad.source_type, data, target, **options)
    except CredentialInUrl:
        shutil.rmtree(target, ignore_errors=True)
        record(bad.source_type, data, target, RecorderWithoutUrlRefusal, **options)


def record_each_way(data: AcmeData, good_root: Path, self_root: Path) -> dict[str, str]:
    """Every known-bad source twice: under `good_root` with the good source's recording, under `self_root`
    recorded through its own bug. Returns the recordings the recorder refused (source type -> its message)."""
    good_dir = record(GOOD, data, good_root / GOOD)
    refused: dict[str, str] = {}
    for bad in KNOWN_BAD:
        if not (good_root / bad.source_type).exists():
            copy_fixtures(good_dir, bad.source_type, good_root / bad.source_type)
        if (self_root / bad.source_type).exists() or bad.source_type in refused:
            continue
        try:
            record_through_the_bug(bad, data, self_root / bad.source_type)
        except Exception as exc:  # a refusal, or the bug breaking the recording: either is the verdict to assert
            refused[bad.source_type] = f"{type(exc).__name__}: {exc}"
    return refused


def build_root(data: AcmeData, root: Path) -> Path:
    """Record the good source and every known-bad one under `root/<source_type>/`."""
    good_dir = record(GOOD, data, root / GOOD)
    for bad in KNOWN_BAD:
        target = root / bad.source_type
        if target.exists():
            continue
        if bad.recorded_with_itself:
            record_through_the_bug(bad, data, target)
        else:
            copy_fixtures(good_dir, bad.source_type, target)
    return root
