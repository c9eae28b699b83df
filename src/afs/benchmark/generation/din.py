"""Din (optimisation) items: an original routine, a cheaper equivalent, and what must hold.

Each template draws addresses and constants from the generator's seeded RNG. `live_out`
names only what the routine is for (e.g. `mem` for a store), so rewrites that change dead
registers or flags are legitimate; `preconditions` state the CPU mode the code assumes.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from afs.benchmark.generation import Draft, distinct_drafts

PER_CATEGORY = 13  # 11 categories x 13 = 143 >= 136

# Native mode and binary arithmetic, as ALTTP's code runs; widths per template.
NATIVE = {"e": 0, "d": 0}
M8 = {**NATIVE, "m": 1, "x": 1}
M16 = {**NATIVE, "m": 0, "x": 1}


def _dp(rng: random.Random) -> int:
    return rng.randrange(0x00, 0xF0)


def _abs(rng: random.Random) -> int:
    return rng.randrange(0x0200, 0x1F00)


def _scratch_dp(rng: random.Random) -> int:
    """An even direct-page address in ALTTP's scratch bytes $00-$0F, for 16-bit stores (a
    16-bit store into a documented 1-byte variable would clobber its neighbour)."""
    return rng.randrange(0x00, 0x0C, 2)


def _free_word(rng: random.Random) -> int:
    """An even WRAM address in $1000-$19FF, which the RAM map leaves undocumented."""
    return rng.randrange(0x1000, 0x19FE, 2)


def _b(value: int) -> str:
    return f"${value:02X}"


def _w(value: int) -> str:
    return f"${value:04X}"


def _lines(*lines: str) -> str:
    return "\n".join(lines)


def _draft(category: str, difficulty: int, code: str, expected: str, description: str, *,
           live_out: str, pre: dict[str, int], objective: str = "cycles") -> Draft:
    return Draft(category=category, difficulty=difficulty, code=code, expected_output=expected,
                 description=description, task="optimize",
                 extra={"live_out": live_out, "preconditions": dict(pre)},
                 metadata={"objective": objective})


# --- redundant_loads -----------------------------------------------------------------------

def redundant_loads(rng: random.Random) -> Draft:
    kind = rng.randrange(4)
    a, b = _dp(rng), _abs(rng)
    value = rng.randrange(1, 0x100)
    if kind == 0:
        return _draft("redundant_loads", 1,
                      _lines("LDA #$00", f"STA {_b(a)}", "LDA #$00", f"STA {_w(b)}"),
                      _lines(f"STZ {_b(a)}", f"STZ {_w(b)}"),
                      "Zero stores need no accumulator: STZ", live_out="mem", pre=M8)
    if kind == 1:
        return _draft("redundant_loads", 1,
                      _lines(f"LDA #{_b(value)}", f"STA {_b(a)}", f"LDA #{_b(value)}",
                             f"STA {_w(b)}"),
                      _lines(f"LDA #{_b(value)}", f"STA {_b(a)}", f"STA {_w(b)}"),
                      "The second load reloads the value A already holds",
                      live_out="a,n,z,mem", pre=M8)
    if kind == 2:
        return _draft("redundant_loads", 2,
                      _lines(f"LDA {_w(b)}", f"STA {_b(a)}", f"LDA {_w(b)}", "CLC", "ADC #$01",
                             f"STA {_w(b + 2)}"),
                      _lines(f"LDA {_w(b)}", f"STA {_b(a)}", "CLC", "ADC #$01",
                             f"STA {_w(b + 2)}"),
                      "A still holds the byte just stored; do not read it again",
                      live_out="a,n,v,z,c,mem", pre=M8)
    return _draft("redundant_loads", 2,
                  _lines(f"LDX #{_b(value)}", f"STX {_b(a)}", f"LDX #{_b(value)}",
                         f"STX {_w(b)}", f"LDY {_b(a)}"),
                  _lines(f"LDX #{_b(value)}", f"STX {_b(a)}", f"STX {_w(b)}", f"LDY {_b(a)}"),
                  "X is reloaded with the value it already holds",
                  live_out="x,y,n,z,mem", pre=M8)


# --- register_mode -------------------------------------------------------------------------

def register_mode(rng: random.Random) -> Draft:
    kind = rng.randrange(4)
    a, value = _scratch_dp(rng), rng.randrange(0x100, 0x10000)
    if kind == 0:
        return _draft("register_mode", 1,
                      _lines("SEP #$20", "SEP #$10", f"LDA #{_b(value & 0xFF)}", f"STA {_b(a)}"),
                      _lines("SEP #$30", f"LDA #{_b(value & 0xFF)}", f"STA {_b(a)}"),
                      "Two SEPs merge into one", live_out="a,x,y,p,mem", pre=NATIVE)
    if kind == 1:
        return _draft("register_mode", 1,
                      _lines("REP #$20", f"LDA #{_w(value)}", f"STA {_b(a)}", "REP #$20",
                             f"STA {_b(a + 2)}"),
                      _lines("REP #$20", f"LDA #{_w(value)}", f"STA {_b(a)}", f"STA {_b(a + 2)}"),
                      "The second REP #$20 changes nothing: A is already 16-bit",
                      live_out="a,x,y,p,mem", pre={**NATIVE, "x": 1})
    if kind == 2:
        return _draft("register_mode", 2,
                      _lines("REP #$20", "SEP #$20", f"LDA #{_b(value & 0xFF)}", f"STA {_b(a)}"),
                      _lines("SEP #$20", f"LDA #{_b(value & 0xFF)}", f"STA {_b(a)}"),
                      "A REP immediately undone by SEP is dead", live_out="a,x,y,p,mem",
                      pre={**NATIVE, "x": 1})
    return _draft("register_mode", 2,
                  _lines("REP #$10", "REP #$20", f"LDX #{_w(value)}", f"STX {_b(a)}"),
                  _lines("REP #$30", f"LDX #{_w(value)}", f"STX {_b(a)}"),
                  "REP #$10 and REP #$20 merge into REP #$30", live_out="a,x,y,p,mem",
                  pre=NATIVE)


# --- branch_optimization -------------------------------------------------------------------

def branch_optimization(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    a, b = _dp(rng), _abs(rng)
    value = rng.randrange(1, 0x100)
    if kind == 0:
        return _draft("branch_optimization", 2,
                      _lines(f"LDA {_b(a)}", "BEQ +", "BRA ++", "+", f"LDA #{_b(value)}",
                             f"STA {_w(b)}", "++"),
                      _lines(f"LDA {_b(a)}", "BNE +", f"LDA #{_b(value)}", f"STA {_w(b)}", "+"),
                      "A branch over a BRA inverts into one branch", live_out="mem", pre=M8)
    if kind == 1:
        return _draft("branch_optimization", 1,
                      _lines(f"LDA {_b(a)}", "CMP #$00", "BNE +", f"LDA #{_b(value)}",
                             f"STA {_w(b)}", "+"),
                      _lines(f"LDA {_b(a)}", "BNE +", f"LDA #{_b(value)}", f"STA {_w(b)}", "+"),
                      "LDA already sets Z; CMP #$00 is redundant", live_out="mem", pre=M8)
    return _draft("branch_optimization", 2,
                  _lines(f"LDA {_b(a)}", "AND #$80", "CMP #$80", "BNE +",
                         f"INC {_w(b)}", "+"),
                  _lines(f"LDA {_b(a)}", "BPL +", f"INC {_w(b)}", "+"),
                  "Test bit 7 with the N flag LDA sets", live_out="mem", pre=M8)


# --- increment_decrement -------------------------------------------------------------------

def increment_decrement(rng: random.Random) -> Draft:
    kind = rng.randrange(4)
    a, b = _dp(rng), _abs(rng)
    if kind == 0:
        return _draft("increment_decrement", 1,
                      _lines(f"LDA {_b(a)}", "CLC", "ADC #$01", f"STA {_b(a)}"),
                      f"INC {_b(a)}", "INC works on memory directly", live_out="mem", pre=M8)
    if kind == 1:
        return _draft("increment_decrement", 1,
                      _lines(f"LDA {_w(b)}", "SEC", "SBC #$01", f"STA {_w(b)}"),
                      f"DEC {_w(b)}", "DEC works on memory directly", live_out="mem", pre=M8)
    if kind == 2:
        return _draft("increment_decrement", 1,
                      _lines("TXA", "CLC", "ADC #$01", "TAX", f"STX {_b(a)}"),
                      _lines("INX", f"STX {_b(a)}"),
                      "INX instead of a round trip through A", live_out="x,mem", pre=M8)
    return _draft("increment_decrement", 2,
                  _lines(f"LDA {_b(a)}", "CLC", "ADC #$02", f"STA {_b(a)}"),
                  _lines(f"INC {_b(a)}", f"INC {_b(a)}"),
                  "Two INCs beat load/add/store for +2", live_out="mem", pre=M8,
                  objective="bytes")


# --- loop_optimization ---------------------------------------------------------------------

def loop_optimization(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    # Disjoint source and destination, so copy order cannot matter.
    src = rng.randrange(0x0200, 0x0F00) & 0xFFF0
    dst = rng.randrange(0x1000, 0x1E00) | 0x40
    count = rng.randrange(4, 0x40)
    if kind == 0:
        return _draft("loop_optimization", 2,
                      _lines("LDX #$00", "-", f"LDA {_w(src)},X", f"STA {_w(dst)},X", "INX",
                             f"CPX #{_b(count)}", "BNE -"),
                      _lines(f"LDX #{_b(count - 1)}", "-", f"LDA {_w(src)},X",
                             f"STA {_w(dst)},X", "DEX", "BPL -"),
                      "Count down to use the flags DEX sets instead of CPX",
                      live_out="mem", pre={**M8, "dbr": 0x7E})
    if kind == 1:
        return _draft("loop_optimization", 2,
                      _lines("LDX #$00", "-", f"STZ {_w(dst)},X", "INX", f"CPX #{_b(count)}",
                             "BNE -"),
                      _lines(f"LDX #{_b(count - 1)}", "-", f"STZ {_w(dst)},X", "DEX", "BPL -"),
                      "Count down; DEX sets the flags the loop needs",
                      live_out="mem", pre={**M8, "dbr": 0x7E})
    return _draft("loop_optimization", 3,
                  _lines("LDX #$00", "-", f"LDA {_w(src)},X", f"STA {_w(dst)},X", "INX",
                         f"CPX #{_b(count)}", "BNE -"),
                  _lines("REP #$30", f"LDA #{_w(count - 1)}", f"LDX #{_w(src)}",
                         f"LDY #{_w(dst)}", "MVN $7E,$7E", "SEP #$30"),
                  "A block copy is what MVN does, at 7 cycles a byte",
                  live_out="mem", pre={**M8, "dbr": 0x7E})


# --- multiplication ------------------------------------------------------------------------

def multiplication(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    a, tmp = _dp(rng), _dp(rng) | 0x01
    if a == tmp:
        tmp ^= 0x02
    if kind == 0:
        return _draft("multiplication", 1,
                      _lines(f"LDA {_b(a)}", f"STA {_b(tmp)}", "CLC", f"ADC {_b(tmp)}", "CLC",
                             f"ADC {_b(tmp)}", "CLC", f"ADC {_b(tmp)}"),
                      _lines(f"LDA {_b(a)}", "ASL A", "ASL A"),
                      "x4 is two left shifts", live_out="a", pre=M8)
    if kind == 1:
        return _draft("multiplication", 1,
                      _lines(f"LDA {_b(a)}", f"STA {_b(tmp)}", "CLC", f"ADC {_b(tmp)}"),
                      _lines(f"LDA {_b(a)}", "ASL A"),
                      "x2 is one left shift", live_out="a,n,z,c", pre=M8)
    shifts = rng.randrange(3, 5)
    adds = [line for _ in range(2 ** shifts - 1) for line in ("CLC", f"ADC {_b(tmp)}")]
    return _draft("multiplication", 2,
                  _lines(f"LDA {_b(a)}", f"STA {_b(tmp)}", *adds),
                  _lines(f"LDA {_b(a)}", *(["ASL A"] * shifts)),
                  f"x{2 ** shifts} is {shifts} left shifts", live_out="a", pre=M8)


# --- addressing_mode -----------------------------------------------------------------------

def addressing_mode(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    a, b = _dp(rng), _dp(rng)
    if kind == 0:
        return _draft("addressing_mode", 1,
                      _lines(f"LDA $7E00{a:02X}", f"STA $7E00{b:02X}"),
                      _lines(f"LDA {_b(a)}", f"STA {_b(b)}"),
                      "With D = 0 the direct page reaches $7E0000-$7E00FF in 2 bytes",
                      live_out="a,n,z,mem", pre={**M8, "dp": 0})
    if kind == 1:
        return _draft("addressing_mode", 1,
                      _lines(f"LDA $00{a:02X}", "CLC", f"ADC $00{b:02X}", f"STA $00{a:02X}"),
                      _lines(f"LDA {_b(a)}", "CLC", f"ADC {_b(b)}", f"STA {_b(a)}"),
                      "Absolute $00xx costs a byte and a cycle more than direct $xx",
                      live_out="a,n,v,z,c,mem", pre={**M8, "dp": 0, "dbr": 0x7E})
    return _draft("addressing_mode", 2,
                  _lines(f"LDA $7E{a:04X},X", f"STA $7E{(a + 0x20) & 0xFF:04X},X"),
                  _lines(f"LDA {_b(a)},X", f"STA {_b((a + 0x20) & 0xFF)},X"),
                  "Direct page indexed replaces long indexed when D = 0",
                  live_out="a,n,z,mem", pre={**M8, "dp": 0})


# --- 16bit_optimization --------------------------------------------------------------------

def sixteen_bit(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    a = _scratch_dp(rng)
    value = rng.randrange(0x100, 0x10000)
    if kind == 0:
        return _draft("16bit_optimization", 2,
                      _lines("SEP #$20", f"LDA #{_b(value & 0xFF)}", f"STA {_b(a)}",
                             f"LDA #{_b(value >> 8)}", f"STA {_b(a + 1)}", "REP #$20"),
                      _lines(f"LDA #{_w(value)}", f"STA {_b(a)}"),
                      "In 16-bit mode one store writes both bytes", live_out="mem", pre=M16)
    if kind == 1:
        return _draft("16bit_optimization", 1,
                      _lines("SEP #$20", f"STZ {_b(a)}", f"STZ {_b(a + 1)}", "REP #$20"),
                      f"STZ {_b(a)}",
                      "A 16-bit STZ clears both bytes", live_out="a,mem", pre=M16)
    b = _free_word(rng)
    return _draft("16bit_optimization", 2,
                  _lines("SEP #$20", f"LDA {_b(a)}", f"STA {_w(b)}", f"LDA {_b(a + 1)}",
                         f"STA {_w(b + 1)}", "REP #$20"),
                  _lines(f"LDA {_b(a)}", f"STA {_w(b)}"),
                  "Copy a word with one 16-bit load and store", live_out="mem",
                  pre={**M16, "dbr": 0x7E})


# --- stack_optimization --------------------------------------------------------------------

def stack_optimization(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    a, b = _dp(rng), _abs(rng)
    if kind == 0:
        return _draft("stack_optimization", 1,
                      _lines("PHA", f"STZ {_b(a)}", f"STZ {_w(b)}", "PLA"),
                      _lines(f"STZ {_b(a)}", f"STZ {_w(b)}"),
                      "STZ does not touch A: the save and restore are dead",
                      live_out="a,x,y,s,mem", pre=M8)
    if kind == 1:
        return _draft("stack_optimization", 1,
                      _lines("PHX", "PLY", f"STY {_b(a)}"),
                      _lines("TXY", f"STY {_b(a)}"),
                      "TXY copies X to Y without the stack", live_out="x,y,s,n,z,mem", pre=M8)
    return _draft("stack_optimization", 2,
                  _lines("PHP", f"LDA {_b(a)}", f"STA {_w(b)}", "PLP"),
                  _lines(f"LDA {_b(a)}", f"STA {_w(b)}"),
                  "Only N and Z change and the caller discards them: no PHP/PLP needed",
                  live_out="a,s,c,v,i,d,mem", pre=M8)


# --- dead_code -----------------------------------------------------------------------------

def dead_code(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    a, b = _dp(rng), _abs(rng)
    v1, v2 = rng.randrange(0x100), rng.randrange(0x100)
    if kind == 0:
        return _draft("dead_code", 1,
                      _lines(f"LDA #{_b(v1)}", f"LDA #{_b(v2)}", f"STA {_b(a)}"),
                      _lines(f"LDA #{_b(v2)}", f"STA {_b(a)}"),
                      "The first load is overwritten before use", live_out="a,n,z,mem", pre=M8)
    if kind == 1:
        return _draft("dead_code", 1,
                      _lines(f"LDA #{_b(v1)}", f"STA {_w(b)}", f"LDA #{_b(v2)}", f"STA {_w(b)}"),
                      _lines(f"LDA #{_b(v2)}", f"STA {_w(b)}"),
                      "The first store is overwritten", live_out="a,n,z,mem", pre=M8)
    return _draft("dead_code", 2,
                  _lines(f"LDA #{_b(v1)}", f"STA {_b(a)}", "BRA +", f"LDA #{_b(v2)}",
                         f"STA {_w(b)}", "+"),
                  _lines(f"LDA #{_b(v1)}", f"STA {_b(a)}"),
                  "Code after an unconditional branch is unreachable", live_out="a,n,z,mem",
                  pre=M8)


# --- strength_reduction --------------------------------------------------------------------

def strength_reduction(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    a = _dp(rng)
    if kind == 0:
        return _draft("strength_reduction", 2,
                      _lines(f"LDA {_b(a)}", "LDX #$00", "-", "CMP #$02", "BCC +", "SBC #$02",
                             "INX", "BRA -", "+", "TXA"),
                      _lines(f"LDA {_b(a)}", "LSR A"),
                      "Halving by repeated subtraction is one LSR", live_out="a", pre=M8)
    if kind == 1:
        mask = rng.choice((0x01, 0x03, 0x07, 0x0F, 0x1F))
        divisor = mask + 1
        return _draft("strength_reduction", 2,
                      _lines(f"LDA {_b(a)}", "-", f"CMP #{_b(divisor)}", "BCC +",
                             f"SBC #{_b(divisor)}", "BRA -", "+"),
                      _lines(f"LDA {_b(a)}", f"AND #{_b(mask)}"),
                      f"A modulo {divisor} (a power of two) is an AND", live_out="a", pre=M8)
    return _draft("strength_reduction", 1,
                  _lines(f"LDA {_b(a)}", "EOR #$FF", "CLC", "ADC #$01", "EOR #$FF", "CLC",
                         "ADC #$01"),
                  f"LDA {_b(a)}",
                  "Negating twice gives the value back", live_out="a,n,z", pre=M8)


TEMPLATES: dict[str, Callable[[random.Random], Draft]] = {
    "redundant_loads": redundant_loads,
    "register_mode": register_mode,
    "branch_optimization": branch_optimization,
    "increment_decrement": increment_decrement,
    "loop_optimization": loop_optimization,
    "multiplication": multiplication,
    "addressing_mode": addressing_mode,
    "16bit_optimization": sixteen_bit,
    "stack_optimization": stack_optimization,
    "dead_code": dead_code,
    "strength_reduction": strength_reduction,
}


def drafts(rng: random.Random) -> list[Draft]:
    """PER_CATEGORY distinct drafts per category, deterministic for a seeded `rng`."""
    return distinct_drafts({category: (lambda _, t=template: t(rng))
                            for category, template in TEMPLATES.items()}, PER_CATEGORY)
