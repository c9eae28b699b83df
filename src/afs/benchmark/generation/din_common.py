"""Shared pieces of the din generator's families (imported by `din` and its family modules)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from afs.benchmark.generation import Draft, GenerationError

TARGET = 156           # items per seed (the floor is 130)
MAX_ATTEMPTS = 4000

# Native mode, decimal flag clear, direct page register D = $0000: how ALTTP runs.
NATIVE = {"e": 0, "d": 0, "dp": 0}
M8 = {**NATIVE, "m": 1, "x": 1}
M16 = {**NATIVE, "m": 0, "x": 1}


def _b(value: int) -> str:
    return f"${value & 0xFF:02X}"


def _w(value: int) -> str:
    return f"${value & 0xFFFF:04X}"


def _l(value: int) -> str:
    return f"${value & 0xFFFFFF:06X}"


def _lines(*lines: str) -> str:
    return "\n".join(lines)


@dataclass
class Part:
    """A piece of a routine: the original lines, the optimised lines, the waste's category
    (None for a part that is already as it should be)."""

    orig: list[str]
    ref: list[str]
    category: str | None = None
    #: a small waste (a width set twice) that names the item's category only when alone
    minor: bool = False


def same(*lines: str) -> Part:
    return Part(list(lines), list(lines))


def waste(category: str, orig: list[str], ref: list[str]) -> Part:
    return Part(orig, ref, category)


def _instructions(code: str) -> int:
    count = 0
    for line in code.splitlines():
        text = line.split(";")[0].strip()
        if not text or text.endswith(":") or text[0] in ".+-" or text.split()[0].lower() in (
                "db", "dw", "dl"):
            continue
        count += 1
    return count


def _difficulty(code: str) -> int:
    n = _instructions(code)
    return 1 if n < 10 else 2 if n < 20 else 3


def _draft(category: str, difficulty: int, code: str, expected: str, description: str, *,
           live_out: str, pre: dict[str, int], objective: str = "cycles",
           family: str = "misc") -> Draft:
    return Draft(category=category, difficulty=difficulty, code=code, expected_output=expected,
                 description=description, task="optimize",
                 extra={"live_out": live_out, "preconditions": dict(pre)},
                 metadata={"objective": objective, "family": family})


def routine(family: str, name: str, parts: list[Part], *, live_out: str,
            pre: dict[str, int], description: str, data: Sequence[str] = ()) -> Draft:
    """Join parts under a label (and data after the code); the first wasteful part's
    category is the item's category (a minor waste's only when there is no other)."""
    wasteful = sorted((p for p in parts if p.category), key=lambda p: p.minor)
    if not wasteful:
        raise GenerationError(f"{family}: a routine without waste")
    orig = [f"{name}:", *(line for p in parts for line in p.orig), *data]
    ref = [f"{name}:", *(line for p in parts for line in p.ref), *data]
    code, expected = _lines(*orig), _lines(*ref)
    return _draft(wasteful[0].category, _difficulty(code), code, expected, description,
                  live_out=live_out, pre=pre, family=family)


# --- entry and exit shared by the families ----------------------------------------------------

def widths_prologue(rng: random.Random, *, allow_waste: bool = True
                    ) -> tuple[list[Part], list[Part], dict[str, int], bool]:
    """How a routine gets its 8-bit A and X/Y: (head parts, tail parts, M/X preconditions,
    whether the routine restores P). Either the entry state states 8-bit (and the original
    may set it again for nothing), or M/X are free and the routine sets them itself."""
    choice = rng.randrange(5 if allow_waste else 3)
    if choice == 0:
        return [], [], {"m": 1, "x": 1}, False
    if choice == 1:
        return [same("PHP", "SEP #$30")], [same("PLP")], {}, True
    if choice == 2:
        return [same("PHP", "SEP #$20")], [same("PLP")], {"x": 1}, True
    if choice == 3:
        return [Part(["SEP #$30"], [], "register_mode", minor=True)], [], {"m": 1, "x": 1}, False
    return ([same("PHP"), Part(["SEP #$20", "SEP #$10"], ["SEP #$30"], "register_mode",
                               minor=True)], [same("PLP")], {}, True)


def ending(rng: random.Random) -> Part:
    return same(rng.choice(("RTS", "RTL", "RTS")))


# --- requests: paraphrased, never naming the method -------------------------------------------

_SPEED = (
    "This routine runs every frame in my hack and costs too many cycles. Make it faster "
    "without changing what it does.",
    "Can you speed this up? The game must not be able to tell the difference.",
    "I'm running out of CPU time in this part of the frame. Rewrite this so it takes fewer "
    "cycles but behaves exactly the same.",
    "Please optimise this {what} for speed; its effects have to stay identical.",
    "Here is my {what}. It works, but it is slow. Give me a faster version that does the same "
    "thing.",
    "Make this {what} cheaper to run. Same results, fewer cycles.",
    "Tighten this {what} up for speed. Nothing observable may change.",
    "This {what} is on a hot path. Reduce its cycle count; keep the behaviour.",
)
_SIZE = (
    "My free space is almost full. Make this routine smaller in bytes while keeping exactly "
    "what it does.",
    "Shrink this {what}: fewer ROM bytes, same behaviour.",
    "I need to squeeze a few bytes out of this {what}. It must still behave identically.",
    "Please rewrite this {what} so it assembles to fewer bytes. Its effects must not change.",
    "Can this {what} be made shorter? Size matters more than speed here; behaviour must stay "
    "the same.",
)


def request(rng: random.Random, objective: str, what: str) -> str:
    template = rng.choice(_SIZE if objective == "bytes" else _SPEED)
    return template.format(what=what)


def _size(code: str) -> int:
    from afs.asm.assembler import assemble

    return sum(len(s.data) for s in assemble(code, base=0x008000).segments)
