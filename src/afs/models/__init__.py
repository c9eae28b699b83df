"""Every model backend behind one async chat interface, plus the model registry."""

from afs.models.base import (
    ChatModel,
    Completion,
    FatalError,
    Message,
    ModelError,
    ModelUnavailableError,
    Price,
    RateLimitedError,
    TransientError,
    Usage,
)
from afs.models.retry import RetryPolicy

__all__ = [
    "ChatModel",
    "Completion",
    "FatalError",
    "Message",
    "ModelError",
    "ModelUnavailableError",
    "Price",
    "RateLimitedError",
    "RetryPolicy",
    "TransientError",
    "Usage",
]
