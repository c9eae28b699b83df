"""A local Hugging Face checkpoint (the `train` extra): `spec.model` is a directory or hub id.

torch and transformers are imported on first use. Loading and generation run in a worker
thread so the event loop stays free; one lock serialises generation on the shared weights.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from afs.models.base import (
    ChatModel,
    Completion,
    FatalError,
    Message,
    ModelUnavailableError,
    Usage,
    truncate_at_stop,
)

if TYPE_CHECKING:
    from afs.models.retry import RetryPolicy
    from afs.models.spec import ModelSpec

DEFAULT_MAX_TOKENS = 256


class TransformersChatModel(ChatModel):
    """Generation with `transformers` on the local CPU or GPU."""

    provider = "transformers"

    def __init__(
        self, spec: ModelSpec, *, alias: str | None = None, retry: RetryPolicy | None = None
    ) -> None:
        super().__init__(spec.model, alias=alias, retry=retry, **spec.chat_model_options())
        self.spec = spec
        self._loaded: tuple[Any, Any] | None = None
        self._load_lock = threading.Lock()
        self._generate_lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------------
    def _load(self) -> tuple[Any, Any]:
        with self._load_lock:
            if self._loaded is None:
                try:
                    import torch
                    from transformers import AutoModelForCausalLM, AutoTokenizer
                except ImportError as exc:
                    raise ModelUnavailableError(
                        f"model '{self.alias}' needs torch and transformers "
                        f"(pip install 'afs[train]'): {exc}", provider=self.provider) from None
                source = str(Path(self.model).expanduser())
                try:
                    tokenizer = AutoTokenizer.from_pretrained(source)
                    model = AutoModelForCausalLM.from_pretrained(source)
                except (OSError, ValueError) as exc:
                    raise ModelUnavailableError(
                        f"cannot load checkpoint '{source}' for model '{self.alias}': {exc}",
                        provider=self.provider) from None
                device = "cuda" if torch.cuda.is_available() else "cpu"
                model.to(device).eval()
                self._loaded = (tokenizer, model)
            return self._loaded

    # -- prompt and generation -------------------------------------------------------------
    @staticmethod
    def _prompt(tokenizer: Any, messages: list[Message]) -> str:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        if getattr(tokenizer, "chat_template", None):
            return tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        # A bare checkpoint without a template: a plain transcript ending on the reply's cue.
        return "".join(f"{m.role}: {m.content}\n" for m in messages) + "assistant:"

    def _generate_kwargs(self, tokenizer: Any, params: dict[str, Any], cancel: threading.Event,
                         prompt_length: int) -> dict[str, Any]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList

        stops = params.get("stop") or []

        class _Stop(StoppingCriteria):
            """Ends generation on cancel (the reader stopped) or once a stop string appears."""

            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                done = cancel.is_set()
                if stops and not done:
                    text = tokenizer.decode(input_ids[0, prompt_length:], skip_special_tokens=True)
                    done = truncate_at_stop(text, stops)[1]
                return torch.full((input_ids.shape[0],), done, dtype=torch.bool,
                                  device=input_ids.device)

        temperature = params.get("temperature") or 0.0
        kwargs: dict[str, Any] = {
            "max_new_tokens": params.get("max_tokens", DEFAULT_MAX_TOKENS),
            "do_sample": temperature > 0,
            "stopping_criteria": StoppingCriteriaList([_Stop()]),
            "pad_token_id": tokenizer.pad_token_id if tokenizer.pad_token_id is not None
            else tokenizer.eos_token_id,
        }
        if temperature > 0:
            kwargs["temperature"] = temperature
            if "top_p" in params:
                kwargs["top_p"] = params["top_p"]
        return kwargs

    def _encode(self, tokenizer: Any, model: Any, messages: list[Message]) -> Any:
        prompt = self._prompt(tokenizer, messages)
        return tokenizer(prompt, return_tensors="pt").to(model.device)

    def _run(self, messages: list[Message], params: dict[str, Any],
             streamer: Any = None, cancel: threading.Event | None = None) -> tuple[str, int, int]:
        """Blocking generation; returns (text, prompt tokens, completion tokens)."""
        import torch

        tokenizer, model = self._load()
        inputs = self._encode(tokenizer, model, messages)
        prompt_length = inputs["input_ids"].shape[1]
        kwargs = self._generate_kwargs(tokenizer, params, cancel or threading.Event(),
                                       prompt_length)
        with self._generate_lock:
            if "seed" in params:
                torch.manual_seed(int(params["seed"]))
            try:
                with torch.inference_mode():
                    output = model.generate(**inputs, **kwargs, streamer=streamer)
            except (RuntimeError, ValueError) as exc:
                raise FatalError(f"generation failed for model '{self.alias}': {exc}",
                                 provider=self.provider) from None
        new_tokens = output[0, prompt_length:]
        text = tokenizer.decode(new_tokens, skip_special_tokens=True)
        return text, prompt_length, int(new_tokens.shape[0])

    async def _complete(self, messages: list[Message], params: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        text, prompt_tokens, completion_tokens = await asyncio.to_thread(
            self._run, messages, params)
        limit = params.get("max_tokens", DEFAULT_MAX_TOKENS)
        return Completion(
            text=text,
            finish_reason="length" if completion_tokens >= limit else "stop",
            usage=Usage(prompt_tokens, completion_tokens),
            model=self.model,
            provider=self.provider,
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    async def _stream(self, messages: list[Message], params: dict[str, Any]) -> AsyncIterator[str]:
        from transformers import TextIteratorStreamer

        tokenizer, _ = await asyncio.to_thread(self._load)
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
        cancel = threading.Event()

        def run() -> tuple[str, int, int]:
            try:
                return self._run(messages, params, streamer, cancel)
            except BaseException:
                streamer.end()  # unblock the reader below
                raise

        worker = asyncio.ensure_future(asyncio.to_thread(run))
        done = object()
        try:
            while True:
                piece = await asyncio.to_thread(next, streamer, done)
                if piece is done:
                    break
                if piece:
                    yield piece
            await worker
        finally:
            # The reader may stop early (a stop sequence): end generation instead of waiting
            # for max_tokens.
            cancel.set()
            if not worker.done():
                await worker
