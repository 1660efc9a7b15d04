"""Failures of the code the harness runs (connectors, simulators) as the one-line errors its commands print.

`import_sources()` imports every connector (`import sources` registers them) and turns a connector that fails to
import into a `SourcesImportError` naming the module, the exception and the line, instead of a traceback through
the harness. Nothing here imports `sources` at module level, so the entry points can call it first.
"""

from __future__ import annotations

import importlib
import traceback
from pathlib import Path
from types import TracebackType

from harness.paths import REPO_ROOT


class SourcesImportError(Exception):
    """A connector module failed to import; the message is one line."""


def _shown(filename: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return filename


def _message(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def location(exc: BaseException, inside: tuple[str, ...] = ("sources", "fixtures")) -> str | None:
    """`path:line` of the deepest frame of `exc` in the repository folders `inside` (else the deepest anywhere)."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{_shown(exc.filename)}:{exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return None
    roots = tuple(str(REPO_ROOT / folder) + "/" for folder in inside)
    ours = [frame for frame in frames if str(Path(frame.filename).resolve()).startswith(roots)]
    frame = (ours or frames)[-1]
    return f"{_shown(frame.filename)}:{frame.lineno}"


def describe(exc: BaseException, inside: tuple[str, ...] = ("sources", "fixtures")) -> str:
    """`Type: message (at path:line)` in one line, the place being the deepest frame in the folders `inside`."""
    where = location(exc, inside)
    return f"{_message(exc)} (at {where})" if where else _message(exc)


def _failing_module(tb: TracebackType | None) -> str | None:
    """The deepest module of the `sources` package on the traceback: the one whose import failed."""
    module = None
    for frame, _ in traceback.walk_tb(tb):
        name = frame.f_globals.get("__name__", "")
        if name == "sources" or name.startswith("sources."):
            module = name
    return module


def _module_of_file(filename: str) -> str | None:
    try:
        relative = Path(filename).resolve().relative_to(REPO_ROOT).with_suffix("")
    except ValueError:
        return None
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts) if parts and parts[0] == "sources" else None


def import_sources() -> None:
    """`import sources`; a connector that fails to import raises `SourcesImportError` (one line)."""
    try:
        importlib.import_module("sources")
    except Exception as exc:
        module = _module_of_file(exc.filename) if isinstance(exc, SyntaxError) and exc.filename else None
        module = module or _failing_module(exc.__traceback__) or "sources"
        raise SourcesImportError(f"connector module {module} failed to import: {describe(exc)}") from None


def sources_import_error() -> str | None:
    """The one-line error of `import_sources()`, or None when every connector imported."""
    try:
        import_sources()
    except SourcesImportError as error:
        return str(error)
    return None
