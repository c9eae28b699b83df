"""A long-lived code-search process on loopback, so a query does not reload the model.

`afs pretrain serve` loads an index and its encoder once (`CodeSearch`) and answers
`POST /query` (JSON `{"text", "k", "mode"}` -> `{"hits", "mode", "seconds"}`) on
127.0.0.1. While it runs, `$AFS_HOME/pretraining/query-server.json` names its URL, its
process and its index; `afs pretrain query` reads that file and asks the server when it
serves the same index, and otherwise loads the index itself. The client side needs only
the standard library, so a query costs the CLI's start-up and a round trip.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from afs.errors import InputError

SERVER_FILE = "query-server.json"
MAX_BODY = 1 << 20


def server_file() -> Path:
    """Where a running server announces itself: `$AFS_HOME/pretraining/query-server.json`."""
    from afs.paths import state_path

    return state_path("pretraining", SERVER_FILE)


class QueryServer:
    """Serve `CodeSearch(index_dir)` on 127.0.0.1:`port` (0: any free port)."""

    def __init__(self, index_dir: str | Path, *, port: int = 0) -> None:
        from afs.pretraining.search import CodeSearch

        self.index_dir = Path(index_dir).expanduser().resolve()
        self.search = CodeSearch(self.index_dir)
        self.search.query("LDA $10", 1)  # load the encoder now, not on the first client
        self._lock = threading.Lock()  # one query at a time: torch and numpy use all cores
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """One query: `text`, `k` (default 5), `mode` (default: the index's)."""
        text, k, mode = request.get("text"), request.get("k", 5), request.get("mode")
        if not isinstance(text, str) or not text.strip():
            raise InputError("expected a non-empty string `text`")
        if not isinstance(k, int) or k < 1:
            raise InputError(f"expected a positive integer `k`, got {k!r}")
        if mode is not None and not isinstance(mode, str):
            raise InputError(f"expected a string `mode`, got {mode!r}")
        started = time.perf_counter()
        with self._lock:
            hits = self.search.query(text, k, mode)
        return {"hits": hits, "mode": mode or self.search.default_mode,
                "seconds": round(time.perf_counter() - started, 4)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass  # the CLI prints what matters; no access log on the terminal

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path != "/health":
                    self._reply(404, {"error": "not found"})
                    return
                self._reply(200, {"index": str(server.index_dir), "pid": os.getpid()})

            def do_POST(self) -> None:
                if self.path != "/query":
                    self._reply(404, {"error": "not found"})
                    return
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    if not 0 < length <= MAX_BODY:
                        raise InputError(f"expected a JSON body of 1 to {MAX_BODY} bytes")
                    try:
                        request = json.loads(self.rfile.read(length))
                    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                        raise InputError(f"expected a JSON object ({exc})") from None
                    if not isinstance(request, dict):
                        raise InputError("expected a JSON object")
                    self._reply(200, server.answer(request))
                except InputError as exc:
                    self._reply(400, {"error": str(exc)})

        return Handler

    def serve_forever(self) -> None:
        """Announce the server in `server_file()` and serve until `shutdown()` or Ctrl-C."""
        announce = server_file()
        tmp = announce.with_suffix(".tmp")
        tmp.write_text(json.dumps({"url": self.url, "pid": os.getpid(),
                                   "index": str(self.index_dir)}) + "\n")
        tmp.replace(announce)
        try:
            self.httpd.serve_forever()
        finally:
            self.httpd.server_close()
            try:  # only our own announcement: another server may have replaced it
                if json.loads(announce.read_text()).get("pid") == os.getpid():
                    announce.unlink()
            except (OSError, ValueError):
                pass

    def shutdown(self) -> None:
        self.httpd.shutdown()


def ask(text: str, k: int, mode: str | None, index_dir: str | Path, *,
        timeout: float = 10.0) -> dict[str, Any] | None:
    """The running server's answer for `index_dir`, or None when no server serves it.

    Bad input reported by the server raises `InputError` with its message.
    """
    try:
        running = json.loads(server_file().read_text())
    except (OSError, ValueError):
        return None
    if running.get("index") != str(Path(index_dir).expanduser().resolve()):
        return None
    body = json.dumps({"text": text, "k": k, "mode": mode}).encode()
    request = urllib.request.Request(f"{running['url']}/query", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 400:
            raise InputError(json.loads(exc.read()).get("error", "bad query")) from None
        return None
    except (urllib.error.URLError, OSError, ValueError):
        return None  # gone (a stale announcement): answer locally
