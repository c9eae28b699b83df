"""Reading a chat request (its code, prose and stated conditions) and fencing code in answers.

Code comes out through `afs.asm.extract.extract_code`, the one extractor of AFS. The stated
conditions are those AFS prompts write ("What must be preserved at the end: a,mem", "You may
assume on entry: m=1, x=1") and the usual prose forms ("On entry: native mode, 8-bit A/X/Y,
D = $0000, DBR = $7E", "the caller's Y must be preserved").
"""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from afs.asm.extract import extract_code
from afs.errors import InputError

__all__ = ["Request", "extract_code", "fence", "knowledge_graph", "parse_request",
           "prose_request", "stated_banks"]

_FENCE = re.compile(r"```[^\n]*\n.*?(?:```|\Z)", re.DOTALL)
# Grounding facts appended to a prompt (afs.benchmark.prompts writes this heading): context
# to draw on, not part of what is asked.
FACTS_HEADING = re.compile(r"^\s*Relevant facts:\s*$", re.MULTILINE)
_LIVE = re.compile(r"what must be preserved(?: at the end)?\s*:\s*([a-z0-9_ ,]+)", re.I)
_ASSUME = re.compile(r"(?:you may assume on entry|assume on entry|preconditions?)\s*:\s*"
                     r"([a-z0-9_$ ,=]+)", re.I)
# The register letter is upper case: "keep a copy" is not about A.
_PRESERVED = re.compile(r"\b([AXY])(?:\s+register)?\s+(?i:must|should)\s+"
                        r"(?i:be preserved|survive|be kept)|\b(?i:keep|preserve)\s+([AXY])\b"
                        r"|\b([AXY]) is live\b")
_WIDTHS = (
    (re.compile(r"8-bit a/x/y|8-bit a and (?:index|x/y)", re.I), {"m": 1, "x": 1}),
    (re.compile(r"16-bit a/x/y|16-bit a and (?:index|x/y)", re.I), {"m": 0, "x": 0}),
    (re.compile(r"8-bit a\b(?!/)", re.I), {"m": 1}),
    (re.compile(r"16-bit a\b(?!/)", re.I), {"m": 0}),
    (re.compile(r"8-bit (?:index|x/y)", re.I), {"x": 1}),
    (re.compile(r"16-bit (?:index|x/y)", re.I), {"x": 0}),
    (re.compile(r"\bnative mode\b", re.I), {"e": 0}),
    (re.compile(r"\bemulation mode\b", re.I), {"e": 1}),
    (re.compile(r"\bdecimal (?:flag|mode) (?:is )?(?:clear|off)\b", re.I), {"d": 0}),
    (re.compile(r"\bdecimal (?:flag|mode) (?:is )?(?:set|on)\b", re.I), {"d": 1}),
    (re.compile(r"\bcarry (?:flag )?(?:is )?clear\b", re.I), {"c": 0}),
    (re.compile(r"\bcarry (?:flag )?(?:is )?set\b", re.I), {"c": 1}),
)
_DBR = re.compile(r"\bDBR\)?\s*(?:=|is)\s*\$([0-9A-Fa-f]{2})\b")
_DP = re.compile(r"\bD\s*=\s*\$([0-9A-Fa-f]{4})\b")


@dataclass(frozen=True)
class Request:
    """What a request asks, split into its parts."""

    text: str                      # the user message as sent
    ask: str                       # the message without its grounding facts
    code: str | None               # the code it carries (None: none)
    prose: str                     # `ask` without code blocks, lower-cased
    live_out: str | None = None    # stated live-out (`parse_live_out` names), None: not stated
    preconditions: dict[str, int] = field(default_factory=dict)  # stated entry state
    preserved: frozenset[str] = frozenset()  # registers (and p: flags) said to survive
    facts: str = ""                # the grounding facts, if any


def _stated_live(text: str) -> str | None:
    from afs.asm.equivalence import parse_live_out

    m = _LIVE.search(text)
    if not m:
        return None
    names = ",".join(n.strip() for n in m.group(1).split(",") if n.strip())
    try:
        parse_live_out(names)
    except InputError:
        return None
    return names


def stated_banks(text: str) -> dict[str, int]:
    """The data bank and direct page a request states ("DBR = $7E", "D = $0000"):
    {"dbr": ..., "dp": ...}, each only when stated."""
    out: dict[str, int] = {}
    if m := _DBR.search(text):
        out["dbr"] = int(m.group(1), 16)
    if m := _DP.search(text):
        out["dp"] = int(m.group(1), 16)
    return out


def _stated_entry(text: str) -> dict[str, int]:
    from afs.asm.equivalence import parse_preconditions

    pre: dict[str, int] = {}
    for pattern, values in _WIDTHS:
        if pattern.search(text):
            for key, value in values.items():
                pre.setdefault(key, value)
    pre.update(stated_banks(text))
    if m := _ASSUME.search(text):
        with contextlib.suppress(InputError):
            pre.update(parse_preconditions(m.group(1).strip().rstrip(".").replace(" ", "")))
    return pre


def parse_request(text: str) -> Request:
    """Split a user message into what it asks, its code and its stated conditions."""
    head = FACTS_HEADING.search(text)
    ask, facts = (text[:head.start()], text[head.end():]) if head else (text, "")
    prose = _FENCE.sub(" ", ask)
    preserved = {next(g for g in m.groups() if g).lower() for m in _PRESERVED.finditer(prose)}
    if re.search(r"\b(?:keep|preserve) (?:the )?flags\b|\bflags are live\b", prose, re.I):
        preserved.add("p")
    return Request(text=text, ask=ask, code=extract_code(ask), prose=prose.lower(),
                   live_out=_stated_live(prose), preconditions=_stated_entry(prose),
                   preserved=frozenset(preserved), facts=facts.strip())


def fence(code: str) -> str:
    return f"```asm\n{code.rstrip()}\n```"


def prose_request(request: str) -> str:
    """The request without its fenced code and grounding facts, lower-cased, for routing."""
    return parse_request(request).prose


_GRAPH: list[Any] = []
_GRAPH_LOCK = threading.Lock()


def knowledge_graph() -> Any:
    """The ALTTP knowledge graph, built once per process on first use. The experts answer
    in worker threads, so the build (and the graph's lazy index) happen under a lock."""
    with _GRAPH_LOCK:
        if not _GRAPH:
            from afs.knowledge.adapters import ALTTPKnowledgeGraph

            graph = ALTTPKnowledgeGraph()
            graph.resolve(0x7E0000)  # builds the lookup index now, not in a racing reader
            _GRAPH.append(graph)
        return _GRAPH[0]
