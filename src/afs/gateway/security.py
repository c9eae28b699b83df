"""Gateway guards: an API key on every request and a cap on request body size.

Both are plain ASGI middleware, so they hold for every route, streaming included.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

# The feedback page itself is static HTML with no data; it asks for the key in the browser
# and sends it with each API call, so it must load without one.
OPEN_PATHS = frozenset({"/ui", "/ui/", "/ui/app.js", "/ui/style.css"})


def error_body(message: str, kind: str, code: str) -> bytes:
    """OpenAI's error JSON."""
    return json.dumps({"error": {"message": message, "type": kind, "param": None,
                                 "code": code}}).encode()


async def _reply(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def presented_key(headers: dict[bytes, bytes]) -> str | None:
    auth = headers.get(b"authorization", b"").decode("latin-1")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    key = headers.get(b"x-afs-key")
    return key.decode("latin-1") if key is not None else None


class GatewayGuard:
    """Require `api_key` (constant-time compare) and limit bodies to `max_body_bytes`."""

    def __init__(self, app: Any, *, api_key: str | None, max_body_bytes: int) -> None:
        self.app = app
        self._key = api_key.encode() if api_key else None
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self._key is not None and scope["path"] not in OPEN_PATHS:
            given = (presented_key(headers) or "").encode()
            if not hmac.compare_digest(given, self._key):
                await _reply(send, 401, error_body(
                    "missing or wrong API key: send 'Authorization: Bearer <AFS_GATEWAY_KEY>'",
                    "authentication_error", "invalid_api_key"))
                return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _reply(send, 413, self._too_large())
            return
        await self.app(scope, self._limited(receive, send), send)

    def _too_large(self) -> bytes:
        return error_body(f"request body larger than {self.max_body_bytes} bytes",
                          "invalid_request_error", "request_too_large")

    def _limited(self, receive: Any, send: Any) -> Any:
        seen = 0

        async def limited_receive() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        return limited_receive


class BodyTooLarge(Exception):
    """A chunked body outgrew the limit; the app answers 413."""
