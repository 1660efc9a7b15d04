# Rule tests for warehouse-hardcoded-credential. Every key below is fake: the right shape, made-up content.
import os

from sources.common.http import make_tracked_session

# ruleid: warehouse-hardcoded-credential
STRIPE_API_KEY = "sk_live_FAKEFAKEFAKEFAKEFAKE0000"
# ruleid: warehouse-hardcoded-credential
RESTRICTED_KEY = "rk_live_0000FAKE0000FAKE0000"
# ruleid: warehouse-hardcoded-credential
GITHUB_TOKEN = "ghp_FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE0000"
# ruleid: warehouse-hardcoded-credential
GITHUB_FINE_GRAINED = "github_pat_11FAKEFAKEFAKEFAKE0000_FAKEFAKEFAKEFAKEFAKE"
# ruleid: warehouse-hardcoded-credential
SLACK_BOT_TOKEN = "xoxb-000000000000-000000000000-FAKEFAKEFAKEFAKE"
# ruleid: warehouse-hardcoded-credential
LOGO_DEV_TOKEN = "pk_FAKEFAKEFAKEFAKEFAKE00"
# ruleid: warehouse-hardcoded-credential
AWS_KEY_ID = "AKIAFAKEFAKEFAKE0000"

DEFAULT_HEADERS = {
    # ruleid: warehouse-hardcoded-credential
    "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.FAKE-PAYLOAD.FAKE-SIGNATURE",
    "Accept": "application/json",
}


def basic_auth_headers() -> dict[str, str]:
    # ruleid: warehouse-hardcoded-credential
    return {"Authorization": "Basic ZmFrZS11c2VyOmZha2UtcGFzc3dvcmQ="}


def icon_url(domain: str) -> str:
    # ruleid: warehouse-hardcoded-credential
    return f"https://img.logo.dev/{domain}?token=pk_FAKEFAKEFAKEFAKEFAKE00"


# A key pasted into a comment leaks just the same:
# ruleid: warehouse-hardcoded-credential
# debugging with sk_live_FAKEFAKEFAKEFAKEFAKE1111


def session_for(api_key: str) -> object:
    # ok: warehouse-hardcoded-credential
    return make_tracked_session(headers={"Authorization": f"Bearer {api_key}"}, secrets=[api_key])


def session_from_env() -> object:
    # ok: warehouse-hardcoded-credential
    token = os.environ["EXAMPLE_API_TOKEN"]
    # ok: warehouse-hardcoded-credential
    return make_tracked_session(headers={"Authorization": "Bearer " + token}, secrets=[token])


def logo_token() -> str:
    # ok: warehouse-hardcoded-credential
    return os.environ.get("LOGO_DEV_PUBLISHABLE_KEY", "")


# ok: warehouse-hardcoded-credential
TEST_MODE_KEY = "sk_test_FAKEFAKEFAKEFAKEFAKE0000"
# ok: warehouse-hardcoded-credential
TEST_PUBLISHABLE_KEY = "pk_test_FAKEFAKEFAKEFAKEFAKE0000"
# ok: warehouse-hardcoded-credential
PLACEHOLDER_KEY = "fake-api-key"
# ok: warehouse-hardcoded-credential
KEY_PREFIXES = ("sk_live_", "rk_live_", "ghp_", "xoxb-")
# ok: warehouse-hardcoded-credential
AUTH_SCHEME = "Bearer"
# ok: warehouse-hardcoded-credential
DOCS_EXAMPLE = "Authorization: Bearer <your API key>"
# ok: warehouse-hardcoded-credential
PRIMARY_KEY_COLUMN = "pk_customer_id"
# ok: warehouse-hardcoded-credential
PARTITION_INDEX = "pk_customer_created_at_partition"
# ok: warehouse-hardcoded-credential
DOCS_PLACEHOLDER = "Authorization: Bearer YOUR_ACCESS_TOKEN_GOES_HERE"
# ruleid: warehouse-hardcoded-credential
STRIPE_PUBLISHABLE_LIVE = "pk_live_FAKEFAKEFAKEFAKEFAKE0000"
