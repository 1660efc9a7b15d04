"""What the incremental checks share about watermarks: the endpoint's declared encoding, and the evidence when
a request carries the watermark in some other form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from harness.checks.context import CheckContext
from harness.fixtures.manifest import WatermarkSpec
from harness.replay.base import WireRequest
from harness.runs.watermark_values import near_misses, target_instant

ENCODING_NAMES = "iso8601-z, iso8601-offset, epoch-s, epoch-ms, date or a strftime pattern"


def declared_encoding(ctx: CheckContext) -> WatermarkSpec:
    """The endpoint's `[endpoints.<name>.watermark]`; a failure naming the manifest when it is missing."""
    spec = ctx.endpoint.fixtures.watermark
    if spec is None:
        ctx.fail(
            "the watermark encoding the vendor documents for this endpoint, declared in the fixture manifest",
            f"{ctx.sut.manifest.path} has no [endpoints.{ctx.endpoint.name}.watermark]",
            f'add [endpoints.{ctx.endpoint.name}.watermark] with encoding = "..." ({ENCODING_NAMES}) and '
            'doc = "<the vendor documentation page that says so>" (DESIGN.md, "Watermarks")',
        )
    return spec


def show(value: Any) -> str:
    """A watermark for a message: typed values in ISO form with their type, others as repr."""
    if isinstance(value, dt.date):
        return f"{value.isoformat()} ({type(value).__name__})"
    return repr(value)


def example(spec: WatermarkSpec, value: Any, field_type: str | None) -> str | None:
    """The watermark as the vendor documents it (first declared encoding), or None if it is not an instant."""
    instant = target_instant(value, field_type)
    return spec.encodings[0].render(instant) if instant is not None else None


def miss_evidence(
    request: WireRequest, value: Any, field_type: str | None, lookback: float, spec: WatermarkSpec
) -> str | None:
    """'sends name=... where the vendor documents ...' for the first loosely encoded watermark, else None."""
    misses = near_misses(request, value, field_type, lookback)
    if not misses:
        return None
    name, text = misses[0]
    wanted = example(spec, value, field_type)
    return (
        f"{request.method} {request.url} sends {name}={text!r} (as the vendor decodes it), not "
        f"{' or '.join(str(item) for item in spec.encodings)}" + (f" ({wanted!r})" if wanted else "")
    )
