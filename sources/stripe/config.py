"""The Stripe source's typed config, parsed from its form fields."""

from __future__ import annotations

import dataclasses

from sources.common.errors import ConfigError
from sources.stripe.settings import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


@dataclasses.dataclass(frozen=True)
class StripeSourceConfig:
    stripe_secret_key: str
    # Not a form field: the fixtures set it small so that every endpoint spans several pages.
    page_size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        if self.stripe_secret_key.startswith("pk_"):
            raise ConfigError(
                "stripe config: field 'stripe_secret_key' holds a publishable key (pk_...); "
                "use a secret (sk_...) or restricted (rk_...) key"
            )
        if not isinstance(self.page_size, int) or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ConfigError(f"stripe config: page_size must be an integer from 1 to {MAX_PAGE_SIZE}")
