"""OpenAI chat completions, and every OpenAI-compatible server through `base_url`.

Ollama (`http://localhost:11434/v1`), LM Studio (`http://localhost:1234/v1`), the llama.cpp
server and vLLM all speak this API, so the user's own experts run through this backend too.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

from afs.models.base import Completion, Message, ModelError, Usage
from afs.models.http_provider import (
    HttpChatModel,
    connect_failure,
    error_detail,
    transport_errors,
)

MAX_SERVER_STOPS = 4
_REASONING_PREFIXES = ("gpt-5", "o1", "o3", "o4")


class OpenAIChatModel(HttpChatModel):
    """A chat model behind the OpenAI chat-completions API (official SDK, retries off)."""

    provider = "openai"
    default_base_url = "https://api.openai.com/v1"

    def _make_client(self, api_key: str) -> Any:
        import openai

        # The SDK's aiohttp transport (the `openai[aiohttp]` extra): httpx's connection pool
        # walks and probes every idle connection on each request, which with a hundred
        # requests in flight was most of a relaying gateway's CPU.
        http_client = openai.DefaultAioHttpClient()
        return openai.AsyncOpenAI(api_key=api_key, base_url=self.base_url, max_retries=0,
                                  timeout=self.timeout, http_client=http_client)

    def _request(self, messages: list[Message], params: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
        }
        if "max_tokens" in params:
            # api.openai.com's current models take max_completion_tokens; compatible servers
            # (Ollama, llama.cpp, older vLLM) know only max_tokens.
            name = "max_tokens" if self.spec.base_url else "max_completion_tokens"
            request[name] = params["max_tokens"]
        for name in ("temperature", "top_p", "seed"):
            if name in params:
                request[name] = params[name]
        if "stop" in params and not self._rejects_stop():
            # The API takes at most 4; any others are still enforced on our side.
            request["stop"] = params["stop"][:MAX_SERVER_STOPS]
        return request

    def _rejects_stop(self) -> bool:
        """OpenAI's reasoning models refuse `stop`; for them it is enforced only on our side."""
        return self.spec.base_url is None and self.model.startswith(_REASONING_PREFIXES)

    def _map_error(self, exc: Exception) -> ModelError:
        import openai

        if isinstance(exc, openai.APITimeoutError):
            # The SDK's aiohttp transport reports a refused connection as a connect timeout.
            failure = connect_failure(exc)
            return self._unreachable(failure) if failure is not None else self._timed_out()
        if isinstance(exc, openai.APIConnectionError):
            return self._unreachable(exc.__cause__ or exc)
        if isinstance(exc, openai.APIStatusError):
            detail = error_detail(exc.body, fallback=exc.response.reason_phrase)
            return self._status_error(exc.status_code, detail, exc.response.headers)
        if isinstance(exc, openai.APIResponseValidationError | json.JSONDecodeError | ValueError):
            return self._malformed(exc)
        return self._unreachable(exc)

    def _handled(self) -> tuple[type[Exception], ...]:
        import openai

        return (openai.OpenAIError, ValueError, *transport_errors())  # type: ignore[return-value]

    async def _complete(self, messages: list[Message], params: dict[str, Any]) -> Completion:
        # The SDK's low-level `post` (auth, base URL, timeouts, status errors as usual) with
        # the raw response: its typed path transforms the request through the TypedDict
        # annotations and builds pydantic objects for the reply, the most CPU an AFS process
        # spends per request (a gateway relaying 100 requests at once pays it on its loop).
        started = time.perf_counter()
        try:
            response = await self.client.post(
                "/chat/completions", body=self._request(messages, params),
                cast_to=_http_response_type())
            body = json.loads(response.content)
        except self._handled() as exc:
            raise self._map_error(exc) from None
        try:
            choice = body["choices"][0]
            text = choice["message"].get("content") or ""
            finish = choice.get("finish_reason") or "stop"
            usage = body.get("usage") or {}
            counts = Usage(int(usage.get("prompt_tokens") or 0),
                           int(usage.get("completion_tokens") or 0))
        except (IndexError, KeyError, AttributeError, TypeError, ValueError) as exc:
            raise self._malformed(exc) from None
        if not isinstance(text, str):
            raise self._malformed(TypeError(f"content is {type(text).__name__}"))
        return Completion(
            text=text,
            finish_reason=finish,
            usage=counts,
            model=body.get("model") or self.model,
            provider=self.provider,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def _stream(self, messages: list[Message], params: dict[str, Any]) -> AsyncIterator[str]:
        # Server-sent events read off the raw response: one `json.loads` per event rather
        # than a pydantic chunk object (see `_complete`).
        request = self._request(messages, params)
        request.update(stream=True, stream_options={"include_usage": True})
        try:
            response = await self.client.post("/chat/completions", body=request,
                                              cast_to=_http_response_type(), stream=True)
            try:
                async for data in _sse_data(response):
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except ValueError as exc:
                        raise self._malformed(exc) from None
                    if not isinstance(chunk, dict):
                        raise self._malformed(TypeError("an event that is not an object"))
                    if "error" in chunk and not chunk.get("choices"):
                        raise self._status_error(500, error_detail(chunk), None)
                    for choice in chunk.get("choices") or ():
                        delta = choice.get("delta") if isinstance(choice, dict) else None
                        content = delta.get("content") if isinstance(delta, dict) else None
                        if content:
                            yield content
            finally:
                await response.aclose()
        except self._handled() as exc:
            raise self._map_error(exc) from None


def _httpx() -> Any:
    """The HTTP library the SDK runs on: httpx2 where it does, else httpx."""
    import openai  # noqa: F401 - loads the HTTP library the SDK uses

    return sys.modules.get("httpx2") or sys.modules["httpx"]


def _http_response_type() -> type:
    """The response class the SDK hands back unparsed."""
    return _httpx().Response


async def _sse_data(response: Any) -> AsyncIterator[str]:
    """The `data` of each server-sent event (multi-line data joined by newlines)."""
    lines: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if lines:
                yield "\n".join(lines)
                lines = []
            continue
        if line.startswith("data:"):
            lines.append(line[5:].removeprefix(" "))
    if lines:
        yield "\n".join(lines)
