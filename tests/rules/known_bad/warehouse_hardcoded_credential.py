"""Known bad: an icon helper with a publishable token written into the code (the token is fake)."""

LOGO_DEV_TOKEN = "pk_FAKEFAKEFAKEFAKEFAKE00"


def icon_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {LOGO_DEV_TOKEN}", "Accept": "image/png"}
