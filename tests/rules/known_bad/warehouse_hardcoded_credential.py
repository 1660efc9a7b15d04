"""Known bad: an icon helper with a publishable token written into the code (the token is fake)."""

from urllib.parse import urlencode

LOGO_DEV_TOKEN = "pk_FAKEFAKEFAKEFAKEFAKE00"


def icon_url(domain: str, size: int = 128) -> str:
    return f"https://img.logo.dev/{domain}?{urlencode({'token': LOGO_DEV_TOKEN, 'size': size})}"
