"""The conformance checks: one module per property, each with `ID`, `PROVES`, `SCENARIOS`, `LEVEL`, `APPLIES`
(the applicability rule in words), an optional `applies(target)` and `check(ctx)` raising `CheckFailure`.

A check that does not apply to an endpoint is not collected for it (never skipped).
"""

from __future__ import annotations

from types import ModuleType

from harness.checks import (
    credentials,
    credentials_placement,
    faults_auth,
    faults_rate_limit,
    faults_stall,
    faults_transient,
    incremental_desc_earliest,
    incremental_future,
    incremental_honours_field,
    incremental_same_instant,
    incremental_server_filter,
    incremental_watermark_encoding,
    pagination_complete,
    pagination_follows_vendor,
    pagination_under_drift,
    partition_stable,
    progress_safe_point,
    registry,
    resume_every_checkpoint,
    resume_under_drift,
    rows_primary_key,
    rows_shape,
    sort_honest,
    transport_timeout,
    transport_tracked,
    webhook_merge,
)
from harness.runs.targets import EndpointUnderTest

_MODULES: tuple[ModuleType, ...] = (
    registry,
    credentials,
    credentials_placement,
    pagination_complete,
    pagination_follows_vendor,
    pagination_under_drift,
    rows_primary_key,
    rows_shape,
    sort_honest,
    transport_timeout,
    progress_safe_point,
    resume_every_checkpoint,
    resume_under_drift,
    incremental_server_filter,
    incremental_honours_field,
    incremental_future,
    incremental_desc_earliest,
    incremental_watermark_encoding,
    incremental_same_instant,
    partition_stable,
    transport_tracked,
    faults_rate_limit,
    faults_transient,
    faults_stall,
    faults_auth,
    webhook_merge,
)

CHECKS: dict[str, ModuleType] = {module.ID: module for module in _MODULES}
SOURCE_CHECKS = tuple(check_id for check_id, module in CHECKS.items() if module.LEVEL == "source")
ENDPOINT_CHECKS = tuple(check_id for check_id, module in CHECKS.items() if module.LEVEL == "endpoint")


def get_check(check_id: str) -> ModuleType:
    try:
        return CHECKS[check_id]
    except KeyError:
        raise KeyError(f"unknown check {check_id!r}; known: {', '.join(CHECKS)}") from None


def applies(check_id: str, target: EndpointUnderTest) -> bool:
    module = get_check(check_id)
    rule = getattr(module, "applies", None)
    return True if rule is None else bool(rule(target))
