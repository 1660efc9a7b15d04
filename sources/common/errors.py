"""Errors the SDK raises. Each message names what was wrong and where."""


class SourceError(Exception):
    """Base class for every error the SDK raises on purpose."""


class UnknownSourceError(SourceError, KeyError):
    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class ConfigError(SourceError, ValueError):
    """A source config payload is missing a field or has an invalid value."""


class ResumableStateError(SourceError):
    """The value stored under a resume key is not this source's state."""


class RateLimitCeilingExceeded(SourceError):
    """The API asked us to wait longer than the configured ceiling."""


class PageCapReached(SourceError):
    """Raised only when a caller asks for strict page caps; normally a structured event is logged."""


class StateStoreUnavailableError(SourceError):
    """The Redis that keeps resume state cannot be reached or refused a command."""


class WebhookFileError(SourceError, ValueError):
    """A webhook batch file is not readable parquet."""
