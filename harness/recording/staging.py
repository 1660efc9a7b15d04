"""Atomic writes per source: a recording fills a copy of the fixture folder and replaces the original at the end.

A recording that fails halfway (a simulator or vendor error, a full disk, Ctrl-C) leaves the previous fixtures
byte for byte as they were: nothing under `fixtures/<source>/` is touched until every file is written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def staged(out_dir: Path) -> Iterator[Path]:
    """Yield a staging copy of `out_dir` (beside it, same filesystem); on success it replaces `out_dir`."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.recording-", dir=out_dir.parent))
    try:
        if out_dir.is_dir():
            shutil.copytree(out_dir, staging, symlinks=True, dirs_exist_ok=True)
        yield staging
        swap_in(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def swap_in(staging: Path, out_dir: Path) -> None:
    """Replace `out_dir` by `staging` with two renames; the previous folder comes back if the second fails."""
    previous = out_dir.with_name(f".{out_dir.name}.previous-{os.getpid()}")
    if out_dir.exists():
        os.rename(out_dir, previous)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        if previous.exists():
            os.rename(previous, out_dir)
        raise
    shutil.rmtree(previous, ignore_errors=True)
