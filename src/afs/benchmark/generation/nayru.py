"""Nayru (generation) items: a request in words, a reference routine, and a behaviour spec.

The spec's cases run the answer from several initial states (carry set, odd values, bytes
near a page or value boundary), so a routine that works only by luck fails. ALTTP addresses
are those of the project's RAM map (`afs.knowledge`): current health `$7EF36D`, maximum
`$7EF36C`, rupee target `$7EF360` (16-bit), and so on.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from afs.benchmark.generation import Draft, distinct_drafts

PER_CATEGORY = 14  # 10 categories x 14 = 140 >= 133

P8 = 0x30          # native mode, 8-bit A and index registers, carry clear
P8_CARRY = 0x31    # the same with carry set: catches a missing CLC
P16 = 0x10         # 16-bit A, 8-bit index


def _h(value: int, digits: int = 2) -> str:
    return f"${value:0{digits}X}"


def _addr(value: int) -> str:
    return f"0x{value:06X}"


def _case(memory: dict[int, int] | None = None, *, init: dict[str, int] | None = None,
          expect_memory: dict[int, int] | None = None, registers: dict[str, int] | None = None,
          io: dict[int, list[int]] | None = None) -> dict[str, Any]:
    return {
        "init": {"p": P8, **(init or {})},
        "memory": {_addr(a): v for a, v in (memory or {}).items()},
        "expect": {
            "registers": registers or {},
            "memory": {_addr(a): v for a, v in (expect_memory or {}).items()},
            "io": {_addr(a): v for a, v in (io or {}).items()},
        },
    }


IO_NOTE = " The data bank register (DBR) is $00."


def _io_case(io: dict[int, list[int]]) -> dict[str, Any]:
    """A case for code that writes hardware registers: DBR $00, as the request states."""
    return _case({}, init={"dbr": 0x00}, io=io)


def _draft(category: str, difficulty: int, request: str, reference: str,
           cases: list[dict[str, Any]], description: str) -> Draft:
    return Draft(category=category, difficulty=difficulty, code="", expected_output=reference,
                 description=description, task="generate",
                 extra={"spec": {"cases": cases, "max_instructions": 50_000}},
                 metadata={"request": request})


def _lines(*lines: str) -> str:
    return "\n".join(lines)


def _wram(rng: random.Random) -> int:
    return 0x7E0000 | rng.randrange(0x0100, 0x1F00)


# --- basic_ops -----------------------------------------------------------------------------

def basic_ops(rng: random.Random) -> Draft:
    kind = rng.randrange(4)
    a, b = _wram(rng), _wram(rng) | 0x1
    value = rng.randrange(1, 0x100)
    if kind == 0:
        return _draft("basic_ops", 1, f"Store the value {_h(value)} in the byte at {_h(a, 6)}.",
                      _lines(f"LDA #{_h(value)}", f"STA.l {_h(a, 6)}"),
                      [_case({a: 0}, expect_memory={a: value}),
                       _case({a: value ^ 0xFF}, init={"a": 0x1234}, expect_memory={a: value})],
                      "an 8-bit store")
    if kind == 1:
        if a == b:
            b ^= 0x10
        return _draft("basic_ops", 1, f"Copy the byte at {_h(a, 6)} to {_h(b, 6)}.",
                      _lines(f"LDA.l {_h(a, 6)}", f"STA.l {_h(b, 6)}"),
                      [_case({a: value, b: 0}, expect_memory={a: value, b: value}),
                       _case({a: 0x80, b: 0x11}, expect_memory={a: 0x80, b: 0x80})],
                      "a byte copy")
    if kind == 2:
        return _draft("basic_ops", 1,
                      f"Add {_h(value)} to the byte at {_h(a, 6)} (8-bit, wrapping around).",
                      _lines(f"LDA.l {_h(a, 6)}", "CLC", f"ADC #{_h(value)}",
                             f"STA.l {_h(a, 6)}"),
                      [_case({a: 0x10}, expect_memory={a: (0x10 + value) & 0xFF}),
                       _case({a: 0xF0}, init={"p": P8_CARRY},
                             expect_memory={a: (0xF0 + value) & 0xFF})],
                      "an 8-bit add that must clear carry first")
    count = rng.randrange(2, 6)
    return _draft("basic_ops", 1,
                  f"Set the {count} bytes starting at {_h(a, 6)} to zero.",
                  _lines(*(f"STZ {_h((a + i) & 0xFFFF, 4)}" for i in range(count))),
                  [_case({a + i: 0x5A for i in range(count + 1)},
                         init={"dbr": 0x7E},
                         expect_memory={**{a + i: 0 for i in range(count)}, a + count: 0x5A})],
                  "clear a few bytes and nothing after them")


# --- generation ----------------------------------------------------------------------------

def generation(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    base = 0x7E0000 | (rng.randrange(0x0200, 0x1000) & 0xFFF0)
    count = rng.randrange(8, 0x60)
    value = rng.randrange(1, 0x100)
    if kind == 0:
        before = {base + i: 0x33 for i in range(-1, count + 1)}
        return _draft("generation", 2,
                      f"Write a routine that fills the {count} bytes starting at "
                      f"{_h(base, 6)} with {_h(value)}.",
                      _lines(f"LDX #{_h(count - 1)}", f"LDA #{_h(value)}", "-",
                             f"STA.l {_h(base, 6)},X", "DEX", "BPL -"),
                      [_case(before, expect_memory={**before,
                                                    **{base + i: value for i in range(count)}})],
                      "a fill loop that stops at the right byte")
    if kind == 1:
        src = base
        dst = 0x7E0000 | (rng.randrange(0x1100, 0x1E00) & 0xFFF0)
        data = {src + i: rng.randrange(0x100) for i in range(count)}
        guard = {dst - 1: 0x77, dst + count: 0x77}
        return _draft("generation", 2,
                      f"Write a routine that copies {count} bytes from {_h(src, 6)} to "
                      f"{_h(dst, 6)}.",
                      _lines(f"LDX #{_h(count - 1)}", "-", f"LDA.l {_h(src, 6)},X",
                             f"STA.l {_h(dst, 6)},X", "DEX", "BPL -"),
                      [_case({**data, **guard},
                             expect_memory={**guard, **{dst + i: data[src + i]
                                                        for i in range(count)}})],
                      "a copy loop")
    out = 0x7E0000 | rng.randrange(0x1F00, 0x1F80)
    data = {base + i: rng.randrange(0x100) for i in range(count)}
    return _draft("generation", 2,
                  f"Write a routine that adds up the {count} bytes starting at {_h(base, 6)} "
                  f"(8-bit sum, wrapping) and stores the sum at {_h(out, 6)}.",
                  _lines("LDA #$00", f"LDX #{_h(count - 1)}", "-", "CLC",
                         f"ADC.l {_h(base, 6)},X", "DEX", "BPL -", f"STA.l {_h(out, 6)}"),
                  [_case(data, expect_memory={out: sum(data.values()) & 0xFF}),
                   _case(data, init={"p": P8_CARRY},
                         expect_memory={out: sum(data.values()) & 0xFF})],
                  "a checksum loop")


# --- link_state ----------------------------------------------------------------------------

CURRENT_HEALTH, MAX_HEALTH = 0x7EF36D, 0x7EF36C
LINK_Y, LINK_X, FACING = 0x7E0020, 0x7E0022, 0x7E002F
DIRECTIONS = {"up": 0, "down": 2, "left": 4, "right": 6}


def link_state(rng: random.Random) -> Draft:
    kind = rng.randrange(5)
    if kind == 0:
        hearts = rng.randrange(1, 21)
        return _draft("link_state", 1,
                      f"Set Link's current health to {hearts} full hearts (leave the maximum "
                      "alone).",
                      _lines(f"LDA #{_h(hearts * 8)}", f"STA.l {_h(CURRENT_HEALTH, 6)}"),
                      [_case({CURRENT_HEALTH: 4, MAX_HEALTH: 0xA0},
                             expect_memory={CURRENT_HEALTH: hearts * 8, MAX_HEALTH: 0xA0})],
                      "current health is $7EF36D, in eighths of a heart")
    if kind == 1:
        maximum = rng.randrange(3, 21) * 8
        return _draft("link_state", 1,
                      "Refill Link's health to his current maximum.",
                      _lines(f"LDA.l {_h(MAX_HEALTH, 6)}", f"STA.l {_h(CURRENT_HEALTH, 6)}"),
                      [_case({MAX_HEALTH: maximum, CURRENT_HEALTH: 4},
                             expect_memory={MAX_HEALTH: maximum, CURRENT_HEALTH: maximum}),
                       _case({MAX_HEALTH: 0x18, CURRENT_HEALTH: 0},
                             expect_memory={MAX_HEALTH: 0x18, CURRENT_HEALTH: 0x18})],
                      "copy the maximum ($7EF36C) into the current health ($7EF36D)")
    if kind == 2:
        name, value = rng.choice(sorted(DIRECTIONS.items()))
        return _draft("link_state", 1, f"Make Link face {name}.",
                      _lines(f"LDA #{_h(value)}", f"STA.l {_h(FACING, 6)}"),
                      [_case({FACING: (value + 2) % 8}, expect_memory={FACING: value})],
                      "the facing direction byte at $7E002F")
    if kind == 3:
        step = rng.randrange(1, 0x40)
        return _draft("link_state", 2,
                      f"Move Link {step} pixels to the right (his X coordinate is 16-bit).",
                      _lines("REP #$20", f"LDA.l {_h(LINK_X, 6)}", "CLC", f"ADC #{_h(step, 4)}",
                             f"STA.l {_h(LINK_X, 6)}", "SEP #$20"),
                      [_case({LINK_X: 0xF8, LINK_X + 1: 0x01},
                             expect_memory={LINK_X: (0x1F8 + step) & 0xFF,
                                            LINK_X + 1: (0x1F8 + step) >> 8}),
                       _case({LINK_X: 0x10, LINK_X + 1: 0x00}, init={"p": P8_CARRY},
                             expect_memory={LINK_X: 0x10 + step, LINK_X + 1: 0})],
                      "a 16-bit add to $7E0022 with the carry into the high byte")
    x, y = rng.randrange(0x100, 0x1000), rng.randrange(0x100, 0x1000)
    return _draft("link_state", 2, f"Place Link at X = {_h(x, 4)}, Y = {_h(y, 4)}.",
                  _lines("REP #$20", f"LDA #{_h(x, 4)}", f"STA.l {_h(LINK_X, 6)}",
                         f"LDA #{_h(y, 4)}", f"STA.l {_h(LINK_Y, 6)}", "SEP #$20"),
                  [_case({}, expect_memory={LINK_X: x & 0xFF, LINK_X + 1: x >> 8,
                                            LINK_Y: y & 0xFF, LINK_Y + 1: y >> 8})],
                  "16-bit coordinates at $7E0022 (X) and $7E0020 (Y)")


# --- sprite_oam ----------------------------------------------------------------------------

OAM_BUFFER = 0x7E0800
SPRITE_HP, SPRITE_STATE, SPRITE_X_LO, SPRITE_Y_LO = 0x7E0E50, 0x7E0DD0, 0x7E0D10, 0x7E0D00


def sprite_oam(rng: random.Random) -> Draft:
    kind = rng.randrange(4)
    entry = rng.randrange(0, 128)
    slot = rng.randrange(0, 16)
    if kind == 0:
        x, y, tile, attr = (rng.randrange(0x100) for _ in range(4))
        base = OAM_BUFFER + entry * 4
        return _draft("sprite_oam", 2,
                      f"Fill entry {entry} of the low OAM buffer at $7E0800 with X = {_h(x)}, "
                      f"Y = {_h(y)}, tile {_h(tile)} and attributes {_h(attr)}.",
                      _lines(f"LDA #{_h(x)}", f"STA.l {_h(base, 6)}", f"LDA #{_h(y)}",
                             f"STA.l {_h(base + 1, 6)}", f"LDA #{_h(tile)}",
                             f"STA.l {_h(base + 2, 6)}", f"LDA #{_h(attr)}",
                             f"STA.l {_h(base + 3, 6)}"),
                      [_case({}, expect_memory={base: x, base + 1: y, base + 2: tile,
                                                base + 3: attr})],
                      "four bytes per OAM entry: X, Y, tile, attributes")
    if kind == 1:
        base = OAM_BUFFER + entry * 4
        return _draft("sprite_oam", 1,
                      f"Hide OAM buffer entry {entry} by moving it below the screen (Y = $F0).",
                      _lines("LDA #$F0", f"STA.l {_h(base + 1, 6)}"),
                      [_case({base: 0x40, base + 1: 0x40},
                             expect_memory={base: 0x40, base + 1: 0xF0})],
                      "the Y byte is the second of the entry")
    if kind == 2:
        hp = rng.randrange(1, 0x40)
        return _draft("sprite_oam", 1, f"Set the hit points of sprite slot {slot} to {hp}.",
                      _lines(f"LDA #{_h(hp)}", f"STA.l {_h(SPRITE_HP + slot, 6)}"),
                      [_case({SPRITE_HP + slot: 0, SPRITE_HP + (slot ^ 1): 7},
                             expect_memory={SPRITE_HP + slot: hp, SPRITE_HP + (slot ^ 1): 7})],
                      "sprite_hp is a 16-slot table at $7E0E50")
    hp = rng.randrange(1, 0x40)
    return _draft("sprite_oam", 2,
                  f"Set the hit points of all 16 sprite slots to {hp}.",
                  _lines("LDX #$0F", f"LDA #{_h(hp)}", "-", f"STA.l {_h(SPRITE_HP, 6)},X", "DEX",
                         "BPL -"),
                  [_case({SPRITE_HP + i: i for i in range(17)},
                         expect_memory={**{SPRITE_HP + i: hp for i in range(16)},
                                        SPRITE_HP + 16: 16})],
                  "a loop over the 16 slots of $7E0E50, and not one byte further")


# --- ppu_registers -------------------------------------------------------------------------

def ppu_registers(rng: random.Random) -> Draft:
    kind = rng.randrange(5)
    if kind == 0:
        level = rng.randrange(1, 16)
        return _draft("ppu_registers", 1,
                      f"Write INIDISP directly: brightness {level}, forced blank off." + IO_NOTE,
                      _lines(f"LDA #{_h(level)}", "STA $2100"),
                      [_io_case({0x2100: [level]})], "INIDISP is $2100")
    if kind == 1:
        level = rng.randrange(0, 16)
        return _draft("ppu_registers", 1,
                      f"Turn forced blank on through INIDISP, keeping brightness {level}."
                      + IO_NOTE,
                      _lines(f"LDA #{_h(0x80 | level)}", "STA $2100"),
                      [_io_case({0x2100: [0x80 | level]})], "bit 7 of $2100 is forced blank")
    if kind == 2:
        mode = rng.randrange(0, 8)
        return _draft("ppu_registers", 1, f"Select background mode {mode} (BGMODE)." + IO_NOTE,
                      _lines(f"LDA #{_h(mode)}", "STA $2105"),
                      [_io_case({0x2105: [mode]})], "BGMODE is $2105")
    if kind == 3:
        level = rng.randrange(1, 16)
        return _draft("ppu_registers", 1,
                      f"Set ALTTP's INIDISP shadow so NMI sets brightness {level} with the "
                      "screen on.",
                      _lines(f"LDA #{_h(level)}", "STA.l $7E0013"),
                      [_case({0x7E0013: 0x80}, expect_memory={0x7E0013: level})],
                      "$7E0013 shadows INIDISP ($2100)")
    scroll = rng.randrange(0, 0x400)
    return _draft("ppu_registers", 2,
                  f"Set BG1's horizontal scroll to {scroll} (BG1HOFS takes two writes, low byte "
                  "then high)." + IO_NOTE,
                  _lines(f"LDA #{_h(scroll & 0xFF)}", "STA $210D", f"LDA #{_h(scroll >> 8)}",
                         "STA $210D"),
                  [_io_case({0x210D: [scroll & 0xFF, scroll >> 8]})],
                  "a write-twice register")


# --- dma_channels --------------------------------------------------------------------------

def dma_channels(rng: random.Random) -> Draft:
    kind = rng.randrange(2)
    channel = rng.randrange(0, 8)
    base = 0x4300 + channel * 0x10
    source = 0x7E0000 | (rng.randrange(0x2000, 0xF000) & 0xFFF0)
    size = rng.randrange(0x20, 0x800) & 0xFFFE
    if kind == 0:
        vram = rng.randrange(0, 0x8000) & 0xFFF0
        reference = _lines(
            "LDA #$80", "STA $2115", f"LDA #{_h(vram & 0xFF)}", "STA $2116",
            f"LDA #{_h(vram >> 8)}", "STA $2117", "LDA #$01", f"STA ${base:04X}",
            "LDA #$18", f"STA ${base + 1:04X}", f"LDA #{_h(source & 0xFF)}",
            f"STA ${base + 2:04X}", f"LDA #{_h((source >> 8) & 0xFF)}", f"STA ${base + 3:04X}",
            f"LDA #{_h(source >> 16)}", f"STA ${base + 4:04X}", f"LDA #{_h(size & 0xFF)}",
            f"STA ${base + 5:04X}", f"LDA #{_h(size >> 8)}", f"STA ${base + 6:04X}",
            f"LDA #{_h(1 << channel)}", "STA $420B")
        io = {0x2115: [0x80], 0x2116: [vram & 0xFF], 0x2117: [vram >> 8], base: [0x01],
              base + 1: [0x18], base + 2: [source & 0xFF], base + 3: [(source >> 8) & 0xFF],
              base + 4: [source >> 16], base + 5: [size & 0xFF], base + 6: [size >> 8],
              0x420B: [1 << channel]}
        return _draft("dma_channels", 3,
                      f"Using DMA channel {channel}, copy {size} bytes from {_h(source, 6)} to "
                      f"VRAM word address {_h(vram, 4)} (increment after the high byte, mode 1 "
                      "to VMDATAL $2118)." + IO_NOTE,
                      reference, [_io_case(io)], "a VRAM DMA with a full channel setup")
    start = rng.randrange(0, 0x100)
    size = rng.randrange(2, 0x200) & 0xFFFE
    reference = _lines(
        f"LDA #{_h(start)}", "STA $2121", "LDA #$00", f"STA ${base:04X}", "LDA #$22",
        f"STA ${base + 1:04X}", f"LDA #{_h(source & 0xFF)}", f"STA ${base + 2:04X}",
        f"LDA #{_h((source >> 8) & 0xFF)}", f"STA ${base + 3:04X}",
        f"LDA #{_h(source >> 16)}", f"STA ${base + 4:04X}", f"LDA #{_h(size & 0xFF)}",
        f"STA ${base + 5:04X}", f"LDA #{_h(size >> 8)}", f"STA ${base + 6:04X}",
        f"LDA #{_h(1 << channel)}", "STA $420B")
    io = {0x2121: [start], base: [0x00], base + 1: [0x22], base + 2: [source & 0xFF],
          base + 3: [(source >> 8) & 0xFF], base + 4: [source >> 16], base + 5: [size & 0xFF],
          base + 6: [size >> 8], 0x420B: [1 << channel]}
    return _draft("dma_channels", 3,
                  f"Upload {size // 2} colours from {_h(source, 6)} to CGRAM starting at "
                  f"colour {start}, with DMA channel {channel} (mode 0 to CGDATA $2122)."
                  + IO_NOTE,
                  reference, [_io_case(io)], "a palette DMA")


# --- joypad --------------------------------------------------------------------------------

BUTTONS_HIGH = {"B": 7, "Y": 6, "Select": 5, "Start": 4, "Up": 3, "Down": 2, "Left": 1,
                "Right": 0}
BUTTONS_LOW = {"A": 7, "X": 6, "L": 5, "R": 4}


def joypad(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    flag = _wram(rng)
    if kind in (0, 1):
        table, address, what = ((BUTTONS_HIGH, 0x7E00F4, "newly pressed") if kind == 0 else
                                (BUTTONS_LOW, 0x7E00F2, "held"))
        name, bit = rng.choice(sorted(table.items()))
        others = 0xFF & ~(1 << bit)
        return _draft("joypad", 2,
                      f"If the {name} button is {what} this frame (ALTTP's joypad byte at "
                      f"{_h(address, 6)}), store 1 at {_h(flag, 6)}; otherwise leave that byte "
                      "alone.",
                      _lines(f"LDA.l {_h(address, 6)}", f"AND #{_h(1 << bit)}", "BEQ +",
                             "LDA #$01", f"STA.l {_h(flag, 6)}", "+"),
                      [_case({address: 1 << bit, flag: 0}, expect_memory={flag: 1}),
                       _case({address: others, flag: 0x55}, expect_memory={flag: 0x55}),
                       _case({address: 0xFF, flag: 0}, expect_memory={flag: 1})],
                      f"bit {bit} of {_h(address, 6)}")
    count_at = _wram(rng)
    return _draft("joypad", 3,
                  f"Count how many buttons are held in $7E00F0 (one bit per button) and store "
                  f"the count at {_h(count_at, 6)}.",
                  _lines("LDA.l $7E00F0", "LDX #$00", "-", "ASL A", "BCC +", "INX", "+",
                         "CMP #$00", "BNE -", "TXA", f"STA.l {_h(count_at, 6)}"),
                  [_case({0x7E00F0: v}, expect_memory={count_at: bin(v).count("1")})
                   for v in (0x00, 0x81, 0xFF, 0x5A)],
                  "a population count")


# --- intermediate_ops ----------------------------------------------------------------------

def _free_word(rng: random.Random) -> int:
    """An even WRAM address in $7E1000-$7E19FF, which the RAM map leaves undocumented: a
    16-bit store there clobbers no game variable."""
    return 0x7E0000 | rng.randrange(0x1000, 0x19FE, 2)


def intermediate_ops(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    a, b, c = _wram(rng), _free_word(rng), _free_word(rng)
    if kind == 0:
        limit = rng.randrange(0x10, 0xF0)
        return _draft("intermediate_ops", 2,
                      f"Clamp the byte at {_h(a, 6)} so it is at most {_h(limit)} (unsigned).",
                      _lines(f"LDA.l {_h(a, 6)}", f"CMP #{_h(limit + 1)}", "BCC +",
                             f"LDA #{_h(limit)}", f"STA.l {_h(a, 6)}", "+"),
                      [_case({a: v}, expect_memory={a: min(v, limit)})
                       for v in (0, limit, limit + 1, 0xFF)],
                      "an unsigned clamp")
    if kind == 1:
        if b in (c, c + 1) or c in (b, b + 1):
            c ^= 0x20
        x_val, y_val = rng.randrange(0x10000), rng.randrange(0x10000)
        total = (x_val + y_val) & 0xFFFF
        return _draft("intermediate_ops", 2,
                      f"Add the 16-bit word at {_h(b, 6)} to the one at {_h(c, 6)} and store "
                      f"the 16-bit result at {_h(c, 6)}.",
                      _lines("REP #$20", f"LDA.l {_h(b, 6)}", "CLC", f"ADC.l {_h(c, 6)}",
                             f"STA.l {_h(c, 6)}", "SEP #$20"),
                      [_case({b: x_val & 0xFF, b + 1: x_val >> 8, c: y_val & 0xFF,
                              c + 1: y_val >> 8}, init={"p": P8_CARRY},
                             expect_memory={c: total & 0xFF, c + 1: total >> 8})],
                      "a 16-bit add")
    out = (_wram(rng) & 0xFFFFFE) | 0x1F00
    return _draft("intermediate_ops", 3,
                  f"Multiply the byte at {_h(a, 6)} by 10 and store the 16-bit product at "
                  f"{_h(out, 6)}.",
                  _lines("REP #$20", f"LDA.l {_h(a, 6)}", "AND #$00FF", "ASL A", "STA $00",
                         "ASL A", "ASL A", "CLC", "ADC $00", f"STA.l {_h(out, 6)}", "SEP #$20"),
                  [_case({a: v, a + 1: 0xEE}, init={"p": P8_CARRY},
                         expect_memory={out: (v * 10) & 0xFF, out + 1: (v * 10) >> 8})
                   for v in (0, 7, 0x99, 0xFF)],
                  "x10 as x8 + x2")


# --- advanced_ops --------------------------------------------------------------------------

def advanced_ops(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    if kind == 0:
        src = 0x7E0000 | (rng.randrange(0x0200, 0x0F00) & 0xFFF0)
        dst = 0x7E0000 | (rng.randrange(0x1000, 0x1E00) & 0xFFF0)
        count = rng.randrange(0x10, 0x100)
        data = {src + i: rng.randrange(0x100) for i in range(count)}
        return _draft("advanced_ops", 3,
                      f"Copy {count} bytes from {_h(src, 6)} to {_h(dst, 6)} with a block move "
                      "instruction.",
                      _lines("PHB", "REP #$30", f"LDA #{_h(count - 1, 4)}",
                             f"LDX #{_h(src & 0xFFFF, 4)}", f"LDY #{_h(dst & 0xFFFF, 4)}",
                             "MVN $7E,$7E", "SEP #$30", "PLB"),
                      [_case({**data, dst + count: 0x42},
                             expect_memory={**{dst + i: data[src + i] for i in range(count)},
                                            dst + count: 0x42})],
                      "MVN copies A+1 bytes from X to Y (asar writes dest bank, source bank)")
    if kind == 1:
        pointer = 0x7E0000 | rng.randrange(0x0200, 0x1E00)
        offset = rng.randrange(0, 0x40)
        out = _wram(rng)
        value = rng.randrange(0x100)
        return _draft("advanced_ops", 3,
                      f"The 24-bit pointer at $7E0000-$7E0002 points at a table. Load the "
                      f"byte {offset} entries into it and store it at {_h(out, 6)}.",
                      _lines(f"LDY #{_h(offset)}", "LDA [$00],Y", f"STA.l {_h(out, 6)}"),
                      [_case({0x7E0000: pointer & 0xFF, 0x7E0001: (pointer >> 8) & 0xFF,
                              0x7E0002: pointer >> 16, pointer + offset: value},
                             expect_memory={out: value})],
                      "direct page indirect long, indexed by Y")
    values = [rng.randrange(0x100) for _ in range(8)]
    out = _wram(rng)
    table = ", ".join(_h(v) for v in values)
    return _draft("advanced_ops", 3,
                  f"X holds an index from 0 to 7. Look it up in this table and store the "
                  f"entry at {_h(out, 6)}: db {table}",
                  _lines("LDA.l Table,X", f"STA.l {_h(out, 6)}", "RTS", f"Table: db {table}"),
                  [_case({}, init={"x": i}, expect_memory={out: values[i]}) for i in (0, 3, 7)],
                  "an indexed table lookup in the same bank")


# --- alttp_specific ------------------------------------------------------------------------

RUPEES, MAGIC, BOMBS, ARROWS, SWORD, BOTTLE_1 = (0x7EF360, 0x7EF36E, 0x7EF343, 0x7EF377,
                                                 0x7EF359, 0x7EF35C)


def alttp_specific(rng: random.Random) -> Draft:
    kind = rng.randrange(5)
    if kind == 0:
        amount = rng.randrange(1, 1000)
        return _draft("alttp_specific", 2, f"Give the player exactly {amount} rupees.",
                      _lines("REP #$20", f"LDA #{_h(amount, 4)}", f"STA.l {_h(RUPEES, 6)}",
                             "SEP #$20"),
                      [_case({RUPEES: 5, RUPEES + 1: 0, 0x7EF362: 5},
                             expect_memory={RUPEES: amount & 0xFF, RUPEES + 1: amount >> 8,
                                            0x7EF362: 5})],
                      "write the 16-bit target $7EF360; the HUD counter follows by itself")
    if kind == 1:
        return _draft("alttp_specific", 1, "Fill Link's magic meter.",
                      _lines("LDA #$80", f"STA.l {_h(MAGIC, 6)}"),
                      [_case({MAGIC: 0x10}, expect_memory={MAGIC: 0x80})],
                      "full magic is $80 at $7EF36E")
    if kind == 2:
        count = rng.randrange(1, 51)
        what, address = rng.choice((("bombs", BOMBS), ("arrows", ARROWS)))
        return _draft("alttp_specific", 1, f"Set the number of {what} Link carries to {count}.",
                      _lines(f"LDA #{_h(count)}", f"STA.l {_h(address, 6)}"),
                      [_case({address: 0}, expect_memory={address: count})],
                      f"the {what} count")
    if kind == 3:
        bottle = rng.randrange(0, 4)
        return _draft("alttp_specific", 1, f"Put a fairy in bottle {bottle + 1}.",
                      _lines("LDA #$06", f"STA.l {_h(BOTTLE_1 + bottle, 6)}"),
                      [_case({BOTTLE_1 + bottle: 2}, expect_memory={BOTTLE_1 + bottle: 6})],
                      "bottle contents: 6 is a fairy")
    return _draft("alttp_specific", 3,
                  "Give Link one more heart container (maximum health +1 heart, never above 20 "
                  "hearts) and refill his current health to the new maximum.",
                  _lines(f"LDA.l {_h(MAX_HEALTH, 6)}", "CMP #$A0", "BCS +", "CLC", "ADC #$08",
                         f"STA.l {_h(MAX_HEALTH, 6)}", "+", f"LDA.l {_h(MAX_HEALTH, 6)}",
                         f"STA.l {_h(CURRENT_HEALTH, 6)}"),
                  [_case({MAX_HEALTH: 0x18, CURRENT_HEALTH: 0x08},
                         expect_memory={MAX_HEALTH: 0x20, CURRENT_HEALTH: 0x20}),
                   _case({MAX_HEALTH: 0xA0, CURRENT_HEALTH: 0x10}, init={"p": P8_CARRY},
                         expect_memory={MAX_HEALTH: 0xA0, CURRENT_HEALTH: 0xA0})],
                  "max health $7EF36C capped at $A0, then copied to $7EF36D")


TEMPLATES: dict[str, Callable[[random.Random], Draft]] = {
    "generation": generation,
    "basic_ops": basic_ops,
    "link_state": link_state,
    "sprite_oam": sprite_oam,
    "ppu_registers": ppu_registers,
    "dma_channels": dma_channels,
    "joypad": joypad,
    "intermediate_ops": intermediate_ops,
    "advanced_ops": advanced_ops,
    "alttp_specific": alttp_specific,
}


def drafts(rng: random.Random) -> list[Draft]:
    """PER_CATEGORY distinct drafts per category (distinct request and reference)."""
    return distinct_drafts({category: (lambda _, t=template: t(rng))
                            for category, template in TEMPLATES.items()}, PER_CATEGORY,
                           key=lambda d: (d.metadata["request"], d.expected_output))
