"""Gateway overhead on loopback, next to the bare SDK in the same run.

An upstream OpenAI-compatible server (`tests.support.load_harness.LoadServer`, 200 ms latency)
sits behind the gateway's HTTP alias `teacher`; the gateway runs in its own process as
`afs serve` would (uvicorn, every exchange logged durably). The same `AsyncOpenAI` client
sends 100 concurrent chat requests, streaming and not, through the gateway and straight to
the upstream server, alternating for 5 rounds: the ratio of the median wall times is the
gateway's overhead (target <= 1.5; each round's ratio is reported too), with the CPU per
request of the gateway's processes next to the bare client's (robust to the machine's load,
unlike wall time). The gateway relays through the OpenAI SDK on its aiohttp transport (see
`afs.models.openai_provider`); the bare client is the SDK as it comes (httpx2), and for
reference the same client on that aiohttp transport is measured too. Then 200 concurrent
requests to the offline expert `din` (CPU-bound, served by the gateway's worker processes)
with 20 requests to `teacher` sent in the middle of the burst: their latency shows whether
the experts block the event loop.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CONCURRENT = 100
OFFLINE_BURST = 200
PROBES = 20
LATENCY = 0.2
TARGET_RATIO = 1.5
ROUNDS = 5
KEY_ENV = "AFS_BENCH_UPSTREAM_KEY"
DIN_PROMPT = ("Optimise this routine. What must be preserved at the end: mem\n\n```asm\n"
              "    SEP #$20\n    LDA #$00\n    STA $10\n    LDA #$00\n    STA $12\n"
              "    LDA $14\n    CLC\n    ADC #$01\n    STA $14\n    RTS\n```")


def _serve_gateway(upstream: str, db_dir: str, ports: Any, stop: Any) -> None:
    """The gateway process: uvicorn with the `teacher` alias and the offline `din`."""
    import socket

    import uvicorn

    from afs.feedback import InferenceLogger
    from afs.gateway.app import ModelPool, create_app
    from afs.models.registry import ModelSpec, create_model, get_model

    spec = ModelSpec(provider="openai", model="upstream", base_url=upstream,
                     api_key_env=(KEY_ENV,), timeout=60.0)

    def factory(alias: str) -> Any:
        return get_model(alias) if alias == "din" else create_model(spec, alias=alias)

    logger = InferenceLogger(db_dir)
    pool = ModelPool(factory, ["teacher", "din"])
    pool.start()
    app = create_app(logger, models=pool)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", backlog=2048))
    threading.Thread(target=lambda: (stop.wait(), setattr(server, "should_exit", True)),
                     daemon=True).start()
    threading.Thread(target=lambda: (_wait_started(server), ports.put(port)),
                     daemon=True).start()
    server.run()


def _wait_started(server: Any) -> None:
    while not server.started:
        time.sleep(0.02)


async def _burst(base_url: str, api_key: str, model: str, count: int, *, stream: bool,
                 prompt: str = "Explain what STZ does.", meter: Any = None,
                 aiohttp: bool = False, check: bool = True) -> tuple[float, list[float], float]:
    """Wall time, per-request latencies and what `meter()` (CPU seconds) grew by, of `count`
    concurrent requests after a warm-up round that opens the connections (and imports what
    the first request needs, outside the figures). `check`: every answer must be the load
    server's answer to its prompt (a relay that dropped or mangled answers would look fast)."""
    import openai
    from tests.support.load_harness import realistic_answer

    client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0,
                                timeout=300,
                                http_client=openai.DefaultAioHttpClient() if aiohttp else None)

    async def one(i: int) -> float:
        started = time.perf_counter()
        messages = [{"role": "user", "content": f"{prompt} ({i})"}]
        if stream:
            chunks = await client.chat.completions.create(model=model, messages=messages,
                                                          stream=True)
            parts = [chunk.choices[0].delta.content or "" async for chunk in chunks
                     if chunk.choices]
            text = "".join(parts)
        else:
            reply = await client.chat.completions.create(model=model, messages=messages)
            text = reply.choices[0].message.content or ""
        if check and text != realistic_answer(messages[0]["content"]):
            raise RuntimeError(f"{model} via {base_url}: not the server's answer to request "
                               f"{i} ({len(text)} characters)")
        return time.perf_counter() - started

    try:
        await asyncio.gather(*(one(i) for i in range(min(count, 32))))
        cpu = meter() if meter else 0.0
        started = time.perf_counter()
        latencies = await asyncio.gather(*(one(i) for i in range(count)))
        wall = time.perf_counter() - started
        cpu = (meter() - cpu) if meter else 0.0
        return wall, sorted(latencies), cpu
    finally:
        await client.close()


async def _offline_with_probes(gateway: str) -> dict[str, Any]:
    async def probes() -> list[float]:
        await asyncio.sleep(0.05)  # inside the burst
        _, latencies, _ = await _burst(gateway, "x", "teacher", PROBES, stream=False)
        return latencies

    (wall, latencies, _), probe = await asyncio.gather(
        _burst(gateway, "x", "din", OFFLINE_BURST, stream=False, prompt=DIN_PROMPT,
               check=False), probes())
    return {"offline_requests": OFFLINE_BURST, "offline_wall_s": round(wall, 3),
            "offline_latency_p50_s": round(statistics.median(latencies), 3),
            "offline_p50_to_wall": round(statistics.median(latencies) / wall, 3),
            "probe_requests": PROBES,
            "probe_latency_max_s": round(probe[-1], 3),
            "probe_upstream_latency_s": LATENCY}


def _side_by_side(upstream: Any, gateway: str, gateway_pid: int, *, stream: bool
                  ) -> dict[str, Any]:
    """ROUNDS bursts straight upstream and through the gateway, alternating so that machine
    load hits both alike; the ratio of the median walls, and each round's ratio."""
    from tests.support.load_harness import cpu_seconds

    bare_walls: list[float] = []
    via_walls: list[float] = []
    aiohttp_walls: list[float] = []
    client_cpu = gateway_cpu = 0.0
    latencies: list[float] = []
    for _ in range(ROUNDS):
        bare, _, cpu = asyncio.run(_burst(
            upstream.openai_base_url, upstream.api_key, "upstream", CONCURRENT, stream=stream,
            meter=lambda: cpu_seconds(exclude=[upstream.pid, gateway_pid])))
        bare_walls.append(bare)
        client_cpu += cpu
        via, round_latencies, cpu = asyncio.run(_burst(
            gateway, "x", "teacher", CONCURRENT, stream=stream,
            meter=lambda: cpu_seconds(gateway_pid)))
        via_walls.append(via)
        gateway_cpu += cpu
        latencies += round_latencies
        aiohttp_walls.append(asyncio.run(_burst(
            upstream.openai_base_url, upstream.api_key, "upstream", CONCURRENT, stream=stream,
            aiohttp=True))[0])
    bare, via = statistics.median(bare_walls), statistics.median(via_walls)
    requests = ROUNDS * CONCURRENT
    return {"rounds": ROUNDS,
            "bare_sdk_wall_s": round(bare, 3),
            "gateway_wall_s": round(via, 3),
            "ratio_to_bare_sdk": round(via / bare, 3),
            "round_ratios": [round(v / b, 2) for b, v in zip(bare_walls, via_walls,
                                                             strict=True)],
            "bare_sdk_aiohttp_wall_s": round(statistics.median(aiohttp_walls), 3),
            "ratio_to_bare_sdk_aiohttp": round(via / statistics.median(aiohttp_walls), 3),
            "gateway_latency_p50_s": round(statistics.median(latencies), 3),
            # The gateway's processes, per relayed request; the bare client's own CPU per
            # request next to it.
            "gateway_cpu_ms_per_request": round(1000 * gateway_cpu / requests, 3),
            "bare_sdk_cpu_ms_per_request": round(1000 * client_cpu / requests, 3)}


def run() -> dict[str, Any]:
    import multiprocessing

    from tests.support.load_harness import LoadServer

    from afs.feedback import InferenceLogger

    result: dict[str, Any] = {"concurrent": CONCURRENT, "upstream_latency_s": LATENCY,
                              "target_ratio": TARGET_RATIO}
    context = multiprocessing.get_context("spawn")
    with LoadServer(latency=LATENCY) as upstream, tempfile.TemporaryDirectory() as tmp:
        os.environ[KEY_ENV] = upstream.api_key
        ports, stop = context.Queue(), context.Event()
        gateway_process = context.Process(target=_serve_gateway,
                                          args=(upstream.openai_base_url, tmp, ports, stop))
        gateway_process.start()
        try:
            gateway = f"http://127.0.0.1:{ports.get(timeout=120)}/v1"
            for stream in (False, True):
                result["streaming" if stream else "json"] = _side_by_side(
                    upstream, gateway, gateway_process.pid, stream=stream)
            result.update(asyncio.run(_offline_with_probes(gateway)))
        finally:
            stop.set()
            gateway_process.join(timeout=30)
            if gateway_process.is_alive():
                gateway_process.kill()
            os.environ.pop(KEY_ENV, None)
        result["logged_records"] = InferenceLogger(Path(tmp)).count()
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    return result


if __name__ == "__main__":
    print(run())
