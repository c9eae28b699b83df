"""Fixtures for the distillation tests: scripted in-process teachers and loopback providers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from afs.distillation.teacher import Teacher
from afs.models.base import ChatModel, Completion, Message, ModelError, Usage
from afs.models.registry import ModelSpec, create_model
from afs.models.retry import RetryPolicy
from tests.support.provider_servers import ProviderServer, RecordedRequest, Reply

TEST_KEYS = {
    "OPENAI_API_KEY": "sk-test-distill-openai-7f3a9c",
    "GEMINI_API_KEY": "AIza-test-distill-gemini-51be",
    "CLAUDE_API_KEY": "sk-ant-test-claude-c0de",
}
PROVIDER_ENV = {"openai": "OPENAI_API_KEY", "gemini": "GEMINI_API_KEY",
                "anthropic": "CLAUDE_API_KEY"}

GOOD_ROUTINE = "SetValue:\n    SEP #$20\n    LDA #$01\n    STA $12\n    RTS"


def scripted_answer(prompt: str) -> str:
    """A plausible, unique answer to a prompt: code when it asks for code, prose otherwise.

    The tail of pseudo-words derived from the prompt keeps answers to different prompts from
    being near-duplicates of each other.
    """
    digest = hashlib.sha256(prompt.encode()).hexdigest()
    tail = " ".join(digest[i:i + 5] for i in range(0, 60, 5))
    summary = re.sub(r"```.*?```", "", prompt, flags=re.DOTALL).strip()[:200]
    if prompt.startswith("Write"):
        return (f"Here is a routine for the task ({summary}).\n\n```asm\n{GOOD_ROUTINE}\n```\n\n"
                f"It keeps 8-bit A on exit. Notes: {tail}")
    return (f"This answer covers: {summary}. The accumulator is loaded first and then stored; "
            f"the flags N and Z follow the loaded value. Reference notes: {tail}")


class ScriptedModel(ChatModel):
    """An in-process `ChatModel`: answers with `answer(prompt)` or raises scripted errors."""

    provider = "scripted"

    def __init__(self, name: str, *, answer: Callable[[str], str] = scripted_answer,
                 errors: list[ModelError] | None = None, fail_always: ModelError | None = None,
                 delay: float = 0.0) -> None:
        super().__init__(name, retry=RetryPolicy(max_attempts=1))
        self.answer = answer
        self.errors = list(errors or [])
        self.fail_always = fail_always
        self.delay = delay
        self.calls = 0

    async def _complete(self, messages: list[Message], params: dict[str, Any]) -> Completion:
        import asyncio

        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_always is not None:
            raise self.fail_always
        if self.errors:
            raise self.errors.pop(0)
        prompt = messages[-1].content
        text = self.answer(prompt)
        return Completion(text=text, finish_reason="stop",
                          usage=Usage(len(prompt.split()), len(text.split())),
                          model=self.model, provider=self.provider, latency_ms=1.0, cost=0.001)

    def _stream(self, messages: list[Message], params: dict[str, Any]) -> Iterator[str]:
        raise NotImplementedError


def server_reply(request: RecordedRequest) -> Reply:
    return Reply(scripted_answer(request.prompt))


@pytest.fixture
def test_keys(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in TEST_KEYS.items():
        monkeypatch.setenv(name, value)
    return TEST_KEYS


@pytest.fixture
def provider_servers(test_keys: dict[str, str]) -> Iterator[dict[str, ProviderServer]]:
    """One loopback server per provider, each checking its own test key."""
    servers = {provider: ProviderServer(reply=server_reply, api_key=test_keys[env]).start()
               for provider, env in PROVIDER_ENV.items()}
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def loopback_teacher(provider: str, server: ProviderServer, *, timeout: float = 5.0,
                     attempts: int = 2, **limits: Any) -> Teacher:
    """A real provider backend (official SDK) pointed at a loopback server."""
    base_url = server.openai_base_url if provider == "openai" else server.url
    spec = ModelSpec(provider=provider, model=f"{provider}-test", base_url=base_url,
                     api_key_env=(PROVIDER_ENV[provider],), timeout=timeout)
    retry = RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.05)
    return Teacher(create_model(spec, alias=provider, retry=retry), name=provider,
                   key_env=(PROVIDER_ENV[provider],), **limits)
