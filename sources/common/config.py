"""Parse a source's config payload into its typed config dataclass, checking it against the form fields.

Every error is one line naming the source and the field, e.g.
`Stripe config > auth_method=api_key: field 'api_key' (API key) is required`. Values of PASSWORD fields never
appear in a message.

Shapes: an input is a scalar; a switch group (and the SSH tunnel) is `{"enabled": bool, ...children}`, its
children read only when enabled; a select is the chosen option's value, its child fields read beside it in
the same object (or inside it, when the value is `{"selection": value, ...children}`) and returned beside it;
a file upload is a JSON object or a JSON string of one; an OAuth field is an integration id.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
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

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
_FALSE_WORDS = frozenset({"false", "0", "no", "off", ""})
MAX_PORT = 65535


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _describe(field: FieldType) -> str:
    label = getattr(field, "label", None)
    return f"'{field.name}' ({label})" if label and label != field.name else f"'{field.name}'"


def _to_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if not isinstance(value, str):
        return None
    for convert in (int, float):
        try:
            return convert(value.strip())
        except ValueError:
            continue
    return None


def _parse_number(field: SourceFieldInputConfig, value: Any, where: str) -> int | float:
    number = _to_number(value)
    if number is None or (isinstance(number, float) and not math.isfinite(number)):
        shown = repr(value) if isinstance(value, str | float) else type(value).__name__
        raise ConfigError(f"{where}: field {_describe(field)} must be a number, got {shown}")
    if isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def _parse_input(field: SourceFieldInputConfig, value: Any, where: str) -> Any:
    if field.type is SourceFieldInputConfigType.NUMBER:
        return _parse_number(field, value, where)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: field {_describe(field)} must be text, got {type(value).__name__}")
    if field.type is SourceFieldInputConfigType.TEXTAREA:
        return value
    value = value.strip()
    if field.type is SourceFieldInputConfigType.EMAIL and not _EMAIL.match(value):
        raise ConfigError(f"{where}: field {_describe(field)} must be an email address, got {value!r}")
    return value


def _parse_file(field: SourceFieldFileUploadConfig, value: Any, where: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: field {_describe(field)} is not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: field {_describe(field)} must be a JSON object, got {type(value).__name__}")
    if field.keys == "*":
        return value
    missing = [key for key in field.keys if key not in value]
    if missing:
        raise ConfigError(f"{where}: field {_describe(field)} is missing key(s) {', '.join(missing)}")
    return {key: value[key] for key in field.keys}


def _parse_oauth(field: SourceFieldOauthConfig, value: Any, where: str) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(f"{where}: field {_describe(field)} must be an integration id, got {type(value).__name__}")
    return value.strip() if isinstance(value, str) else value


def _parse_bool(value: Any, where: str, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE_WORDS | _FALSE_WORDS:
        return value.strip().lower() in _TRUE_WORDS
    raise ConfigError(f"{where}: field '{name}' must be true or false, got {value!r}")


def _parse_group(
    field: SourceFieldSwitchGroupConfig | SourceFieldSSHTunnelConfig, raw: Any, default: bool, where: str
) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f'{where}: field {_describe(field)} must be an object like {{"enabled": true, ...}}, '
            f"got {type(raw).__name__}"
        )
    enabled = _parse_bool(raw.get("enabled", default), where, f"{field.name}.enabled")
    children = parse_fields(field.fields, raw, f"{where} > {field.name}") if enabled else {}
    return {"enabled": enabled, **children}


def _parse_ssh_tunnel(field: SourceFieldSSHTunnelConfig, raw: Any, where: str) -> dict[str, Any]:
    tunnel = _parse_group(field, raw, False, where)
    port = tunnel.get("port")
    if tunnel["enabled"] and not (isinstance(port, int) and 0 < port <= MAX_PORT):
        raise ConfigError(f"{where} > {field.name}: field 'port' must be a whole number 1-{MAX_PORT}, got {port!r}")
    return tunnel


def _parse_select(field: SourceFieldSelectConfig, payload: dict[str, Any], where: str) -> dict[str, Any]:
    raw = payload.get(field.name)
    children_source = payload
    if isinstance(raw, dict) and "selection" in raw:
        children_source, raw = raw, raw["selection"]
    if _is_blank(raw):
        raw = field.default_value
    if _is_blank(raw):
        if field.required:
            raise ConfigError(f"{where}: field {_describe(field)} is required")
        return {field.name: None}
    options = {option.value: option for option in field.options}
    if not isinstance(raw, str) or raw not in options:
        known = ", ".join(options)
        raise ConfigError(f"{where}: field {_describe(field)} must be one of {known}, got {raw!r}")
    children = parse_fields(options[raw].fields, children_source, f"{where} > {field.name}={raw}")
    return {field.name: raw, **children}


def _parse_scalar(field: FieldType, raw: Any, where: str) -> Any:
    if isinstance(field, SourceFieldInputConfig):
        return _parse_input(field, raw, where)
    if isinstance(field, SourceFieldFileUploadConfig):
        return _parse_file(field, raw, where)
    if isinstance(field, SourceFieldOauthConfig):
        return _parse_oauth(field, raw, where)
    raise TypeError(f"{where}: field '{field.name}' has an unsupported type {type(field).__name__}")


def _parse_field(field: FieldType, payload: dict[str, Any], where: str) -> dict[str, Any]:
    raw = payload.get(field.name)
    if isinstance(field, SourceFieldSwitchGroupConfig):
        return {field.name: _parse_group(field, raw, field.default, where)}
    if isinstance(field, SourceFieldSSHTunnelConfig):
        return {field.name: _parse_ssh_tunnel(field, raw, where)}
    if isinstance(field, SourceFieldSelectConfig):
        return _parse_select(field, payload, where)
    if _is_blank(raw):
        if field.required:
            raise ConfigError(f"{where}: field {_describe(field)} is required")
        return {field.name: None}
    return {field.name: _parse_scalar(field, raw, where)}


def parse_fields(fields: tuple[FieldType, ...], payload: dict[str, Any], where: str) -> dict[str, Any]:
    """Validate `payload` against `fields`; returns the parsed values (select children flattened beside it)."""
    values: dict[str, Any] = {}
    for field in fields:
        values.update(_parse_field(field, payload, where))
    return values


def _has_default(attribute: dataclasses.Field[Any]) -> bool:
    return attribute.default is not dataclasses.MISSING or attribute.default_factory is not dataclasses.MISSING


def _constructor_kwargs(
    config_cls: type, values: dict[str, Any], payload: dict[str, Any], where: str
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for attribute in dataclasses.fields(config_cls):
        name = attribute.name
        if not attribute.init:
            continue
        if values.get(name) is not None:
            kwargs[name] = values[name]
        elif name not in values and name in payload:  # a config attribute that is not a form field
            kwargs[name] = payload[name]
        elif not _has_default(attribute):
            raise ConfigError(f"{where}: field '{name}' is required")
    return kwargs


def parse_config(config_cls: type[ConfigT], source_config: SourceConfig, payload: dict[str, Any]) -> ConfigT:
    """Build `config_cls` from `payload`; every error names the source and the field."""
    where = f"{source_config.name} config"
    if not dataclasses.is_dataclass(config_cls):
        raise TypeError(f"{where}: config class {config_cls!r} must be a dataclass")
    if not isinstance(payload, dict):
        raise ConfigError(f"{where}: expected an object of field values, got {type(payload).__name__}")
    values = parse_fields(source_config.fields, payload, where)
    return config_cls(**_constructor_kwargs(config_cls, values, payload, where))
