"""Shared pieces of the Farore item templates: request phrasing, test-case and draft builders."""

from __future__ import annotations

import random
from typing import Any

from afs.benchmark.generation import Draft

PER_CATEGORY = 6  # 22 categories x 6 = 132 >= 100

P8 = 0x30          # native mode, 8-bit A and index registers, carry clear
P8_CARRY = 0x31    # the same with carry set: catches a missing CLC
ENTRY = " On entry: native mode, 8-bit A/X/Y, D = $0000, DBR = $7E."
ENTRY_IO = " On entry: native mode, 8-bit A/X/Y, D = $0000, DBR = $00."
ASK = " It has a bug: find it and fix it."
BUDGET = 5_000

CURRENT_HEALTH, MAX_HEALTH, RUPEES = 0x7EF36D, 0x7EF36C, 0x7EF360
LINK_Y, LINK_X, FACING, FRAME = 0x7E0020, 0x7E0022, 0x7E002F, 0x7E001A
SPRITE_STATE, SPRITE_HP = 0x0DD0, 0x0E50
SPRITE_TABLES = (0x0D90, 0x0DA0, 0x0DB0, 0x0DC0, 0x0DD0, 0x0DE0, 0x0E20, 0x0E30, 0x0E50,
                 0x0E60, 0x0F50, 0x0F70)
SPRITE_TIMERS = (0x0DF0, 0x0E00, 0x0E10, 0x0EE0, 0x0F10)
SPRITE_VELOCITIES = ((0x0D50, "X velocity"), (0x0D40, "Y velocity"), (0x0F80, "Z velocity"))
# (PPU/CPU register, the ALTTP direct-page shadow NMI copies into it)
NMI_SHADOWS = ((0x2100, 0x13), (0x212C, 0x1C), (0x212D, 0x1D), (0x2105, 0x94),
               (0x2106, 0x95), (0x420C, 0x9B))


def _h(value: int, digits: int = 2) -> str:
    return f"${value:0{digits}X}"


def _a(address: int) -> str:
    """The absolute (bank-less) operand of a WRAM address: `$1234`."""
    return _h(address & 0xFFFF, 4)


def _addr(value: int) -> str:
    return f"0x{value:06X}"


def _spots(rng: random.Random, count: int, size: int = 0x20) -> list[int]:
    """`count` non-overlapping scratch blocks of `size` bytes; the 24-bit start of each."""
    blocks = rng.sample(range(0xA00 // size), count)
    return [0x7E1000 + b * size for b in blocks]


def _case(memory: dict[int, int] | None = None, *, init: dict[str, int] | None = None,
          expect: dict[int, int] | None = None, registers: dict[str, int] | None = None,
          flags: dict[str, int] | None = None, io: dict[int, list[int]] | None = None
          ) -> dict[str, Any]:
    return {
        "init": {"p": P8, **(init or {})},
        "memory": {_addr(a): v for a, v in (memory or {}).items()},
        "expect": {"registers": registers or {}, "flags": flags or {},
                   "memory": {_addr(a): v for a, v in (expect or {}).items()},
                   "io": {_addr(a): v for a, v in (io or {}).items()}},
    }


def _draft(category: str, difficulty: int, code: list[str], fix: list[str], request: str,
           bug: str, cases: list[dict[str, Any]], *, line: int | None = None,
           budget: int = BUDGET, entry: str = ENTRY) -> Draft:
    """`line` defaults to the first line where the buggy code and the fix differ."""
    if line is None:
        line = next((i for i, (a, b) in enumerate(zip(code, fix, strict=False)) if a != b),
                    min(len(code), len(fix))) + 1
    line = min(line, len(code))
    return Draft(category=category, difficulty=difficulty, code="\n".join(code),
                 expected_output="\n".join(fix), description=bug, task="debug",
                 extra={"bug": {"category": category, "line": line, "description": bug},
                        "test": {"cases": cases, "max_instructions": budget}},
                 metadata={"request": request + entry + ASK})


def _swap(lines: list[str], i: int, j: int) -> list[str]:
    out = list(lines)
    out[i], out[j] = out[j], out[i]
    return out


def _without(lines: list[str], *indexes: int) -> list[str]:
    return [text for i, text in enumerate(lines) if i not in indexes]


def _replace(lines: list[str], index: int, text: str) -> list[str]:
    out = list(lines)
    out[index] = text
    return out

