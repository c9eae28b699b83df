"""What the HTTP backends (OpenAI, Anthropic, Gemini) share: a base class and error mapping.

`HttpChatModel` builds the SDK client lazily from a `ModelSpec` (key read from the
environment at first use, SDK retries off), and times each attempt. Status codes become
`RateLimitedError` (with `Retry-After`), `TransientError` or `FatalError`; an unreachable
endpoint becomes one actionable line ("cannot reach URL: connection refused — is Ollama
running?"). Every message passes through `redact()` so an API key never leaks.
"""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from afs.models.base import (
    ChatModel,
    FatalError,
    ModelError,
    ModelUnavailableError,
    RateLimitedError,
    TransientError,
)

if TYPE_CHECKING:
    from afs.models.retry import RetryPolicy
    from afs.models.spec import ModelSpec

# Well-known local ports of OpenAI-compatible servers, for the "is X running?" hint.
_LOCAL_SERVERS = {11434: "Ollama", 1234: "LM Studio", 8080: "the llama.cpp server",
                  8000: "vLLM"}
_TRANSIENT_STATUS = {408, 409, 425, 500, 502, 503, 504, 520, 522, 524, 529}
_MAX_DETAIL = 300


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every secret (of 4+ characters) in `text` with `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if not headers:
        return None
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    millis = lower.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000.0, 0.0)
        except ValueError:
            pass
    value = lower.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def error_detail(body: Any, fallback: str = "") -> str:
    """The human part of a provider's JSON error body (all three use `error.message`)."""
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping) and inner.get("message"):
            return str(inner["message"])[:_MAX_DETAIL]
        if body.get("message"):
            return str(body["message"])[:_MAX_DETAIL]
    if isinstance(body, str) and body.strip():
        return body.strip()[:_MAX_DETAIL]
    return fallback


def from_status(
    status: int,
    detail: str,
    *,
    provider: str,
    model: str,
    headers: Mapping[str, str] | None = None,
    key_env: Iterable[str] = (),
    secrets: Iterable[str | None] = (),
) -> ModelError:
    """The taxonomy error for an HTTP error status."""
    detail = redact(detail, secrets)
    where = f"{provider} model '{model}'"
    if status == 429:
        wait = parse_retry_after(headers)
        hint = f" (retry after {wait:g} s)" if wait is not None else ""
        return RateLimitedError(f"{where}: rate limited{hint}: {detail}", provider=provider,
                                status=status, retry_after=wait)
    if status in _TRANSIENT_STATUS or status >= 500:
        return TransientError(f"{where}: server error HTTP {status}: {detail}",
                              provider=provider, status=status)
    if status in (401, 403):
        names = " or ".join(key_env)
        hint = f"; check {names}" if names else ""
        return FatalError(f"{where}: HTTP {status} not authorised{hint}: {detail}",
                          provider=provider, status=status)
    if status == 404:
        return FatalError(f"{where}: HTTP 404, unknown model or wrong base_url: {detail}",
                          provider=provider, status=status)
    return FatalError(f"{where}: HTTP {status}: {detail}", provider=provider, status=status)


def _refused(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ConnectionRefusedError):
            return True
        if isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED:
            return True
        text = str(exc).lower()
        if "connection refused" in text or "connect call failed" in text:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def connect_failure(exc: BaseException) -> OSError | None:
    """The operating system's refusal of a connection (refused, no route, unknown host) in
    `exc`'s chain of causes; None for a timeout or anything else."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, OSError) and not isinstance(seen, TimeoutError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def server_hint(base_url: str) -> str:
    """'is Ollama running?' for a well-known local port, else a generic question."""
    parts = urlsplit(base_url)
    name = _LOCAL_SERVERS.get(parts.port or 0) if parts.hostname in (
        "localhost", "127.0.0.1", "::1", "0.0.0.0") else None
    return f"is {name} running?" if name else "is the server running and the URL right?"


def unreachable(base_url: str, exc: BaseException, *, provider: str) -> TransientError:
    """One actionable line for a connection failure."""
    if _refused(exc):
        reason = "connection refused"
    else:
        reason = (str(exc).strip() or type(exc).__name__)[:_MAX_DETAIL]
    return TransientError(f"cannot reach {base_url}: {reason} — {server_hint(base_url)}",
                          provider=provider)


def timed_out(base_url: str, timeout: float, *, provider: str, model: str) -> TransientError:
    return TransientError(
        f"{provider} model '{model}': no answer from {base_url} within {timeout:g} s",
        provider=provider)


def malformed(provider: str, model: str, exc: BaseException) -> TransientError:
    kind = type(exc).__name__
    return TransientError(f"{provider} model '{model}': malformed response body ({kind})",
                          provider=provider)


def _from_httpx(attribute: str) -> tuple[type[Exception], ...]:
    found = []
    for name in ("httpx2", "httpx"):
        try:
            module = __import__(name)
        except ImportError:
            continue
        found.append(getattr(module, attribute))
    return tuple(found)


def transport_errors() -> tuple[type[Exception], ...]:
    """The base transport errors of the HTTP libraries the SDKs run on: httpx, httpx2 and
    aiohttp (google-genai's async transport whenever aiohttp is installed)."""
    return _from_httpx("HTTPError") + _aiohttp_errors() + timeout_errors()


def timeout_errors() -> tuple[type[Exception], ...]:
    """The timeout errors of httpx, httpx2 and aiohttp (which raises `TimeoutError`)."""
    return (*_from_httpx("TimeoutException"), TimeoutError)


def _aiohttp_errors() -> tuple[type[Exception], ...]:
    try:
        import aiohttp
    except ImportError:
        return ()
    return (aiohttp.ClientError,)


# The tasks that close clients when their loop ends, held here: a pending task only the
# garbage collector holds is destroyed with a warning.
_CLOSERS: set[asyncio.Task[None]] = set()


class HttpChatModel(ChatModel):
    """A cloud or OpenAI-compatible backend; subclasses supply the SDK client and calls."""

    default_base_url = ""
    # Some SDKs insist on a key even for a local server that needs none.
    placeholder_key = "not-needed"

    def __init__(
        self, spec: ModelSpec, *, alias: str | None = None, retry: RetryPolicy | None = None
    ) -> None:
        super().__init__(spec.model, alias=alias, retry=retry, **spec.chat_model_options())
        self.spec = spec
        self.base_url = spec.base_url or self.default_base_url
        self.timeout = spec.timeout
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._closer: asyncio.Task[None] | None = None

    def _api_key(self) -> str:
        key = self.spec.api_key()
        if key is not None:
            return key
        if self.spec.api_key_env:
            names = " or ".join(self.spec.api_key_env)
            raise ModelUnavailableError(
                f"model '{self.alias}' ({self.provider}) needs an API key: set {names}",
                provider=self.provider)
        return self.placeholder_key

    @property
    def client(self) -> Any:
        """The SDK client, made on first use (so a missing key fails the call, not import).

        Made again when used from another event loop: an async HTTP client's connections
        belong to the loop that opened them (scripts calling `asyncio.run` twice). A client
        not closed by `aclose` is closed when its loop ends (see `_close_when_cancelled`).
        """
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = self._make_client(self._api_key())
            self._client_loop = loop
            self._closer = loop.create_task(self._close_when_cancelled(self._client))
            _CLOSERS.add(self._closer)
            self._closer.add_done_callback(_CLOSERS.discard)
        return self._client

    async def _close_when_cancelled(self, client: Any) -> None:
        """Wait until cancelled, then close `client` in its own loop. `asyncio.run` (and
        every runner) cancels what is left when its loop ends: the sockets of a model used
        from several loops, or never closed, are closed there, not left open (aiohttp, the
        transport, warns of every session closed no other way)."""
        try:
            await asyncio.Event().wait()
        finally:
            await self._close_client(client)

    def _make_client(self, api_key: str) -> Any:
        raise NotImplementedError

    def _secrets(self) -> list[str | None]:
        return [self.spec.api_key()]

    def _status_error(self, status: int, detail: str,
                      headers: Mapping[str, str] | None) -> ModelError:
        return from_status(status, detail, provider=self.provider, model=self.model,
                           headers=headers, key_env=self.spec.api_key_env,
                           secrets=self._secrets())

    def _unreachable(self, exc: BaseException) -> TransientError:
        return unreachable(self.base_url, exc, provider=self.provider)

    def _timed_out(self) -> TransientError:
        return timed_out(self.base_url, self.timeout, provider=self.provider, model=self.model)

    def _malformed(self, exc: BaseException) -> TransientError:
        return malformed(self.provider, self.model, exc)

    async def aclose(self) -> None:
        closer, self._closer = self._closer, None
        self._client = None
        if closer is not None and self._client_loop is asyncio.get_running_loop():
            closer.cancel()     # it closes the client
            await asyncio.wait([closer])

    async def _close_client(self, client: Any) -> None:
        await client.close()
