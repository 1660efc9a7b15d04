"""`validate_credentials` tells a good token from a bad one and handles missing scope the way users need."""

from __future__ import annotations

from harness.checks._common import auth_fault, vendor_error_hint
from harness.checks.context import CheckContext, listing
from harness.runs.records import CredentialCall, CredentialsRecord

ID = "credentials"
LEVEL = "source"
SCENARIOS = ("credentials",)
PROVES = (
    "Over the recorded credentials HAR, validate_credentials returns (True, None) at source-create "
    "(schema_name=None) and for every schema, making exactly the recorded probes; when the vendor answers 401 it "
    "returns (False, message) for create and for a schema without raising; when it answers 403 (valid token, "
    "missing scope) it accepts at create but returns (False, message naming the schema or scope) for a named "
    "schema."
)
APPLIES = "every registered source (source-level)."


def _describe(call: CredentialCall) -> str:
    who = f"schema_name={call.schema_name!r}"
    if call.error is not None:
        return f"{who} raised {call.error.describe()}"
    if call.stop is not None:
        return f"{who} was stopped by the replay ({call.stop})"
    return f"{who} returned {call.result!r}"


def _clean(ctx: CheckContext, record: CredentialsRecord, situation: str) -> None:
    if record.egress:
        ctx.fail(
            "credential probes only through the tracked transport",
            f"{situation}: {record.egress[0].describe()}",
            "send the probe through make_tracked_session",
        )
    if record.unmatched:
        ctx.fail_unmatched(record.unmatched[0], situation, ctx.sut.manifest.credentials_har, record.wire, None)


def check(ctx: CheckContext) -> None:
    sut = ctx.sut
    if sut.manifest.credentials_har is None:
        ctx.fail(
            "a recorded credentials HAR ([credentials] har = ...) in the manifest",
            f"{sut.manifest.path} has no [credentials] table",
            f"call recorder.record_credentials(simulator, {sorted(sut.schemas)}) in record_all, re-record and add "
            '[credentials] har = "credentials.har"',
        )
    names: tuple[str | None, ...] = (None, *sorted(sut.schemas))
    happy = ctx.runs.credentials(sut, names)
    _clean(ctx, happy, "valid token")
    for call in happy.calls:
        if call.result is None or not call.result[0]:
            ctx.fail(
                "(True, None) for a valid token",
                f"with the recorded 200 responses, {_describe(call)}",
                "return (True, None) when the probe succeeds",
            )
    if happy.unconsumed:
        missed = [f"{entry.request.method} {entry.request.url}" for entry in happy.unconsumed]
        ctx.fail(
            "validate_credentials to make the recorded probes",
            f"recorded but never requested: {listing(missed, 3)}",
            "make the probes the recording has (the same endpoints, one per schema_name)",
        )

    schema = sorted(sut.schemas)[0] if sut.schemas else None
    unauthorized = ctx.runs.credentials(sut, (None, schema) if schema else (None,), (auth_fault(ctx, 401),))
    _clean(ctx, unauthorized, "401 Unauthorized")
    for call in unauthorized.calls:
        if call.result is None or call.result[0] or not call.result[1]:
            ctx.fail(
                "(False, clear message) when the vendor answers 401, never an exception",
                f"with every probe answered 401, {_describe(call)}" + vendor_error_hint(ctx, 401),
                "catch the HTTP error in validate_credentials and return (False, 'Invalid API token ...')",
            )

    forbidden_names: tuple[str | None, ...] = (None, *sorted(sut.schemas))
    forbidden = ctx.runs.credentials(sut, forbidden_names, (auth_fault(ctx, 403),))
    _clean(ctx, forbidden, "403 Forbidden")
    create, *per_schema = forbidden.calls
    if create.result is None or not create.result[0]:
        ctx.fail(
            "403 accepted at source-create (the token is valid; scopes are checked per schema)",
            f"with every probe answered 403, {_describe(create)}",
            "return (True, None) for a 403 when schema_name is None",
        )
    for call in per_schema:
        if call.result is None or call.result[0] or not call.result[1]:
            ctx.fail(
                "(False, message naming the schema or scope) for a 403 when schema_name is set",
                f"with every probe answered 403, {_describe(call)}",
                "probe the schema's endpoint when schema_name is set and return (False, message) on 403",
            )
        message = call.result[1].lower()
        if str(call.schema_name).lower() not in message and "scope" not in message and "permission" not in message:
            ctx.fail(
                "the 403 message to name the schema or the missing scope",
                f"{_describe(call)}",
                "say which schema or scope the token lacks",
            )
