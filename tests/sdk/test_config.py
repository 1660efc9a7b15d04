"""Config parsing against form fields: every field kind, nested groups, and errors that name source and field."""

from __future__ import annotations

import dataclasses
import json
import re
import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sources.common.config import parse_config, parse_fields
from sources.common.errors import ConfigError
from sources.common.fields import (
    SourceConfig,
    SourceFieldFileUploadConfig,
    SourceFieldInputConfig,
    SourceFieldInputConfigType,
    SourceFieldOauthConfig,
    SourceFieldSelectConfig,
    SourceFieldSelectConfigOption,
    SourceFieldSSHTunnelConfig,
    SourceFieldSwitchGroupConfig,
    sensitive_keys,
)

Kind = SourceFieldInputConfigType
WHERE = "Acme config"


def parse(*fields: Any, **payload: Any) -> dict[str, Any]:
    return parse_fields(tuple(fields), payload, WHERE)


def text(name: str, kind: Kind = Kind.TEXT, required: bool = True) -> SourceFieldInputConfig:
    return SourceFieldInputConfig(name=name, label=name.replace("_", " ").title(), type=kind, required=required)


# --- inputs -------------------------------------------------------------------------------------------


def test_text_is_stripped_but_textarea_is_kept_as_typed() -> None:
    values = parse(text("domain"), text("query", Kind.TEXTAREA), domain="  acme.io \n", query="  a\n b  ")
    assert values == {"domain": "acme.io", "query": "  a\n b  "}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(5, 5), ("42", 42), (" 7 ", 7), ("2.5", 2.5), (3.0, 3), ("1e3", 1000), (0, 0), ("-3", -3)],
)
def test_number_accepts_numbers_and_numeric_text(raw: Any, expected: float) -> None:
    value = parse(text("page_size", Kind.NUMBER), page_size=raw)["page_size"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("raw", ["ten", True, [1], {"n": 1}, "nan", "inf", float("inf")])
def test_number_refuses_what_is_not_a_finite_number(raw: Any) -> None:
    with pytest.raises(ConfigError, match=r"^Acme config: field 'page_size' \(Page Size\) must be a number, got"):
        parse(text("page_size", Kind.NUMBER), page_size=raw)


@pytest.mark.parametrize("raw", ["ops@acme.io", " ops+sync@mail.acme.io "])
def test_email_accepts_an_address(raw: str) -> None:
    assert parse(text("email", Kind.EMAIL), email=raw)["email"] == raw.strip()


@pytest.mark.parametrize("raw", ["acme.io", "ops@", "@acme.io", "o ps@acme.io", "a@b@c"])
def test_email_refuses_what_is_not_an_address(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"field 'email' \(Email\) must be an email address"):
        parse(text("email", Kind.EMAIL), email=raw)


@pytest.mark.parametrize("kind", [Kind.TEXT, Kind.EMAIL, Kind.PASSWORD, Kind.TEXTAREA])
def test_text_kinds_refuse_non_text(kind: Kind) -> None:
    with pytest.raises(ConfigError, match=r"field 'value' \(Value\) must be text, got int"):
        parse(text("value", kind), value=12)


def test_a_wrong_password_value_is_never_shown() -> None:
    secret = {"nested": "fake-acme-password-0001"}
    with pytest.raises(ConfigError) as raised:
        parse(text("password", Kind.PASSWORD), password=secret)
    assert "fake-acme-password-0001" not in str(raised.value)


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_required_input_is_an_error_naming_it(blank: Any) -> None:
    with pytest.raises(ConfigError, match=r"^Acme config: field 'api_key' \(Api Key\) is required$"):
        parse(text("api_key", Kind.PASSWORD), api_key=blank)


def test_a_blank_optional_input_is_none() -> None:
    assert parse(text("subdomain", required=False), subdomain="  ") == {"subdomain": None}
    assert parse(text("subdomain", required=False)) == {"subdomain": None}


# --- switch groups ------------------------------------------------------------------------------------

PROXY = SourceFieldSwitchGroupConfig(
    name="proxy",
    label="Use a proxy",
    fields=(text("proxy_host"), text("proxy_port", Kind.NUMBER)),
)


def test_an_enabled_switch_group_parses_its_children() -> None:
    values = parse(PROXY, proxy={"enabled": True, "proxy_host": " p.acme.io ", "proxy_port": "3128"})
    assert values == {"proxy": {"enabled": True, "proxy_host": "p.acme.io", "proxy_port": 3128}}


def test_a_disabled_switch_group_ignores_its_children_even_when_invalid() -> None:
    values = parse(PROXY, proxy={"enabled": False, "proxy_port": "not a number"})
    assert values == {"proxy": {"enabled": False}}


def test_a_missing_switch_group_takes_its_default() -> None:
    assert parse(PROXY) == {"proxy": {"enabled": False}}
    on_by_default = dataclasses.replace(PROXY, default=True)
    with pytest.raises(ConfigError, match=r"^Acme config > proxy: field 'proxy_host' \(Proxy Host\) is required$"):
        parse(on_by_default)


@pytest.mark.parametrize(("raw", "enabled"), [("false", False), ("False", False), ("true", True), ("0", False)])
def test_switch_group_enabled_given_as_text_is_read_as_a_bool(raw: str, enabled: bool) -> None:
    payload = {"enabled": raw, "proxy_host": "p.acme.io", "proxy_port": 1}
    assert parse(PROXY, proxy=payload)["proxy"]["enabled"] is enabled


def test_switch_group_enabled_that_is_not_a_bool_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"^Acme config: field 'proxy.enabled' must be true or false, got 'maybe'$"):
        parse(PROXY, proxy={"enabled": "maybe"})


def test_a_switch_group_that_is_not_an_object_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"field 'proxy' \(Use a proxy\) must be an object .* got list"):
        parse(PROXY, proxy=["enabled"])


def test_errors_inside_a_switch_group_name_the_group_and_the_child() -> None:
    with pytest.raises(ConfigError, match=r"^Acme config > proxy: field 'proxy_port' \(Proxy Port\) must be a number"):
        parse(PROXY, proxy={"enabled": True, "proxy_host": "p", "proxy_port": "x"})


# --- selects ------------------------------------------------------------------------------------------

AUTH = SourceFieldSelectConfig(
    name="auth_method",
    label="Authentication",
    default_value="api_key",
    options=(
        SourceFieldSelectConfigOption(label="API key", value="api_key", fields=(text("api_key", Kind.PASSWORD),)),
        SourceFieldSelectConfigOption(
            label="OAuth",
            value="oauth",
            fields=(SourceFieldOauthConfig(name="integration_id", label="Account", kind="acme"),),
        ),
    ),
)


def test_a_select_parses_the_chosen_options_children_beside_it() -> None:
    values = parse(AUTH, auth_method="api_key", api_key=" fake-acme-key-0001 ")
    assert values == {"auth_method": "api_key", "api_key": "fake-acme-key-0001"}


def test_a_select_ignores_the_children_of_other_options() -> None:
    values = parse(AUTH, auth_method="oauth", integration_id=17, api_key=None)
    assert values == {"auth_method": "oauth", "integration_id": 17}


def test_a_select_also_reads_the_nested_selection_shape() -> None:
    values = parse(AUTH, auth_method={"selection": "api_key", "api_key": "fake-acme-key-0001"})
    assert values == {"auth_method": "api_key", "api_key": "fake-acme-key-0001"}


def test_a_blank_select_falls_back_to_its_default_value() -> None:
    assert parse(AUTH, api_key="fake-acme-key-0001")["auth_method"] == "api_key"


def test_a_blank_select_without_default_is_required() -> None:
    no_default = dataclasses.replace(AUTH, default_value=None)
    with pytest.raises(ConfigError, match=r"^Acme config: field 'auth_method' \(Authentication\) is required$"):
        parse(no_default)


@pytest.mark.parametrize("raw", ["password", ["api_key"], {"selection": "sso"}, 3])
def test_an_unknown_option_lists_the_known_ones(raw: Any) -> None:
    with pytest.raises(ConfigError, match=r"field 'auth_method' \(Authentication\) must be one of api_key, oauth, got"):
        parse(AUTH, auth_method=raw)


def test_errors_in_option_children_name_the_select_and_the_option() -> None:
    with pytest.raises(
        ConfigError, match=r"^Acme config > auth_method=api_key: field 'api_key' \(Api Key\) is required$"
    ):
        parse(AUTH, auth_method="api_key")


def test_a_default_value_outside_the_options_is_refused_at_definition() -> None:
    with pytest.raises(ValueError, match=r"select field 'auth_method': default_value 'sso' is not one of its options"):
        dataclasses.replace(AUTH, default_value="sso")


# --- OAuth and file uploads ---------------------------------------------------------------------------

OAUTH = SourceFieldOauthConfig(name="integration_id", label="Acme account", kind="acme")


@pytest.mark.parametrize("raw", [17, "17", " int-17 "])
def test_oauth_takes_an_integration_id(raw: Any) -> None:
    assert parse(OAUTH, integration_id=raw)["integration_id"] == (raw.strip() if isinstance(raw, str) else raw)


@pytest.mark.parametrize("raw", [True, {"id": 17}, 1.5])
def test_oauth_refuses_what_is_not_an_id(raw: Any) -> None:
    with pytest.raises(ConfigError, match=r"field 'integration_id' \(Acme account\) must be an integration id"):
        parse(OAUTH, integration_id=raw)


KEY_FILE = SourceFieldFileUploadConfig(name="key_file", label="Service account", keys=("project_id", "private_key"))
ANY_FILE = SourceFieldFileUploadConfig(name="key_file", label="Service account", keys="*")
SERVICE_ACCOUNT = {"project_id": "acme-test", "private_key": "fake-pem", "client_email": "sync@acme.test"}


@pytest.mark.parametrize("as_text", [False, True])
def test_a_file_upload_keeps_only_the_allowed_keys(as_text: bool) -> None:
    raw = json.dumps(SERVICE_ACCOUNT) if as_text else SERVICE_ACCOUNT
    assert parse(KEY_FILE, key_file=raw)["key_file"] == {"project_id": "acme-test", "private_key": "fake-pem"}


@pytest.mark.parametrize("as_text", [False, True])
def test_a_star_file_upload_keeps_every_key(as_text: bool) -> None:
    raw = json.dumps(SERVICE_ACCOUNT) if as_text else SERVICE_ACCOUNT
    assert parse(ANY_FILE, key_file=raw)["key_file"] == SERVICE_ACCOUNT


def test_a_file_upload_missing_an_allowed_key_names_it() -> None:
    with pytest.raises(ConfigError, match=r"field 'key_file' \(Service account\) is missing key\(s\) private_key$"):
        parse(KEY_FILE, key_file={"project_id": "acme-test"})


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("{not json", r"is not valid JSON \(Expecting property name"), ("[1, 2]", "must be a JSON object, got list")],
)
def test_a_file_upload_that_is_not_a_json_object_is_an_error(raw: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=rf"^Acme config: field 'key_file' \(Service account\) {problem}"):
        parse(ANY_FILE, key_file=raw)


def test_fields_may_be_declared_as_lists() -> None:
    listed = SourceFieldFileUploadConfig(name="key_file", label="Key", keys=["project_id"])  # type: ignore[arg-type]
    group = SourceFieldSwitchGroupConfig(name="proxy", label="Proxy", fields=[text("proxy_host")])  # type: ignore[arg-type]

    assert listed.keys == ("project_id",)
    assert parse(listed, group, key_file=SERVICE_ACCOUNT, proxy={"enabled": True, "proxy_host": "p"}) == {
        "key_file": {"project_id": "acme-test"},
        "proxy": {"enabled": True, "proxy_host": "p"},
    }


# --- SSH tunnel ---------------------------------------------------------------------------------------

TUNNEL = SourceFieldSSHTunnelConfig()


def test_a_disabled_or_missing_ssh_tunnel_is_just_disabled() -> None:
    assert parse(TUNNEL) == {"ssh_tunnel": {"enabled": False}}
    assert parse(TUNNEL, ssh_tunnel={"enabled": False, "port": "x"}) == {"ssh_tunnel": {"enabled": False}}


def test_an_ssh_tunnel_with_a_password() -> None:
    tunnel = {"enabled": True, "host": "bastion.acme.io", "port": "22", "username": "sync", "password": "fake-pw"}
    assert parse(TUNNEL, ssh_tunnel=tunnel)["ssh_tunnel"] == {
        "enabled": True,
        "host": "bastion.acme.io",
        "port": 22,
        "auth_type": "password",
        "username": "sync",
        "password": "fake-pw",
    }


def test_an_ssh_tunnel_with_a_key_pair_has_an_optional_passphrase() -> None:
    tunnel = {"enabled": True, "host": "b", "port": 2222, "auth_type": "keypair", "username": "u", "private_key": "k"}
    parsed = parse(TUNNEL, ssh_tunnel=tunnel)["ssh_tunnel"]
    assert parsed["auth_type"] == "keypair"
    assert parsed["private_key"] == "k"
    assert parsed["passphrase"] is None


@pytest.mark.parametrize("port", [0, 70000, 22.5])
def test_an_ssh_tunnel_port_must_be_a_port(port: Any) -> None:
    tunnel = {"enabled": True, "host": "b", "port": port, "username": "u", "password": "p"}
    with pytest.raises(ConfigError, match=r"^Acme config > ssh_tunnel: field 'port' must be a whole number 1-65535"):
        parse(TUNNEL, ssh_tunnel=tunnel)


def test_an_enabled_ssh_tunnel_without_credentials_names_the_missing_one() -> None:
    tunnel = {"enabled": True, "host": "b", "port": 22, "auth_type": "keypair", "username": "u"}
    with pytest.raises(
        ConfigError,
        match=r"^Acme config > ssh_tunnel > auth_type=keypair: field 'private_key' \(Private key\) is required",
    ):
        parse(TUNNEL, ssh_tunnel=tunnel)


# --- sensitive keys -----------------------------------------------------------------------------------


def test_sensitive_keys_are_every_password_field_however_deeply_nested() -> None:
    fields = (
        text("account"),
        text("client_secret", Kind.PASSWORD),
        AUTH,
        SourceFieldSwitchGroupConfig(
            name="proxy",
            label="Proxy",
            fields=(text("proxy_user"), text("proxy_password", Kind.PASSWORD)),
        ),
        TUNNEL,
    )
    assert sensitive_keys(fields) == {
        "client_secret",
        "api_key",
        "proxy_password",
        "password",
        "private_key",
        "passphrase",
    }


def test_sensitive_keys_of_fields_without_passwords_is_empty() -> None:
    assert sensitive_keys((text("account"), OAUTH, KEY_FILE)) == frozenset()


# --- parse_config into a dataclass --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AcmeConfig:
    auth_method: str
    api_key: str | None = None
    integration_id: int | None = None
    page_size: int = 100
    region: str = "eu"


ACME = SourceConfig(
    name="Acme",
    label="Acme",
    fields=(AUTH, text("page_size", Kind.NUMBER, required=False)),
)


def test_parse_config_builds_the_dataclass_with_defaults_for_blank_optionals() -> None:
    config = parse_config(AcmeConfig, ACME, {"auth_method": "api_key", "api_key": "k-0001", "page_size": ""})
    assert config == AcmeConfig(auth_method="api_key", api_key="k-0001", page_size=100)


def test_parse_config_passes_attributes_that_are_not_form_fields() -> None:
    config = parse_config(AcmeConfig, ACME, {"auth_method": "oauth", "integration_id": 3, "region": "us"})
    assert config == AcmeConfig(auth_method="oauth", integration_id=3, region="us")


def test_parse_config_names_a_dataclass_attribute_nothing_filled() -> None:
    @dataclasses.dataclass
    class NeedsAccount:
        auth_method: str
        account: str

    with pytest.raises(ConfigError, match=r"^Acme config: field 'account' is required$"):
        parse_config(NeedsAccount, ACME, {"api_key": "k-0001"})


@pytest.mark.parametrize("payload", [None, [], "api_key=1"])
def test_parse_config_refuses_a_payload_that_is_not_an_object(payload: Any) -> None:
    with pytest.raises(ConfigError, match=r"^Acme config: expected an object of field values, got"):
        parse_config(AcmeConfig, ACME, payload)


def test_parse_config_needs_a_dataclass() -> None:
    with pytest.raises(TypeError, match=r"Acme config: config class .* must be a dataclass"):
        parse_config(dict, ACME, {})


# --- properties ---------------------------------------------------------------------------------------

NAMES = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
KINDS = st.sampled_from([Kind.TEXT, Kind.PASSWORD, Kind.NUMBER, Kind.EMAIL, Kind.TEXTAREA])
VALID = {Kind.TEXT: "acme", Kind.PASSWORD: "fake-pw", Kind.NUMBER: 3, Kind.EMAIL: "a@acme.io", Kind.TEXTAREA: "x"}


@given(
    kinds=st.dictionaries(NAMES, KINDS, min_size=1, max_size=6),
    data=st.data(),
)
def test_any_payload_missing_a_required_field_names_that_field(kinds: dict[str, Kind], data: st.DataObject) -> None:
    fields = tuple(text(name, kind) for name, kind in kinds.items())
    missing = data.draw(st.sampled_from(sorted(kinds)))
    blank = data.draw(st.sampled_from([None, "", " \t"]))
    payload = {name: VALID[kind] for name, kind in kinds.items()}
    payload[missing] = blank
    source = SourceConfig(name="Prop", label="Prop", fields=fields)

    with pytest.raises(ConfigError) as raised:
        parse_fields(source.fields, payload, "Prop config")

    assert str(raised.value) == f"Prop config: field '{missing}' ({missing.replace('_', ' ').title()}) is required"


@given(kinds=st.dictionaries(NAMES, KINDS, min_size=1, max_size=6))
def test_any_complete_payload_parses_to_every_field(kinds: dict[str, Kind]) -> None:
    fields = tuple(text(name, kind) for name, kind in kinds.items())
    payload = {name: VALID[kind] for name, kind in kinds.items()}

    assert parse_fields(fields, payload, "Prop config") == payload


# --- release status -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "stage"),
    [
        ({"unreleasedSource": True, "releaseStatus": "alpha", "featureFlag": "dwh-acme"}, "unreleased"),
        ({"releaseStatus": "alpha", "featureFlag": "dwh-acme"}, "alpha"),
        ({"releaseStatus": "beta"}, "beta"),
        ({"releaseStatus": "ga"}, "ga"),
        ({}, "ga"),
    ],
)
def test_release_stage_follows_unreleased_then_release_status(settings: dict[str, Any], stage: str) -> None:
    assert SourceConfig(name="Acme", label="Acme", fields=(), **settings).release_stage == stage


def test_an_unknown_release_status_is_refused_naming_the_source() -> None:
    with pytest.raises(ValueError, match=r"^source 'Acme': releaseStatus must be one of alpha, beta, ga or unset"):
        SourceConfig(name="Acme", label="Acme", fields=(), releaseStatus="preview")  # type: ignore[arg-type]


@pytest.mark.parametrize("flag", ["dwh_acme", "DWH-Acme", "dwh-acme-", "dwh acme", ""])
def test_a_feature_flag_must_be_kebab_case(flag: str) -> None:
    with pytest.raises(ValueError, match=r"^source 'Acme': featureFlag must be kebab-case like 'dwh-acme'"):
        SourceConfig(name="Acme", label="Acme", fields=(), featureFlag=flag)


def test_source_config_fields_may_be_a_list() -> None:
    config = SourceConfig(name="Acme", label="Acme", fields=[text("account")])  # type: ignore[arg-type]
    assert config.fields == (text("account"),)


# --- field names --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "duplicate"),
    [
        ((text("account"), text("account", Kind.PASSWORD)), "account"),
        ((text("api_key"), AUTH), "api_key"),
        (
            (SourceFieldSwitchGroupConfig(name="proxy", label="Proxy", fields=(text("host"), text("host"))),),
            "proxy.host",
        ),
    ],
    ids=["top level", "select child beside a field", "inside a switch group"],
)
def test_a_name_read_twice_from_the_same_object_is_refused(fields: tuple[Any, ...], duplicate: str) -> None:
    with pytest.raises(ValueError, match=rf"^source 'Acme': field '{re.escape(duplicate)}' is declared twice"):
        SourceConfig(name="Acme", label="Acme", fields=fields)


def test_options_of_one_select_may_share_a_child_name() -> None:
    login = SourceFieldSelectConfig(
        name="login",
        label="Login",
        options=(
            SourceFieldSelectConfigOption(
                label="Password", value="password", fields=(text("user"), text("pw", Kind.PASSWORD))
            ),
            SourceFieldSelectConfigOption(label="Key", value="key", fields=(text("user"), text("key", Kind.PASSWORD))),
        ),
    )
    config = SourceConfig(name="Acme", label="Acme", fields=(text("host"), login, TUNNEL))
    payload = {"host": "h", "login": "key", "user": "u", "key": "k"}

    assert parse_fields(config.fields, payload, "Acme config") == {**payload, "ssh_tunnel": {"enabled": False}}


def test_the_feature_flag_suggestion_is_itself_kebab_case() -> None:
    with pytest.raises(ValueError, match=r"like 'dwh-acme-help-desk', got 'Acme'"):
        SourceConfig(name="Acme Help_Desk", label="Acme", fields=(), featureFlag="Acme")
