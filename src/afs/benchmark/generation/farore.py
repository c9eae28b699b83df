"""Farore (debugging) items: a buggy routine, its minimal fix, and a test that tells them apart.

Every template writes the fixed routine, derives the buggy one from it by one realistic
mistake, and a behaviour test whose cases expose the mistake by what the code *does*: final
memory and registers, flags, the stack pointer, the values written to each hardware register,
or a loop that never ends (the instruction budget runs out). A test case starts in native
mode with 8-bit A/X/Y, D = $0000 and DBR = $7E unless the case says otherwise; routines that
write hardware registers run with DBR = $00 and say so in their request.

Scratch variables live at $7E1000-$7E19FF, which the ALTTP RAM map leaves unnamed, so a
buggy 16-bit store there is a behaviour bug and not a misuse the knowledge graph rejects.
ALTTP addresses are the map's: current health $7EF36D, maximum $7EF36C, rupee target
$7EF360 (16-bit), sprite tables $7E0D00-$7E0F9F (16 slots, indexed by X), and so on.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from afs.benchmark.generation import Draft, distinct_drafts
from afs.benchmark.generation.farore_common import (
    CURRENT_HEALTH,
    FACING,
    LINK_X,
    P8,
    P8_CARRY,
    PER_CATEGORY,
    RUPEES,
    SPRITE_HP,
    SPRITE_STATE,
    SPRITE_TABLES,
    SPRITE_VELOCITIES,
    _a,
    _case,
    _draft,
    _h,
    _replace,
    _spots,
    _swap,
    _without,
)
from afs.benchmark.generation.farore_hardware import (
    dma_issues,
    interrupt_handling,
    timing_issues,
    vblank_timing,
)
from afs.benchmark.generation.farore_memory import (
    addressing_mode,
    bank_boundary,
    memory_access,
    pointer_bugs,
)


def mode_mismatch(rng: random.Random, kind: int) -> Draft:
    w, src, dst = _spots(rng, 3)
    step, old = rng.randrange(0x10, 0x100), rng.randrange(0x100, 0xFF00)
    new = old + step
    counter = {w: old & 0xFF, w + 1: old >> 8}
    counted = {w: new & 0xFF, w + 1: new >> 8}
    head = ["REP #$20", f"LDA {_a(w)}", "CLC", f"ADC #{_h(step, 4)}", f"STA {_a(w)}"]
    if kind % 3 == 0:
        byte = rng.randrange(0x100)
        fix = [*head, "SEP #$20", f"LDA {_a(src)}", f"STA {_a(dst)}"]
        memory = {**counter, src: byte, src + 1: byte ^ 0xA5, dst: 0, dst + 1: 0x5A}
        return _draft("mode_mismatch", 2, _without(fix, 5), fix,
                      f"Add {_h(step, 4)} to the 16-bit counter at {_a(w)}, then copy the byte "
                      f"at {_a(src)} to {_a(dst)}; return with 8-bit A.",
                      "A is left 16-bit after the add, so the byte copy moves two bytes and "
                      "clobbers the byte after the destination",
                      [_case(memory, expect={**counted, dst: byte, dst + 1: 0x5A},
                             flags={"m": 1})])
    if kind % 3 == 1:
        fix = [*head, "SEP #$20"]
        code = _replace(fix, 3, f"ADC #{_h(step)}")
        return _draft("mode_mismatch", 2, code, fix,
                      f"Add {step} to the 16-bit counter at {_a(w)}.",
                      "asar sizes an immediate by its digits: #$xx is one byte, but the CPU "
                      "is in 16-bit mode and eats the next opcode as the high byte",
                      [_case(counter, expect=counted, flags={"m": 1}),
                       _case({w: 0xFF, w + 1: 0x00}, init={"p": P8_CARRY},
                             expect={w: (0xFF + step) & 0xFF, w + 1: (0xFF + step) >> 8})])
    count = rng.randrange(0x110, 0x200)
    base, value = 0x7E1000 + rng.randrange(0, 0x600), rng.randrange(1, 0x100)
    fix = ["REP #$10", f"LDX #{_h(count - 1, 4)}", f"LDA #{_h(value)}", "Loop:",
           f"STA.l {_h(base, 6)},X", "DEX", "BPL Loop", "SEP #$10"]
    probes = (0, 0xFF, 0x100, count - 1)
    return _draft("mode_mismatch", 2, fix[1:-1], fix,
                  f"Fill the {count} bytes starting at {_h(base, 6)} with {_h(value)}; return "
                  "with 8-bit index registers.",
                  "the 16-bit count is loaded into an 8-bit X: LDX #$xxxx is three bytes "
                  "but the CPU reads two, and the loop could not count past 255 anyway",
                  [_case({base + count: 0x77}, expect={**{base + i: value for i in probes},
                                                       base + count: 0x77}, flags={"x": 1})],
                  line=1)


def stack_imbalance(rng: random.Random, kind: int) -> Draft:
    table, out = _spots(rng, 2)
    step = rng.randrange(1, 0x40)
    if kind % 4 == 0:
        index = table + 0x10
        fix = ["PHX", f"LDX {_a(index)}", f"LDA {_a(table)},X", "BEQ Done", "CLC",
               f"ADC #{_h(step)}", f"STA {_a(table)},X", "Done:", "PLX", "RTS"]
        code = _swap(fix, 7, 8)
        slot = rng.randrange(0, 8)
        return _draft("stack_imbalance", 2, code, fix,
                      f"Add {step} to entry n of the byte table at {_a(table)} (n is the byte at "
                      f"{_a(index)}) unless that entry is zero; X must be preserved.",
                      "the early exit for a zero entry jumps past PLX: RTS returns through "
                      "the pushed X", [
                          _case({index: slot, table + slot: 5}, init={"x": 0x3C},
                                expect={table + slot: 5 + step}, registers={"x": 0x3C,
                                                                            "s": 0x01FF}),
                          _case({index: slot, table + slot: 0}, init={"x": 0x3C},
                                expect={table + slot: 0}, registers={"x": 0x3C, "s": 0x01FF})],
                      line=4)
    if kind % 4 == 1:
        old = rng.randrange(0x10000)
        fix = ["PHA", "REP #$20", f"LDA {_a(out)}", "CLC", f"ADC #{_h(step * 0x10, 4)}",
               f"STA {_a(out)}", "SEP #$20", "PLA"]
        new = (old + step * 0x10) & 0xFFFF
        return _draft("stack_imbalance", 2, _swap(fix, 6, 7), fix,
                      f"Add {_h(step * 0x10, 4)} to the 16-bit word at {_a(out)}, keeping A's "
                      "low byte as it was; return with 8-bit A.",
                      "A is pushed as one byte but pulled as two while still 16-bit",
                      [_case({out: old & 0xFF, out + 1: old >> 8}, init={"a": 0x42},
                             expect={out: new & 0xFF, out + 1: new >> 8},
                             registers={"a.b": 0x42, "s": 0x01FF}, flags={"m": 1})])
    if kind % 4 == 2:
        values = [rng.randrange(0x100) for _ in range(8)]
        fix = ["PHB", "PHK", "PLB", "LDA Table,X", f"STA {_a(out)}", "PLB", "RTS",
               "Table: db " + ", ".join(_h(v) for v in values)]
        return _draft("stack_imbalance", 2, _without(fix, 5), fix,
                      f"Look up entry X (0-7) of the table that follows the code, reading it "
                      f"through the program bank, and store it at {_a(out)}; the caller's DBR "
                      "must survive.",
                      "the DBR pushed by PHB is never pulled: the stack and DBR are wrong "
                      "on return", [_case({}, init={"x": i}, expect={out: values[i]},
                                          registers={"dbr": 0x7E, "s": 0x01FF})
                                    for i in (1, 6)])
    value = rng.randrange(1, 0x8000)
    fix = ["PHP", "REP #$30", f"LDA #{_h(value, 4)}", f"STA {_a(out)}",
           f"LDX #{_h(step, 4)}", f"STX {_a(out + 2)}", "PLP", "RTS"]
    code = _replace(fix, 6, "SEP #$30")
    return _draft("stack_imbalance", 1, code, fix,
                  f"Store the words {_h(value, 4)} at {_a(out)} and {_h(step, 4)} at "
                  f"{_a(out + 2)}, then return with the caller's flags and register widths.",
                  "the P pushed by PHP is never pulled (SEP restores widths, not the stack)",
                  [_case({}, init={"p": p}, expect={out: value & 0xFF, out + 1: value >> 8,
                                                     out + 2: step, out + 3: 0},
                         registers={"s": 0x01FF, "p": p}) for p in (P8, P8_CARRY)])


def branch_range(rng: random.Random, kind: int) -> Draft:
    count = rng.randrange(44, 62)
    if kind % 2 == 0:
        flag, out, base = _spots(rng, 3, 0x100)
        value = rng.randrange(1, 0x100)
        body = [f"STZ {_a(base + i)}" for i in range(count)]
        tail = ["Skip:", f"LDA #{_h(value)}", f"STA {_a(out)}"]
        code = [f"LDA {_a(flag)}", "BEQ Skip", *body, *tail]
        far = rng.choice(("JMP Skip", "BRL Skip"))
        fix = [f"LDA {_a(flag)}", "BNE +", far, "+", *body, *tail]
        full = {base + i: 0x11 for i in range(count)}
        probe = (0, count // 2, count - 1)
        return _draft("branch_range", 2, code, fix,
                      f"If the byte at {_a(flag)} is nonzero, clear the {count} bytes from "
                      f"{_a(base)} (unrolled); then, in every case, store {_h(value)} at "
                      f"{_a(out)}.",
                      f"BEQ cannot reach Skip, {count * 3} bytes ahead (a branch reaches "
                      "-128..+127)", [
                          _case({**full, flag: 0}, expect={**{base + i: 0x11 for i in probe},
                                                           out: value}),
                          _case({**full, flag: 1}, expect={**{base + i: 0 for i in probe},
                                                           out: value})])
    tables = 0x7E1000 + 0x10 * rng.randrange(0, 0xA0 - count)
    slots = rng.randrange(2, 16)
    body = [f"STZ {_a(tables + 0x10 * t)},X" for t in range(count)]
    code = [f"LDX #{_h(slots - 1)}", "Loop:", *body, "DEX", "BPL Loop"]
    fix = [*code[:-1], "BMI +", "JMP Loop", "+"]
    dirty = {tables + 0x10 * t + s: 0x99 for t in (0, count - 1) for s in range(slots + 1)}
    expect = {**{a: 0 for a in dirty if (a & 0xF) < slots},
              **{tables + 0x10 * t + slots: 0x99 for t in (0, count - 1)}}
    return _draft("branch_range", 2, code, fix,
                  f"Clear entries 0-{slots - 1} of each of the {count} 16-byte tables at "
                  f"{_a(tables)}, {_a(tables + 0x10)}, ... (one loop over the entry index).",
                  f"BPL Loop must jump back over {count * 3 + 1} bytes, out of a branch's reach",
                  [_case(dirty, expect=expect)], line=len(code))


def register_corruption(rng: random.Random, kind: int) -> Draft:
    src, dst, flag = _spots(rng, 3)
    if kind % 3 == 0:
        count = rng.randrange(4, 13)
        table = rng.sample(range(0x100), 16)
        data = [rng.randrange(16) for _ in range(count)]
        fix = [f"LDX #{_h(count - 1)}", "Loop:", f"LDA {_a(src)},X", "JSR Remap",
               f"STA {_a(dst)},X", "DEX", "BPL Loop", "RTS", "Remap:", "PHX", "TAX",
               "LDA.l Table,X", "PLX", "RTS", "Table: db " + ", ".join(_h(v) for v in table)]
        return _draft("register_corruption", 2, _without(fix, 9, 12), fix,
                      f"Translate the {count} bytes at {_a(src)} (each 0-15) through the "
                      f"16-byte table after the code and store them at {_a(dst)}.",
                      "Remap uses X for its lookup without saving it: the caller's loop index "
                      "is destroyed",
                      [_case({src + i: v for i, v in enumerate(data)},
                             expect={dst + i: table[v] for i, v in enumerate(data)})])
    if kind % 3 == 1:
        offset = rng.randrange(1, 0x40)
        table = 0x7E1000 + rng.randrange(0, 0x900)
        value = rng.randrange(0x100)
        fix = ["PHY", f"LDY #{_h(offset)}", "LDA ($00),Y", f"STA {_a(dst)}", "PLY"]
        ptr = {0x7E0000: table & 0xFF, 0x7E0001: (table >> 8) & 0xFF, table + offset: value}
        return _draft("register_corruption", 1, fix[1:-1], fix,
                      f"Copy the byte {offset} bytes past the 16-bit pointer at $00-$01 to "
                      f"{_a(dst)}; the caller's Y must be preserved.",
                      "Y is used as the index without being saved and restored",
                      [_case(ptr, init={"y": y}, expect={dst: value}, registers={"y": y})
                       for y in (0x05, 0xC3)])
    table, what = rng.choice(((SPRITE_HP, "hit points"), (SPRITE_STATE, "state"),
                              (0x0E20, "type"), (0x0DF0, "main timer")))
    mark = rng.randrange(1, 0x100)
    fix = [f"LDA {_a(table)},X", f"LDY #{_h(mark)}", f"STY {_a(flag)}", "RTS"]
    code = _replace(_replace(fix, 1, f"LDA #{_h(mark)}"), 2, f"STA {_a(flag)}")
    cases = []
    for slot in rng.sample(range(16), 2):
        value = rng.randrange(0x100)
        if value == mark:
            value ^= 0x40
        cases.append(_case({0x7E0000 | table + slot: value}, init={"x": slot},
                           expect={flag: mark}, registers={"a.b": value}))
    return _draft("register_corruption", 1, code, fix,
                  f"Return sprite slot X's {what} ({_h(0x7E0000 | table, 6)},X) in A, and "
                  f"store {_h(mark)} at {_a(flag)} as a marker.",
                  "the marker is written through A, overwriting the value to return",
                  cases)


def carry_flag(rng: random.Random, kind: int) -> Draft:
    if kind % 3 == 0:
        target, what = rng.choice(((0x7EF343, "bombs"), (0x7EF377, "arrows"),
                                   (_spots(rng, 1)[0], "items in the counter")))
        amount = rng.randrange(1, 10)
        fix = [f"LDA.l {_h(target, 6)}", "CLC", f"ADC #{_h(amount)}", f"STA.l {_h(target, 6)}"]
        return _draft("carry_flag", 1, _without(fix, 1), fix,
                      f"Give the player {amount} more {what} (the byte at {_h(target, 6)}).",
                      "ADC without CLC adds the carry left by the caller",
                      [_case({target: v}, init={"p": p}, expect={target: v + amount})
                       for v, p in ((3, P8_CARRY), (10, P8))])
    if kind % 3 == 1:
        damage = rng.randrange(2, 0x20)
        fix = ["LDA.l $7EF36D", "SEC", f"SBC #{_h(damage)}", "BCS +", "LDA #$00", "+",
               "STA.l $7EF36D"]
        return _draft("carry_flag", 1, _without(fix, 1), fix,
                      f"Take {damage} eighths of a heart from Link's current health ($7EF36D), "
                      "stopping at zero.",
                      "SBC without SEC subtracts one more when the carry is clear",
                      [_case({CURRENT_HEALTH: h}, init={"p": p},
                             expect={CURRENT_HEALTH: max(0, h - damage)})
                       for h, p in ((0x50, P8), (damage, P8), (damage - 1, P8_CARRY))])
    amount = rng.randrange(0x20, 0x300)
    fix = ["LDA.l $7EF360", "CLC", f"ADC #{_h(amount & 0xFF)}", "STA.l $7EF360",
           "LDA.l $7EF361", f"ADC #{_h(amount >> 8)}", "STA.l $7EF361"]
    code = [*fix[:5], "CLC", *fix[5:]]
    cases = []
    for old in (0x00F0, 0x0105 + rng.randrange(0x80)):
        new = (old + amount) & 0xFFFF
        cases.append(_case({RUPEES: old & 0xFF, RUPEES + 1: old >> 8},
                           expect={RUPEES: new & 0xFF, RUPEES + 1: new >> 8}))
    return _draft("carry_flag", 2, code, fix,
                  f"Add {amount} rupees to the 16-bit rupee target at $7EF360 with 8-bit A.",
                  "a CLC between the two halves drops the carry out of the low byte",
                  cases)


def comparison_logic(rng: random.Random, kind: int) -> Draft:
    value_at, flag = _spots(rng, 2)
    kind %= 4
    if kind == 0:
        limit = rng.randrange(0x10, 0xF0)
        fix = ["LDX #$00", f"LDA {_a(value_at)}", f"CMP #{_h(limit)}", "BCC +", "INX", "+",
               f"STX {_a(flag)}"]
        return _draft("comparison_logic", 1, _replace(fix, 3, "BCS +"), fix,
                      f"Store 1 at {_a(flag)} if the byte at {_a(value_at)} is at least "
                      f"{_h(limit)} (unsigned), else 0.",
                      "the branch is inverted: BCS skips exactly when the value is >= limit",
                      [_case({value_at: v}, expect={flag: int(v >= limit)})
                       for v in (limit - 1, limit, 0xFF)])
    if kind == 1:
        limit = rng.randrange(0x10, 0x70)
        fix = [f"LDA {_a(value_at)}", f"CMP #{_h(limit + 1)}", "BCC +", f"LDA #{_h(limit)}",
               f"STA {_a(value_at)}", "+"]
        return _draft("comparison_logic", 2, _replace(fix, 2, "BMI +"), fix,
                      f"Clamp the byte at {_a(value_at)} to at most {_h(limit)} (it is an "
                      "unsigned count).",
                      "BMI tests bit 7 of the difference, which is not an unsigned comparison",
                      [_case({value_at: v}, expect={value_at: min(v, limit)})
                       for v in (0, limit + 1, 0xC0, 0xFF)])
    if kind == 2:
        slot, mark = rng.randrange(16), rng.randrange(1, 0x100)
        fix = [f"LDX {_a(value_at)}", f"CPX #{_h(slot)}", "BNE +", f"LDA #{_h(mark)}",
               f"STA {_a(flag)}", "+"]
        return _draft("comparison_logic", 1, _replace(fix, 1, f"CMP #{_h(slot)}"), fix,
                      f"Load the slot number at {_a(value_at)} into X and, if it is {slot}, "
                      f"store {_h(mark)} at {_a(flag)}.",
                      "CMP compares A, but the slot number is in X (CPX)",
                      [_case({value_at: s, flag: 0}, init={"a": a},
                             expect={flag: mark if s == slot else 0})
                       for s, a in ((slot, slot ^ 0x11), ((slot + 3) % 16, slot))])
    name, direction = rng.choice((("up", 0), ("down", 2), ("left", 4), ("right", 6)))
    mark = rng.randrange(1, 0x100)
    fix = ["LDA.l $7E002F", f"CMP #{_h(direction)}", "BNE +", f"LDA #{_h(mark)}",
           f"STA {_a(flag)}", "+"]
    return _draft("comparison_logic", 1, _replace(fix, 2, "BEQ +"), fix,
                  f"If Link faces {name} ($7E002F = {direction}), store {_h(mark)} at "
                  f"{_a(flag)}.", "BEQ skips the store exactly when Link does face "
                  "that way", [_case({FACING: f, flag: 0}, expect={flag: mark if f == direction
                                                                   else 0})
                               for f in (direction, (direction + 2) % 8)])


def loop_termination(rng: random.Random, kind: int) -> Draft:
    src, dst = _spots(rng, 2, 0x100)
    value = rng.randrange(1, 0x100)
    kind %= 3
    if kind == 0:
        count = rng.randrange(3, 0x20)
        fix = [f"LDA #{_h(value)}", f"LDX #{_h(count)}", "Loop:", f"STA {_a(dst - 1)},X",
               "DEX", "BNE Loop"]
        return _draft("loop_termination", 1, _swap(fix, 1, 2), fix,
                      f"Fill the {count} bytes at {_a(dst)} with {_h(value)}.",
                      "the counter is reloaded on every pass (the label is above LDX): the "
                      "loop never ends", [_case({dst + count: 0x66},
                                                expect={dst: value, dst + count - 1: value,
                                                        dst + count: 0x66})], line=3)
    if kind == 1:
        count = rng.randrange(0x82, 0x100)
        fix = [f"LDX #{_h(count)}", f"LDA #{_h(value)}", "Loop:", f"STA {_a(dst - 1)},X",
               "DEX", "BNE Loop"]
        code = [f"LDX #{_h(count - 1)}", fix[1], fix[2], f"STA {_a(dst)},X", "DEX", "BPL Loop"]
        return _draft("loop_termination", 2, code, fix,
                      f"Fill the {count} bytes at {_a(dst)} with {_h(value)}.",
                      f"X starts at {_h(count - 1)}, already negative, so BPL ends the loop "
                      "after one pass", [_case({dst + count: 0x66},
                                               expect={dst: value, dst + 0x40: value,
                                                       dst + count - 1: value,
                                                       dst + count: 0x66})], line=6)
    count = rng.randrange(3, 0x40)
    data = {src + i: rng.randrange(0x100) for i in range(count)}
    fix = ["LDX #$00", "Loop:", f"LDA {_a(src)},X", f"STA {_a(dst)},X", "INX",
           f"CPX #{_h(count)}", "BNE Loop"]
    return _draft("loop_termination", 1, _replace(fix, 4, "INY"), fix,
                  f"Copy the {count} bytes at {_a(src)} to {_a(dst)}.",
                  "the loop steps Y but tests X, so X never reaches the count",
                  [_case(data, expect={dst + i: data[src + i] for i in range(count)})])


def sixteen_bit(rng: random.Random, kind: int) -> Draft:
    w, b, flag = _spots(rng, 3)
    kind %= 4
    if kind == 0:
        amount = rng.randrange(0x10, 0x100)
        code = ["LDA.l $7EF360", "CLC", f"ADC #{_h(amount)}", "STA.l $7EF360"]
        fix = ["REP #$20", code[0], "CLC", f"ADC #{_h(amount, 4)}", code[3], "SEP #$20"]
        cases = [_case({RUPEES: old & 0xFF, RUPEES + 1: old >> 8},
                       expect={RUPEES: (old + amount) & 0xFF, RUPEES + 1: (old + amount) >> 8})
                 for old in (0x00F8, 0x0120 + rng.randrange(0x60))]
        return _draft("16bit_operations", 1, code, fix,
                      f"Add {amount} rupees to the rupee target ($7EF360, a 16-bit word).",
                      "only the low byte is added: the carry never reaches $7EF361",
                      cases)
    if kind == 1:
        mark = rng.randrange(1, 0x100)
        code = [f"INC {_a(w)}", f"LDA #{_h(mark)}", f"STA {_a(flag)}"]
        fix = [code[0], "BNE +", f"INC {_a(w + 1)}", "+", *code[1:]]
        return _draft("16bit_operations", 1, code, fix,
                      f"Increment the 16-bit counter at {_a(w)} and store {_h(mark)} at "
                      f"{_a(flag)}.",
                      "an 8-bit INC wraps the low byte without carrying into the high byte",
                      [_case({w: lo, w + 1: hi}, expect={w: (lo + 1) & 0xFF,
                                                         w + 1: hi + (lo == 0xFF), flag: mark})
                       for lo, hi in ((0xFF, 0x01), (0x10, 0x02))], line=1)
    if kind == 2:
        fix = ["REP #$20", f"LDA {_a(b)}", "AND #$00FF", "ASL A", "ASL A", f"STA {_a(w)}",
               "SEP #$20"]
        return _draft("16bit_operations", 2, _without(fix, 2), fix,
                      f"Store four times the byte at {_a(b)} as a 16-bit word at {_a(w)}.",
                      "a 16-bit load of a byte variable also loads the next byte: mask it",
                      [_case({b: v, b + 1: 0x37}, expect={w: (v * 4) & 0xFF, w + 1: v * 4 >> 8})
                       for v in (0x45, 0xC1)], line=2)
    limit = rng.randrange(0x0110, 0x0F00)
    mark = rng.randrange(1, 0x100)
    code = ["LDA.l $7E0022", f"CMP #{_h(limit & 0xFF)}", "BCC +", f"LDA #{_h(mark)}",
            f"STA {_a(flag)}", "+"]
    fix = ["REP #$20", code[0], f"CMP #{_h(limit, 4)}", "SEP #$20", *code[2:]]
    cases = []
    for x in (limit - 0x100 + 1 if (limit & 0xFF) < 0xFF else limit - 0x100, limit + 0x100,
              limit):
        cases.append(_case({LINK_X: x & 0xFF, LINK_X + 1: x >> 8, flag: 0},
                           expect={flag: mark if x >= limit else 0}))
    return _draft("16bit_operations", 2, code, fix,
                  f"If Link's X coordinate ($7E0022, 16-bit) is at least {_h(limit, 4)}, store "
                  f"{_h(mark)} at {_a(flag)}.",
                  "only the low byte of the coordinate is compared", cases)


def off_by_one(rng: random.Random, kind: int) -> Draft:
    src, dst = _spots(rng, 2, 0x80)
    kind %= 3
    if kind == 0:
        count = rng.randrange(3, 0x40)
        fix = [f"LDX #{_h(count - 1)}", "Loop:", f"STZ {_a(dst)},X", "DEX", "BPL Loop"]
        return _draft("off_by_one", 1, _replace(fix, 0, f"LDX #{_h(count)}"), fix,
                      f"Clear the {count} bytes at {_a(dst)}.",
                      "X starts at the count, so one byte past the buffer is cleared too",
                      [_case({dst: 9, dst + count - 1: 9, dst + count: 0x42},
                             expect={dst: 0, dst + count - 1: 0, dst + count: 0x42})])
    if kind == 1:
        count = rng.randrange(3, 0x40)
        data = {src + i: rng.randrange(1, 0x100) for i in range(count)}
        fix = [f"LDX #{_h(count - 1)}", "Loop:", f"LDA {_a(src)},X", f"STA {_a(dst)},X",
               "DEX", "BPL Loop"]
        return _draft("off_by_one", 1, _replace(fix, 5, "BNE Loop"), fix,
                      f"Copy the {count} bytes at {_a(src)} to {_a(dst)}.",
                      "BNE stops before index 0: the first byte is never copied",
                      [_case(data, expect={dst + i: data[src + i] for i in range(count)})])
    table = rng.choice(SPRITE_TABLES)
    value = rng.randrange(0x100)
    fix = ["LDX #$00", f"LDA #{_h(value)}", "Loop:", f"STA {_a(table)},X", "INX", "CPX #$10",
           "BNE Loop"]
    memory = {0x7E0000 | table + s: value ^ 0xFF for s in range(17)}
    return _draft("off_by_one", 1, _replace(fix, 5, "CPX #$0F"), fix,
                  f"Set all 16 sprite slots of the table at {_h(0x7E0000 | table, 6)} to "
                  f"{_h(value)}.", "the loop stops at slot 15 without writing it",
                  [_case(memory, expect={**{0x7E0000 | table + s: value for s in (0, 14, 15)},
                                         0x7E0000 | table + 16: value ^ 0xFF})])


def flag_state(rng: random.Random, kind: int) -> Draft:
    a, b, c = _spots(rng, 3)
    kind %= 3
    if kind == 0:
        points = rng.randrange(1, 10)
        fix = ["SED", f"LDA {_a(a)}", "CLC", f"ADC #${points:02d}", f"STA {_a(a)}", "CLD",
               f"LDA {_a(b)}", "CLC", "ADC #$01", f"STA {_a(b)}"]
        return _draft("flag_state", 2, _without(fix, 5), fix,
                      f"Add {points} to the two-digit BCD score at {_a(a)}, then add 1 to the "
                      f"binary event counter at {_a(b)}.",
                      "decimal mode is left on, so the binary counter is added in BCD too",
                      [_case({a: 0x15, b: 0x09}, expect={a: int(str(15 + points), 16), b: 0x0A},
                             flags={"d": 0})], line=6)
    if kind == 1:
        value = rng.randrange(1, 0x100)
        fix = ["LDX #$00", f"LDA {_a(a)}", "BEQ +", f"LDX #{_h(value)}", "+", f"STX {_a(b)}"]
        return _draft("flag_state", 1, _swap(fix, 0, 1), fix,
                      f"Store {_h(value)} at {_a(b)} if the byte at {_a(a)} is nonzero, else 0.",
                      "LDX #$00 sets Z after the load, so BEQ tests X, not the byte",
                      [_case({a: v}, expect={b: value if v else 0}) for v in (0, 0x80)],
                      line=2)
    fix = ["PHP", "SEI", f"LDA {_a(a)}", f"STA {_a(c)}", f"LDA {_a(b)}", f"STA {_a(c + 1)}",
           "PLP"]
    code = [*fix[1:-1], "CLI"]
    return _draft("flag_state", 2, code, fix,
                  f"Copy the bytes at {_a(a)} and {_a(b)} to {_a(c)}-{_a(c + 1)} with IRQs "
                  "masked, then leave the interrupt mask as the caller had it.",
                  "CLI enables interrupts even when the caller had them disabled",
                  [_case({a: 1, b: 2}, init={"p": p}, expect={c: 1, c + 1: 2},
                         flags={"i": int(bool(p & 4))}) for p in (0x34, 0x30)],
                  line=len(code))


def initialization(rng: random.Random, kind: int) -> Draft:
    base, out = _spots(rng, 2, 0x100)
    count = rng.randrange(3, 0x30)
    data = {base + i: rng.randrange(1, 0x100) for i in range(count)}
    kind %= 3
    if kind == 0:
        fix = ["LDA #$00", f"LDX #{_h(count - 1)}", "Loop:", "CLC", f"ADC {_a(base)},X", "DEX",
               "BPL Loop", f"STA {_a(out)}"]
        return _draft("initialization", 1, fix[1:], fix,
                      f"Store the 8-bit (wrapping) sum of the {count} bytes at {_a(base)} at "
                      f"{_a(out)}.", "A is never cleared before the sum",
                      [_case(data, init={"a": a}, expect={out: sum(data.values()) & 0xFF})
                       for a in (0x00, 0x2B)], line=4)
    if kind == 1:
        data = {k: v if rng.random() < 0.6 else 0 for k, v in data.items()}
        fix = [f"STZ {_a(out)}", f"LDX #{_h(count - 1)}", "Loop:", f"LDA {_a(base)},X",
               "BEQ +", f"INC {_a(out)}", "+", "DEX", "BPL Loop"]
        return _draft("initialization", 1, fix[1:], fix,
                      f"Count the nonzero bytes among the {count} at {_a(base)} and store the "
                      f"count at {_a(out)}.",
                      "the counter keeps whatever it held before: it is never zeroed",
                      [_case({**data, out: 7}, expect={out: sum(1 for v in data.values() if v)})
                       ], line=5)
    fix = ["LDY #$00", "Loop:", "LDA ($00),Y", f"STA {_a(out)},Y", "INY", f"CPY #{_h(count)}",
           "BNE Loop"]
    pointer = {0x7E0000: base & 0xFF, 0x7E0001: (base >> 8) & 0xFF}
    return _draft("initialization", 1, fix[1:], fix,
                  f"Copy {count} bytes from the 16-bit pointer at $00-$01 to {_a(out)}.",
                  "Y is used as the index without being set to zero first",
                  [_case({**data, **pointer}, init={"y": y},
                         expect={out + i: data[base + i] for i in range(count)})
                   for y in (0, 2)], line=2)


def signed_arithmetic(rng: random.Random, kind: int) -> Draft:
    table, what = rng.choice(SPRITE_VELOCITIES)
    slot = rng.randrange(16)
    vel = 0x7E0000 | table + slot
    kind %= 4
    if kind == 0:
        fix = ["LDA $0D50,X", "CLC", "ADC $0D10,X", "STA $0D10,X", "LDA $0D50,X", "AND #$80",
               "BEQ +", "LDA #$FF", "+", "ADC $0D30,X", "STA $0D30,X"]
        code = [*fix[:4], "LDA #$00", *fix[9:]]
        cases = []
        for v, pos in ((0xFC, 0x0150), (0x06, 0x00FE), (0x90 + rng.randrange(0x60), 0x0220)):
            new = (pos + (v - 0x100 if v & 0x80 else v)) & 0xFFFF
            cases.append(_case({0x7E0D50 + slot: v, 0x7E0D10 + slot: pos & 0xFF,
                                0x7E0D30 + slot: pos >> 8}, init={"x": slot},
                               expect={0x7E0D10 + slot: new & 0xFF, 0x7E0D30 + slot: new >> 8}))
        return _draft("signed_arithmetic", 2, code, fix,
                      "A simplified mover for sprite slot X: add its signed X velocity "
                      "($7E0D50,X, whole pixels) to its 16-bit X coordinate (low byte $7E0D10,X,"
                      " high byte $7E0D30,X).",
                      "the velocity's high byte is taken as $00, but a negative velocity "
                      "extends to $FF", cases, line=5)
    if kind == 1:
        fix = [f"LDA {_a(table)},X", "CMP #$80", "ROR A", f"STA {_a(table)},X"]
        return _draft("signed_arithmetic", 2, _replace(_without(fix, 1), 1, "LSR A"), fix,
                      f"Halve sprite slot X's signed {what} ({_h(0x7E0000 | table, 6)},X), "
                      "rounding toward minus infinity.",
                      "LSR shifts a zero into bit 7, turning a negative velocity positive",
                      [_case({vel: v}, init={"x": slot},
                             expect={vel: (v >> 1) | (v & 0x80)}) for v in (0x10, 0xF0, 0x81)],
                      line=2)
    if kind == 2:
        fix = [f"LDA {_a(table)},X", "EOR #$FF", "CLC", "ADC #$01", f"STA {_a(table)},X"]
        return _draft("signed_arithmetic", 1, _without(fix, 2, 3), fix,
                      f"Reverse sprite slot X's signed {what} ({_h(0x7E0000 | table, 6)},X) so "
                      "it bounces.",
                      "EOR #$FF alone is the ones' complement: negation also needs +1",
                      [_case({vel: v}, init={"x": slot, "p": P8_CARRY},
                             expect={vel: (-v) & 0xFF}) for v in (0x05, 0xF0)], line=2)
    limit = rng.randrange(0x08, 0x40)
    fix = [f"LDA {_a(table)},X", "BMI +", f"CMP #{_h(limit + 1)}", "BCC +", f"LDA #{_h(limit)}",
           f"STA {_a(table)},X", "+"]
    return _draft("signed_arithmetic", 2, _without(fix, 1), fix,
                  f"Limit sprite slot X's signed {what} ({_h(0x7E0000 | table, 6)},X) to at most "
                  f"+{limit}; negative velocities are left alone.",
                  "an unsigned compare treats negative velocities as huge and clamps them",
                  [_case({vel: v}, init={"x": slot},
                         expect={vel: v if v & 0x80 or v <= limit else limit})
                   for v in (limit + 1, 0xF0, 0x02)], line=2)


def subroutine_call(rng: random.Random, kind: int) -> Draft:
    a, b, c = _spots(rng, 3)
    kind %= 3
    if kind == 0:
        long_call = rng.random() < 0.5
        call, ret, wrong = ("JSL", "RTL", "RTS") if long_call else ("JSR", "RTS", "RTL")
        fix = [f"LDA {_a(a)}", f"{call} Scale", f"STA {_a(b)}", "RTS", "Scale:", "ASL A",
               "CLC", f"ADC {_a(c)}", ret]
        return _draft("subroutine_call", 2, _replace(fix, 8, wrong), fix,
                      f"Store twice the byte at {_a(a)} plus the byte at {_a(c)} at {_a(b)}, "
                      "using the helper Scale.",
                      f"Scale is called with {call} but returns with {wrong}: the return "
                      "address is popped with the wrong size",
                      [_case({a: 0x21, c: 0x03, 0x7E0200: 0x12}, expect={b: 0x45},
                             registers={"s": 0x01FF})])
    if kind == 1:
        mark = rng.randrange(1, 0x100)
        fix = [f"LDA {_a(a)}", "JSR Double", f"STA {_a(b)}", f"LDA #{_h(mark)}", f"STA {_a(c)}",
               "RTS", "Double:", "ASL A", "RTS"]
        return _draft("subroutine_call", 1, _replace(fix, 1, "JMP Double"), fix,
                      f"Store twice the byte at {_a(a)} at {_a(b)} (with the helper Double), "
                      f"then store {_h(mark)} at {_a(c)}.",
                      "JMP does not return: Double's RTS leaves the routine early",
                      [_case({a: 0x31}, expect={b: 0x62, c: mark})])
    slot = rng.randrange(16)
    fix = [f"LDX #{_h(slot)}", "JSR Kill", "RTS", "Kill:", f"STZ {_a(SPRITE_STATE)},X",
           f"STZ {_a(SPRITE_HP)},X", "RTS"]
    other = (slot + 5) % 16
    memory = {0x7E0000 | t + s: 0x0A for t in (SPRITE_STATE, SPRITE_HP) for s in (slot, other)}
    return _draft("subroutine_call", 1, _swap(fix, 0, 1), fix,
                  f"Remove sprite slot {slot} with the helper Kill, which takes the slot in X.",
                  "X is loaded after the call, so Kill works on whatever X held",
                  [_case(memory, init={"x": other},
                         expect={0x7E0DD0 + slot: 0, 0x7E0E50 + slot: 0,
                                 0x7E0DD0 + other: 0x0A, 0x7E0E50 + other: 0x0A})])


def bit_manipulation(rng: random.Random, kind: int) -> Draft:
    flags, count = _spots(rng, 2)
    bit = rng.randrange(2, 8)
    mask = 1 << bit
    kind %= 5
    if kind in (0, 1, 2):
        op, value, wrong, words, bug = (
            ("AND", 0xFF ^ mask, mask, "Clear", "AND with the bit itself keeps only that bit; "
             "clearing needs the inverted mask"),
            ("ORA", mask, mask, "Set", "AND cannot set a bit: ORA does"),
            ("EOR", mask, mask, "Toggle", "ORA sets the bit instead of toggling it"))[kind]
        wrong_op = {"AND": "AND", "ORA": "AND", "EOR": "ORA"}[op]
        fix = [f"LDA {_a(flags)}", f"{op} #{_h(value)}", f"STA {_a(flags)}"]
        apply = {"AND": lambda v: v & value, "ORA": lambda v: v | value,
                 "EOR": lambda v: v ^ value}[op]
        return _draft("bit_manipulation", 1, _replace(fix, 1, f"{wrong_op} #{_h(wrong)}"), fix,
                      f"{words} bit {bit} of the flag byte at {_a(flags)}, leaving the other "
                      "bits as they are.", bug,
                      [_case({flags: v}, expect={flags: apply(v)}) for v in (0x5A, 0xA5, 0xFF)])
    if kind == 3:
        fix = [f"LDA {_a(flags)}", f"AND #{_h(mask)}", "BEQ +", f"INC {_a(count)}", "+"]
        return _draft("bit_manipulation", 1, _replace(fix, 1, f"AND #{_h(bit)}"), fix,
                      f"If bit {bit} of the byte at {_a(flags)} is set, increment the byte at "
                      f"{_a(count)}.",
                      f"AND #{_h(bit)} tests the bit number as a mask; bit {bit} is "
                      f"{_h(mask)}", [_case({flags: v, count: 4},
                                            expect={count: 5 if v & mask else 4})
                                      for v in (mask, bit, 0xFF ^ mask)])
    fix = [f"LDA #{_h(mask)}", f"TSB {_a(flags)}"]
    return _draft("bit_manipulation", 1, _replace(fix, 1, f"TRB {_a(flags)}"), fix,
                  f"Set bit {bit} of the flag byte at {_a(flags)} without touching the others.",
                  "TRB clears the bits of A in memory; TSB sets them",
                  [_case({flags: v}, expect={flags: v | mask}) for v in (0x00, 0xFF ^ mask)])


TEMPLATES: dict[str, Callable[[random.Random, int], Draft]] = {
    "mode_mismatch": mode_mismatch,
    "stack_imbalance": stack_imbalance,
    "branch_range": branch_range,
    "dma_issues": dma_issues,
    "register_corruption": register_corruption,
    "carry_flag": carry_flag,
    "vblank_timing": vblank_timing,
    "interrupt_handling": interrupt_handling,
    "addressing_mode": addressing_mode,
    "comparison_logic": comparison_logic,
    "loop_termination": loop_termination,
    "16bit_operations": sixteen_bit,
    "off_by_one": off_by_one,
    "pointer_bugs": pointer_bugs,
    "timing_issues": timing_issues,
    "bank_boundary": bank_boundary,
    "flag_state": flag_state,
    "initialization": initialization,
    "signed_arithmetic": signed_arithmetic,
    "memory_access": memory_access,
    "subroutine_call": subroutine_call,
    "bit_manipulation": bit_manipulation,
}


def drafts(rng: random.Random) -> list[Draft]:
    """PER_CATEGORY drafts per category, cycling through each template's kinds of bug; no two
    share normalised buggy code."""
    return distinct_drafts({category: (lambda attempt, t=template: t(rng, attempt))
                            for category, template in TEMPLATES.items()}, PER_CATEGORY,
                           max_attempts=200)
