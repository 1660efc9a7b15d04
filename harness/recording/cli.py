"""`python -m harness record SOURCE [...]`: record a source's fixtures, all or nothing, failing in one line.

python -m harness record github                      # from fixtures/github/simulator.py, in-process
python -m harness record github --through-mitmdump   # the same simulator, served through mitmdump over TLS
python -m harness record github --live               # the vendor's API (credentials from the environment)
python -m harness record github --live --resync      # later: the resync scenario
python -m harness record github --live --probe-errors  # also ask with a wrong credential: 401/403 bodies
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog

from harness.fixtures.manifest import MANIFEST_NAME
from harness.one_line import SourcesImportError, describe, import_sources
from harness.recording import recorder as recorder_module
from harness.recording.recorder import Recorder, RecordingError, load_simulator_module
from harness.recording.staging import staged
from harness.recording.transports import InProcessSimulator, ThroughMitmdump, Transport
from harness.replay.mitm_process import MitmProcess
from sources.common.logging import configure_logging
from sources.common.scrub import scrub_message


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness record", description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="the registered source type")
    parser.add_argument("--live", action="store_true", help="record from the vendor's API through mitmdump")
    parser.add_argument("--resync", action="store_true", help="with --live: record the resync scenario only")
    parser.add_argument(
        "--probe-errors", action="store_true", help="with --live: ask once with a wrong credential (401/403 bodies)"
    )
    parser.add_argument(
        "--through-mitmdump", action="store_true", help="serve the simulator through mitmdump (offline, real TLS)"
    )
    parser.add_argument("--endpoint", action="append", default=[], help="with --live: only this endpoint (repeat)")
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help="with --live: a non-secret config value"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="print the connector's log lines (each request) while recording"
    )
    parser.add_argument("--fixtures-root", type=Path, default=None, help=argparse.SUPPRESS)
    return parser


def record_from_simulator(source_type: str, fixtures_root: Path, transport: Transport) -> list[Recorder]:
    """Run `fixtures/<source>/simulator.py`'s `record_all` into a staging copy; swap it in when all went well."""
    module = load_simulator_module(source_type, fixtures_root)
    recorders: list[Recorder] = []

    def recorder_class(*args: Any, **kwargs: Any) -> Recorder:
        kwargs.setdefault("out_dir", staging)
        kwargs.setdefault("shown_dir", fixtures_root / source_type)
        recorder = Recorder(*args, transport=transport, **kwargs)
        recorders.append(recorder)
        return recorder

    with staged(fixtures_root / source_type) as staging:
        module.record_all(recorder_class)
        for recorder in recorders:
            recorder.write_manifest()
    return recorders


def _overrides(pairs: Sequence[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--config {pair!r}: expected KEY=VALUE")
        values[key] = value
    return values


def run(args: argparse.Namespace) -> None:
    from sources.common.registry import SourceRegistry

    import_sources()  # registers every connector
    registered = SourceRegistry.source_types()
    if args.source not in registered:
        raise RecordingError(
            f"{args.source!r} is not a registered source type; registered: {', '.join(registered) or 'none'}"
        )
    if args.live:
        from harness.recording.live import record_live

        done = record_live(
            args.source,
            fixtures_root=args.fixtures_root,
            overrides=_overrides(args.config),
            endpoints=args.endpoint,
            resync=args.resync,
            probe_errors=args.probe_errors,
        )
        print(f"{args.source}: recorded {', '.join(done)} into {args.fixtures_root / args.source}")
        return
    if args.resync or args.probe_errors or args.endpoint or args.config:
        raise ValueError("--resync, --probe-errors, --endpoint and --config go with --live")
    if args.through_mitmdump:
        process = MitmProcess().start()
        try:
            recorders = record_from_simulator(args.source, args.fixtures_root, ThroughMitmdump(process, live=False))
        finally:
            process.stop()
    else:
        recorders = record_from_simulator(args.source, args.fixtures_root, InProcessSimulator())
    for recorder in recorders:
        print("\n".join(recorder.written))
        print(f"{recorder.shown_dir / MANIFEST_NAME}: written")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.fixtures_root is None:
        args.fixtures_root = recorder_module.FIXTURES_ROOT
    folder = args.fixtures_root / args.source
    # Only a folder that exists is left as it was (an unknown source or a missing simulator has none).
    unchanged = f"; {folder} left as it was" if folder.is_dir() else ""
    logging_config = structlog.get_config()
    configure_logging(json=False, level=logging.INFO if args.verbose else logging.WARNING)
    try:
        run(args)
    except KeyboardInterrupt:
        print(f"error: record {args.source}: interrupted{unchanged}", file=sys.stderr)
        return 130
    except Exception as exc:  # a vendor, simulator or disk error: one line, never a traceback
        # The recorder's own errors name the file already; anything else names the line that raised it.
        text = str(exc) if isinstance(exc, RecordingError | SourcesImportError) else describe(exc)
        message = scrub_message(" ".join(text.split()) or type(exc).__name__, _live_secrets(args.source))
        print(f"error: {message}{unchanged}", file=sys.stderr)
        return 1
    finally:
        structlog.configure(**logging_config)
    return 0


@functools.cache
def _live_secrets(source_type: str) -> frozenset[str]:
    """The credentials a live recording read from the environment: never printed."""
    try:
        from harness.recording.live import credential_variable
        from harness.runs.sync_driver import get_source

        source = get_source(source_type)
        names = {credential_variable(source_type, field) for field in source.sensitive_keys}
    except Exception:
        names = set()
    return frozenset(value for name, value in os.environ.items() if name in names and value)
