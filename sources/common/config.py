"""Parse a source's config payload into its typed config dataclass, checking it against the form fields."""

from __future__ import annotations

import dataclasses
import json
from typing import Any, TypeVar

from sources.common.errors import ConfigError
from sources.common.fields import (
    FieldType,
    SourceConfig,
    SourceFieldFileUploadConfig,
    SourceFieldInputConfig,
    SourceFieldInputConfigType,
    SourceFieldOauthConfig,
    SourceFieldSelectConfig,
    SourceFieldSSHTunnelConfig,
    SourceFieldSwitchGroupConfig,
)

ConfigT = TypeVar("ConfigT")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_input(field: SourceFieldInputConfig, value: Any, where: str) -> Any:
    if field.type is SourceFieldInputConfigType.NUMBER:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: field '{field.name}' must be a number, got {value!r}") from None
        return int(number) if number.is_integer() else number
    if not isinstance(value, str):
        raise ConfigError(f"{where}: field '{field.name}' must be text, got {type(value).__name__}")
    if field.type is SourceFieldInputConfigType.EMAIL and "@" not in value:
        raise ConfigError(f"{where}: field '{field.name}' must be an email address, got {value!r}")
    return value.strip() if field.type is not SourceFieldInputConfigType.TEXTAREA else value


def _parse_file(field: SourceFieldFileUploadConfig, value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: field '{field.name}' is not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: field '{field.name}' must be a JSON object")
    if field.keys == "*":
        return value
    missing = [key for key in field.keys if key not in value]
    if missing:
        raise ConfigError(f"{where}: field '{field.name}' is missing key(s) {', '.join(missing)}")
    return {key: value[key] for key in field.keys}


def parse_fields(fields: tuple[FieldType, ...], payload: dict[str, Any], where: str) -> dict[str, Any]:
    """Validate `payload` against `fields`; returns the parsed values (select children flattened beside it)."""
    values: dict[str, Any] = {}
    for field in fields:
        raw = payload.get(field.name)
        required = getattr(field, "required", False)
        if isinstance(field, SourceFieldSwitchGroupConfig):
            group = raw if isinstance(raw, dict) else {}
            enabled = bool(group.get("enabled", field.default))
            parsed = parse_fields(field.fields, group, f"{where} > {field.name}") if enabled else {}
            values[field.name] = {"enabled": enabled, **parsed}
            continue
        if isinstance(field, SourceFieldSSHTunnelConfig):
            values[field.name] = raw if isinstance(raw, dict) else {"enabled": False}
            continue
        if _is_blank(raw):
            if required:
                label = getattr(field, "label", field.name)
                raise ConfigError(f"{where}: field '{field.name}' ({label}) is required")
            values[field.name] = None
            continue
        if isinstance(field, SourceFieldInputConfig):
            values[field.name] = _parse_input(field, raw, where)
        elif isinstance(field, SourceFieldSelectConfig):
            options = {option.value: option for option in field.options}
            if raw not in options:
                known = ", ".join(sorted(options))
                raise ConfigError(f"{where}: field '{field.name}' must be one of {known}, got {raw!r}")
            values[field.name] = raw
            values.update(parse_fields(options[raw].fields, payload, f"{where} > {field.name}={raw}"))
        elif isinstance(field, SourceFieldFileUploadConfig):
            values[field.name] = _parse_file(field, raw, where)
        elif isinstance(field, SourceFieldOauthConfig):
            values[field.name] = raw
    return values


def parse_config(config_cls: type[ConfigT], source_config: SourceConfig, payload: dict[str, Any]) -> ConfigT:
    """Build `config_cls` from `payload`; every error names the source and the field."""
    where = f"{source_config.name} config"
    if not isinstance(payload, dict):
        raise ConfigError(f"{where}: expected an object of field values, got {type(payload).__name__}")
    values = parse_fields(source_config.fields, payload, where)
    kwargs: dict[str, Any] = {}
    for attribute in dataclasses.fields(config_cls):  # type: ignore[arg-type]
        if attribute.name in values and values[attribute.name] is not None:
            kwargs[attribute.name] = values[attribute.name]
        elif attribute.name in payload and attribute.name not in values:
            kwargs[attribute.name] = payload[attribute.name]
        elif attribute.default is dataclasses.MISSING and attribute.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where}: field '{attribute.name}' is required")
    return config_cls(**kwargs)
