"""Fake model providers on 127.0.0.1 that speak the real wire formats, for offline tests.

One `ProviderServer` answers all three providers at once, on an ephemeral port:

* OpenAI chat completions: ``POST {openai_base_url}/chat/completions`` (``/v1/chat/completions``),
  JSON or SSE (``"stream": true``; a final usage chunk when
  ``stream_options.include_usage`` is true, then ``data: [DONE]``), and ``GET /v1/models``.
  Every OpenAI-compatible server (Ollama, LM Studio, llama.cpp, vLLM) looks like this.
* Anthropic messages: ``POST /v1/messages``, JSON or the SSE event stream
  (message_start, content_block_start, ping, content_block_delta..., content_block_stop,
  message_delta with the stop reason and output tokens, message_stop).
* Gemini: ``POST /v1beta/models/{model}:generateContent`` and
  ``:streamGenerateContent?alt=sse`` (any API version segment is accepted).

Usage::

    from tests.support.provider_servers import Fault, ProviderServer, Reply

    with ProviderServer(reply="hello world", api_key="sk-test") as server:
        server.openai_base_url      # "http://127.0.0.1:PORT/v1"  (OpenAI SDK base_url)
        server.anthropic_base_url   # "http://127.0.0.1:PORT"     (Anthropic SDK base_url)
        server.gemini_base_url      # "http://127.0.0.1:PORT"     (google-genai HttpOptions)
        server.fail_next(Fault.rate_limited(retry_after=2), Fault.http(503))
        ...                         # the next two requests fail, the third succeeds
        assert len(server.requests) == 3

As a pytest fixture, import it into a conftest (``from tests.support.provider_servers import
provider_server  # noqa: F401``); it yields a started server with the defaults below, and
tests change its attributes (``server.reply = ...``, ``server.latency = 0.2``) as they need.

Scripted replies (``reply=``, read on every request, so it can be reassigned):

* a ``str``: always that text;
* a ``Reply(text, prompt_tokens=, completion_tokens=, finish_reason=, chunks=)``;
* a list of ``str``/``Reply``: one per request in order; the last one repeats;
* a callable ``(RecordedRequest) -> str | Reply``, e.g. ``lambda r: r.prompt.upper()``.

Token counts default to whitespace-separated words: ``prompt_tokens`` over all message texts
(system included), ``completion_tokens`` over the returned text. Streams split the text into
``chunk_size``-character pieces (default 3, so stop sequences get split across chunks) unless
the reply gives ``chunks``. The server ignores stop sequences (as some real servers do) unless
``apply_stop=True``; it always records them.

Latency: ``latency=`` seconds (or a callable ``(RecordedRequest) -> seconds``) before each
response; requests are served on their own threads, so 32+ concurrent slow requests overlap.
``server.max_in_flight`` is the most requests it was answering at once: a figure for
`make bench` (the load harness reports it). Tests show overlap with `OverlapGate`, an event,
never with a concurrency level that a loaded machine could change.

Faults, consumed one per request in FIFO order by ``fail_next(*faults)`` (or decided per
request by ``fault=`` callable ``(RecordedRequest) -> Fault | None``):

* ``Fault.rate_limited(retry_after=1.5)``: 429 with a ``Retry-After`` header
  (``retry_after=None`` omits the header);
* ``Fault.http(status)``: 500, 503, 400, 404 ... with a provider-styled JSON error body;
* ``Fault.unauthorized()``: 401 (a wrong key gets the same when ``api_key`` is set);
* ``Fault.slow(seconds)``: a normal answer, but only after ``seconds`` (use with a client
  timeout shorter than that);
* ``Fault.malformed()``: 200 with a body that is not JSON (for streams: a first event whose
  data is not JSON);
* ``Fault.truncated()``: headers promise a body that stops half-way, then the connection closes;
* ``Fault.cut_stream(after_chunks=2)``: a stream that stops without its end marker.

The API key check (``api_key=``): OpenAI ``Authorization: Bearer``, Anthropic ``x-api-key``
or ``Authorization: Bearer`` (newer SDKs send the latter), Gemini ``x-goog-api-key`` or
``?key=``. ``api_key=None`` accepts anything.

The request log: ``server.requests`` is a list of ``RecordedRequest`` (provider, path, headers,
body, model, prompt, stream, stop, status, received_at) in arrival order; ``server.clear()``
empties it and the fault queue.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Reply:
    """One scripted answer. `None` token counts are computed by counting words."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str = "stop"
    chunks: list[str] | None = None


@dataclass(frozen=True)
class Fault:
    """A failure the server produces instead of (or around) a normal answer."""

    kind: str
    status: int = 0
    retry_after: float | None = None
    seconds: float = 0.0
    after_chunks: int = 0

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1.0) -> Fault:
        return cls("status", status=429, retry_after=retry_after)

    @classmethod
    def http(cls, status: int) -> Fault:
        return cls("status", status=status)

    @classmethod
    def unauthorized(cls) -> Fault:
        return cls("status", status=401)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def truncated(cls) -> Fault:
        return cls("truncated")

    @classmethod
    def cut_stream(cls, after_chunks: int = 2) -> Fault:
        return cls("cut_stream", after_chunks=after_chunks)


@dataclass
class RecordedRequest:
    """What the server saw; `headers` keys are lower-case."""

    provider: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    model: str
    prompt: str
    messages: list[dict[str, str]]
    stream: bool
    stop: list[str]
    params: dict[str, Any]
    received_at: float
    status: int = 0
    fault: Fault | None = None


def count_words(text: str) -> int:
    """The fake tokenizer: whitespace-separated words."""
    return len(text.split())


@dataclass
class ProviderServer:
    """A threaded HTTP server speaking OpenAI, Anthropic and Gemini; see the module docstring."""

    reply: Any = "Hello from the fake provider."
    api_key: str | None = None
    latency: float | Callable[[RecordedRequest], float] = 0.0
    chunk_size: int = 3
    apply_stop: bool = False
    fault: Callable[[RecordedRequest], Fault | None] | None = None
    host: str = "127.0.0.1"
    requests: list[RecordedRequest] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._reply_index = 0
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._in_flight = 0
        self.max_in_flight = 0
        # TCP connections accepted so far (keep-alive reuse shows as fewer than requests),
        # and those the client has since closed.
        self.connections_accepted = 0
        self.connections_closed = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> ProviderServer:
        handler = type("Handler", (_Handler,), {"server_state": self})
        httpd = _Server((self.host, 0), handler)
        httpd.state = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="provider-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ProviderServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    @property
    def gemini_base_url(self) -> str:
        return self.url

    # -- scripting -------------------------------------------------------------------------
    def fail_next(self, *faults: Fault) -> None:
        """Queue faults; each following request consumes one."""
        with self._lock:
            self._faults.extend(faults)

    def clear(self) -> None:
        """Forget recorded requests and queued faults; restart a reply list."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self._reply_index = 0
            self.max_in_flight = 0

    def requests_for(self, provider: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.provider == provider]

    def _record(self, request: RecordedRequest) -> Fault | None:
        with self._lock:
            self.requests.append(request)
            fault = self._faults.popleft() if self._faults else None
        if fault is None and self.fault is not None:
            fault = self.fault(request)
        request.fault = fault
        return fault

    def _next_reply(self, request: RecordedRequest) -> Reply:
        script = self.reply
        if callable(script):
            answer = script(request)
        elif isinstance(script, list | tuple):
            with self._lock:
                index = min(self._reply_index, len(script) - 1)
                self._reply_index += 1
            answer = script[index]
        else:
            answer = script
        reply = answer if isinstance(answer, Reply) else Reply(str(answer))
        text, finish = reply.text, reply.finish_reason
        if self.apply_stop and request.stop:
            cut = min((i for i in (text.find(s) for s in request.stop) if i >= 0), default=-1)
            if cut >= 0:
                text, finish = text[:cut], "stop"
        chunks = reply.chunks
        if chunks is None or text != reply.text:
            size = max(1, self.chunk_size)
            chunks = [text[i:i + size] for i in range(0, len(text), size)] or [""]
        return Reply(
            text=text,
            prompt_tokens=(reply.prompt_tokens if reply.prompt_tokens is not None
                           else count_words(" ".join(m["content"] for m in request.messages))),
            completion_tokens=(reply.completion_tokens if reply.completion_tokens is not None
                               else count_words(text)),
            finish_reason=finish,
            chunks=chunks,
        )

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _latency_for(self, request: RecordedRequest) -> float:
        return self.latency(request) if callable(self.latency) else float(self.latency)

    def _sleep(self, seconds: float) -> None:
        # Interruptible, so stop() does not wait for a deliberately slow response.
        if seconds > 0:
            self._stopping.wait(seconds)

    def next_id(self) -> int:
        return next(self._ids)


# -- wire formats ----------------------------------------------------------------------------

def _openai_parse(body: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, Any]]:
    messages = []
    for message in body.get("messages", []):
        content = message.get("content", "")
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        messages.append({"role": message.get("role", ""), "content": content or ""})
    stop = body.get("stop") or []
    params = {k: body[k] for k in ("temperature", "max_tokens", "max_completion_tokens", "top_p",
                                   "seed") if k in body}
    return messages, {"stop": [stop] if isinstance(stop, str) else list(stop), "params": params}


def _anthropic_parse(body: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, Any]]:
    messages = []
    system = body.get("system")
    if isinstance(system, list):
        system = "".join(block.get("text", "") for block in system)
    if system:
        messages.append({"role": "system", "content": system})
    for message in body.get("messages", []):
        content = message.get("content", "")
        if isinstance(content, list):
            content = "".join(block.get("text", "") for block in content)
        messages.append({"role": message.get("role", ""), "content": content})
    params = {k: body[k] for k in ("temperature", "max_tokens", "top_p") if k in body}
    return messages, {"stop": list(body.get("stop_sequences") or []), "params": params}


def _gemini_parse(body: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, Any]]:
    messages = []
    system = body.get("systemInstruction") or body.get("system_instruction")
    if system:
        text = "".join(p.get("text", "") for p in system.get("parts", []))
        messages.append({"role": "system", "content": text})
    for content in body.get("contents", []):
        text = "".join(p.get("text", "") for p in content.get("parts", []))
        role = "assistant" if content.get("role") == "model" else "user"
        messages.append({"role": role, "content": text})
    config = body.get("generationConfig") or body.get("generation_config") or {}
    params = {k: config[k] for k in ("temperature", "maxOutputTokens", "topP", "seed")
              if k in config}
    return messages, {"stop": list(config.get("stopSequences") or []), "params": params}


_ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens", "stop_sequence": "stop_sequence"}
_GEMINI_STOP = {"stop": "STOP", "length": "MAX_TOKENS"}
_GEMINI_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                  404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                  503: "UNAVAILABLE"}
_ANTHROPIC_ERROR = {400: "invalid_request_error", 401: "authentication_error",
                    403: "permission_error", 404: "not_found_error", 429: "rate_limit_error",
                    500: "api_error", 503: "overloaded_error", 529: "overloaded_error"}


def _error_body(provider: str, status: int, message: str) -> dict[str, Any]:
    if provider == "anthropic":
        kind = _ANTHROPIC_ERROR.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message}}
    if provider == "gemini":
        return {"error": {"code": status, "message": message,
                          "status": _GEMINI_STATUS.get(status, "UNKNOWN")}}
    return {"error": {"message": message, "type": "server_error" if status >= 500 else
                      "invalid_request_error", "code": status}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog (5) resets connections when many clients start at once.
    request_queue_size = 256
    state: ProviderServer

    def get_request(self) -> tuple[Any, Any]:
        accepted = super().get_request()
        self.state.connections_accepted += 1    # only the serving thread accepts
        return accepted

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up (timeout tests) is expected; anything else is a bug to show.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_state: ProviderServer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def finish(self) -> None:
        super().finish()
        with self.server_state._lock:
            self.server_state.connections_closed += 1

    # -- routing ---------------------------------------------------------------------------
    def do_GET(self) -> None:
        split = urlsplit(self.path)
        if split.path.rstrip("/").endswith("/models"):
            provider = "openai"
            if not self._authorized(provider, parse_qs(split.query)):
                return
            self._send_json(200, {"object": "list", "data": [
                {"id": "fake-model", "object": "model", "created": 0, "owned_by": "afs-tests"}]})
            return
        self._send_json(404, _error_body("openai", 404, f"no route for GET {split.path}"))

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        query = parse_qs(split.query)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = None
        path = split.path
        if path.endswith("/chat/completions"):
            provider, model, parse = "openai", "", _openai_parse
        elif path.endswith("/messages"):
            provider, model, parse = "anthropic", "", _anthropic_parse
        elif ":generateContent" in path or ":streamGenerateContent" in path:
            provider, parse = "gemini", _gemini_parse
            model = path.rsplit("/", 1)[-1].split(":", 1)[0]
        else:
            self._send_json(404, _error_body("openai", 404, f"no route for POST {path}"))
            return
        if not isinstance(body, dict):
            self._send_json(400, _error_body(provider, 400, "request body is not a JSON object"))
            return
        messages, extra = parse(body)
        if provider == "gemini":
            stream = ":streamGenerateContent" in path
        else:
            model = str(body.get("model", ""))
            stream = bool(body.get("stream"))
        state = self.server_state
        request = RecordedRequest(
            provider=provider, method="POST", path=path, query=query,
            headers={k.lower(): v for k, v in self.headers.items()}, body=body, model=model,
            prompt=next((m["content"] for m in reversed(messages) if m["role"] == "user"), ""),
            messages=messages, stream=stream, stop=extra["stop"], params=extra["params"],
            received_at=time.monotonic(),
        )
        fault = state._record(request)
        state._enter()
        try:
            self._answer(provider, model, query, request, fault)
        finally:
            state._leave()

    def _answer(self, provider: str, model: str, query: dict[str, list[str]],
                request: RecordedRequest, fault: Fault | None) -> None:
        state = self.server_state
        stream = request.stream
        state._sleep(state._latency_for(request))
        if not self._authorized(provider, query, request):
            return
        if fault is not None and fault.kind == "status":
            request.status = fault.status
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            self._send_json(fault.status, _error_body(provider, fault.status,
                                                      f"injected fault: HTTP {fault.status}"),
                            headers)
            return
        if fault is not None and fault.kind == "slow":
            state._sleep(fault.seconds)
        reply = state._next_reply(request)
        request.status = 200
        try:
            if stream:
                self._stream(provider, model, request, reply, fault)
            else:
                self._send_json(200, self._json_body(provider, model, reply), fault=fault)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout test); nothing to answer any more.
            self.close_connection = True

    def _authorized(self, provider: str, query: dict[str, list[str]],
                    request: RecordedRequest | None = None) -> bool:
        expected = self.server_state.api_key
        if expected is None:
            return True
        bearer = self.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if provider == "openai":
            given = [bearer]
        elif provider == "anthropic":
            given = [self.headers.get("x-api-key", ""), bearer]
        else:
            given = [self.headers.get("x-goog-api-key", ""), (query.get("key") or [""])[0]]
        if expected in given:
            return True
        if request is not None:
            request.status = 401
        self._send_json(401, _error_body(provider, 401, "invalid api key"))
        return False

    # -- JSON responses --------------------------------------------------------------------
    def _json_body(self, provider: str, model: str, reply: Reply) -> dict[str, Any]:
        state = self.server_state
        pt, ct = reply.prompt_tokens or 0, reply.completion_tokens or 0
        if provider == "anthropic":
            return {
                "id": f"msg_{state.next_id()}", "type": "message", "role": "assistant",
                "model": model, "content": [{"type": "text", "text": reply.text}],
                "stop_reason": _ANTHROPIC_STOP.get(reply.finish_reason, reply.finish_reason),
                "stop_sequence": None, "usage": {"input_tokens": pt, "output_tokens": ct},
            }
        if provider == "gemini":
            return self._gemini_chunk(model, reply.text, reply.finish_reason, pt, ct)
        return {
            "id": f"chatcmpl-{state.next_id()}", "object": "chat.completion", "created": 0,
            "model": model,
            "choices": [{"index": 0, "finish_reason": reply.finish_reason,
                         "message": {"role": "assistant", "content": reply.text}}],
            "usage": {"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
        }

    @staticmethod
    def _gemini_chunk(model: str, text: str, finish: str | None, pt: int,
                      ct: int) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": text}]},
                                     "index": 0}
        if finish is not None:
            candidate["finishReason"] = _GEMINI_STOP.get(finish, finish.upper())
        return {"candidates": [candidate],
                "usageMetadata": {"promptTokenCount": pt, "candidatesTokenCount": ct,
                                  "totalTokenCount": pt + ct},
                "modelVersion": model}

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None,
                   fault: Fault | None = None) -> None:
        data = json.dumps(payload).encode()
        if fault is not None and fault.kind == "malformed":
            data = b'{"id": "broken", "choices": [ this is not json'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        if fault is not None and fault.kind == "truncated":
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.end_headers()
        self.wfile.write(data)

    # -- streaming -------------------------------------------------------------------------
    def _stream(self, provider: str, model: str, request: RecordedRequest, reply: Reply,
                fault: Fault | None) -> None:
        events = list(self._events(provider, model, request, reply))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if fault is not None and fault.kind == "malformed":
            # First, so a client can still retry (nothing was yielded yet). Named, because the
            # Anthropic SDK skips events without a name.
            events.insert(0, "event: content_block_delta\ndata: {this is not json\n\n")
        if fault is not None and fault.kind in ("cut_stream", "truncated"):
            keep = fault.after_chunks if fault.kind == "cut_stream" else len(events) // 2
            for event in events[:keep]:
                self._write_chunk(event)
            # No terminating chunk: the client sees an incomplete body.
            self.close_connection = True
            return
        for event in events:
            self._write_chunk(event)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write_chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _events(self, provider: str, model: str, request: RecordedRequest,
                reply: Reply) -> Iterator[str]:
        state = self.server_state
        pt, ct = reply.prompt_tokens or 0, reply.completion_tokens or 0
        chunks = reply.chunks or [""]

        def sse(payload: Any, event: str | None = None) -> str:
            head = f"event: {event}\n" if event else ""
            return f"{head}data: {json.dumps(payload)}\n\n"

        if provider == "openai":
            ident = f"chatcmpl-{state.next_id()}"
            base = {"id": ident, "object": "chat.completion.chunk", "created": 0, "model": model}
            yield sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant",
                                                                  "content": ""},
                                            "finish_reason": None}]})
            for piece in chunks:
                yield sse({**base, "choices": [{"index": 0, "delta": {"content": piece},
                                                "finish_reason": None}]})
            yield sse({**base, "choices": [{"index": 0, "delta": {},
                                            "finish_reason": reply.finish_reason}]})
            options = request.body.get("stream_options") or {}
            if options.get("include_usage"):
                yield sse({**base, "choices": [], "usage": {
                    "prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct}})
            yield "data: [DONE]\n\n"
        elif provider == "anthropic":
            ident = f"msg_{state.next_id()}"
            yield sse({"type": "message_start", "message": {
                "id": ident, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": pt, "output_tokens": 1}}}, "message_start")
            yield sse({"type": "content_block_start", "index": 0,
                       "content_block": {"type": "text", "text": ""}}, "content_block_start")
            yield sse({"type": "ping"}, "ping")
            for piece in chunks:
                yield sse({"type": "content_block_delta", "index": 0,
                           "delta": {"type": "text_delta", "text": piece}},
                          "content_block_delta")
            yield sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            stop_reason = _ANTHROPIC_STOP.get(reply.finish_reason, reply.finish_reason)
            yield sse({"type": "message_delta",
                       "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                       "usage": {"output_tokens": ct}}, "message_delta")
            yield sse({"type": "message_stop"}, "message_stop")
        else:
            for index, piece in enumerate(chunks):
                last = index == len(chunks) - 1
                yield sse(self._gemini_chunk(model, piece, reply.finish_reason if last else None,
                                             pt, ct if last else 0))


@pytest.fixture
def provider_server() -> Iterator[ProviderServer]:
    """A started `ProviderServer` with default settings, stopped after the test."""
    with ProviderServer() as server:
        yield server
