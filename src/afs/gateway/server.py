"""Running the gateway with uvicorn, refusing to expose it without a key."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from afs.errors import InputError

KEY_ENV = "AFS_GATEWAY_KEY"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def gateway_key(host: str) -> str | None:
    """The key the gateway must demand; binding beyond loopback without one is an error."""
    key = os.environ.get(KEY_ENV) or None
    if key is None and not is_loopback(host):
        raise InputError(f"binding {host} exposes the gateway beyond this machine: set {KEY_ENV} "
                         "(every request must then carry it) or bind 127.0.0.1")
    return key


def serve(host: str = "127.0.0.1", port: int = 8000, *, log_dir: Path | None = None,
          max_body_bytes: int = 1 << 20) -> None:
    """Serve until interrupted."""
    import uvicorn

    from afs.feedback import InferenceLogger
    from afs.gateway.app import create_app

    key = gateway_key(host)
    logger = InferenceLogger(log_dir)
    app = create_app(logger, api_key=key, max_body_bytes=max_body_bytes)
    uvicorn.run(app, host=host, port=port, log_level="info")
