"""Gateway load test on loopback: 200 concurrent streaming completions, all logged."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

CONCURRENT = 200


def run() -> dict:
    import openai
    import uvicorn

    from afs.feedback import InferenceLogger
    from afs.gateway.app import ModelPool, create_app
    from afs.models.base import ChatModel, Completion, Usage

    class Streamer(ChatModel):
        provider = "bench"

        async def _complete(self, messages, params):
            text = "STZ $10 ; " * 8
            return Completion(text, "stop", Usage(1, 16), self.model, self.provider, 0.0)

        async def _stream(self, messages, params) -> AsyncIterator[str]:
            for _ in range(16):
                await asyncio.sleep(0.005)
                yield "STZ $10 ; "

    with tempfile.TemporaryDirectory() as tmp:
        logger = InferenceLogger(Path(tmp))
        app = create_app(logger, models=ModelPool(lambda a: Streamer(a, alias=a), ["din"]))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)

        async def one(client: openai.AsyncOpenAI, i: int) -> float:
            started = time.perf_counter()
            stream = await client.chat.completions.create(
                model="din", messages=[{"role": "user", "content": f"req {i}"}], stream=True)
            async for _ in stream:
                pass
            return time.perf_counter() - started

        async def main() -> list[float]:
            client = openai.AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x",
                                        max_retries=0, timeout=120)
            try:
                return await asyncio.gather(*(one(client, i) for i in range(CONCURRENT)))
            finally:
                await client.close()

        before = logger.count()
        started = time.perf_counter()
        latencies = sorted(asyncio.run(main()))
        wall = time.perf_counter() - started
        logged = logger.count() - before
        server.should_exit = True
        thread.join(timeout=10)
    return {
        "concurrent_streams": CONCURRENT,
        "completed": len(latencies),
        "new_log_records": logged,
        "wall_s": round(wall, 3),
        "requests_per_s": round(CONCURRENT / wall, 1),
        "latency_p50_s": round(latencies[len(latencies) // 2], 3),
        "latency_max_s": round(latencies[-1], 3),
    }
