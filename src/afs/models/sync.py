"""A blocking wrapper around any `ChatModel`, for scripts and notebooks.

    from afs.models.sync import get_sync_model

    with get_sync_model("din") as din:
        print(din.complete("Optimise: LDA #$00 / STA $10").text)
        for chunk in din.stream("Explain REP #$20"):
            print(chunk, end="")

The async model runs on a private event loop in a background thread, so this works even
where a loop is already running (Jupyter), and SDK clients stay bound to one loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from afs.models.base import ChatModel, Completion, MessageLike

T = TypeVar("T")
_DONE = object()


class SyncChatModel:
    """Blocking `complete()` and `stream()` over an async `ChatModel`."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name=f"afs-sync-{model.alias}")
        self._thread.start()
        self._closed = False

    def __repr__(self) -> str:
        return f"SyncChatModel({self.model!r})"

    def _run(self, coro: Any) -> Any:
        if self._closed:
            raise RuntimeError("SyncChatModel is closed")
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result()

    def complete(self, messages: Sequence[MessageLike] | str, **params: Any) -> Completion:
        """Like `ChatModel.complete`, blocking."""
        return self._run(self.model.complete(messages, **params))

    def stream(self, messages: Sequence[MessageLike] | str, **params: Any) -> Iterator[str]:
        """Like `ChatModel.stream`, as a plain iterator."""
        chunks = self.model.stream(messages, **params)

        async def next_chunk() -> Any:
            return await anext(chunks, _DONE)

        try:
            while (chunk := self._run(next_chunk())) is not _DONE:
                yield chunk
        finally:
            if not self._closed:
                self._run(chunks.aclose())

    def close(self) -> None:
        """Release the model's connections and stop the loop thread."""
        if self._closed:
            return
        self._run(self.model.aclose())
        self._closed = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> SyncChatModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def get_sync_model(alias: str, **kwargs: Any) -> SyncChatModel:
    """`afs.models.registry.get_model(alias)`, wrapped for blocking use."""
    from afs.models.registry import get_model

    return SyncChatModel(get_model(alias, **kwargs))
