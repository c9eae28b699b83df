"""Anthropic messages API (official SDK, retries off)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from afs.models.base import Completion, Message, ModelError, Usage
from afs.models.http_provider import HttpChatModel, error_detail, transport_errors

# The messages API requires max_tokens; this is used when neither the call nor the spec says.
DEFAULT_MAX_TOKENS = 1024
_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}


class AnthropicChatModel(HttpChatModel):
    """A Claude model behind the Anthropic messages API."""

    provider = "anthropic"
    default_base_url = "https://api.anthropic.com"

    def _make_client(self, api_key: str) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(api_key=api_key, base_url=self.base_url, max_retries=0,
                                        timeout=self.timeout)

    def _request(self, messages: list[Message], params: dict[str, Any]) -> dict[str, Any]:
        system = "\n\n".join(m.content for m in messages if m.role == "system")
        request: dict[str, Any] = {
            "model": self.model,
            "max_tokens": params.get("max_tokens", DEFAULT_MAX_TOKENS),
            "messages": [{"role": m.role, "content": m.content}
                         for m in messages if m.role != "system"],
        }
        if system:
            request["system"] = system
        if "stop" in params:
            request["stop_sequences"] = params["stop"]
        # Current SDKs no longer declare temperature/top_p; the API still takes them from
        # models that support them. The messages API has no seed: it is dropped.
        sampling = {name: params[name] for name in ("temperature", "top_p") if name in params}
        if sampling:
            request["extra_body"] = sampling
        return request

    def _map_error(self, exc: Exception) -> ModelError:
        import anthropic

        if isinstance(exc, anthropic.APITimeoutError):
            return self._timed_out()
        if isinstance(exc, anthropic.APIConnectionError):
            return self._unreachable(exc.__cause__ or exc)
        if isinstance(exc, anthropic.APIStatusError):
            detail = error_detail(exc.body, fallback=exc.response.reason_phrase)
            # An `error` event inside a 200 stream (e.g. overloaded) counts as a server error.
            status = exc.status_code if exc.status_code >= 400 else 529
            return self._status_error(status, detail, exc.response.headers)
        if isinstance(exc, anthropic.APIResponseValidationError | json.JSONDecodeError
                      | ValueError):
            return self._malformed(exc)
        return self._unreachable(exc)

    def _handled(self) -> tuple[type[Exception], ...]:
        import anthropic

        return (anthropic.AnthropicError, ValueError,  # type: ignore[return-value]
                *transport_errors())

    async def _complete(self, messages: list[Message], params: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        try:
            response = await self.client.messages.create(**self._request(messages, params))
        except self._handled() as exc:
            raise self._map_error(exc) from None
        try:
            text = "".join(block.text for block in response.content
                           if getattr(block, "type", "") == "text")
            usage = Usage(response.usage.input_tokens or 0, response.usage.output_tokens or 0)
        except (AttributeError, TypeError) as exc:
            raise self._malformed(exc) from None
        reason = response.stop_reason or "end_turn"
        return Completion(
            text=text,
            finish_reason=_FINISH.get(reason, reason),
            usage=usage,
            model=response.model or self.model,
            provider=self.provider,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def _stream(self, messages: list[Message], params: dict[str, Any]) -> AsyncIterator[str]:
        request = {**self._request(messages, params), "stream": True}
        try:
            stream = await self.client.messages.create(**request)
            async with stream:
                async for event in stream:
                    # The SDK itself raises on an `error` event (overloaded mid-stream).
                    if event.type == "content_block_delta" and event.delta.type == "text_delta":
                        yield event.delta.text
        except self._handled() as exc:
            raise self._map_error(exc) from None
