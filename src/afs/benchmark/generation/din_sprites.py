"""Din families on sprites and Link: slot search and spawn, per-slot timer loops, OAM buffer
writes and 16-bit coordinate bookkeeping.

ALTTP's sprite tables are 16 bytes each ($0DD0 state, $0E20 type, $0D10/$0D30 x lo/hi,
$0D00/$0D20 y lo/hi, $0D40/$0D50 velocities, $0DF0/$0E00/$0E10 timers, $0E50 hit points,
$0F70 altitude, $0FA0 the current slot); Link is at $20 (y) and $22 (x), 16-bit each, with
a cache at $0FC2/$0FC4; the OAM buffer is $0800 (4 bytes a sprite) and $0A00.
"""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft
from afs.benchmark.generation.din_common import (
    NATIVE,
    Part,
    _b,
    _w,
    routine,
    same,
    waste,
    widths_prologue,
)

STATE, TYPE, XLO, XHI, YLO, YHI = 0x0DD0, 0x0E20, 0x0D10, 0x0D30, 0x0D00, 0x0D20
YVEL, XVEL, HP, Z, ZVEL, SLOT = 0x0D40, 0x0D50, 0x0E50, 0x0F70, 0x0F80, 0x0FA0
TIMERS = (0x0DF0, 0x0E00, 0x0E10, 0x0EE0, 0x0F10)


# --- slot search and spawn ------------------------------------------------------------------

def _search(rng: random.Random, ret: list[str]) -> Part:
    """Find a free slot from 15 down; on failure, return with carry clear."""
    ref = ["LDX #$0F", ".find", f"LDA {_w(STATE)},X", "BEQ .found", "DEX", "BPL .find",
           *ret[:-1], "CLC", ret[-1], ".found"]
    kind = rng.randrange(3)
    if kind == 0:
        return waste("branch_optimization",
                     ["LDX #$0F", ".find", f"LDA {_w(STATE)},X", "CMP #$00", "BEQ .found",
                      "DEX", "BPL .find", *ret[:-1], "CLC", ret[-1], ".found"], ref)
    if kind == 1:
        return waste("loop_optimization",
                     ["LDX #$0F", ".find", f"LDA {_w(STATE)},X", "BEQ .found", "DEX",
                      "CPX #$FF", "BNE .find", *ret[:-1], "CLC", ret[-1], ".found"], ref)
    return Part(list(ref), ref)


def _coords(rng: random.Random) -> Part:
    dx = rng.choice((0, 0, 8, 4))
    if dx:
        lines = ["LDA $22", "CLC", f"ADC #{_b(dx)}", f"STA {_w(XLO)},X", "LDA $23", "ADC #$00",
                 f"STA {_w(XHI)},X"]
    else:
        lines = ["LDA $22", f"STA {_w(XLO)},X", "LDA $23", f"STA {_w(XHI)},X"]
    lines += ["LDA $20", f"STA {_w(YLO)},X", "LDA $21", f"STA {_w(YHI)},X"]
    kind = rng.randrange(3)
    if kind == 0:
        return Part(lines, lines)
    if kind == 1:
        return waste("stack_optimization", ["PHX", *lines, "PLX"], lines)
    return waste("redundant_loads", [f"STX {_w(SLOT)}", *lines, f"LDX {_w(SLOT)}"],
                 [f"STX {_w(SLOT)}", *lines])


def _zero_init(rng: random.Random) -> Part:
    tables = rng.sample((YVEL, XVEL, Z, ZVEL, 0x0E00, 0x0EB0), rng.randrange(2, 5))
    ref = [f"STZ {_w(t)},X" for t in tables]
    if rng.randrange(2):
        return waste("redundant_loads",
                     [line for t in tables for line in ("LDA #$00", f"STA {_w(t)},X")], ref)
    return waste("redundant_loads", ["LDA #$00", *(f"STA {_w(t)},X" for t in tables)], ref)


def _setup(rng: random.Random) -> Part:
    kind_type = rng.randrange(0x01, 0xF2)
    hp = rng.choice((0x02, 0x04, 0x08, 0x10, 0x20))
    timer = rng.choice((0x10, 0x20, 0x40, 0x80))
    lines = [f"LDA #{_b(kind_type)}", f"STA {_w(TYPE)},X", "LDA #$09", f"STA {_w(STATE)},X",
             f"LDA #{_b(hp)}", f"STA {_w(HP)},X"]
    timer_lines = [f"LDA #{_b(timer)}", f"STA {_w(TIMERS[0])},X"]
    if rng.randrange(2):
        return waste("dead_code", ["LDA #$00", f"STA {_w(TIMERS[0])},X", *lines, *timer_lines],
                     [*lines, *timer_lines])
    return Part([*lines, *timer_lines], [*lines, *timer_lines])


def spawn(rng: random.Random) -> Draft:
    head, tail, widths, restores = widths_prologue(rng)
    end = rng.choice(("RTS", "RTL"))
    ret = [*(line for p in tail for line in p.orig), end]
    parts = [*head, _search(rng, ret)]
    body = [_setup(rng), _coords(rng)]
    if rng.randrange(2):
        body.append(_zero_init(rng))
    rng.shuffle(body)
    parts += body
    if rng.randrange(2):
        parts.append(same(f"LDA #{_b(rng.choice((0x14, 0x2A, 0x30)))}", "STA $012E"))
    parts += [*tail, same("SEC", end)]
    if not any(p.category for p in parts):
        parts.insert(len(head) + 1, _zero_init(rng))
    return routine("sprite_spawn", rng.choice(("Sprite_SpawnSpark", "Hack_SpawnMinion",
                                                "Sprite_SpawnFromLink", "SpawnDecoy")),
                   parts, live_out="x,p,mem" if restores else "x,c,mem",
                   pre={**NATIVE, **widths, "dbr": 0x7E},
                   description="Free-slot search and sprite initialisation with waste")


# --- per-slot timers ------------------------------------------------------------------------

def _tick(rng: random.Random, table: int, *, force: bool = False) -> Part:
    ref = [f"LDA {_w(table)},X", "BEQ +", f"DEC {_w(table)},X", "+"]
    kind = rng.randrange(1, 3) if force else rng.randrange(3)
    if kind == 0:
        return Part(list(ref), ref)
    if kind == 1:
        return waste("increment_decrement",
                     [f"LDA {_w(table)},X", "BEQ +", "SEC", "SBC #$01", f"STA {_w(table)},X",
                      "+"], ref)
    return waste("branch_optimization",
                 [f"LDA {_w(table)},X", "CMP #$00", "BEQ +", "DEC A", f"STA {_w(table)},X",
                  "+"],
                 [f"LDA {_w(table)},X", "BEQ +", "DEC A", f"STA {_w(table)},X", "+"])


def timers(rng: random.Random) -> Draft:
    head, tail, widths, restores = widths_prologue(rng)
    tables = rng.sample(TIMERS, rng.randrange(1, 4))
    ticks = [_tick(rng, t) for t in tables]
    kind = rng.randrange(3 if len(tables) > 1 else 2)
    if kind == 1 and not any(p.category for p in ticks):
        ticks[0] = _tick(rng, tables[0], force=True)
    active = rng.randrange(2) == 0
    skip = [f"LDA {_w(STATE)},X", "BEQ .next"] if active else []
    o_body = [*skip, *(line for p in ticks for line in p.orig)]
    r_body = [*skip, *(line for p in ticks for line in p.ref)]
    if kind == 0:       # counting up with a compare
        loop = waste("loop_optimization",
                     ["LDX #$00", ".loop", *o_body, ".next", "INX", "CPX #$10", "BNE .loop"],
                     ["LDX #$0F", ".loop", *r_body, ".next", "DEX", "BPL .loop"])
    elif kind == 1:
        loop = Part(["LDX #$0F", ".loop", *o_body, ".next", "DEX", "BPL .loop"],
                    ["LDX #$0F", ".loop", *r_body, ".next", "DEX", "BPL .loop"],
                    next((p.category for p in ticks if p.category), None))
    else:               # one loop per table where one loop would do
        orig: list[str] = []
        for n, p in enumerate(ticks):
            orig += ["LDX #$0F", f".loop{n}",
                     *([f"LDA {_w(STATE)},X", f"BEQ .next{n}"] if active else []),
                     *p.orig, f".next{n}", "DEX", f"BPL .loop{n}"]
        loop = waste("loop_optimization", orig,
                     ["LDX #$0F", ".loop", *r_body, ".next", "DEX", "BPL .loop"])
    parts = [*head, loop, *tail, same(rng.choice(("RTS", "RTL")))]
    return routine("sprite_timers", rng.choice(("Sprites_TickTimers", "Hack_TimerTick",
                                                 "Sprite_CountDown")),
                   parts, live_out="p,mem" if restores else "mem",
                   pre={**NATIVE, **widths, "dbr": 0x7E},
                   description="Per-slot timer countdown with a clumsy loop or decrement")


# --- OAM buffer writes ----------------------------------------------------------------------

def oam(rng: random.Random) -> Draft:
    tiles = rng.randrange(2, 5)
    xoff = [rng.choice((0x00, 0x08, 0xF8, 0x10)) for _ in range(tiles)]
    yoff = [rng.choice((0x00, 0x08, 0xF8, 0x10)) for _ in range(tiles)]
    chars = [rng.randrange(0x100) for _ in range(tiles)]
    attr = rng.choice((0x30, 0x32, 0x34, 0x3A, 0x21))
    slot = 4 * rng.randrange(0x04, 0x30)
    head, tail, widths, restores = widths_prologue(rng, allow_waste=False)
    data = [".xoff", "db " + ", ".join(_b(v) for v in xoff),
            ".yoff", "db " + ", ".join(_b(v) for v in yoff),
            ".char", "db " + ", ".join(_b(v) for v in chars)]
    body = ["LDA $00", "CLC", "ADC .xoff,X", "STA $0800,Y", "LDA $02", "CLC", "ADC .yoff,X",
            "STA $0801,Y", "LDA .char,X", "STA $0802,Y", f"LDA #{_b(attr)}", "STA $0803,Y"]
    step_ref = ["INY", "INY", "INY", "INY"]
    kind = rng.randrange(3)
    objective = "cycles"
    if kind == 0:       # the Y step by an add: same speed, more bytes
        part = waste("increment_decrement",
                     [f"LDY #{_b(slot)}", f"LDX #{_b(tiles - 1)}", ".loop", *body, "TYA", "CLC",
                      "ADC #$04", "TAY", "DEX", "BPL .loop"],
                     [f"LDY #{_b(slot)}", f"LDX #{_b(tiles - 1)}", ".loop", *body, *step_ref,
                      "DEX", "BPL .loop"])
        objective = "bytes"
    elif kind == 1:
        part = _unrolled(tiles, slot + 4 * (tiles - 1), xoff, yoff, chars, attr, body,
                         reverse=False)
    else:
        part = _unrolled(tiles, slot, xoff, yoff, chars, attr, body, reverse=True)
    parts = [*head, part]
    if rng.randrange(2):    # large (16x16) sprites: the size bits in the high table
        parts.append(same("LDA #$02", f"STA {_w(0x0A00 + slot // 16)}"))
    parts += [*tail, same(rng.choice(("RTS", "RTL")))]
    draft = routine("oam", rng.choice(("Hack_DrawIcon", "Sprite_DrawMultiTile", "HUD_DrawExtra",
                                       "DrawCursor")),
                    parts, live_out="p,mem" if restores else "mem",
                    pre={**NATIVE, **widths, "dbr": 0x00}, data=data,
                    description="OAM buffer entries written by a loop over a few tiles")
    draft.metadata["objective"] = objective
    return draft


def _unrolled(tiles: int, first: int, xoff: list[int], yoff: list[int], chars: list[int],
              attr: int, body: list[str], *, reverse: bool) -> Part:
    """A loop over a handful of tiles against its unrolled form with constants folded."""
    if reverse:
        orig = [f"LDY #{_b(first)}", f"LDX #{_b(tiles - 1)}", ".loop", *body, "INY", "INY",
                "INY", "INY", "DEX", "BPL .loop"]
        order = list(range(tiles - 1, -1, -1))
        slots = [first + 4 * n for n in range(tiles)]
    else:
        orig = [f"LDY #{_b(first)}", "LDX #$00", ".loop", *body, "DEY", "DEY", "DEY", "DEY",
                "INX", f"CPX #{_b(tiles)}", "BNE .loop"]
        order = list(range(tiles))
        slots = [first - 4 * n for n in range(tiles)]
    ref: list[str] = []
    for index, slot in zip(order, slots, strict=True):
        ref += ["LDA $00", "CLC", f"ADC #{_b(xoff[index])}", f"STA {_w(0x0800 + slot)}",
                "LDA $02", "CLC", f"ADC #{_b(yoff[index])}", f"STA {_w(0x0801 + slot)}",
                f"LDA #{_b(chars[index])}", f"STA {_w(0x0802 + slot)}",
                f"LDA #{_b(attr)}", f"STA {_w(0x0803 + slot)}"]
    return waste("loop_optimization", orig, ref)


# --- Link's coordinates: 16-bit bookkeeping -------------------------------------------------

def coordinates(rng: random.Random) -> Draft:
    free = rng.randrange(2) == 0
    orig: list[str] = ["PHP", "SEP #$20"] if free else []
    ref: list[str] = ["PHP", "REP #$20"] if free else ["REP #$20"]
    ops = rng.sample(("cache", "push_x", "push_y", "cache_y"), rng.randrange(2, 4))
    toggling = rng.randrange(3) == 0   # 16-bit already, but A's width flipped around each op
    if toggling:
        orig = ["PHP"] if free else []
    for op in ops:
        if op in ("cache", "cache_y"):
            src, dst = (0x22, 0x0FC2) if op == "cache" else (0x20, 0x0FC4)
            orig += ((["REP #$20", f"LDA {_b(src)}", f"STA {_w(dst)}", "SEP #$20"])
                     if toggling else [f"LDA {_b(src)}", f"STA {_w(dst)}", f"LDA {_b(src + 1)}",
                                       f"STA {_w(dst + 1)}"])
            ref += [f"LDA {_b(src)}", f"STA {_w(dst)}"]
        else:
            at = 0x22 if op == "push_x" else 0x20
            delta = rng.choice((0x0008, 0x0010, 0xFFF8, 0xFFF0, 0x0100))
            orig += (["REP #$20", f"LDA {_b(at)}", "CLC", f"ADC #{_w(delta)}", f"STA {_b(at)}",
                      "SEP #$20"] if toggling else
                     [f"LDA {_b(at)}", "CLC", f"ADC #{_b(delta)}", f"STA {_b(at)}",
                      f"LDA {_b(at + 1)}", f"ADC #{_b(delta >> 8)}", f"STA {_b(at + 1)}"])
            ref += [f"LDA {_b(at)}", "CLC", f"ADC #{_w(delta)}", f"STA {_b(at)}"]
    parts: list[Part] = [waste("register_mode" if toggling else "16bit_optimization", orig,
                               ref)]
    end = rng.choice(("RTS", "RTL"))
    if free:
        parts.append(same("PLP", end))
        pre = {**NATIVE, "dbr": 0x7E}
        live = "p,mem"
    else:
        parts[-1].ref.append("SEP #$20")
        parts.append(same(end))
        pre = {**NATIVE, "m": 1, "x": 1, "dbr": 0x7E}
        live = "mem"
    return routine("link_coordinates", rng.choice(("Link_CacheAndPush", "Hack_Knockback",
                                                   "Link_SnapToDoor")),
                   parts, live_out=live, pre=pre,
                   description="Link's 16-bit coordinates handled in 8-bit halves")


FAMILIES = {
    "sprite_spawn": ("sprite spawner", spawn),
    "sprite_timers": ("sprite update loop", timers),
    "oam": ("drawing routine", oam),
    "link_coordinates": ("movement routine", coordinates),
}
