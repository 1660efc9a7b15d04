"""Every connector, imported so that `SourceRegistry` knows it. Add one import line per new source."""

from sources.chargebee.source import ChargebeeSource
from sources.common.registry import SourceRegistry
from sources.github.source import GithubSource
from sources.hubspot.source import HubspotSource
from sources.klaviyo.source import KlaviyoSource
from sources.pipedrive.source import PipedriveSource
from sources.stripe.source import StripeSource
from sources.typeform.source import TypeformSource
from sources.zendesk.source import ZendeskSource

__all__ = [
    "ChargebeeSource",
    "GithubSource",
    "HubspotSource",
    "KlaviyoSource",
    "PipedriveSource",
    "SourceRegistry",
    "StripeSource",
    "TypeformSource",
    "ZendeskSource",
]
