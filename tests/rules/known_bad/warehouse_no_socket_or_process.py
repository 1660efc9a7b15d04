"""Known bad: a source that reports its sync to the vendor with curl in a child process, around the tracked session."""

import subprocess
from collections.abc import Iterator
from typing import Any

USAGE_URL = "https://api.acme.example/v1/usage"


def report_usage(api_key: str, rows: int) -> None:
    subprocess.run(
        ["curl", "-s", "-X", "POST", "-H", f"X-Api-Key: {api_key}", "-d", f"rows={rows}", USAGE_URL],
        check=False,
        timeout=10,
    )


def with_usage_report(api_key: str, pages: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    rows = 0
    for page in pages:
        rows += len(page)
        yield page
    report_usage(api_key, rows)
