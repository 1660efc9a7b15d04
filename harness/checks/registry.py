"""The source is registered once, importable, and describes itself consistently."""

from __future__ import annotations

import importlib

from harness.checks.context import CheckContext
from harness.runs.records import RunSpec
from sources.common.fields import SourceFieldInputConfig, SourceFieldInputConfigType, iter_fields
from sources.common.registry import SourceRegistry
from sources.common.scrub import NOT_SENSITIVE_WORDS, name_parts

ID = "registry"
LEVEL = "source"
SCENARIOS = ("full",)
PROVES = (
    "The source type is registered exactly once under the name its class reports and its module imports; every "
    "credential-like form or webhook field (token, key, secret, password) is a PASSWORD field so it is never "
    "shown or logged; "
    "every schema from get_schemas has fixtures and every fixture endpoint is a schema; the SourceResponse of each "
    "endpoint declares a primary key, and the primary key, every advertised incremental field and the partition "
    "keys are fields of the rows it yields; supports_webhooks is set only on incremental endpoints of a "
    "WebhookSource and webhook_resource_map is keyed by schema names."
)
APPLIES = "every registered source (source-level)."

CREDENTIAL_WORDS = ("token", "key", "secret", "password")


def is_credential_name(name: str) -> bool:
    """`api_key`, `accessToken`, `client_secret`, `password`; not `page_token` or `cursor_key`."""
    parts = name_parts(name)
    return not any(part in NOT_SENSITIVE_WORDS for part in parts) and any(
        part.endswith(CREDENTIAL_WORDS) for part in parts
    )


def check(ctx: CheckContext) -> None:
    sut = ctx.sut
    cls = type(sut.source)
    registered = SourceRegistry.all_sources().get(sut.source_type)
    if registered is not cls:
        ctx.fail(
            f"{cls.__qualname__} to be the class registered as {sut.source_type!r}",
            f"the registry holds {registered!r}",
            "decorate the source class with @SourceRegistry.register",
        )
    if sut.source.source_type != sut.source_type:
        ctx.fail(
            "source_type to equal the registered name",
            f"registered as {sut.source_type!r}, instance reports {sut.source.source_type!r}",
            "return one constant from source_type",
        )
    folded = {name.lower().replace("_", "").replace("-", ""): name for name in SourceRegistry.source_types()}
    clash = [
        name
        for key, name in folded.items()
        if key == sut.source_type.lower().replace("_", "").replace("-", "") and name != sut.source_type
    ]
    if clash:
        ctx.fail(
            "a unique source type",
            f"{sut.source_type!r} and {clash[0]!r} differ only in case or separators",
            "rename one of the two source types",
        )
    try:
        importlib.import_module(cls.__module__)
    except Exception as exc:
        ctx.fail(f"module {cls.__module__} to import", f"importing it raised {type(exc).__name__}: {exc}", "fix it")

    source_config = sut.source.get_source_config
    for where, fields in (("fields", source_config.fields), ("webhookFields", source_config.webhookFields)):
        for field in iter_fields(fields):
            if (
                isinstance(field, SourceFieldInputConfig)
                and is_credential_name(field.name)
                and field.type is not SourceFieldInputConfigType.PASSWORD
            ):
                ctx.fail(
                    "credential fields to be PASSWORD fields",
                    f"field {field.name!r} ({field.label!r}) in get_source_config.{where} is {field.type.value!r}",
                    f"declare {field.name!r} with type=SourceFieldInputConfigType.PASSWORD",
                )

    schemas = sut.schemas
    for name in schemas:
        if name not in sut.manifest.endpoints:
            ctx.fail(
                "fixtures for every schema get_schemas lists",
                f"schema {name!r} has no [endpoints.{name}] in {sut.manifest.path}",
                f"record it (python -m harness record {sut.source_type}) and add it to the manifest",
            )
    for name in sut.manifest.endpoints:
        if name not in schemas:
            ctx.fail(
                "every fixture endpoint to be a schema of the source",
                f"{sut.manifest.path} has [endpoints.{name}] but get_schemas returns {sorted(schemas)}",
                "rename the manifest endpoint to the schema name, or add the schema",
            )
    for schema in schemas.values():
        if schema.supports_incremental != bool(schema.incremental_fields):
            ctx.fail(
                "supports_incremental exactly when incremental_fields are advertised",
                f"schema {schema.name!r}: supports_incremental={schema.supports_incremental}, "
                f"incremental_fields={[f.field for f in schema.incremental_fields]}",
                "list the fields the API filters on server-side, or mark the schema full-refresh",
            )
        if schema.supports_webhooks and not (schema.supports_incremental and sut.webhooks):
            ctx.fail(
                "supports_webhooks only on incremental endpoints of a WebhookSource",
                f"schema {schema.name!r}: supports_webhooks=True, supports_incremental={schema.supports_incremental}, "
                f"WebhookSource={sut.webhooks}",
                "set supports_webhooks=False there",
            )
    if sut.webhooks:
        unknown = sorted(set(sut.source.webhook_resource_map) - set(schemas))  # type: ignore[attr-defined]
        if unknown:
            ctx.fail(
                "webhook_resource_map keyed by schema names",
                f"keys {unknown} are not schemas ({sorted(schemas)})",
                "key the map by our schema name, valued by the vendor's object type",
            )

    for name in sut.manifest.endpoints if not sut.unrecorded else ():  # nothing recorded: `fixtures` says so
        target = sut.endpoint(name)
        record = ctx.runs.run(target, RunSpec("full"))
        if record.response is None:
            continue  # the endpoint's own checks report why it could not be opened
        keys = record.response.primary_keys
        if not keys:
            ctx.fail(
                "every SourceResponse to declare primary_keys",
                f"endpoint {name!r}: primary_keys={keys!r}",
                "set primary_keys in the endpoint's settings",
            )
        rows = record.rows
        if not rows:
            continue
        declared = [("primary key", key) for key in keys]
        declared += [
            ("incremental field", f.field) for f in (target.schema.incremental_fields if target.schema else [])
        ]
        declared += [("partition key", key) for key in record.response.partition_keys or ()]
        for role, field in declared:
            absent = sum(1 for row in rows if field not in row)
            if absent:
                ctx.fail(
                    f"the {role} {field!r} of endpoint {name!r} to be a field of its rows",
                    f"{absent} of {len(rows)} rows of the full sync lack {field!r}; row fields: {sorted(rows[0])[:12]}",
                    f"declare the field the API really returns, or add {field!r} to each row",
                )
