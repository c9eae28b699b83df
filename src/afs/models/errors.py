"""The model error taxonomy: what every backend raises, and what the retry loop decides on.

Its own module so that `afs.models.base` (the chat interface) and `afs.models.retry` (the one
retry policy) both import it and neither imports the other.
"""

from __future__ import annotations

from afs.errors import AfsError


class ModelError(AfsError):
    """Base of the model error taxonomy. Messages never contain API keys."""

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status


class RateLimitedError(ModelError):
    """429 or a provider's quota signal; `retry_after` is in seconds when the server said."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after


class TransientError(ModelError):
    """5xx, timeouts, connection resets, malformed bodies: worth retrying."""


class FatalError(ModelError):
    """401/403, 400, unknown model, missing key: retrying cannot help."""


class ModelUnavailableError(FatalError):
    """The backend cannot run here (package missing, provider not configured)."""
