"""Farore templates for hardware-facing bugs: DMA setup, vblank timing, interrupt handlers and
frame timers. Each bug is made observable as a register value, a memory byte or the sequence of
writes to one hardware register (see `afs.benchmark.checks`)."""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft
from afs.benchmark.generation.farore_common import (
    ENTRY_IO,
    FRAME,
    NMI_SHADOWS,
    P8,
    P8_CARRY,
    SPRITE_STATE,
    SPRITE_TIMERS,
    _a,
    _case,
    _draft,
    _h,
    _replace,
    _spots,
    _without,
)


def dma_issues(rng: random.Random, kind: int) -> Draft:
    channel = rng.randrange(0, 8)
    base = 0x4300 + channel * 0x10
    source = 0x7E0000 | (rng.randrange(0x2000, 0xF000) & 0xFFF0)
    size = rng.randrange(0x20, 0x800) & 0xFFFE
    if size & 0xFF == size >> 8:
        size += 2
    vram = rng.randrange(0, 0x8000) & 0xFFF0
    pairs = [(0x2115, 0x80), (0x2116, vram & 0xFF), (0x2117, vram >> 8), (base, 0x01),
             (base + 1, 0x18), (base + 2, source & 0xFF), (base + 3, (source >> 8) & 0xFF),
             (base + 4, source >> 16), (base + 5, size & 0xFF), (base + 6, size >> 8),
             (0x420B, 1 << channel)]
    fix = [text for reg, value in pairs for text in (f"LDA #{_h(value)}", f"STA ${reg:04X}")]
    kind %= 5
    if kind == 0:
        code, bug = _replace(fix, 8, "LDA #$19"), ("the B-bus target is $19 (VMDATAH): mode 1 "
                                                  "writes each pair to $19/$1A, not $18/$19")
    elif kind == 1:
        code, bug = (_replace(fix, 20, f"LDA #{_h(channel)}"),
                     "MDMAEN takes a bit mask (1 << channel), not the channel number")
    elif kind == 2:
        code, bug = (_replace(_replace(fix, 16, f"LDA #{_h(size >> 8)}"), 18,
                              f"LDA #{_h(size & 0xFF)}"),
                     "the byte count's low and high bytes are swapped ($43x5 is the low byte)")
    elif kind == 3:
        code, bug = (_replace(fix, 0, "LDA #$00"),
                     "VMAIN $00 increments the address after the low byte, so each high "
                     "byte lands in the next word")
    else:
        code, bug = _replace(fix, 6, "LDA #$00"), ("DMA mode 0 writes every byte to $2118, "
                                                   "so the high bytes never reach $2119")
    return _draft("dma_issues", 3, code, fix,
                  f"Copy {size} bytes from {_h(source, 6)} to VRAM word address {_h(vram, 4)} "
                  f"with DMA channel {channel}: VRAM increments by one word after each high "
                  "byte, and each word goes to VMDATAL/VMDATAH ($2118/$2119).", bug,
                  [_case({}, init={"dbr": 0x00}, io={reg: [value] for reg, value in pairs})],
                  entry=ENTRY_IO)


def vblank_timing(rng: random.Random, kind: int) -> Draft:
    level = rng.randrange(1, 16)
    target = rng.randrange(3)
    data = [rng.randrange(0x100) for _ in range(2 * rng.randrange(1, 4))]
    shown = ", ".join(_h(v) for v in data)
    if target == 0:
        vram = rng.randrange(0, 0x8000)
        setup = [(0x2115, 0x80), (0x2116, vram & 0xFF), (0x2117, vram >> 8)]
        writes = [(0x2118 + i % 2, v) for i, v in enumerate(data)]
        what = f"the words {shown} (low, high, ...) to VRAM word address {_h(vram, 4)}"
    elif target == 1:
        colour = rng.randrange(0x100)
        setup = [(0x2121, colour)]
        writes = [(0x2122, v) for v in data]
        what = f"the bytes {shown} to CGRAM starting at colour {colour}"
    else:
        entry = rng.randrange(0x100)
        setup = [(0x2102, entry), (0x2103, 0x00)]
        writes = [(0x2104, v) for v in data]
        what = f"the bytes {shown} to OAM starting at word {entry}"
    body = [t for reg, v in setup + writes for t in (f"LDA #{_h(v)}", f"STA ${reg:04X}")]
    fix = ["LDA #$80", "STA $2100", *body, f"LDA #{_h(level)}", "STA $2100"]
    kind %= 3
    if kind == 0:
        code, bug = body, "the ports are written while the screen draws: the writes are lost"
    elif kind == 1:
        code, bug = (_replace(fix, 0, f"LDA #{_h(level)}"),
                     "the first INIDISP write sets brightness only (bit 7 clear): no forced "
                     "blank during the writes")
    else:
        code, bug = (_replace(fix, len(fix) - 2, f"LDA #{_h(0x80 | level)}"),
                     "the screen is left in forced blank afterwards")
    io: dict[int, list[int]] = {0x2100: [0x80, level]}
    for reg, value in setup + writes:
        io.setdefault(reg, []).append(value)
    return _draft("vblank_timing", 2, code, fix,
                  f"Called from the main loop while the screen is on at brightness {level} "
                  f"(INIDISP $2100 = {_h(level)}), mid-frame: write {what}; the screen must be "
                  f"on at brightness {level} again afterwards.", bug,
                  [_case({}, init={"dbr": 0x00}, io=io)], line=1 if kind == 0 else None,
                  entry=ENTRY_IO)


RETURN_TO = 0x7E1F00   # the interrupted code's next instruction ($00:1F00): an RTS


def interrupt_handling(rng: random.Random, kind: int) -> Draft:
    shadows = rng.sample(NMI_SHADOWS, rng.randrange(1, 3))
    body = [t for reg, dp in shadows for t in (f"LDA {_h(dp)}", f"STA ${reg:04X}")]
    fix = ["REP #$30", "PHA", "PHX", "PHY", "PHD", "PHB", "LDA #$0000", "TCD", "PHK", "PLB",
           "SEP #$30", *body, "INC $1A", "REP #$30", "PLB", "PLD", "PLY", "PLX", "PLA", "RTI"]
    kind %= 5
    end = len(fix)
    code, bug, line = {
        0: (["PHA", "PHX", "PHY", "REP #$30", *fix[4:]],
            "A/X/Y are pushed before REP #$30, at the interrupted code's widths, but pulled "
            "as 16-bit: the frame RTI pops is wrong", 1),
        1: (_without(fix, 5, end - 6), "DBR is changed but never saved and restored", 9),
        2: (_without(fix, 4, end - 5), "D is set to $0000 but never saved and restored", 7),
        3: (_replace(fix, end - 1, "RTS"), "the handler returns with RTS: P and the program "
            "bank stay on the stack", end),
        4: (_without(fix, 1, end - 2), "A is not saved, and LDA #$0000 / TCD destroys it", 6),
    }[kind]
    cases = []
    for p, d, dbr in ((P8, rng.randrange(1, 0x20) * 0x100, 0x7E),
                      (0x00, 0x0000, rng.choice((0x7F, 0x80, 0x81))),
                      (P8_CARRY, rng.randrange(1, 0x20) * 0x100, 0x7E)):
        values = {dp: rng.randrange(0x100) for _, dp in shadows}
        frame = rng.randrange(0x100)
        a = rng.randrange(0x10000)
        x, y = (rng.randrange(0x100 if p & 0x10 else 0x10000) for _ in range(2))
        memory = {0x7E01FC: p, 0x7E01FD: RETURN_TO & 0xFF, 0x7E01FE: (RETURN_TO >> 8) & 0xFF,
                  0x7E01FF: 0x00, RETURN_TO: 0x60, FRAME: frame,
                  **{0x7E0000 | dp: v for dp, v in values.items()}}
        cases.append(_case(memory, init={"p": p | 0x04, "s": 0x01FB, "a": a, "x": x, "y": y,
                                         "d": d, "dbr": dbr},
                           expect={FRAME: (frame + 1) & 0xFF},
                           registers={"a": a, "x": x, "y": y, "d": d, "dbr": dbr, "p": p,
                                      "s": 0x01FF},
                           io={reg: [values[dp]] for reg, dp in shadows}))
    names = ", ".join(f"${0x7E0000 | dp:06X} to ${reg:04X}" for reg, dp in shadows)
    return _draft("interrupt_handling", 3, code, fix,
                  f"An NMI handler: it copies the shadows {names}, increments the frame "
                  "counter $7E001A and returns to the interrupted code, whose registers (A, X, "
                  "Y, D, DBR, P, widths included) must come back unchanged. It is entered "
                  "like a real NMI: native mode, any register widths, the interrupt frame "
                  "(P, return address, bank) on the stack.", bug, cases, line=line, entry="")


def timing_issues(rng: random.Random, kind: int) -> Draft:
    if kind % 2 == 0:
        timer, state = rng.choice(SPRITE_TIMERS), rng.randrange(1, 0x10)
        slot = rng.randrange(16)
        t, s = 0x7E0000 | timer + slot, 0x7E0000 | SPRITE_STATE + slot
        fix = [f"LDA {_a(timer)},X", "BEQ Expired", f"DEC {_a(timer)},X", "BNE Done",
               "Expired:", f"LDA #{_h(state)}", f"STA {_a(SPRITE_STATE)},X", "Done:"]
        code = [f"DEC {_a(timer)},X", "BNE Done", *fix[5:]]
        return _draft("timing_issues", 2, code, fix,
                      f"Run once per frame for sprite slot X: count its timer "
                      f"({_h(0x7E0000 | timer, 6)},X) down to zero and no further; while it is "
                      f"zero, set the sprite's state ($7E0DD0,X) to {_h(state)}.",
                      "the timer is decremented even at zero: it wraps to $FF and fires 255 "
                      "frames late", [
                          _case({t: tv, s: 0x09}, init={"x": slot},
                                expect={t: max(tv - 1, 0), s: state if tv <= 1 else 0x09})
                          for tv in (5, 1, 0)], line=1)
    bits = rng.randrange(1, 6)
    counter = _spots(rng, 1)[0]
    fix = ["LDA.l $7E001A", f"AND #{_h((1 << bits) - 1)}", "BNE +", f"INC {_a(counter)}", "+"]
    frames = (0, 1 << bits, 1, (1 << bits) + 1, (1 << (bits + 1)) - 1)
    return _draft("timing_issues", 1, _replace(fix, 1, f"AND #{_h(1 << bits)}"), fix,
                  f"Every {1 << bits} frames (when the frame counter $7E001A is a multiple of "
                  f"{1 << bits}), increment the byte at {_a(counter)}.",
                  "the mask is the period, not the period minus one",
                  [_case({FRAME: f, counter: 3}, expect={counter: 4 if f % (1 << bits) == 0
                                                         else 3}) for f in frames])


