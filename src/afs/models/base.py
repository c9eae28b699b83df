"""The one chat interface every model backend implements, and its error taxonomy.

Every part of AFS (distillation, benchmark, generalist, critic, gateway) talks to models
through `ChatModel`: `complete()` for a whole answer, `stream()` for text chunks. Backends
raise only the three error kinds of `afs.models.errors`, so the single retry loop in
`afs.models.retry` can decide what to do without knowing the provider.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from afs.models.errors import (  # noqa: F401 - the taxonomy is public here too
    FatalError,
    ModelError,
    ModelUnavailableError,
    RateLimitedError,
    TransientError,
)
from afs.models.retry import RetryPolicy, call_with_retry, stream_with_retry

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


MessageLike = Message | Mapping[str, Any]


def normalize_messages(messages: Sequence[MessageLike] | str) -> list[Message]:
    """Accept a bare prompt, `Message`s or `{"role", "content"}` dicts."""
    if isinstance(messages, str):
        return [Message("user", messages)]
    result = []
    for item in messages:
        if isinstance(item, Message):
            result.append(item)
        else:
            role = item.get("role")
            if role not in ("system", "user", "assistant"):
                raise ValueError(f"message role must be system, user or assistant, got {role!r}")
            result.append(Message(role, str(item.get("content", ""))))
    return result


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str
    usage: Usage
    model: str
    provider: str
    latency_ms: float
    cost: float | None = None
    attempts: int = 1
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Price:
    """US dollars per one million tokens."""

    input: float
    output: float

    def cost(self, usage: Usage) -> float:
        return (usage.prompt_tokens * self.input + usage.completion_tokens * self.output) / 1e6


def truncate_at_stop(text: str, stop: Sequence[str] | None) -> tuple[str, bool]:
    """Cut `text` before the earliest stop sequence; return `(text, whether one was found)`."""
    cuts = [i for i in (text.find(s) for s in (stop or ()) if s) if i >= 0]
    return (text[: min(cuts)], True) if cuts else (text, False)


class StopScanner:
    """Finds stop sequences in streamed text, even when one is split across chunks.

    `feed()` returns the text that is safe to emit now: everything before the earliest place a
    stop sequence could still begin. A complete stop is only acted on once no stop that starts
    earlier can still complete (stops may overlap: with stops `a` and `;a;`, the text `;a` must
    wait for the next character). `finish()` flushes what is held, cut at the earliest stop.
    """

    def __init__(self, stop: Sequence[str] | None) -> None:
        self.stop = [s for s in (stop or ()) if s]
        self._longest = max((len(s) for s in self.stop), default=1)
        self._buffer = ""
        self.stopped = False

    def _pending_start(self, end: int) -> int | None:
        """The earliest index before `end` where a stop could begin but is not complete yet."""
        buffer = self._buffer
        for start in range(max(0, len(buffer) - self._longest + 1), end):
            tail = buffer[start:]
            if any(len(tail) < len(s) and s.startswith(tail) for s in self.stop):
                return start
        return None

    def feed(self, chunk: str) -> str:
        if self.stopped:
            return ""
        if not self.stop:
            return chunk
        self._buffer += chunk
        hits = [i for i in (self._buffer.find(s) for s in self.stop) if i >= 0]
        hit = min(hits) if hits else None
        pending = self._pending_start(len(self._buffer) if hit is None else hit)
        if hit is not None and pending is None:
            self.stopped = True
            out, self._buffer = self._buffer[:hit], ""
            return out
        cut = len(self._buffer) if pending is None else pending
        out, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return out

    def finish(self) -> str:
        if self.stopped:
            return ""
        out, hit = truncate_at_stop(self._buffer, self.stop)
        self._buffer = ""
        self.stopped = hit
        return out


class ChatModel(abc.ABC):
    """An async chat model. Subclasses implement `_complete` and `_stream` only.

    `complete()` and `stream()` apply the model's retry policy (`afs.models.retry`).
    Stop sequences are honoured by both: the returned text ends before the first stop.
    """

    provider: str = ""

    def __init__(
        self,
        model: str,
        *,
        alias: str | None = None,
        defaults: Mapping[str, Any] | None = None,
        system_prompt: str | None = None,
        price: Price | None = None,
        retry: Any = None,
    ) -> None:
        self.model = model
        self.alias = alias or model
        self.defaults = dict(defaults or {})
        self.system_prompt = system_prompt
        self.price = price
        self.retry_policy: RetryPolicy = retry or RetryPolicy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alias={self.alias!r}, model={self.model!r})"

    def _prepare(self, messages: Sequence[MessageLike] | str) -> list[Message]:
        msgs = normalize_messages(messages)
        if self.system_prompt and not any(m.role == "system" for m in msgs):
            msgs.insert(0, Message("system", self.system_prompt))
        return msgs

    def _params(self, **overrides: Any) -> dict[str, Any]:
        params = {k: v for k, v in self.defaults.items() if v is not None}
        params.update({k: v for k, v in overrides.items() if v is not None})
        return params

    async def complete(
        self,
        messages: Sequence[MessageLike] | str,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: Sequence[str] | None = None,
        seed: int | None = None,
        top_p: float | None = None,
    ) -> Completion:
        msgs = self._prepare(messages)
        params = self._params(
            temperature=temperature, max_tokens=max_tokens, stop=list(stop) if stop else None,
            seed=seed, top_p=top_p,
        )
        completion, attempts = await call_with_retry(
            lambda: self._complete(msgs, params), self.retry_policy
        )
        # Servers may ignore stop sequences (some OpenAI-compatible ones do); enforce them here.
        text, hit = truncate_at_stop(completion.text, params.get("stop"))
        cost = self.price.cost(completion.usage) if self.price else completion.cost
        return replace(
            completion,
            text=text,
            finish_reason="stop" if hit else completion.finish_reason,
            cost=cost,
            attempts=attempts,
        )

    async def stream(
        self,
        messages: Sequence[MessageLike] | str,
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        stop: Sequence[str] | None = None,
        seed: int | None = None,
        top_p: float | None = None,
    ) -> AsyncIterator[str]:
        """Yield text chunks. Retries only happen before the first chunk is yielded."""
        msgs = self._prepare(messages)
        params = self._params(
            temperature=temperature, max_tokens=max_tokens, stop=list(stop) if stop else None,
            seed=seed, top_p=top_p,
        )
        scanner = StopScanner(params.get("stop"))
        chunks = stream_with_retry(lambda: self._stream(msgs, params), self.retry_policy)
        # aclosing: when a stop sequence ends the stream early, the connection is released now.
        async with contextlib.aclosing(chunks):
            async for chunk in chunks:
                out = scanner.feed(chunk)
                if out:
                    yield out
                if scanner.stopped:
                    return
        tail = scanner.finish()
        if tail:
            yield tail

    @abc.abstractmethod
    async def _complete(self, messages: list[Message], params: dict[str, Any]) -> Completion:
        """One attempt. Raise only `ModelError` subclasses."""

    @abc.abstractmethod
    def _stream(self, messages: list[Message], params: dict[str, Any]) -> AsyncIterator[str]:
        """One attempt, as an async iterator of text chunks."""

    async def aclose(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release network resources; safe to call more than once."""
