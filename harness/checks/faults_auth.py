"""401 / 403 during a sync stop it at once with an error the platform recognises as non-retryable."""

from __future__ import annotations

from harness.checks._common import auth_fault, fault_page, vendor_error_hint
from harness.checks.context import CheckContext
from harness.runs.records import RunSpec

ID = "faults.auth"
LEVEL = "endpoint"
SCENARIOS = ("full",)
PROVES = (
    "When the vendor answers 401 (and, separately, 403) from page k on, the sync raises after exactly one attempt "
    "at that page, and the error text contains one of the keys of get_non_retryable_errors(), so the platform "
    "stops the job and shows the user what to do instead of retrying it."
)
APPLIES = "every endpoint with fixtures."


def check(ctx: CheckContext) -> None:
    full = ctx.run(RunSpec("full"))
    page = fault_page(full)
    non_retryable = ctx.sut.source.get_non_retryable_errors()
    for status in (401, 403):
        record = ctx.runs.run(ctx.endpoint, RunSpec("full", faults=(auth_fault(ctx, status, page),)))
        attempts = sum(1 for request in record.wire if request.page == page and request.fault)
        if attempts > 1:
            ctx.fail(
                f"no retry of a {status}",
                f"page {page} answered {status} and was requested {attempts} times"
                + (f" ({record.stop_message})" if record.stop_message else ""),
                f"do not retry {status} (the SDK's default RetryPolicy does not; remove it from retry_statuses)",
            )
        ctx.require_clean(record, allow_error=True, allow_unconsumed=True)
        if record.error is None:
            ctx.fail(
                f"a {status} during the sync to fail it",
                f"every request from page {page} on answered {status} and the sync ended without error after "
                f"{len(record.rows)} rows",
                "call response.raise_for_status() (or raise) on 401/403",
            )
        message = record.error.message
        if not any(key in message for key in non_retryable):
            declared = status in ctx.sut.manifest.vendor_errors
            ctx.fail(
                f"the {status} error to match a key of get_non_retryable_errors()",
                f"the sync raised {record.error.describe()}; keys: {sorted(non_retryable) or 'none'}"
                + vendor_error_hint(ctx, status),
                f"add the prefix of that message (e.g. {message[:60]!r}) to get_non_retryable_errors() with advice "
                "for the user"
                if declared
                else f"declare the vendor's real {status} response as [vendor_errors.{status}] in the manifest, "
                "then make get_non_retryable_errors() match the message your code raises for it",
            )
