"""Fixtures for the model-backend tests: the fake provider server and recorded retry waits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from afs.models.base import ChatModel
from afs.models.registry import ModelSpec, create_model
from afs.models.retry import RetryPolicy
from tests.support import provider_servers
from tests.support.provider_servers import ProviderServer

# Re-exported so pytest finds the fixture for every test in this directory.
provider_server = provider_servers.provider_server

HTTP_PROVIDERS = ("openai", "anthropic", "gemini")
TEST_KEY_ENV = "AFS_TEST_PROVIDER_KEY"


class RecordedWaits(list):
    """The delays a `RetryPolicy` asked for, recorded instead of slept."""

    def policy(self, **kwargs: Any) -> RetryPolicy:
        async def sleep(seconds: float) -> None:
            self.append(seconds)

        kwargs.setdefault("jitter", False)
        kwargs.setdefault("base_delay", 0.25)
        return RetryPolicy(sleep=sleep, **kwargs)


@pytest.fixture
def waits() -> RecordedWaits:
    return RecordedWaits()


def base_url_for(server: ProviderServer, provider: str) -> str:
    return {"openai": server.openai_base_url, "anthropic": server.anthropic_base_url,
            "gemini": server.gemini_base_url}[provider]


@pytest.fixture
async def make_model(
    provider_server: ProviderServer, waits: RecordedWaits
) -> AsyncIterator[Callable[..., ChatModel]]:
    """`make_model(provider, retry=..., **spec_fields)`: a backend aimed at the fake server."""
    made: list[ChatModel] = []

    def make(provider: str, *, retry: RetryPolicy | None = None, **fields: Any) -> ChatModel:
        fields.setdefault("model", f"{provider}-test-model")
        fields.setdefault("base_url", base_url_for(provider_server, provider))
        spec = ModelSpec(provider=provider, **fields)
        model = create_model(spec, alias=f"test-{provider}", retry=retry or waits.policy())
        made.append(model)
        return model

    yield make
    for model in made:
        await model.aclose()
