"""Farore templates for addressing bugs: wrong addressing modes, bank boundaries, pointers and
memory accesses. Each bug shows up as a memory byte or register value (see
`afs.benchmark.checks`)."""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft
from afs.benchmark.generation.farore_common import (
    CURRENT_HEALTH,
    LINK_X,
    LINK_Y,
    MAX_HEALTH,
    _a,
    _case,
    _draft,
    _h,
    _replace,
    _spots,
    _without,
)


def addressing_mode(rng: random.Random, kind: int) -> Draft:
    out, table, decoy = _spots(rng, 3)
    if kind % 4 == 0:
        value, old = rng.randrange(0x20, 0x100), rng.randrange(0x100)
        fix = [f"LDA {_a(out)}", "CLC", f"ADC #{_h(value)}", f"STA {_a(out)}"]
        stale = value ^ 0x5A
        return _draft("addressing_mode", 1, _replace(fix, 2, f"ADC {_h(value)}"), fix,
                      f"Add the constant {_h(value)} to the byte at {_a(out)}.",
                      "ADC $xx adds the byte at direct page $xx, not the constant",
                      [_case({out: old, 0x7E0000 | value: stale},
                             expect={out: (old + value) & 0xFF})])
    if kind % 4 == 1:
        choice = rng.randrange(3)
        if choice == 0:
            request = "Refill Link's current health ($7EF36D) to his maximum ($7EF36C)."
            fix = ["LDA.l $7EF36C", "STA.l $7EF36D"]
            memory, expect = ({MAX_HEALTH: 0x60, CURRENT_HEALTH: 0x08},
                              {MAX_HEALTH: 0x60, CURRENT_HEALTH: 0x60})
        else:
            count = rng.randrange(1, 31)
            dst, what = (0x7EF343, "bombs") if choice == 1 else (0x7EF377, "arrows")
            fix = [f"LDA #{_h(count)}", f"STA.l {_h(dst, 6)}"]
            request = f"Set the {what} count ({_h(dst, 6)}) to {count}."
            memory, expect = {dst: 0}, {dst: count}
        code = [t.replace(".l $7E", " $") for t in fix]
        return _draft("addressing_mode", 2, code, fix,
                      request + " It runs with DBR = $00 (after PHK/PLB in a bank $00 routine).",
                      "with DBR = $00 an absolute address reaches bank $00 (ROM), not the "
                      "save data at $7EF3xx: it needs long addressing",
                      [_case(memory, init={"dbr": 0x00}, expect=expect)],
                      entry=" On entry: native mode, 8-bit A/X/Y, D = $0000.")
    offset, value = rng.randrange(1, 0x20), rng.randrange(0x100)
    pointer = {0x7E0000: table & 0xFF, 0x7E0001: (table >> 8) & 0xFF}
    if kind % 4 == 2:
        fix = [f"LDY #{_h(offset)}", "LDA ($00),Y", f"STA {_a(out)}"]
        return _draft("addressing_mode", 2, _replace(fix, 1, "LDA ($00,X)"), fix,
                      f"Load the byte {offset} bytes past the 16-bit pointer at $00-$01 and "
                      f"store it at {_a(out)}.",
                      "(dp,X) indexes the pointer's location, (dp),Y indexes the data",
                      [_case({**pointer, 0x7E0004: decoy & 0xFF, 0x7E0005: (decoy >> 8) & 0xFF,
                              table + offset: value, decoy: value ^ 0xFF}, init={"x": x},
                             expect={out: value}) for x in (0x04, 0x00)])
    far = 0x7F0000 | rng.randrange(0x2000, 0xF000)
    fix = [f"LDY #{_h(offset)}", "LDA [$00],Y", f"STA {_a(out)}"]
    return _draft("addressing_mode", 2, _replace(fix, 1, "LDA ($00),Y"), fix,
                  f"Load the byte {offset} bytes past the 24-bit pointer at $00-$02 and store "
                  f"it at {_a(out)}.",
                  "($00),Y is a 16-bit pointer in the data bank; the pointer is 24-bit: [$00],Y",
                  [_case({0x7E0000: far & 0xFF, 0x7E0001: (far >> 8) & 0xFF, 0x7E0002: 0x7F,
                          far + offset: value, (far & 0xFFFF | 0x7E0000) + offset: value ^ 0x3C},
                         expect={out: value})])


def bank_boundary(rng: random.Random, kind: int) -> Draft:
    p = rng.randrange(0, 0x0D)
    out = _spots(rng, 1)[0]
    kind %= 3
    if kind == 0:
        fix = [f"LDA [{_h(p)}]", f"STA {_a(out)}", f"INC {_h(p)}", "BNE Done",
               f"INC {_h(p + 1)}", "BNE Done", f"INC {_h(p + 2)}", "Done:"]
        start = rng.randrange(0x10, 0x100)
        cases = []
        for ptr in (0x7EFFFF, 0x7F0000 | start << 8 | 0xFF):
            nxt = ptr + 1
            cases.append(_case({0x7E0000 + p: ptr & 0xFF, 0x7E0001 + p: (ptr >> 8) & 0xFF,
                                0x7E0002 + p: ptr >> 16, ptr: 0x5C},
                               expect={out: 0x5C, 0x7E0000 + p: nxt & 0xFF,
                                       0x7E0001 + p: (nxt >> 8) & 0xFF,
                                       0x7E0002 + p: nxt >> 16}))
        return _draft("bank_boundary", 2, _without(fix, 5, 6), fix,
                      f"Read the byte at the 24-bit pointer in {_h(p)}-{_h(p + 2)} (direct page), "
                      f"store it at {_a(out)} and advance the pointer by one byte.",
                      "the carry out of the pointer's high byte never reaches its bank byte",
                      cases, line=5)
    if kind == 1:
        step = rng.randrange(0x10, 0x400)
        fix = ["REP #$20", f"LDA {_h(p)}", "CLC", f"ADC #{_h(step, 4)}", f"STA {_h(p)}",
               "SEP #$20", "BCC +", f"INC {_h(p + 2)}", "+"]
        cases = []
        for ptr in (0x7F0000 - step // 2 - 1, 0x7F2000 + rng.randrange(0x1000)):
            nxt = ptr + step
            cases.append(_case({0x7E0000 + p: ptr & 0xFF, 0x7E0001 + p: (ptr >> 8) & 0xFF,
                                0x7E0002 + p: ptr >> 16},
                               expect={0x7E0000 + p: nxt & 0xFF,
                                       0x7E0001 + p: (nxt >> 8) & 0xFF,
                                       0x7E0002 + p: nxt >> 16}))
        return _draft("bank_boundary", 2, fix[:6], fix,
                      f"Advance the 24-bit pointer in {_h(p)}-{_h(p + 2)} (direct page) by "
                      f"{step} bytes.",
                      "the 16-bit add can carry out of the address, and the bank byte is not "
                      "incremented", cases, line=4)
    far = 0x7F0000 | rng.randrange(0x2000, 0xF000)
    count = rng.randrange(2, 0x10)
    data = {far + i: rng.randrange(0x100) for i in range(count)}
    fix = [f"LDX #{_h(count - 1)}", "Loop:", f"LDA.l {_h(far, 6)},X", f"STA {_a(out)},X", "DEX",
           "BPL Loop"]
    near = {(far & 0xFFFF | 0x7E0000) + i: v ^ 0xFF for i, v in enumerate(data.values())}
    return _draft("bank_boundary", 1, _replace(fix, 2, f"LDA {_a(far)},X"), fix,
                  f"Copy the {count} bytes at {_h(far, 6)} (bank $7F) to {_a(out)} in bank "
                  "$7E.", "an absolute address reads the data bank ($7E), not bank $7F",
                  [_case({**data, **near},
                         expect={out + i: v for i, v in enumerate(data.values())})])


def pointer_bugs(rng: random.Random, kind: int) -> Draft:
    table, out, other = _spots(rng, 3)
    offset, value = rng.randrange(0x20), rng.randrange(0x100)
    kind %= 3
    if kind == 0:
        fix = [f"LDA #{_h(table & 0xFF)}", "STA $00", f"LDA #{_h((table >> 8) & 0xFF)}",
               "STA $01", f"LDY #{_h(offset)}", "LDA ($00),Y", f"STA {_a(out)}"]
        code = _replace(_replace(fix, 0, fix[2]), 2, fix[0])
        swapped = 0x7E0000 | (table & 0xFF) << 8 | (table >> 8) & 0xFF
        return _draft("pointer_bugs", 1, code, fix,
                      f"Point $00-$01 at the table at {_a(table)} and copy its byte {offset} to "
                      f"{_a(out)}.",
                      "the pointer is stored high byte first; pointers are little-endian",
                      [_case({table + offset: value, swapped + offset: value ^ 0x81},
                             expect={out: value})])
    if kind == 1:
        far = 0x7F0000 | rng.randrange(0x2000, 0xF000)
        fix = [f"LDA #{_h(far & 0xFF)}", "STA $00", f"LDA #{_h((far >> 8) & 0xFF)}",
               "STA $01", "LDA #$7F", "STA $02", f"LDY #{_h(offset)}", "LDA [$00],Y",
               f"STA {_a(out)}"]
        return _draft("pointer_bugs", 2, _without(fix, 4, 5), fix,
                      f"Point the 24-bit pointer at $00-$02 at {_h(far, 6)} and copy the byte "
                      f"{offset} past it to {_a(out)}.",
                      "the pointer's bank byte ($02) is never set", [
                          _case({0x7E0002: bank, far + offset: value,
                                 (far & 0xFFFF | 0x7E0000) + offset: value ^ 0x18},
                                expect={out: value}) for bank in (0x7E, 0x00)], line=6)
    targets = [table + 2 * i for i in range(4)]
    fix = [f"LDA {_a(other)}", "ASL A", "TAX", "LDA.l Pointers,X", "STA $00",
           "LDA.l Pointers+1,X", "STA $01", "LDA ($00)", f"STA {_a(out)}", "RTS",
           "Pointers: dw " + ", ".join(_a(t) for t in targets)]
    values = [rng.randrange(0x100) for _ in targets]
    return _draft("pointer_bugs", 2, _without(fix, 1), fix,
                  f"The byte at {_a(other)} (0-3) selects one of the four 16-bit pointers in "
                  f"the table after the code; copy the byte it points to to {_a(out)}.",
                  "the index is not doubled, but each pointer is two bytes",
                  [_case({other: i, **dict(zip(targets, values, strict=True))},
                         expect={out: values[i]}) for i in (1, 3)])


def memory_access(rng: random.Random, kind: int) -> Draft:
    kind %= 3
    if kind == 0:
        heal = rng.randrange(1, 9) * 8
        fix = ["LDA.l $7EF36D", "CLC", f"ADC #{_h(heal)}", "CMP.l $7EF36C", "BCC +",
               "LDA.l $7EF36C", "+", "STA.l $7EF36D"]
        return _draft("memory_access", 2, _replace(fix, 3, "CMP.l $7EF36D"), fix,
                      f"Heal Link by {heal // 8} heart(s) ({heal} eighths added to his current "
                      "health $7EF36D) but never above his maximum ($7EF36C).",
                      "the cap compares against the current health ($7EF36D), not the maximum "
                      "($7EF36C)",
                      [_case({CURRENT_HEALTH: cur, MAX_HEALTH: 0xA0},
                             expect={CURRENT_HEALTH: min(cur + heal, 0xA0)})
                       for cur in (0x10, 0x9C)])
    if kind == 1:
        field, name = rng.choice(((0, "X"), (1, "Y"), (2, "tile"), (3, "attribute")))
        value = rng.randrange(0x100)
        fix = ["ASL A", "ASL A", "TAX",
               f"LDA #{_h(value)}", f"STA {_a(0x0800 + field)},X"]
        cases = []
        for entry in rng.sample(range(1, 64), 2):
            at = 0x7E0800 + entry * 4 + field
            cases.append(_case({at: value ^ 0xFF, 0x7E0800 + entry * 2 + field: 0x33},
                               init={"a": entry},
                               expect={at: value, 0x7E0800 + entry * 2 + field: 0x33}))
        return _draft("memory_access", 2, _without(fix, 1), fix,
                      f"A holds an OAM entry number (0-63); set that entry's {name} byte in the "
                      f"low OAM buffer at $7E0800 to {_h(value)}.",
                      "the entry number is doubled, but each OAM entry is four bytes", cases,
                      line=2)
    coord, name = rng.choice(((LINK_X, "X"), (LINK_Y, "Y")))
    screens = rng.randrange(1, 4)
    fix = [f"LDA.l {_h(coord + 1, 6)}", "CLC", f"ADC #{_h(screens)}", f"STA.l {_h(coord + 1, 6)}"]
    code = [fix[0].replace(_h(coord + 1, 6), _h(coord, 6)), *fix[1:3],
            fix[3].replace(_h(coord + 1, 6), _h(coord, 6))]
    return _draft("memory_access", 1, code, fix,
                  f"Move Link {screens} screen(s) of 256 pixels along {name}: add {screens} to "
                  f"the high byte of his 16-bit {name} coordinate ({_h(coord, 6)}).",
                  "the low byte of the coordinate is changed instead of the high byte",
                  [_case({coord: 0x40, coord + 1: 0x02},
                         expect={coord: 0x40, coord + 1: 0x02 + screens})])
