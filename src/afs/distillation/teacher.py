"""Teachers: a `ChatModel` from `afs.models` plus the quota and weight an ensemble uses it with.

`OpenAITeacher`, `GeminiTeacher` and `AnthropicTeacher` carry the spec's default models and
key variables; `Teacher.from_alias` turns any registry alias (a local OpenAI-compatible model,
say) into a teacher. Keys are read from the environment by the model backends and never
stored on the teacher, so no repr, log line or checkpoint can show one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from afs.models.base import ChatModel, Completion, MessageLike
from afs.models.retry import RetryPolicy


class Teacher:
    """One teacher model with its per-teacher limits.

    `requests_per_minute`, `tokens_per_minute` and `max_concurrency` are enforced by the
    ensemble's limiter; `weight` drives the weighted strategy and list order the failover
    priority.
    """

    def __init__(
        self,
        model: ChatModel,
        *,
        name: str | None = None,
        weight: float = 1.0,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        max_concurrency: int | None = None,
        key_env: Sequence[str] = (),
    ) -> None:
        if weight <= 0:
            raise ValueError(f"teacher weight must be positive, got {weight}")
        self.model = model
        self.name = name or model.alias
        self.weight = weight
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self.max_concurrency = max_concurrency
        self.key_env = tuple(key_env)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, model={self.model_name!r})"

    @property
    def provider(self) -> str:
        return self.model.provider

    @property
    def model_name(self) -> str:
        return self.model.model

    @classmethod
    def from_alias(cls, alias: str, *, retry: RetryPolicy | None = None, **limits: Any
                   ) -> Teacher:
        """A teacher from any registry alias (configured in `afs.toml` or built in)."""
        from afs.models.registry import get_model, get_spec

        key_env = get_spec(alias).api_key_env
        return cls(get_model(alias, retry=retry), name=alias, key_env=key_env, **limits)

    async def complete(self, messages: Sequence[MessageLike], **params: Any) -> Completion:
        return await self.model.complete(messages, **params)

    async def ping(self) -> float:
        """One tiny request; returns its latency in milliseconds (errors propagate)."""
        started = time.perf_counter()
        await self.model.complete([{"role": "user", "content": "Reply with OK."}], max_tokens=8)
        return (time.perf_counter() - started) * 1000

    async def aclose(self) -> None:
        await self.model.aclose()


class _ProviderTeacher(Teacher):
    """A cloud teacher built from its registry alias, optionally with another model id or
    endpoint (the key variables stay the backend's business)."""

    alias: ClassVar[str]
    env_vars: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        model: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        name: str | None = None,
        **limits: Any,
    ) -> None:
        from afs.models.registry import ModelSpec, create_model, get_spec

        spec = get_spec(self.alias)
        overrides = {k: v for k, v in
                     {"model": model, "base_url": base_url, "timeout": timeout}.items()
                     if v is not None}
        if overrides:
            spec = ModelSpec.model_validate({**spec.model_dump(), **overrides})
        super().__init__(
            create_model(spec, alias=self.alias, retry=retry), name=name or self.alias,
            key_env=spec.api_key_env or self.env_vars, **limits,
        )

    @classmethod
    def configured(cls) -> bool:
        """Is one of this provider's key variables set?"""
        return any(os.environ.get(var) for var in cls.env_vars)


class OpenAITeacher(_ProviderTeacher):
    """OpenAI (default gpt-5.2, key `OPENAI_API_KEY`)."""

    alias = "openai"
    env_vars = ("OPENAI_API_KEY",)


class GeminiTeacher(_ProviderTeacher):
    """Google Gemini via `google-genai` (default gemini-3-flash-preview, key `GEMINI_API_KEY`
    or `GOOGLE_API_KEY`)."""

    alias = "gemini"
    env_vars = ("GEMINI_API_KEY", "GOOGLE_API_KEY")


class AnthropicTeacher(_ProviderTeacher):
    """Anthropic (default claude-opus-4.5, key `CLAUDE_API_KEY` or `ANTHROPIC_API_KEY`)."""

    alias = "anthropic"
    env_vars = ("CLAUDE_API_KEY", "ANTHROPIC_API_KEY")


PROVIDER_TEACHERS: tuple[type[_ProviderTeacher], ...] = (
    OpenAITeacher,
    GeminiTeacher,
    AnthropicTeacher,
)
