"""Knowledge graph performance: load time, and `get_context_for_prompt` latency over 1,000
varied prompts on the ALTTP graph and on a synthetic graph of 100,000 nodes.

    python -m bench.run_all knowledge
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from afs.knowledge.adapters import ALTTPKnowledgeGraph
from afs.knowledge.addresses import notations
from afs.knowledge.graph_core import GraphNode

PROMPTS = 1_000
SYNTHETIC_NODES = 100_000
TEMPLATES = (
    "how do I change {words}", "{words}", "write a routine that sets {words}",
    "what is {name}", "LDA {addr}", "STA {addr},X", "REP #$20 : LDA {addr} : STA {addr2}",
    "explain {addr} and {name}", "give the player {words}", "why does {words} glitch",
)


def _prompts(graph: ALTTPKnowledgeGraph, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    nodes = [n for n in graph.nodes() if n.node_type in ("memory", "register")]
    prompts = []
    for _ in range(count):
        node, other = rng.choice(nodes), rng.choice(nodes)
        words = node.properties["description"].split()
        start = rng.randrange(max(1, len(words) - 4))
        prompts.append(rng.choice(TEMPLATES).format(
            words=" ".join(words[start:start + rng.randint(2, 6)]), name=node.name,
            addr=rng.choice(notations(node.properties["address"])),
            addr2=rng.choice(notations(other.properties["address"]))))
    return prompts


def _latency(graph: ALTTPKnowledgeGraph, prompts: list[str]) -> dict[str, float]:
    graph.get_context_for_prompt(prompts[0])  # builds the lazy indexes outside the timing
    times = []
    for prompt in prompts:
        start = time.perf_counter()
        graph.get_context_for_prompt(prompt)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"prompts": len(prompts), "median_ms": round(statistics.median(times), 3),
            "p99_ms": round(times[int(len(times) * 0.99) - 1], 3),
            "max_ms": round(times[-1], 3)}


def _synthetic(base: ALTTPKnowledgeGraph, extra: int, seed: int) -> ALTTPKnowledgeGraph:
    """The ALTTP graph plus `extra` memory nodes whose names and descriptions reuse the real
    vocabulary (so term frequencies look like the real map's, only 200x larger)."""
    rng = random.Random(seed)
    vocabulary = [w for n in base.nodes() if n.node_type != "region"
                  for w in n.properties["description"].split()]
    name_parts = [p for n in base.nodes("memory") for p in n.name.split("_")]
    graph = ALTTPKnowledgeGraph()
    for i in range(extra):
        address = 0xC00000 + i * 2  # HiROM-style ROM banks: clear of every real address
        name = "_".join(rng.choice(name_parts) for _ in range(3)) + f"_{i}"
        graph.add_node(GraphNode(f"syn:{i}", "memory", name, {
            "address": address, "display": f"${address:06X}", "size": 2, "size_bytes": 2,
            "category": rng.choice(("misc", "sprite_table", "overworld", "dungeon")),
            "description": " ".join(rng.choice(vocabulary) for _ in range(rng.randint(6, 18))),
            "source": "synthetic", "layout": {"kind": "word"}}))
    return graph


def run() -> dict[str, Any]:
    loads = []
    for _ in range(5):
        start = time.perf_counter()
        graph = ALTTPKnowledgeGraph()
        loads.append((time.perf_counter() - start) * 1000)
    stats = graph.stats()
    prompts = _prompts(graph, PROMPTS, seed=1)
    result: dict[str, Any] = {
        "alttp": {"nodes": stats["nodes"], "edges": stats["edges"],
                  "load_ms_median": round(statistics.median(loads), 1),
                  **_latency(graph, prompts)},
    }
    start = time.perf_counter()
    big = _synthetic(graph, SYNTHETIC_NODES, seed=2)
    built = time.perf_counter()
    big.get_context_for_prompt("warm up the index")
    indexed = time.perf_counter()
    result["synthetic"] = {"nodes": big.stats()["nodes"],
                           "build_s": round(built - start, 2),
                           "index_s": round(indexed - built, 2),
                           **_latency(big, prompts)}
    return result
