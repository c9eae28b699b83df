"""The gateway's FastAPI app: OpenAI-compatible chat completions for every registry alias and
for `afs` (the orchestrated pipeline), every exchange logged, feedback, and the rating page.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse

from afs.errors import InputError
from afs.feedback import FeedbackCollector, InferenceLogger
from afs.gateway.schemas import ChatCompletionRequest, FeedbackRequest
from afs.gateway.security import BodyTooLarge, GatewayGuard, error_body
from afs.models.base import (
    ChatModel,
    FatalError,
    Message,
    ModelError,
    ModelUnavailableError,
    RateLimitedError,
)
from afs.models.classical import ClassicalModel
from afs.models.expert_tokens import EXPERT_NAMES
from afs.workers import ProcessPool

PIPELINE_MODEL = "afs"
STATIC_DIR = Path(__file__).parent / "static"
STREAM_CHUNK_CHARS = 24


def _error(status: int, message: str, kind: str, code: str) -> JSONResponse:
    return JSONResponse(json.loads(error_body(message, kind, code)), status_code=status)


def _model_error_response(exc: ModelError) -> JSONResponse:
    if isinstance(exc, RateLimitedError):
        return _error(429, f"upstream rate limit: {exc}", "rate_limit_error", "rate_limited")
    if isinstance(exc, ModelUnavailableError):
        return _error(503, str(exc), "server_error", "model_unavailable")
    if isinstance(exc, FatalError):
        return _error(502, f"upstream rejected the request: {exc}", "upstream_error",
                      "upstream_fatal")
    return _error(502, f"upstream failed: {exc}", "upstream_error", "upstream_transient")


def _warm_experts() -> None:
    """Import the offline experts once per process (the workers fork from a warm parent)."""
    from afs.models.classical_experts import din, farore, nayru, veran  # noqa: F401


class ModelPool:
    """Registry aliases → `ChatModel`s, built on first use and kept.

    Offline (classical) experts are CPU-bound: they answer in `workers`, a pool of processes
    (default one per CPU, started with the app), so a burst of them never stalls the event
    loop that relays every other request.
    """

    def __init__(self, factory: Callable[[str], ChatModel] | None = None,
                 aliases: list[str] | None = None, *,
                 workers: ProcessPool | None = None) -> None:
        # Aliases known to answer offline: their workers start with the app.
        self.classical: set[str] = set()
        if factory is None or aliases is None:
            from afs.models.registry import get_model, load_registry

            registry = load_registry()
            if factory is None:
                self.classical = {a for a in registry if registry.spec(a).provider == "classical"}
            factory = factory or (lambda alias: get_model(alias, registry=registry))
            aliases = aliases if aliases is not None else sorted(registry)
        self._factory = factory
        self.aliases = list(aliases)
        self._models: dict[str, ChatModel] = {}
        self._own_workers = workers is None
        self.workers = workers

    def start(self) -> None:
        """Start the expert workers (called when the app starts, before its threads)."""
        if self.workers is None:
            _warm_experts()
            self.workers = ProcessPool(initializer=_warm_experts)
        self.workers.start()

    def get(self, alias: str) -> ChatModel:
        if alias not in self.aliases:
            raise KeyError(alias)
        if alias not in self._models:
            model = self._factory(alias)
            if isinstance(model, ClassicalModel):
                if self.workers is None:
                    self.start()
                assert self.workers is not None
                model.offload = self.workers.run
            self._models[alias] = model
        return self._models[alias]

    async def aclose(self) -> None:
        for model in self._models.values():
            await model.aclose()
        if self._own_workers and self.workers is not None:
            self.workers.close()
            self.workers = None


def create_app(
    logger: InferenceLogger,
    *,
    api_key: str | None = None,
    max_body_bytes: int = 1 << 20,
    models: ModelPool | None = None,
    pipeline: Any = None,
) -> FastAPI:
    """Build the app. `pipeline` is an object with `async run(prompt)` returning a result
    with `answer`, `record_id` and `to_trace()`; the default is `afs.moe.orchestrator`."""
    pool = models or ModelPool()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if pool.classical:
            pool.start()
        yield
        await pool.aclose()

    app = FastAPI(title="AFS gateway", docs_url=None, redoc_url=None, lifespan=lifespan)
    collector = FeedbackCollector(logger)
    state: dict[str, Any] = {"pipeline": pipeline}

    def get_pipeline() -> Any:
        if state["pipeline"] is None:
            from afs.moe.orchestrator import Orchestrator

            state["pipeline"] = Orchestrator(logger=logger)
        return state["pipeline"]

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        return _error(400, f"{where}: {first.get('msg')}", "invalid_request_error",
                      "invalid_request")

    @app.exception_handler(BodyTooLarge)
    async def _too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        return _error(413, f"request body larger than {max_body_bytes} bytes",
                      "invalid_request_error", "request_too_large")

    @app.exception_handler(InputError)
    async def _bad_input(request: Request, exc: InputError) -> JSONResponse:
        return _error(400, str(exc), "invalid_request_error", "invalid_request")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "records": await asyncio.to_thread(logger.count)}

    @app.get("/v1/models")
    async def list_models() -> dict[str, Any]:
        names = [PIPELINE_MODEL, *pool.aliases]
        return {"object": "list", "data": [
            {"id": name, "object": "model", "created": 0, "owned_by": "afs"} for name in names
        ]}

    @app.post("/v1/chat/completions")
    async def chat_completions(body: ChatCompletionRequest) -> Response:
        messages = [Message("system" if m.role == "developer" else m.role, m.text())
                    for m in body.messages]
        prompt = next((m.content for m in reversed(messages) if m.role == "user"), "")
        if body.model == PIPELINE_MODEL:
            return await _pipeline_completion(body, prompt)
        try:
            model = pool.get(body.model)
        except KeyError:
            return _error(404, f"unknown model '{body.model}'; GET /v1/models lists them",
                          "invalid_request_error", "model_not_found")
        except ModelError as exc:
            return _model_error_response(exc)
        params = {"temperature": body.temperature, "max_tokens": body.token_limit,
                  "stop": body.stop, "seed": body.seed, "top_p": body.top_p}
        if body.stream:
            return _stream_model(body, model, messages, prompt, params)
        started = time.perf_counter()
        try:
            completion = await model.complete(messages, **params)
        except ModelError as exc:
            return _model_error_response(exc)
        record_id = await _log(
            logger, body, messages, prompt, completion.text, params,
            latency_ms=(time.perf_counter() - started) * 1000,
            usage=(completion.usage.prompt_tokens, completion.usage.completion_tokens),
        )
        return _completion_json(body.model, record_id, completion.text,
                                completion.finish_reason,
                                completion.usage.prompt_tokens,
                                completion.usage.completion_tokens)

    async def _pipeline_completion(body: ChatCompletionRequest, prompt: str) -> Response:
        try:
            result = await get_pipeline().run(prompt)
        except ModelError as exc:
            return _model_error_response(exc)
        if body.stream:
            return _stream_text(body.model, result.record_id, result.answer)
        return _completion_json(body.model, result.record_id, result.answer, "stop", 0, 0)

    def _stream_model(body: ChatCompletionRequest, model: ChatModel, messages: list[Message],
                      prompt: str, params: dict[str, Any]) -> StreamingResponse:
        record_id = uuid.uuid4().hex

        async def events() -> AsyncIterator[str]:
            started = time.perf_counter()
            parts: list[str] = []
            yield _chunk(body.model, record_id, {"role": "assistant", "content": ""}, None)
            try:
                async for piece in _coalesced(model.stream(messages, **params)):
                    parts.append(piece)
                    yield _chunk(body.model, record_id, {"content": piece}, None)
            except ModelError as exc:
                payload = json.loads(_model_error_response(exc).body)
                yield f"data: {json.dumps(payload)}\n\n"
                yield "data: [DONE]\n\n"
                return
            await _log(
                logger, body, messages, prompt, "".join(parts), params,
                latency_ms=(time.perf_counter() - started) * 1000, usage=(None, None),
                record_id=record_id,
            )
            yield _chunk(body.model, record_id, {}, "stop", final=True)
            yield "data: [DONE]\n\n"

        return _sse(events(), record_id)

    @app.post("/v1/feedback")
    async def feedback(body: FeedbackRequest) -> dict[str, Any]:
        feedback_id = await asyncio.to_thread(
            collector.record_feedback, body.record_id, body.score, body.text, body.correction,
            "gateway",
        )
        return {"ok": True, "feedback_id": feedback_id, "record_id": body.record_id}

    @app.get("/ui/api/records")
    async def recent(q: str | None = None, limit: int = 50) -> dict[str, Any]:
        limit = max(1, min(limit, 500))
        if q:
            hits = await asyncio.to_thread(logger.search, q, limit=limit)
            records = [hit.record for hit in hits]
        else:
            records = await asyncio.to_thread(logger.recent, limit)
        votes = await asyncio.to_thread(lambda: {r.id: collector.latest(r.id) for r in records})
        return {"records": [_summary(r, votes.get(r.id)) for r in records]}

    @app.get("/ui/api/records/{record_id}")
    async def one_record(record_id: str) -> dict[str, Any]:
        record = await asyncio.to_thread(logger.get, record_id)
        history = await asyncio.to_thread(collector.history, record_id)
        data = record.to_dict()
        data["feedback"] = [vars(f) for f in history]
        return data

    @app.get("/ui")
    @app.get("/ui/")
    async def ui_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "ui.html", media_type="text/html")

    @app.get("/ui/app.js")
    async def ui_script() -> FileResponse:
        return FileResponse(STATIC_DIR / "app.js", media_type="text/javascript")

    return GatewayGuard(app, api_key=api_key, max_body_bytes=max_body_bytes)  # type: ignore[return-value]


def _summary(record: Any, vote: Any) -> dict[str, Any]:
    return {
        "id": record.id, "timestamp": record.timestamp, "model": record.model,
        "prompt": record.prompt[:200], "response": record.response[:200],
        "score": vote.score if vote else None,
    }


async def _log(logger: InferenceLogger, body: ChatCompletionRequest, messages: list[Message],
               prompt: str, response: str, params: dict[str, Any], *, latency_ms: float,
               usage: tuple[int | None, int | None], record_id: str | None = None) -> str:
    """Log one exchange durably without blocking the event loop: concurrent requests share
    one transaction and fsync (`InferenceLogger.alog`)."""
    system = "\n".join(m.content for m in messages if m.role == "system") or None
    return await logger.alog(
        prompt=prompt, response=response, model=body.model, system=system,
        expert=body.model if body.model in EXPERT_NAMES else None,
        params={k: v for k, v in params.items() if v is not None},
        latency_ms=latency_ms, prompt_tokens=usage[0], completion_tokens=usage[1],
        metadata={"source": "gateway", "stream": body.stream,
                  "messages": [{"role": m.role, "content": m.content} for m in messages]},
        record_id=record_id,
    )


async def _coalesced(pieces: AsyncGenerator[str, None]) -> AsyncIterator[str]:
    """The pieces of `pieces`, joined as they queue up: what arrived while the last event was
    being written goes out as one event. An idle stream passes each piece on at once; a
    loaded one sends fewer, larger events (each costs JSON, a write and the client's parse)."""
    queue: asyncio.Queue[tuple[str | None, BaseException | None]] = asyncio.Queue()

    async def pump() -> None:
        try:
            async with contextlib.aclosing(pieces):  # a client that hangs up closes upstream
                async for piece in pieces:
                    queue.put_nowait((piece, None))
            queue.put_nowait((None, None))
        except Exception as exc:  # handed to the consumer, which re-raises it
            queue.put_nowait((None, exc))

    task = asyncio.create_task(pump())
    try:
        while True:
            batch: list[str] = []
            piece, error = await queue.get()
            while True:
                if piece is not None:
                    batch.append(piece)
                if piece is None or queue.empty():
                    break
                piece, error = queue.get_nowait()
            if batch:
                yield "".join(batch)
            if piece is None:
                if error is not None:
                    raise error
                return
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _completion_json(model: str, record_id: str | None, text: str, finish_reason: str,
                     prompt_tokens: int, completion_tokens: int) -> JSONResponse:
    payload = {
        "id": f"chatcmpl-{record_id}", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
        "record_id": record_id,
    }
    headers = {"X-AFS-Record-Id": record_id} if record_id else {}
    return JSONResponse(payload, headers=headers)


def _chunk(model: str, record_id: str | None, delta: dict[str, Any], finish: str | None,
           *, final: bool = False) -> str:
    payload: dict[str, Any] = {
        "id": f"chatcmpl-{record_id}", "object": "chat.completion.chunk",
        "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if final:
        payload["record_id"] = record_id
    return f"data: {json.dumps(payload)}\n\n"


def _sse(events: AsyncIterator[str], record_id: str | None) -> StreamingResponse:
    headers = {"Cache-Control": "no-cache"}
    if record_id:
        headers["X-AFS-Record-Id"] = record_id
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


def _stream_text(model: str, record_id: str | None, text: str) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        yield _chunk(model, record_id, {"role": "assistant", "content": ""}, None)
        for start in range(0, len(text), STREAM_CHUNK_CHARS):
            yield _chunk(model, record_id, {"content": text[start:start + STREAM_CHUNK_CHARS]},
                         None)
        yield _chunk(model, record_id, {}, "stop", final=True)
        yield "data: [DONE]\n\n"

    return _sse(events(), record_id)
