"""The gate's live display: one line per stage, and for conformance the source in progress and cases done/total."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

POLL_SECONDS = 0.2


def make_progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def run_with_progress(
    command: Sequence[str], env: dict[str, str], cwd: Path, progress: Progress, name: str, events: Path | None
) -> tuple[int, str]:
    """Run one stage; while it runs, read its progress events (if any) into the display."""
    task = progress.add_task(name, total=None, detail="")
    with subprocess.Popen(
        list(command), cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    ) as process:
        output: list[str] = []
        reader = _Reader(events)
        assert process.stdout is not None
        # The output is drained on a thread so a chatty stage never blocks on a full pipe while we poll.
        drain = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
        drain.start()
        while process.poll() is None:
            reader.update(progress, task)
            time.sleep(POLL_SECONDS)
        drain.join()
        reader.update(progress, task)
    progress.remove_task(task)
    return process.returncode, "".join(output)


class _Reader:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.offset = 0
        self.done = 0
        self.total: int | None = None

    def update(self, progress: Progress, task: int) -> None:
        if self.path is None or not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        complete = chunk[: chunk.rfind("\n") + 1]
        self.offset += len(complete.encode("utf-8"))
        detail = None
        for line in complete.splitlines():
            event = json.loads(line)
            if "total" in event:
                self.total = int(event["total"])
            elif "case" in event:
                self.done += 1
                detail = str(event["case"]).split("/", 1)[0]
        fields = {"detail": detail} if detail else {}
        progress.update(task, total=self.total, completed=self.done, **fields)
