"""Farore families about sprites and movement: slot timers, slot search and spawn, OAM
buffer writes, state jump tables, signed velocities and 16-bit coordinate clamps.

Sprite tables are ALTTP's (16 slots, indexed by X): state $0DD0, type $0E20, X/Y low
$0D10/$0D00, X/Y high $0D30/$0D20, velocities $0D50/$0D40, main timer $0DF0, HP $0E50.
Link's coordinates are the 16-bit $0020 (Y) and $0022 (X); the OAM buffer is $0800.
"""

from __future__ import annotations

import random

from afs.benchmark.generation.farore_common import (
    LINK_X,
    LINK_Y,
    SFX2,
    SPR_HP,
    SPR_STATE,
    SPR_TIMER,
    SPR_TYPE,
    SPR_X,
    SPR_XH,
    SPR_XV,
    SPR_Y,
    SPR_YH,
    SPR_YV,
    SPRITE_TABLES,
    Built,
    Case,
    Inject,
    Routine,
    ab,
    h,
    pick,
    request,
    say,
    scratch,
)


def _slots(rng: random.Random, tables: tuple[int, ...], *, free: float = 0.3
           ) -> dict[int, int]:
    return {0x7E0000 | t + s: (0 if t == SPR_STATE and rng.random() < free
                               else rng.randrange(1, 0x100))
            for t in tables for s in range(17)}


def sprite_timers(rng: random.Random) -> Built:
    """Count every active slot's timer down; when it reaches zero, change the slot's state."""
    timer = pick(rng, (SPR_TIMER, 0x0E00, 0x0E10, 0x0EE0))
    new_state = rng.randrange(1, 0x10)
    active_only = rng.random() < 0.5
    lines = ["LDX #$0F", "Loop:"]
    if active_only:
        lines += [f"LDA {ab(SPR_STATE)},X", "BEQ Next"]
    lines += [f"LDA {ab(timer)},X", "BEQ Next", f"DEC {ab(timer)},X", "BNE Next",
              f"LDA #{h(new_state)}", f"STA {ab(SPR_STATE)},X"]
    if rng.random() < 0.5:
        lines += [f"STZ {ab(SPR_XV)},X", f"STZ {ab(SPR_YV)},X"]
    lines += ["Next:", "DEX", "BPL Loop"]
    cases = []
    for k in range(6):
        mem = _slots(rng, (SPR_STATE, timer, SPR_XV, SPR_YV), free=0.2)
        for s in rng.sample(range(16), 6):
            mem[0x7E0000 | timer + s] = pick(rng, (0, 1, 2))
        mem[0x7E0000 | timer] = (1, 0, 2, 1, 0, 1)[k]
        mem[0x7E0000 | timer + 15] = (1, 2, 0, 0, 1, 1)[k]
        cases.append(Case(mem))
    spec = ("Once a frame, for every sprite slot 0-15"
            + (" whose state ($0DD0,X) is nonzero" if active_only else "")
            + f", it counts the timer {h(0x7E0000 | timer, 6)},X down by one, stopping at "
            f"zero; on the frame it reaches zero the slot's state becomes {h(new_state)}"
            + (" and its X/Y velocities ($0D50,X/$0D40,X) are zeroed." if "STZ" in lines[-4]
               else "."))
    routine = Routine("sprite_timers", lines, cases, request(
        rng, say(rng, "Timer update for my custom sprites:", "This ticks the sprite timers.",
                 "Per-frame sprite timer code:"), spec))
    first_beq = lines.index("BEQ Next") + (2 if active_only else 0)
    return routine, [
        Inject(first_beq, [], "timing_issues",
               "a timer already at zero is decremented: it wraps to $FF and fires 255 frames "
               "late", line=first_beq),
        Inject("BPL Loop", "BNE Loop", "off_by_one", "BNE stops before slot 0"),
        Inject("LDX #$0F", "LDX #$10", "loop_termination",
               "the loop starts at slot 16, past the table"),
        Inject(f"STA {ab(SPR_STATE)},X", f"STA {ab(timer)},X", "memory_access",
               "the new state is written to the timer table"),
    ]


def sprite_spawn(rng: random.Random) -> Built:
    """Find a free slot (highest first) and spawn a sprite next to Link."""
    kind = rng.randrange(1, 0xF0)
    hp = rng.randrange(1, 0x20)
    dx = pick(rng, (rng.randrange(0x08, 0x40), -rng.randrange(0x08, 0x40)))
    dy = rng.randrange(-0x20, 0x20)
    low = rng.randrange(0, 4)
    sound = rng.randrange(1, 0x40)
    lines = ["LDX #$0F", "Search:", f"LDA {ab(SPR_STATE)},X", "BEQ Found", "DEX"]
    lines += [f"CPX #{h(low)}", "BCS Search"] if low else []
    lines += ["BPL Search"] if not low else []
    lines += ["SEC", "RTS", "Found:", f"LDA #{h(kind)}", f"STA {ab(SPR_TYPE)},X", "LDA #$09",
              f"STA {ab(SPR_STATE)},X", f"LDA #{h(hp)}", f"STA {ab(SPR_HP)},X",
              "LDA $22", "CLC", f"ADC #{h(dx & 0xFF)}", f"STA {ab(SPR_X)},X", "LDA $23",
              f"ADC #{'$FF' if dx < 0 else '$00'}", f"STA {ab(SPR_XH)},X"]
    if dy:
        lines += ["LDA $20", "CLC", f"ADC #{h(dy & 0xFF)}", f"STA {ab(SPR_Y)},X", "LDA $21",
                  f"ADC #{'$FF' if dy < 0 else '$00'}", f"STA {ab(SPR_YH)},X"]
    else:
        lines += ["LDA $20", f"STA {ab(SPR_Y)},X", "LDA $21", f"STA {ab(SPR_YH)},X"]
    lines += [f"LDA #{h(sound)}", f"STA {ab(SFX2)}", "CLC", "RTS"]
    tables = (SPR_STATE, SPR_TYPE, SPR_HP, SPR_X, SPR_XH, SPR_Y, SPR_YH)
    cases = []
    for k in range(14):
        mem = _slots(rng, tables, free=0.25)
        for s in range(16):
            mem[0x7E0000 | SPR_STATE + s] = rng.randrange(1, 0x100)
        free = {0: [], 1: [low], 2: [15], 3: [low, 7], 4: [max(low - 1, 0)]}.get(
            k, rng.sample(range(16), rng.randrange(1, 4)))
        for s in free:
            mem[0x7E0000 | SPR_STATE + s] = 0
        if k == 5:      # the byte past slot 15's state (slot 0's direction) is often zero
            mem[0x7E0000 | SPR_STATE + 16] = 0
        x = (rng.randrange(0x100) << 8) | pick(rng, (
            (-dx) & 0xFF, (-dx - 1) & 0xFF, (-dx + 1) & 0xFF, 0x00, 0xFF, rng.randrange(0x100)))
        y = (rng.randrange(0x100) << 8) | pick(rng, (
            (-dy) & 0xFF, (-dy - 1) & 0xFF, 0x00, 0xFF, rng.randrange(0x100)))
        mem.update({LINK_X: x & 0xFF, LINK_X + 1: x >> 8, LINK_Y: y & 0xFF,
                    LINK_Y + 1: y >> 8})
        cases.append(Case(mem))
    where = (f"{abs(dx)} pixels {'left' if dx < 0 else 'right'} of Link"
             + (f" and {abs(dy)} pixels {'above' if dy < 0 else 'below'} him" if dy else
                ", at his Y"))
    spec = (f"It looks for a free sprite slot (state $0DD0,X = 0) from slot 15 down to slot "
            f"{low}. With none free it returns with carry set. Otherwise it spawns sprite "
            f"type {h(kind)} in that slot (type $0E20,X, state $09, HP {h(hp)} in $0E50,X) "
            f"{where} (16-bit coordinates: X low/high $0D10,X/$0D30,X, Y low/high "
            f"$0D00,X/$0D20,X; Link's are at $0022 and $0020), queues sound {h(sound)} in "
            "$012F and returns with the slot in X and carry clear.")
    routine = Routine("sprite_spawn", lines, cases, request(
        rng, say(rng, "My sprite spawner:", "This spawns a helper sprite next to Link.",
                 "Spawn routine for a custom enemy:"), spec), outputs=("x",), flags=("c",))
    adc_hi = next(i for i, t in enumerate(lines) if t.startswith("ADC #$FF")
                  or t == "ADC #$00")
    bugs = [Inject(adc_hi - 4, [], "carry_flag",
                   "the low-byte add starts with whatever carry the search left",
                   line=adc_hi - 3),
            Inject(f"STA {ab(SPR_XH)},X", f"STA {ab(SPR_YH)},X", "memory_access",
                   "the X coordinate's high byte goes to the Y high table"),
            Inject(len(lines) - 2, "SEC", "flag_state",
                   "the sprite is spawned but the routine reports failure (carry set)")]
    if dx < 0:
        bugs.append(Inject(adc_hi, "ADC #$00", "signed_arithmetic",
                           "a negative offset needs $FF in the high byte: with $00 the sprite "
                           "lands 256 pixels away"))
    if low:
        bugs.append(Inject("BCS Search", "BCC Search", "loop_termination",
                           "the inverted bound ends the search after one slot"))
        bugs.append(Inject(f"CPX #{h(low)}", f"CPX #{h(low + 1)}", "off_by_one",
                           f"slot {low} is never searched"))
    else:
        bugs.append(Inject("BPL Search", "BNE Search", "off_by_one",
                           "BNE ends the search before slot 0"))
    return routine, bugs


def oam_draw(rng: random.Random) -> Built:
    """Write a multi-tile sprite's OAM entries (x, y, tile, attributes) from a data table."""
    tiles = rng.randrange(2, 6)
    base_x, base_y, pointer = scratch(rng, 3, 0x10)
    data = []
    for _ in range(tiles):
        data += [rng.randrange(0, 0x20), rng.randrange(0, 0x20), rng.randrange(0x100),
                 pick(rng, (0x20, 0x30, 0x62, 0x7A))]
    flip = rng.random() < 0.4
    lines = [f"LDY {ab(pointer)}", "LDX #$00", "Loop:", "LDA.l Tiles,X", "CLC",
             f"ADC {ab(base_x)}", "STA $0800,Y", "LDA.l Tiles+1,X", "CLC", f"ADC {ab(base_y)}",
             "STA $0801,Y", "LDA.l Tiles+2,X", "STA $0802,Y", "LDA.l Tiles+3,X"]
    if flip:
        lines += [f"ORA {ab(base_x + 1)}"]
    lines += ["STA $0803,Y", "INY", "INY", "INY", "INY", "INX", "INX", "INX", "INX",
              f"CPX #{h(4 * tiles)}", "BNE Loop", f"STY {ab(pointer)}", "RTS",
              "Tiles: db " + ", ".join(h(v) for v in data)]
    cases = []
    for k in range(6):
        mem = {pointer: pick(rng, (0x00, 0x10, 0x40, 0x80)) + 4 * rng.randrange(8),
               base_x: rng.randrange(0x100), base_y: rng.randrange(0x100)}
        if k < 3:       # x sums that carry out (the y add must not take that carry)
            mem[base_x], mem[base_y] = (0xFF, 0xF0, 0xE8)[k], (0xF0, 0x10, 0xFF)[k]
        if flip:
            mem[base_x + 1] = pick(rng, (0x00, 0x40, 0x80, 0xC0))
        start = 0x7E0800 + mem[pointer]
        for i in range(4 * tiles + 4):
            mem[start + i] = rng.randrange(0x100)
        cases.append(Case(mem))
    spec = (f"It draws a {tiles}-tile object: the Tiles table after the code holds four bytes "
            "per tile (x offset, y offset, tile, attributes). For each tile it writes one "
            f"4-byte entry to the OAM buffer $0800 at offset Y, starting from the offset "
            f"stored at {ab(pointer)}: x = x offset + {ab(base_x)}, y = y offset + "
            f"{ab(base_y)} (both wrapping), then the tile and the attributes"
            + (f" ORed with the flip bits at {ab(base_x + 1)}" if flip else "")
            + f". It stores the offset past the last entry back at {ab(pointer)}.")
    routine = Routine("oam_draw", lines, cases, request(
        rng, say(rng, "Draw code for a custom sprite:", "This writes my sprite's OAM entries.",
                 "OAM buffer writer:"), spec))
    return routine, [
        Inject(lines.index("INY") , [], "off_by_one",
               "Y advances by three per entry: the entries overlap"),
        Inject("STA $0802,Y", "STA $0802,X", "addressing_mode",
               "the tile is stored at offset X (the table index), not Y"),
        Inject("LDA.l Tiles+2,X", "LDA Tiles+2,X", "bank_boundary",
               "the tile number is read through DBR ($7E, WRAM), not the table's bank"),
        Inject(8, [], "carry_flag", "the y add keeps the carry out of the x add", line=9),
        Inject(f"CPX #{h(4 * tiles)}", f"CPX #{h(tiles)}", "loop_termination",
               "the loop compares the byte index with the tile count"),
    ]


def state_dispatch(rng: random.Random) -> Built:
    """Dispatch on a sprite's state through a table of handlers (JMP or JSR (abs,X))."""
    count = rng.randrange(3, 6)
    out = scratch(rng, 1)[0]
    via_jsr = rng.random() < 0.5
    # X is the slot: it is saved while the handler index uses it for the jump
    lines = [f"LDA {ab(SPR_STATE)},X" if rng.random() < 0.5 else f"LDA {ab(out + 8)}",
             f"CMP #{h(count)}", "BCS Invalid", "ASL A", "PHX", "TAX"]
    lines += [f"{'JSR' if via_jsr else 'JMP'} (Handlers,X)"]
    if via_jsr:
        lines += ["PLX", f"INC {ab(out + 1)}", "RTS"]
    lines += ["Invalid:", "LDA #$FF", f"STA {ab(out)}", "RTS"]
    handlers = []
    for i in range(count):
        value = rng.randrange(0x100)
        body = [f"State{i}:", f"LDA #{h(value)}", f"STA {ab(out)}"]
        if i % 2:
            body += [f"INC {ab(out + 2 + i)}"]
        body += ["RTS" if via_jsr else "PLX", *([] if via_jsr else ["RTS"])]
        handlers += body
    lines += [*handlers, "Handlers: dw " + ", ".join(f"State{i}" for i in range(count))]
    cases = []
    source = 0x7E0000 | SPR_STATE if "$0DD0" in lines[0] else None
    for k in range(2 * count + 6):
        state = k // 2 if k <= 2 * count + 1 else pick(rng, (count + 1, 0x80, 0xFF,
                                                          rng.randrange(0x100)))
        mem = {out + i: rng.randrange(0x100) for i in range(2 + count)}
        # a slot unlike the handler index, so a handler that loses X shows
        slot = pick(rng, [v for v in range(16) if v not in (state, 2 * state)])
        if source:
            mem[source + slot] = state
        else:
            mem[out + 8] = state
        cases.append(Case(mem, {"x": slot}))
    spec = ("It runs handler n for state n = "
            + ("the sprite state $0DD0,X (X is the slot)" if source
               else f"the byte at {ab(out + 8)}")
            + f", through the word table Handlers (States 0-{count - 1}); a state of {count} "
            f"or more stores $FF at {ab(out)} instead. X must come back unchanged"
            + (f", and after any handler it increments {ab(out + 1)}." if via_jsr else "."))
    routine = Routine("state_dispatch", lines, cases, request(
        rng, say(rng, "State machine for my sprite:", "A jump-table dispatcher:",
                 "This picks the handler for the current state."), spec),
        outputs=("x",))
    bugs = [Inject("ASL A", [], "pointer_bugs",
                   "the state is not doubled: the jump reads the middle of the word table"),
            Inject("BCS Invalid", "BCC Invalid", "comparison_logic",
                   "the bound check is inverted: valid states are rejected"),
            Inject(f"CMP #{h(count)}", f"CMP #{h(count + 1)}", "off_by_one",
                   f"state {count} passes the bound check and jumps through the word after "
                   "the table")]
    if via_jsr:
        bugs.append(Inject("JSR (Handlers,X)", "JMP (Handlers,X)", "subroutine_call",
                           "JMP never returns here: the count is not incremented and X is "
                           "left on the stack"))
    else:
        bugs.append(Inject("PHX", [], "stack_imbalance",
                           "the handlers pull X that was never pushed"))
    return routine, bugs


def sprite_velocity(rng: random.Random) -> Built:
    """Move a sprite by its signed velocity (whole pixels) with a sign-extended 16-bit add."""
    axis = pick(rng, (("X", SPR_XV, SPR_X, SPR_XH), ("Y", SPR_YV, SPR_Y, SPR_YH)))
    name, vel, lo, hi = axis
    both = rng.random() < 0.4
    limit = rng.randrange(0x10, 0x40)
    lines = [f"LDA {ab(vel)},X", "BMI Neg", f"CMP #{h(limit + 1)}", "BCC Move",
             f"LDA #{h(limit)}", f"STA {ab(vel)},X", "BRA Move", "Neg:",
             f"CMP #{h(0x100 - limit)}", "BCS Move", f"LDA #{h(0x100 - limit)}",
             f"STA {ab(vel)},X", "Move:"]
    lines += [f"LDA {ab(vel)},X", "CLC", f"ADC {ab(lo)},X", f"STA {ab(lo)},X",
              "LDY #$00", f"LDA {ab(vel)},X", "BPL Positive", "DEY", "Positive:", "TYA",
              f"ADC {ab(hi)},X", f"STA {ab(hi)},X"]
    other = (SPR_YV, SPR_Y, SPR_YH) if name == "X" else (SPR_XV, SPR_X, SPR_XH)
    if both:
        lines += [f"LDA {ab(other[0])},X", "CLC", f"ADC {ab(other[1])},X",
                  f"STA {ab(other[1])},X", "LDA #$00", "BIT " + ab(other[0]) + ",X",
                  "BPL Positive2", "LDA #$FF", "Positive2:", f"ADC {ab(other[2])},X",
                  f"STA {ab(other[2])},X"]
    cases = []
    values = [0x01, 0x7F, 0x80, 0xFF, 0xF0, 0x10, 0x00, limit, limit + 1, limit - 1,
              0x100 - limit, 0xFF - limit, 0x101 - limit]
    slots = rng.sample(range(16), 3)
    for k in range(2 * len(values) + 2):
        slot = slots[k % 3]
        mem = {0x7E0000 | t + s: rng.randrange(0x100) for t in (vel, lo, hi, *other)
               for s in slots}
        mem[0x7E0000 | vel + slot] = values[k // 2] if k < 2 * len(values) \
            else rng.randrange(0x100)
        mem[0x7E0000 | other[0] + slot] = pick(rng, values)
        mem[0x7E0000 | lo + slot] = pick(rng, (0x00, 0xFF, 0xF8, 0x08, rng.randrange(0x100)))
        cases.append(Case(mem, {"x": slot}))
    spec = (f"It first limits sprite slot X's signed {name} velocity ({ab(vel)},X) to "
            f"-{limit}..+{limit}, then" +
            f" adds the signed {name} velocity ({ab(vel)},X, whole pixels) to the 16-bit {name} "
            f"coordinate (low {ab(lo)},X, high {ab(hi)},X)"
            + (f", and does the same for the other axis ({ab(other[0])},X into "
               f"{ab(other[1])},X / {ab(other[2])},X)." if both else "."))
    routine = Routine("sprite_velocity", lines, cases, request(
        rng, say(rng, "Sprite movement code:", "This moves a sprite by its velocity.",
                 "My sprite mover:"), spec))
    bugs = [Inject("DEY", "INY", "signed_arithmetic",
                   "a negative velocity's high byte must be $FF: INY makes it $01"),
            Inject("LDY #$00", [], "initialization",
                   "Y is never set: the high byte adds whatever Y held"),
            Inject("TYA", "TXA", "register_corruption",
                   "TXA adds the slot number instead of the sign byte")]
    bugs.append(Inject("BMI Neg", "BCS Neg", "signed_arithmetic",
                       "the sign test uses the carry, not bit 7"))
    bugs.append(Inject(f"LDA #{h(limit)}", f"LDA #{h(limit + 1)}", "off_by_one",
                       f"a fast velocity is limited to {limit + 1}, one too many"))
    return routine, bugs


def link_clamp(rng: random.Random) -> Built:
    """Move Link along one axis by a signed 16-bit delta and clamp to the room's bounds."""
    axis, coord = pick(rng, (("X", LINK_X), ("Y", LINK_Y)))
    delta, = scratch(rng, 1, 0x10)
    low = rng.randrange(0x10, 0x80) & 0xFFF8
    high = low + rng.randrange(0x100, 0x1E0) & 0xFFF8
    lines = ["REP #$20", f"LDA {h(coord & 0xFF)}", "CLC", f"ADC {ab(delta)}",
             f"CMP #{h(low, 4)}", "BCS AboveLow", f"LDA #{h(low, 4)}", "AboveLow:",
             f"CMP #{h(high + 1, 4)}", "BCC Inside", f"LDA #{h(high, 4)}", "Inside:",
             f"STA {h(coord & 0xFF)}", "SEP #$20"]
    cases = []
    for k in range(10):
        pos = pick(rng, (low, high, low + 1, high - 1, rng.randrange(low, high)))
        d = pick(rng, (-1, 1, 8, -8, 0x20, -0x20, rng.randrange(-0x40, 0x40)))
        if k < 6:
            pos, d = ((low + 4, -4), (low + 4, -5), (high - 2, 2), (high - 2, 3),
                      (low + 0x40, 0x10), (high, -0x30))[k]
        d &= 0xFFFF
        cases.append(Case({coord: pos & 0xFF, coord + 1: pos >> 8, delta: d & 0xFF,
                           delta + 1: d >> 8}, {"p": 0x31 if k % 2 else 0x30}))
    spec = (f"It adds the signed 16-bit delta at {ab(delta)} to Link's {name_of(axis)} "
            f"coordinate (${coord & 0xFFFF:04X}, 16-bit) and keeps the result within "
            f"{h(low, 4)}-{h(high, 4)} (a result under {h(low, 4)}, as unsigned, becomes "
            f"{h(low, 4)}). It returns with 8-bit A.")
    routine = Routine("link_clamp", lines, cases, request(
        rng, say(rng, "Room-bounds clamp for Link:", "This moves Link and keeps him in the "
                 "room.", "My movement clamp:"), spec))
    return routine, [
        Inject("REP #$20", [], "16bit_operations",
               "the coordinate is handled with 8-bit A: the 16-bit immediates are misread"),
        Inject("SEP #$20", [], "mode_mismatch",
               "the routine returns with 16-bit A"),
        Inject("CLC", [], "carry_flag", "the add includes the caller's carry", line=3),
        Inject("BCC Inside", "BCS Inside", "comparison_logic",
               "the upper bound check is inverted"),
        Inject(f"LDA #{h(high, 4)}", f"LDA #{h(high + 1, 4)}", "off_by_one",
               "a position past the room is clamped one pixel past the bound"),
    ]


def name_of(axis: str) -> str:
    return {"X": "X", "Y": "Y"}[axis]


def slot_helper(rng: random.Random) -> Built:
    """Loop over the slots and call a helper per active slot; the helper must keep X."""
    table = pick(rng, SPRITE_TABLES)
    values = [rng.randrange(0x100) for _ in range(8)]
    keep = pick(rng, ("x", "y"))
    count = scratch(rng, 1, 0x10)[0]
    lines = [f"STZ {ab(count)}", "LDX #$0F", "Loop:", f"LDA {ab(SPR_STATE)},X", "BEQ Next",
             "JSR Update", f"INC {ab(count)}", "Next:", "DEX", "BPL Loop", "RTS", "Update:"]
    if keep == "x":
        lines += ["PHX", f"LDA {ab(SPR_TYPE)},X", "AND #$07", "TAX", "LDA.l Values,X",
                  "PLX", f"STA {ab(table)},X", "RTS"]
    else:
        lines += ["PHY", f"LDY {ab(SPR_TYPE)},X", "LDA #$00", "Count:", "CLC", "ADC #$03",
                  "DEY", "BNE Count", f"STA {ab(table)},X", "PLY", "RTS"]
    lines.append("Values: db " + ", ".join(h(v) for v in values))
    cases = []
    for k in range(6):
        mem = _slots(rng, (SPR_STATE, table, SPR_TYPE), free=0.3)
        mem[0x7E0000 | SPR_STATE] = k % 2     # slot 0 idle in some cases, active in others
        if keep == "y":
            for s in range(16):
                mem[0x7E0000 | SPR_TYPE + s] = rng.randrange(1, 0x60)
        cases.append(Case(mem))
    spec = (f"For every slot 0-15 whose state ($0DD0,X) is nonzero, it sets {ab(table)},X to "
            + ("entry (type AND 7) of the Values table after the code (type = $0E20,X)"
               if keep == "x" else "three times the slot's type ($0E20,X, 1 or more), "
               "wrapping, and Y must be preserved")
            + f". It counts the slots it updated at {ab(count)}.")
    routine = Routine("slot_helper", lines, cases, request(
        rng, say(rng, "Per-slot update loop:", "This updates every active sprite.",
                 "A loop over the sprite slots with a helper:"), spec),
        outputs=("y",) if keep == "y" else (),
        watch=(0x7E0000 | table + 0xFF, 0x7E0000 | SPR_TYPE + 0xFF))
    push = lines.index("PHX" if keep == "x" else "PHY")
    pull = lines.index("PLX" if keep == "x" else "PLY")
    return routine, [
        Inject(push, [], "register_corruption",
               f"the helper changes {keep.upper()} without saving it", line=push + 1),
        Inject("JSR Update", "JMP Update", "subroutine_call",
               "JMP to the helper never comes back to the loop"),
        Inject(pull, "RTS", "stack_imbalance", "the helper returns through the pushed "
               "register"),
    ]
