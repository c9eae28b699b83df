"""Google Gemini through the `google-genai` SDK's native async client (`client.aio`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from afs.models.base import Completion, Message, ModelError, Usage
from afs.models.http_provider import (
    HttpChatModel,
    error_detail,
    timeout_errors,
    transport_errors,
)

_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
MAX_SERVER_STOPS = 5


def _text(response: Any) -> str:
    """The answer's text parts; thought parts (Gemini 3 thinking) are not the answer."""
    candidates = response.candidates or []
    if not candidates or candidates[0].content is None:
        return ""
    return "".join(part.text for part in candidates[0].content.parts or ()
                   if part.text and not part.thought)


def _finish(response: Any) -> str:
    candidates = response.candidates or []
    reason = candidates[0].finish_reason if candidates else None
    if reason is None:
        return "stop"
    name = getattr(reason, "name", str(reason))
    return _FINISH.get(name, name.lower())


def _usage(response: Any) -> Usage:
    meta = response.usage_metadata
    if meta is None:
        return Usage()
    # Thinking tokens are billed as output.
    output = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
    return Usage(meta.prompt_token_count or 0, output)


class GeminiChatModel(HttpChatModel):
    """A Gemini model (google-genai, its own retries left off)."""

    provider = "gemini"
    default_base_url = "https://generativelanguage.googleapis.com"

    def _make_client(self, api_key: str) -> Any:
        from google import genai
        from google.genai import types

        # No retry_options: the SDK then makes exactly one attempt per call.
        options = types.HttpOptions(timeout=int(self.timeout * 1000),
                                    base_url=self.spec.base_url)
        return genai.Client(api_key=api_key, http_options=options)

    def _request(self, messages: list[Message], params: dict[str, Any]) -> dict[str, Any]:
        from google.genai import types

        system = "\n\n".join(m.content for m in messages if m.role == "system")
        contents = [
            types.Content(role="model" if m.role == "assistant" else "user",
                          parts=[types.Part(text=m.content)])
            for m in messages if m.role != "system"
        ]
        config = types.GenerateContentConfig(
            system_instruction=system or None,
            temperature=params.get("temperature"),
            max_output_tokens=params.get("max_tokens"),
            top_p=params.get("top_p"),
            seed=params.get("seed"),
            # The API takes at most 5; any others are still enforced on our side.
            stop_sequences=params["stop"][:MAX_SERVER_STOPS] if "stop" in params else None,
        )
        return {"model": self.model, "contents": contents, "config": config}

    def _map_error(self, exc: Exception) -> ModelError:
        from google.genai import errors

        if isinstance(exc, errors.APIError):
            headers = getattr(exc.response, "headers", None)
            detail = exc.message or error_detail(exc.details, fallback=str(exc.status or ""))
            return self._status_error(exc.code or 500, str(detail), headers)
        if isinstance(exc, timeout_errors()):
            return self._timed_out()
        if isinstance(exc, transport_errors()):
            return self._unreachable(exc)
        return self._malformed(exc)

    def _handled(self) -> tuple[type[Exception], ...]:
        from google.genai import errors

        return (errors.APIError, ValueError, *transport_errors())

    async def _complete(self, messages: list[Message], params: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        try:
            response = await self.client.aio.models.generate_content(
                **self._request(messages, params))
        except self._handled() as exc:
            raise self._map_error(exc) from None
        try:
            text, finish, usage = _text(response), _finish(response), _usage(response)
        except (AttributeError, TypeError) as exc:
            raise self._malformed(exc) from None
        return Completion(
            text=text,
            finish_reason=finish,
            usage=usage,
            model=response.model_version or self.model,
            provider=self.provider,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def _stream(self, messages: list[Message], params: dict[str, Any]) -> AsyncIterator[str]:
        try:
            stream = await self.client.aio.models.generate_content_stream(
                **self._request(messages, params))
            async with contextlib.aclosing(stream):
                async for chunk in stream:
                    text = _text(chunk)
                    if text:
                        yield text
        except self._handled() as exc:
            raise self._map_error(exc) from None

    async def _close_client(self, client: Any) -> None:
        await client.aio.aclose()
