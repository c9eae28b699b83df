"""Veran answers questions about a run of the code by running it (tool use, not recall).

A question is read as a user would write it: the entry state it states ("A = $05",
"$7EF36D = $10", "16-bit A", "carry set", "DBR = $7F"; defaults from the request's stated
conventions), and what it asks: a byte or 16-bit word at an address, a register, a flag, how
many times a line runs, whether a branch is taken, which flag a branch tests, what a line
assembles to, a label's address, or what is written to an I/O register. Each becomes an
`afs.asm.probe` observation, computed on the emulator or the assembler. A question it cannot
read gets "cannot tell", never a guess.
"""

from __future__ import annotations

import re

from afs.asm.errors import AsmError
from afs.asm.probe import evaluate
from afs.models.classical_experts.common import stated_banks

_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+(.+?)\s*$", re.M)
_TICKS = re.compile(r"`[^`]*`")
_REGISTER = re.compile(r"\b([AXY])\s*=\s*\$([0-9A-Fa-f]{1,4})\b")
_STACK = re.compile(r"\bS\s*=\s*\$([0-9A-Fa-f]{4})\b")
_BYTE = re.compile(r"\$([0-9A-Fa-f]{6})\s*=\s*\$([0-9A-Fa-f]{1,2})\b")
_WIDTH = re.compile(r"\b(8|16)-bit (A|X/Y)\b")
_CARRY = re.compile(r"\bcarry (set|clear)\b", re.I)
# A comma-separated part of a question that states the entry state, not what is asked.
_ENTRY_PART = re.compile(r"=\s*\$|^(?:with |starting from |given |if the code starts with )?"
                         r"(?:8|16)-bit (?:A|X/Y)$|^carry (?:set|clear)", re.I)
_FLAGS = {"carry": "c", "zero": "z", "negative": "n", "overflow": "v"}


def questions_in(text: str) -> list[tuple[int, str]]:
    """Numbered questions of a request (after a "Questions:" heading when there is one)."""
    head = re.search(r"^\s*questions?\s*:\s*$", text, re.I | re.M)
    body = text[head.end():] if head else text
    return [(int(n), q) for n, q in _NUMBERED.findall(body) if "?" in q]


def entry_from(text: str, base: dict[str, int] | None = None) -> tuple[dict[str, int],
                                                                        dict[str, int]]:
    """Registers and memory bytes that `text` states (over `base`'s registers)."""
    init = dict(base or {})
    p = init.get("p", 0x30)
    for size, reg in _WIDTH.findall(text):
        bit = 0x20 if reg == "A" else 0x10
        p = p | bit if size == "8" else p & ~bit
    for state in _CARRY.findall(text):
        p = p | 1 if state.lower() == "set" else p & ~1
    if p != 0x30 or "p" in init:
        init["p"] = p
    for reg, value in _REGISTER.findall(text):
        init[reg.lower()] = int(value, 16)
    banks = stated_banks(text)
    for key, name in (("dbr", "dbr"), ("dp", "d")):
        if key in banks:
            init[name] = banks[key]
    if match := _STACK.search(text):
        init["s"] = int(match.group(1), 16)
    memory = {f"${a.upper()}": int(v, 16) for a, v in _BYTE.findall(text)}
    return init, memory


def probe_for(question: str) -> str | None:
    """The observation a question asks for, or None when it cannot tell."""
    labels = re.findall(r"label `([^`]+)`", question)
    plain = _TICKS.sub("", question)
    ask = ", ".join(part for part in re.split(r",\s+", plain) if not _ENTRY_PART.search(part)
                    ).lower()
    line = re.search(r"\bline (\d+)\b", ask)
    if labels and "address" in ask:
        return f"label:{labels[0].replace('.', '_')}"
    if line:
        n = line.group(1)
        if "how many bytes" in ask or "how long" in ask:
            return f"size:{n}"
        if "how many times" in ask:
            return f"count:{n}"
        if "flag" in ask:
            return f"branchflag:{n}"
        if "branch" in ask and ("taken" in ask or "jump" in ask):
            return f"taken:{n}"
        if "bytes" in ask or "machine code" in ask or "assemble" in ask:
            return f"bytes:{n}"
        return None
    io = re.search(r"\$([0-9a-f]{4})\b", ask)
    if io and "writ" in ask:
        return f"io_count:${io.group(1).upper()}" if "how many" in ask else \
            f"io_last:${io.group(1).upper()}"
    address = re.search(r"\$([0-9a-f]{6})\b", ask)
    if address:
        kind = "mem16" if "16-bit" in ask or "word" in ask else "mem"
        return f"{kind}:${address.group(1).upper()}"
    flag = re.search(r"\b(carry|zero|negative|overflow) flag\b", ask)
    if flag:
        return f"flag:{_FLAGS[flag.group(1)]}"
    if "low byte of a" in ask:
        return "reg:a.b"
    if "accumulator" in ask or re.search(r"\bin a\b", ask):
        return "reg:a"
    register = re.search(r"\b(?:in|does|is) ([xys])\b", ask)
    return f"reg:{register.group(1)}" if register else None


def _format(probe: str, value: int | list[int] | str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(f"{b:02X}" for b in value)
    if probe.split(":")[0] in ("count", "size", "io_count"):
        return str(value)
    return f"${value:0{6 if value > 0xFFFF else 4 if value > 0xFF else 2}X}"


def answer_questions(code: str, request: str) -> list[str]:
    """`Answer N: value` lines for the request's questions, each found by running `code`."""
    questions = questions_in(request)
    if not questions:
        return []
    conventions = request[:request.find(questions[0][1])] + request[
        request.find(questions[-1][1]) + len(questions[-1][1]):]
    base, _ = entry_from(_TICKS.sub("", conventions))
    lines = []
    for number, text in questions:
        probe = probe_for(text)
        if probe is None:
            lines.append(f"Answer {number}: cannot tell (I could not read this question)")
            continue
        init, memory = entry_from(_TICKS.sub("", text), base)
        try:
            value = evaluate(code, probe, init, memory)
        except (AsmError, ValueError, KeyError) as exc:
            lines.append(f"Answer {number}: cannot tell ({exc})")
            continue
        lines.append(f"Answer {number}: {_format(probe, value)}")
    return lines
