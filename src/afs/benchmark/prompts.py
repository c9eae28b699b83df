"""The prompt each domain's item is asked with, grounded in the knowledge graph."""

from __future__ import annotations

from typing import Any

from afs.benchmark.items import BenchmarkItem

SYSTEM = {
    "din": "You are Din, an expert at optimising SNES 65816 assembly (asar syntax). Answer "
           "with the complete optimised routine in one ```asm code block, then a short note.",
    "farore": "You are Farore, an expert at debugging SNES 65816 assembly (asar syntax). Say "
              "which line holds the bug and what kind of bug it is, then give the complete "
              "fixed routine in one ```asm code block.",
    "nayru": "You are Nayru, an expert at writing SNES 65816 assembly (asar syntax) for A Link "
             "to the Past. Answer with the complete routine in one ```asm code block. It runs "
             "from its first line and must fall through its last line (or end with RTS).",
    "veran": "You are Veran, an expert at explaining SNES 65816 assembly, asar syntax and the "
             "SNES hardware. Explain precisely and concisely in prose.",
}
DEFAULT_REQUEST = {
    "din": "Optimise this routine. Keep its observable behaviour identical.",
    "farore": "This routine has a bug. Find it and fix it.",
    "nayru": "Write this routine.",
    "veran": "Explain what this code does.",
}


_FLAG_NAMES = {"c": "carry", "z": "zero", "i": "interrupt-disable", "v": "overflow",
               "n": "negative"}


def describe_entry(pre: dict[str, int]) -> str:
    """The entry state in words no reader can take two ways: "decimal flag clear" rather
    than "d=0" (the decimal flag, or the direct page register?)."""
    parts = []
    if "e" in pre:
        parts.append("emulation mode (E = 1)" if pre["e"] else "native mode (E = 0)")
    for flag, register in (("m", "A"), ("x", "X and Y")):
        if flag in pre:
            width = "8-bit" if pre[flag] else "16-bit"
            noun = "A" if flag == "m" else "index registers (X/Y)"
            parts.append(f"{width} {noun} ({flag.upper()} flag {'set' if pre[flag] else 'clear'})")
        elif pre:
            parts.append(f"{register} may be 8-bit or 16-bit ({flag.upper()} flag unknown: the "
                         "code must work either way)")
    if "d" in pre:
        parts.append("decimal flag clear (binary arithmetic)" if pre["d"] == 0
                     else "decimal flag set (BCD arithmetic)")
    for flag, name in _FLAG_NAMES.items():
        if flag in pre:
            parts.append(f"{name} flag {'set' if pre[flag] else 'clear'}")
    if "dp" in pre:
        parts.append(f"direct page register D = ${pre['dp']:04X}")
    if "dbr" in pre:
        parts.append(f"data bank register DBR = ${pre['dbr']:02X}")
    if "s" in pre:
        parts.append(f"stack pointer S = ${pre['s']:04X}")
    return "; ".join(parts)


def _assumptions(item: BenchmarkItem) -> str:
    parts = []
    if item.live_out:
        parts.append(f"What must be preserved at the end: {item.live_out} "
                     "(mem = every byte the routine writes).")
    if item.preconditions:
        parts.append(f"On entry: {describe_entry(item.preconditions)}.")
    return "\n".join(parts)


def build_messages(item: BenchmarkItem, knowledge_context: str = "") -> list[dict[str, Any]]:
    """Chat messages for one item: the domain's system prompt, then the request."""
    request = item.metadata.request or DEFAULT_REQUEST[item.domain]
    sections = [request]
    if item.code.strip():
        sections.append(f"```asm\n{item.code.strip()}\n```")
    assumptions = _assumptions(item)
    if assumptions:
        sections.append(assumptions)
    if knowledge_context:
        sections.append(f"Relevant facts:\n{knowledge_context}")
    return [{"role": "system", "content": SYSTEM[item.domain]},
            {"role": "user", "content": "\n\n".join(sections)}]
