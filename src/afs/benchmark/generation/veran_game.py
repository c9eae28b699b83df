"""Veran families from ALTTP game logic: bounded health/magic/rupee/ammo updates, sprite
slots, OAM buffer writes, joypad edges, and complete routines (spawn with data tables,
decompression, BCD digits). Addresses and names as the knowledge graph has them (`NAMES`,
checked when items are generated)."""

from __future__ import annotations

import random

from afs.benchmark.generation.veran_common import (
    HEALTH_ROLES,
    Ask,
    Spec,
    h2,
    h4,
    h6,
    line_of,
    not_words,
    pick,
    role_claims,
)

NAMES = {0x7EF36C: "link_health_max", 0x7EF36D: "link_health_current",
         0x7EF36E: "magic_power", 0x7EF37B: "magic_consumption", 0x7EF360: "rupees_target",
         0x7EF343: "bombs_count", 0x7EF377: "arrows_count",
         0x7EF370: "bomb_capacity_upgrades", 0x7EF371: "arrow_capacity_upgrades",
         0x7E0DD0: "sprite_state", 0x7E0E20: "sprite_type", 0x7E0E50: "sprite_hp",
         0x7E0DF0: "sprite_timer_main", 0x7E0D00: "sprite_y_lo", 0x7E0D10: "sprite_x_lo",
         0x7E0800: "oam_buffer_low", 0x7E00F0: "joypad1_held_high",
         0x7E00F4: "joypad1_pressed_high", 0x7E00F8: "joypad1_prev_high",
         0x7E012F: "sfx2_queue", 0x7E0E30: "sprite_subtype",
         0x7EF372: "health_refill_pending", 0x7EF373: "magic_refill_pending"}
ALTTP = "in A Link to the Past"
CAP = ("cap", ["cap", "clamp", "limit", "saturat", "at most", "never exceed",
               "stores the maximum", "no higher than", "no more than"])


def _addr(rng: random.Random, address: int) -> str:
    """A WRAM address as code writes it: long, or absolute through DBR = $7E."""
    return f"{h6(address)}" if rng.random() < 0.5 else f"{h4(address)}"


def _frame(rng: random.Random, body: list[str], *, label: str | None = None) -> list[str]:
    """Wrap `body` in an optional PHP/SEP #$20 ... PLP frame, a global label and a return."""
    lines = [f"{label}:"] if label else []
    framed = rng.random() < 0.5
    if framed:
        lines += ["PHP", "SEP #$20"]
    lines += body
    if framed:
        lines.append("PLP")
    ret = rng.choice(("RTS", "RTL", ""))
    return lines + ([ret] if ret else [])


def _ld(op: str, address: str) -> str:
    return f"{op}.l {address}" if len(address) == 7 else f"{op} {address}"


# --- explanation: bounded updates ----------------------------------------------------------

def heal_capped(rng: random.Random) -> Spec:
    amount = rng.choice((4, 8, 12, 16, 24, 32))
    cur, mx = _addr(rng, 0x7EF36D), _addr(rng, 0x7EF36C)
    shape = rng.randrange(3)
    body = [_ld("LDA", cur), "CLC", f"ADC #{h2(amount)}"]
    if shape == 0:
        body += [_ld("CMP", mx), "BCC +", _ld("LDA", mx), "+", _ld("STA", cur)]
        branch = "BCC +"
    elif shape == 1:
        body += [_ld("CMP", mx), "BCC .store", "BEQ .store", _ld("LDA", mx), ".store",
                 _ld("STA", cur)]
        branch = "BCC .store"
    else:
        body += ["BCS .full", _ld("CMP", mx), "BCC .store", ".full", _ld("LDA", mx),
                 ".store", _ld("STA", cur)]
        branch = "BCC .store"
    if rng.random() < 0.5:
        body += [f"LDA #{h2(rng.choice((0x0D, 0x2D, 0x3B)))}", "STA $012F"]
    lines = _frame(rng, body, label=pick(rng, "HealLink", "RestoreHearts", "GiveHealth"))
    top = rng.choice(range(max(0x18, amount + 8), 0xA1, 8))
    low = rng.randrange(0, top - amount)
    high = rng.randrange(top - amount + 1, top + 1)
    asks = [Ask("mem:$7EF36D", memory={"$7EF36C": top, "$7EF36D": low}),
            Ask("mem:$7EF36D", memory={"$7EF36C": top, "$7EF36D": high})]
    if rng.random() < 0.5:
        asks.append(Ask(f"taken:{line_of(lines, branch)}",
                        memory={"$7EF36C": top, "$7EF36D": rng.choice((low, high))}))
    hearts = f"{amount / 8:g} heart{'s' if amount != 8 else ''}"
    explanation = pick(
        rng,
        f"It heals Link by {h2(amount)} ({hearts}; health counts eighths of a heart): it adds "
        f"{h2(amount)} to the current health at $7EF36D, compares the sum with the maximum "
        "health at $7EF36C (the heart containers) and stores the maximum instead when the "
        "sum reaches it, so health is capped at the maximum.",
        f"This routine restores {hearts} of health. The current health ($7EF36D) plus "
        f"{h2(amount)} is compared with the maximum health ($7EF36C, the heart containers); "
        "when the sum is at or above the maximum it writes the maximum, so healing is capped "
        "at the heart containers.")
    if len(body) > 9 and "BCS .full" in body:
        explanation += (" A carry out of the addition (a sum past $FF) also counts as full, "
                        "so the byte cannot wrap around.")
    return Spec("bounded_health_update", 2, lines, explanation,
                [("current health", ["current health", "link_health_current"]),
                 ("maximum health", ["maximum health", "max health", "heart container",
                                     "link_health_max"]),
                 ("adds", ["adds", "add", "heal", "increase", "restore"]), CAP],
                asks, [*HEALTH_ROLES, not_words("heals by subtracting", "subtract", "decrease",
                                                "lower")], ALTTP)


def damage_floor(rng: random.Random) -> Spec:
    damage = rng.randrange(2, 0x20)
    cur = _addr(rng, 0x7EF36D)
    shape = rng.randrange(3)
    if shape == 0:
        body = [_ld("LDA", cur), "SEC", f"SBC #{h2(damage)}", "BCS +", "LDA #$00", "+",
                _ld("STA", cur)]
        branch = "BCS +"
    elif shape == 1:
        body = [_ld("LDA", cur), f"CMP #{h2(damage)}", "BCC .dead", "SBC " f"#{h2(damage)}",
                _ld("STA", cur), "BRA .done", ".dead", "LDA #$00", _ld("STA", cur), ".done"]
        branch = "BCC .dead"
    else:
        body = [f"LDA #{h2(damage)}", "STA $00", _ld("LDA", cur), "SEC", "SBC $00",
                "BCS .keep", "LDA #$00", ".keep", _ld("STA", cur)]
        branch = "BCS .keep"
    if rng.random() < 0.5:
        body += ["BNE +", "LDA #$01", "STA $0373"] if shape != 1 else ["LDA #$01",
                                                                        "STA $0373"]
        if shape != 1:
            body.append("+")
    lines = _frame(rng, body, label=pick(rng, "DamageLink", "HurtLink", "TakeHit"))
    alive = rng.randrange(damage + 1, 0xA0)
    dying = rng.randrange(0, damage)
    asks = [Ask("mem:$7EF36D", memory={"$7EF36D": alive}),
            Ask("mem:$7EF36D", memory={"$7EF36D": dying, "$7EF36C": 0xA0})]
    if rng.random() < 0.6:
        asks.append(Ask(f"taken:{line_of(lines, branch)}", memory={"$7EF36D": alive}))
    explanation = pick(
        rng,
        f"It applies {h2(damage)} damage to Link: it subtracts {h2(damage)} from the current "
        "health at $7EF36D and, when the subtraction would go below zero (a borrow), stores "
        "zero instead, so health bottoms out at 0 rather than wrapping to a large value.",
        f"Damage routine: the current health ($7EF36D) is reduced by {h2(damage)}. A borrow "
        "from the subtraction means the damage was larger than the health left, and then the "
        "health is clamped to zero, so it cannot wrap around past $00.")
    return Spec("bounded_health_update", 2, lines, explanation,
                [("current health", ["current health", "link_health_current"]),
                 ("subtracts", ["subtract", "reduce", "decrease", "damage", "lower"]),
                 ("floor at zero", ["zero", "bottoms out", "clamp", "floor", "0 "])],
                asks, [*HEALTH_ROLES, not_words("heals", "adds", "heals", "increase")],
                ALTTP)


def magic_spend(rng: random.Random) -> Spec:
    cost = rng.randrange(2, 0x20)
    magic, cons = _addr(rng, 0x7EF36E), _addr(rng, 0x7EF37B)
    halving = rng.random() < 0.5
    body = [f"LDA #{h2(cost)}", "STA $00"]
    if halving:
        body += [_ld("LDA", cons), "BEQ +", "LSR $00", "+"]
    body += [_ld("LDA", magic), "SEC", "SBC $00", "BCC .short", _ld("STA", magic)]
    tail = rng.randrange(2)
    body += (["SEC", "BRA .done", ".short", "CLC", ".done"] if tail == 0 else
             ["LDA #$01", "BRA .done", ".short", "LDA #$00", ".done", "STA $02"])
    lines = _frame(rng, body, label=pick(rng, "SpendMagic", "UseMagic", "PayMagicCost"))
    rich = rng.randrange(cost, 0x80)
    poor = rng.randrange(0, cost // 2 if halving else cost)
    asks = [Ask("mem:$7EF36E", memory={"$7EF36E": rich})]
    probe = "flag:c" if tail == 0 else "mem:$7E0002"
    asks.append(Ask(probe, memory={"$7EF36E": poor}))
    if halving:
        asks.append(Ask("mem:$7EF36E", memory={"$7EF36E": rich, "$7EF37B": 1}))
    result = ("the carry flag (set: paid, clear: not enough magic)" if tail == 0 else
              "$02 (1: paid, 0: not enough magic)")
    explanation = (f"It tries to pay a magic cost of {h2(cost)} from the magic meter at "
                   "$7EF36E. ")
    if halving:
        explanation += ("When the magic consumption byte $7EF37B is non-zero (the half-magic "
                        "upgrade) the cost is halved with LSR first. ")
    explanation += ("It subtracts the cost; with enough magic it stores the reduced meter, "
                    "and on a borrow it leaves the meter unchanged. The result is reported in "
                    f"{result}.")
    return Spec("bounded_magic_update", 3 if halving else 2, lines, explanation,
                [("magic meter", ["magic"]), ("cost", ["cost", "subtract", "pay", "spend"]),
                 ("enough check", ["enough", "borrow", "insufficient", "unchanged"]),
                 ("result", ["carry", "$02", "result", "success"])],
                asks, [*role_claims(0x7EF36E, "health", ["health", "hearts"]),
                       not_words("refills magic", "refill", "restores")], ALTTP)


def rupee_add(rng: random.Random) -> Spec:
    amount = rng.choice((1, 5, 20, 50, 100, 300))
    cap = rng.choice((999, 500, 255 * 3))
    target = _addr(rng, 0x7EF360)
    body = ["REP #$20", _ld("LDA", target), "CLC", f"ADC #{h4(amount)}"]
    if rng.random() < 0.5:
        body += [f"CMP #{h4(cap + 1)}", "BCC +", f"LDA #{h4(cap)}", "+"]
    else:
        body += [f"CMP #{h4(cap)}", "BCC +", "BEQ +", f"LDA #{h4(cap)}", "+"]
    body += [_ld("STA", target), "SEP #$20"]
    lines = _frame(rng, body, label=pick(rng, "AddRupees", "GiveRupees", "CollectRupees"))
    low = rng.randrange(0, cap - amount)
    high = rng.randrange(cap - amount + 1, cap + 1)
    asks = [Ask("mem16:$7EF360", memory={"$7EF360": low & 0xFF, "$7EF361": low >> 8}),
            Ask("mem16:$7EF360", memory={"$7EF360": high & 0xFF, "$7EF361": high >> 8})]
    explanation = pick(
        rng,
        f"It adds {amount} rupees to the 16-bit rupee count at $7EF360-$7EF361 (the target "
        "count the HUD counts towards), with REP #$20 making the accumulator 16-bit for the "
        f"addition, and caps the total at {cap}. SEP #$20 then returns to an 8-bit "
        "accumulator.",
        f"Rupee pickup: with a 16-bit accumulator (REP #$20) it loads the 16-bit rupee total "
        f"at $7EF360, adds {amount}, limits the result to {cap} and stores it back as a "
        "16-bit value; SEP #$20 restores 8-bit A.")
    return Spec("bounded_rupee_update", 2, lines, explanation,
                [("rupees", ["rupee"]), ("16-bit", ["16-bit", "16 bit", "word"]),
                 ("adds", ["add", "increase", "collect"]),
                 ("cap", ["cap", "limit", "clamp", "at most", "saturat", "maximum"])],
                asks, [("the addition is 8-bit", [r"\b8-bit (?:add|addition|sum|rupee|"
                                                  r"total|count|value)"])], ALTTP)


def ammo_refill(rng: random.Random) -> Spec:
    count, upgrades, name = rng.choice(((0x7EF343, 0x7EF370, "bombs"),
                                        (0x7EF377, 0x7EF371, "arrows")))
    caps = sorted(rng.sample(range(10, 71, 5), 4))
    gain = rng.choice((1, 5, 10))
    cur_a, up_a = _addr(rng, count), _addr(rng, upgrades)
    index = rng.choice(("X", "Y"))
    body = [_ld("LDA", up_a), f"TA{index}", _ld("LDA", cur_a), "CLC", f"ADC #{h2(gain)}"]
    table = "Capacity"
    body += [f"CMP.l {table},{index}" if index == "X" else f"CMP {table},Y", "BCC +",
             f"LDA.l {table},{index}" if index == "X" else f"LDA {table},Y", "+",
             _ld("STA", cur_a)]
    lines = (["PHB", "PHK", "PLB"] if index == "Y" else []) + body
    lines += (["PLB"] if index == "Y" else []) + ["RTS", f"{table}:",
                                                 "db " + ", ".join(str(c) for c in caps)]
    level = rng.randrange(4)
    asks = [Ask(f"mem:{h6(count)}", memory={h6(upgrades): level,
                                            h6(count): rng.randrange(max(1, caps[level] - gain))}),
            Ask(f"mem:{h6(count)}", memory={h6(upgrades): (level + 1) % 4,
                                            h6(count): caps[(level + 1) % 4]})]
    explanation = (f"It gives Link {gain} more {name}: the capacity upgrade level at "
                   f"{h6(upgrades)} indexes the {table} table of maximum counts "
                   f"({', '.join(map(str, caps))}), and the new count at {h6(count)} is capped "
                   "at that maximum.")
    if index == "Y":
        explanation += (" PHK/PLB points the data bank at the code's own bank so the table "
                        "can be read with absolute addressing; PLB restores the caller's bank.")
    return Spec("ammo_capacity_table", 3 if index == "Y" else 2, lines, explanation,
                [("ammo", [name]), ("capacity table", ["capacity", "table", "upgrade"]),
                 ("adds", ["add", "gives", "increase", "more"]), CAP],
                asks, [not_words("takes ammo away", "subtract", "decrease", "removes")], ALTTP)


# --- alttp_pattern: sprites, OAM, joypad ---------------------------------------------------

def sprite_find_slot(rng: random.Random) -> Spec:
    sprite_type = rng.randrange(0x01, 0xF0)
    state = rng.choice((0x08, 0x09))
    down = rng.random() < 0.6
    top = rng.choice((0x0F, 0x0B, 0x07))
    if down:
        search = [f"LDX #{h2(top)}", "-", "LDA $0DD0,X", "BEQ .found", "DEX", "BPL -", "CLC",
                  "RTS"]
    else:
        search = ["LDX #$00", "-", "LDA $0DD0,X", "BEQ .found", "INX", f"CPX #{h2(top + 1)}",
                  "BCC -", "CLC", "RTS"]
    spawn = [".found", f"LDA #{h2(sprite_type)}", "STA $0E20,X", f"LDA #{h2(state)}",
             "STA $0DD0,X"]
    extras = rng.sample([["LDA $22", "STA $0D10,X"], ["LDA $20", "STA $0D00,X"],
                         [f"LDA #{h2(rng.randrange(1, 0x40))}", "STA $0E50,X"],
                         ["STZ $0DF0,X"]], rng.randrange(0, 3))
    for extra in extras:
        spawn += extra
    lines = ["SpawnSprite:", *search, *spawn, "SEC", "RTS"]
    busy = rng.randrange(1, 5)
    full = {h6(0x7E0DD0 + s): 0x09 for s in range(top + 1)}
    order = range(top, -1, -1) if down else range(0, top + 1)
    occupied = {h6(0x7E0DD0 + s): 0x09 for s in list(order)[:busy]}
    asks = [Ask("reg:x", memory=occupied), Ask("flag:c", memory=full)]
    asks.append(rng.choice((Ask(f"count:{line_of(lines, 'LDA $0DD0,X')}", memory=occupied),
                            Ask(f"mem:{h6(0x7E0E20 + list(order)[busy])}", memory=occupied))))
    direction = (f"from slot {top} down to slot 0" if down else f"from slot 0 up to slot {top}")
    explanation = (f"It looks for a free sprite slot: X walks the sprite state table $0DD0 "
                   f"{direction} and stops at the first slot whose state is 0 (empty). "
                   f"If none is free it returns with the carry clear. Otherwise it spawns a "
                   f"sprite there: type {h2(sprite_type)} into $0E20,X and state {h2(state)} "
                   "into $0DD0,X, and returns with the carry set and the slot in X.")
    return Spec("sprite_slot_spawn", 2, lines, explanation,
                [("free slot search", ["free", "empty", "unused"]),
                 ("sprite slot", ["slot"]), ("spawn", ["spawn", "type", "create"]),
                 ("carry result", ["carry"])],
                asks, [not_words("despawns sprites", "despawn", "kills", "deletes")], ALTTP)


def oam_write(rng: random.Random) -> Spec:
    count = rng.randrange(2, 5)
    tiles = [rng.randrange(0x100) for _ in range(count)]
    attr = rng.choice((0x30, 0x32, 0x3A, 0x20))
    xs = [rng.randrange(0x10, 0xE0) for _ in range(count)]
    y = rng.randrange(0x10, 0xC0)
    lines = ["DrawParts:", "LDX #$00", ".next", "LDA.l XOffsets,X", "CLC", "ADC $00",
             "STA $0800,Y", f"LDA #{h2(y)}", "STA $0801,Y", "LDA.l Tiles,X", "STA $0802,Y",
             f"LDA #{h2(attr)}", "STA $0803,Y", "INY", "INY", "INY", "INY", "INX",
             f"CPX #{h2(count)}", "BCC .next", "RTS",
             "XOffsets:", "db " + ", ".join(h2(v) for v in xs),
             "Tiles:", "db " + ", ".join(h2(v) for v in tiles)]
    if rng.random() < 0.5:   # 16-bit X/Y walking the buffer, as the game does
        lines[1:3] = ["REP #$10", "LDX #$0000", ".next"]
        lines[line_of(lines, f"CPX #{h2(count)}") - 1] = f"CPX #{h4(count)}"
        lines.insert(line_of(lines, "RTS") - 1, "SEP #$10")
    base_x = rng.randrange(0, 0x20)
    slot = rng.randrange(0, 0x20) * 4
    entry = {"y": slot}
    part = rng.randrange(count)
    asks = [Ask(f"mem:{h6(0x7E0800 + slot + 4 * part)}", init=entry, memory={"$7E0000": base_x}),
            Ask("reg:y", init=entry, memory={"$7E0000": base_x}),
            Ask(f"mem:{h6(0x7E0802 + slot + 4 * part)}", init=entry)]
    explanation = (f"It draws a {count}-part object into the OAM buffer at $0800: for each part "
                   "it writes four bytes at $0800,Y — X coordinate (the XOffsets entry plus the "
                   f"base X in $00), Y coordinate {h2(y)}, the tile number from the Tiles table "
                   f"and the attribute byte {h2(attr)} — then advances Y by 4 to the next OAM "
                   f"entry. X counts the parts up to {count}.")
    return Spec("oam_buffer_write", 2, lines, explanation,
                [("oam", ["oam"]), ("four bytes", ["four bytes", "4 bytes", "advances y by 4",
                                                   "by 4", "4 bytes per"]),
                 ("tile", ["tile"]), ("coordinates", ["coordinate", "position"])],
                asks, [("writes the PPU's OAM directly",
                        [r"\bwrites? (?:directly )?(?:to|into) (?:the )?(?:PPU|OAMDATA|\$2104)"]),
                       ("each entry is two bytes", [r"\b(?:two|2) bytes per"])], ALTTP)


def joypad_edge(rng: random.Random) -> Spec:
    high = rng.random() < 0.5
    held, pressed, prev = (0xF0, 0xF4, 0xF8) if high else (0xF2, 0xF6, 0xFA)
    button = rng.choice(((0x80, "B") if high else (0x80, "A"), (0x10, "Start") if high else
                         (0x40, "X"), (0x40, "Y") if high else (0x10, "R")))
    mask, name = button
    shape = rng.randrange(2)
    if shape == 0:
        body = [f"LDA ${prev:02X}", "EOR #$FF", f"AND ${held:02X}", f"STA ${pressed:02X}"]
    else:
        body = [f"LDA ${held:02X}", f"EOR ${prev:02X}", f"AND ${held:02X}",
                f"STA ${pressed:02X}"]
    body += [f"LDA ${held:02X}", f"STA ${prev:02X}", f"LDA ${pressed:02X}", f"AND #{h2(mask)}",
             "BEQ .none",
             "INC $0010" if rng.random() < 0.3 else f"LDA #{h2(rng.randrange(1, 0x40))}"]
    if body[-1].startswith("LDA"):
        body.append("STA $012F")
    body += [".none", "RTS"]
    lines = ["ReadEdges:", *body]
    now = rng.randrange(0x100) | mask
    before = rng.randrange(0x100) & ~mask
    asks = [Ask(f"mem:$7E00{pressed:02X}", memory={f"$7E00{held:02X}": now,
                                                   f"$7E00{prev:02X}": before}),
            Ask(f"mem:$7E00{prev:02X}", memory={f"$7E00{held:02X}": now,
                                                f"$7E00{prev:02X}": before}),
            Ask(f"taken:{line_of(lines, 'BEQ .none')}",
                memory={f"$7E00{held:02X}": now, f"$7E00{prev:02X}": before | mask})]
    explanation = (f"It detects newly pressed buttons (edge detection): the buttons held now "
                   f"(${held:02X}) AND NOT the buttons held last frame (${prev:02X}) gives the "
                   f"buttons pressed this frame, stored at ${pressed:02X}. It then saves the "
                   f"held buttons as last frame's, and acts only when the {name} button "
                   f"(bit mask {h2(mask)}) was newly pressed.")
    return Spec("joypad_edge_detection", 2, lines, explanation,
                [("newly pressed", ["newly pressed", "new press", "pressed this frame",
                                    "edge"]),
                 ("previous frame", ["last frame", "previous frame", "previous"]),
                 ("button mask", [f"{name.lower()} button", h2(mask).lower(), "bit mask"]),
                 ("held", ["held", "currently pressed"])],
                asks, [("reads the joypad registers", [r"\$4218", r"\bJOY1"])], ALTTP)


def sprite_timers(rng: random.Random) -> Spec:
    table = rng.choice((0x0DF0, 0x0E00, 0x0E10))
    start = rng.choice((0x0F, 0x0B, 0x09))
    step = rng.random() < 0.5
    lines = ["TickTimers:", f"LDX #{h2(start)}", ".loop", f"LDA ${table:04X},X", "BEQ .next",
             f"DEC ${table:04X},X", ".next", "DEX", "BPL .loop", "RTS"]
    if step:
        lines[5:6] = ["DEC A", f"STA ${table:04X},X"]
    vals = {h6(0x7E0000 + table + s): rng.randrange(0, 4) for s in range(start + 1)}
    slot = rng.randrange(start + 1)
    vals[h6(0x7E0000 + table + slot)] = rng.randrange(1, 0x20)
    nonzero = rng.choice([s for s in range(start + 1)])
    asks = [Ask(f"mem:{h6(0x7E0000 + table + slot)}", memory=vals),
            Ask(f"count:{line_of(lines, 'BEQ .next')}", memory=vals),
            Ask(f"count:{line_of(lines, 'DEX')}", memory={h6(0x7E0000 + table + nonzero): 0})]
    explanation = (f"It counts down one sprite timer table (${table:04X},X) for sprite slots "
                   f"{start} down to 0: each slot's timer is decremented by one unless it is "
                   "already zero, so timers stop at zero instead of wrapping to $FF. X is the "
                   "slot index; BPL ends the loop after slot 0.")
    return Spec("sprite_slot_loop", 1, lines, explanation,
                [("timer", ["timer"]), ("decrement", ["decrement", "count down", "counts down",
                                                      "minus one", "subtracts one"]),
                 ("zero stop", ["zero", "stop"]), ("slots", ["slot"])],
                asks, [not_words("increments the timers", "increment", "counts up")], ALTTP)


def sprite_damage(rng: random.Random) -> Spec:
    dying = rng.choice((0x06, 0x04))
    lines = ["DamageSprite:", "STA $00", "LDA $0E50,X", "SEC", "SBC $00", "BEQ .kill",
             "BCC .kill", "STA $0E50,X", "RTS", ".kill", "STZ $0E50,X", f"LDA #{h2(dying)}",
             "STA $0DD0,X"]
    if rng.random() < 0.5:
        lines += [f"LDA #{h2(rng.randrange(0x10, 0x40))}", "STA $0DF0,X"]
    lines.append("RTS")
    slot = rng.randrange(16)
    hp = rng.randrange(0x08, 0x40)
    hit = rng.randrange(1, hp)
    asks = [Ask(f"mem:{h6(0x7E0E50 + slot)}", init={"a": hit, "x": slot},
                memory={h6(0x7E0E50 + slot): hp, h6(0x7E0DD0 + slot): 0x09}),
            Ask(f"mem:{h6(0x7E0DD0 + slot)}", init={"a": hp + rng.randrange(0, 4), "x": slot},
                memory={h6(0x7E0E50 + slot): hp, h6(0x7E0DD0 + slot): 0x09})]
    explanation = (f"It deals the damage in A to the sprite in slot X: it subtracts it from the "
                   "sprite's hit points ($0E50,X). If the hit points reach zero or would go "
                   f"below (a borrow), the sprite dies: HP is set to 0 and its state $0DD0,X "
                   f"to {h2(dying)} (dying); otherwise the reduced HP is stored.")
    return Spec("sprite_damage", 2, lines, explanation,
                [("hit points", ["hit points", "hp", "health"]),
                 ("subtract", ["subtract", "reduce", "damage"]),
                 ("dies", ["dies", "dying", "kill", "death"]), ("slot", ["slot"])],
                asks, [not_words("heals the sprite", "heal", "restore")], ALTTP)


# --- complete_routine: longer routines with subroutines and tables -------------------------

def spawn_routine(rng: random.Random) -> Spec:
    kinds = rng.randrange(3, 6)
    hp = [rng.randrange(1, 0x40) for _ in range(kinds)]
    types = [rng.randrange(0x10, 0xF0) for _ in range(kinds)]
    lines = ["SpawnFromTable:", "PHB", "PHK", "PLB", "STY $04", "JSR FindSlot", "BCC .fail",
             "LDY $04", "LDA Types,Y", "STA $0E20,X", "LDA Health,Y", "STA $0E50,X",
             "TYA", "STA $0E30,X", "LDA #$09", "STA $0DD0,X", "LDA $22", "CLC",
             f"ADC #{h2(rng.randrange(8, 0x20))}", "STA $0D10,X", "LDA $20", "STA $0D00,X",
             "SEC", ".fail", "PLB", "RTS", "FindSlot:", "LDX #$0F", "-", "LDA $0DD0,X",
             "BEQ +", "DEX", "BPL -", "CLC", "RTS", "+", "SEC", "RTS",
             "Types:", "db " + ", ".join(h2(v) for v in types),
             "Health:", "db " + ", ".join(h2(v) for v in hp)]
    if rng.random() < 0.5:
        lines[line_of(lines, "LDA $22") - 1:line_of(lines, "STA $0D00,X")] = [
            "LDA $22", "STA $0D10,X", "LDA $20", "SEC", f"SBC #{h2(rng.randrange(8, 0x20))}",
            "STA $0D00,X"]
    kind = rng.randrange(kinds)
    busy = rng.randrange(0, 6)
    occupied = {h6(0x7E0DD0 + 15 - s): 0x09 for s in range(busy)}
    slot = 15 - busy
    asks = [Ask(f"mem:{h6(0x7E0E50 + slot)}", init={"y": kind}, memory=occupied),
            Ask("reg:x", init={"y": kind}, memory=occupied),
            Ask(f"mem:{h6(0x7E0D10 + slot)}", init={"y": kind},
                memory={**occupied, "$7E0022": rng.randrange(0x100)})]
    if rng.random() < 0.5:
        asks.append(Ask("flag:c", init={"y": kind},
                        memory={h6(0x7E0DD0 + s): 0x09 for s in range(16)}))
    explanation = ("It spawns a sprite whose kind is given in Y: FindSlot (a subroutine called "
                   "with JSR) searches the sprite state table $0DD0 from slot 15 down for an "
                   "empty slot and returns the carry clear when all 16 are taken. With a free "
                   "slot in X it copies the sprite type and the hit points for kind Y from the "
                   "Types and Health data tables, records the kind as the subtype, sets the state "
                   "to $09 (active) and places the sprite near Link's coordinates ($22/$20). "
                   "PHK/PLB makes the data bank the code's bank so the tables can be read, and "
                   "the caller's bank is restored; the carry reports success.")
    return Spec("sprite_spawn_routine", 3, lines, explanation,
                [("free slot", ["free", "empty"]), ("subroutine", ["subroutine", "jsr"]),
                 ("data tables", ["table"]), ("hit points", ["hit points", "health", "hp"]),
                 ("link position", ["link's", "link"])],
                asks, [not_words("despawns", "despawn", "deletes")], ALTTP)


def rle_decompress(rng: random.Random) -> Spec:
    runs = [(rng.randrange(1, 6), rng.randrange(0x100)) for _ in range(rng.randrange(2, 5))]
    dest = rng.choice((0x2000, 0x2400, 0x7000, 0x1000))
    index = rng.choice(("X", "Y"))
    data = ", ".join(f"{n}, {h2(v)}" for n, v in runs) + ", 0"
    lines = ["Decompress:", "REP #$20", "LDA #Packed", "STA $00", "SEP #$20",
             "LDA.b #Packed>>16", "STA $02", "LDY #$00", "LDX #$00" if index == "X" else
             "STZ $04", ".run", "LDA [$00],Y", "BEQ .done", "STA $03", "INY", "LDA [$00],Y",
             "INY", ".copy"]
    if index == "X":
        lines += [f"STA ${dest:04X},X", "INX"]
    else:
        lines += ["PHY", "LDY $04", f"STA ${dest:04X},Y", "INC $04", "PLY"]
    lines += ["DEC $03", "BNE .copy", "BRA .run", ".done", "RTS", "Packed:", f"db {data}"]
    total = sum(n for n, _ in runs)
    probe_at = rng.randrange(total)
    asks = [Ask(f"mem:{h6(0x7E0000 + dest + probe_at)}"),
            Ask(f"count:{line_of(lines, 'DEC $03')}"),
            Ask("reg:y")]
    explanation = ("It decompresses run-length encoded data: a 24-bit pointer to the Packed "
                   "data is built at $00-$02 and read with LDA [$00],Y. Each run is a count "
                   "byte followed by a value byte; the value is written count times to the "
                   f"buffer at ${dest:04X} (WRAM $7E{dest:04X}), and a count of 0 ends the "
                   "stream. Y walks the packed bytes, "
                   + ("X the output." if index == "X" else "$04 the output offset (Y is saved "
                      "with PHY/PLY around the store)."))
    return Spec("rle_decompression", 3, lines, explanation,
                [("run-length", ["run-length", "rle", "run length"]),
                 ("count then value", ["count byte", "value byte", "count followed by"]),
                 ("terminator", ["count of 0", "zero count", "ends", "terminat"]),
                 ("pointer", ["pointer", "[$00],y"])],
                asks, [not_words("compresses", "compresses", "encodes")], "")


def bcd_digits(rng: random.Random) -> Spec:
    base = rng.choice((0x7EC750, 0x7EC760, 0x7EC740))
    tile = rng.choice((0x90, 0xA0, 0x00))
    lines = ["RupeeDigits:", "REP #$20", "LDA.l $7EF362", "LDX #$00", ".hundreds",
             "CMP #$0064", "BCC .tens", "SBC #$0064", "INX", "BRA .hundreds", ".tens", "TXY",
             "LDX #$00", ".tensloop", "CMP #$000A", "BCC .ones", "SBC #$000A", "INX",
             "BRA .tensloop", ".ones", "SEP #$20", "CLC", f"ADC #{h2(tile)}",
             f"STA.l {h6(base + 4)}", "TXA", "CLC", f"ADC #{h2(tile)}",
             f"STA.l {h6(base + 2)}", "TYA", "CLC", f"ADC #{h2(tile)}", f"STA.l {h6(base)}",
             "RTS"]
    value = rng.randrange(100, 1000)
    mem = {"$7EF362": value & 0xFF, "$7EF363": value >> 8}
    asks = [Ask(f"mem:{h6(base)}", memory=mem), Ask(f"mem:{h6(base + 4)}", memory=mem),
            Ask(f"count:{line_of(lines, 'INX')}", memory=mem)]
    explanation = ("It turns the displayed rupee count ($7EF362, a 16-bit number up to 999) "
                   "into three decimal digits for the HUD: repeated subtraction of 100 counts "
                   "the hundreds in X, then of 10 counts the tens, and what is left is the "
                   f"ones. Each digit plus the tile offset {h2(tile)} is written to the HUD "
                   f"buffer at {h6(base)} (hundreds), {h6(base + 2)} (tens) and "
                   f"{h6(base + 4)} (ones).")
    return Spec("hud_decimal_digits", 3, lines, explanation,
                [("decimal digits", ["digit", "decimal"]),
                 ("repeated subtraction", ["repeated subtraction", "subtract", "subtraction"]),
                 ("hundreds and tens", ["hundred", "tens"]), ("hud", ["hud", "tile"])],
                asks, [not_words("multiplies", "multipl")], ALTTP)


def refill_tick(rng: random.Random) -> Spec:
    step = rng.choice((4, 8))
    magic_step = rng.choice((1, 2))
    health = [".health", "LDA.l $7EF372", "BEQ .healthdone", "LDA.l $7EF36D", "CMP.l $7EF36C",
              "BCS .full", "CLC", f"ADC #{h2(step)}", "CMP.l $7EF36C", "BCC +", "LDA.l $7EF36C",
              "+", "STA.l $7EF36D", "LDA.l $7EF372", "SEC", f"SBC #{h2(step)}", "BCS +",
              "LDA #$00", "+", "STA.l $7EF372", "BRA .healthdone", ".full", "LDA #$00",
              "STA.l $7EF372", ".healthdone", "RTS"]
    magic = [".magic", "LDA.l $7EF373", "BEQ .magicdone", "LDA.l $7EF36E", "CMP #$80",
             "BCS .magicfull", *(["INC A"] * magic_step if rng.random() < 0.5 else
                                 ["CLC", f"ADC #{h2(magic_step)}"]),
             "STA.l $7EF36E", "LDA.l $7EF373", "DEC A", "STA.l $7EF373", "BRA .magicdone",
             ".magicfull", "LDA #$00", "STA.l $7EF373", ".magicdone", "RTS"]
    first, second = (health, magic) if rng.random() < 0.5 else (magic, health)
    lines = ["RefillTick:", f"JSR {first[0]}", f"JSR {second[0]}", "RTL", *first, *second]
    top = rng.choice(range(0x28, 0xA1, 8))
    cur = rng.randrange(0, top - step)
    state = {"$7EF36C": top, "$7EF36D": cur, "$7EF372": rng.choice((0x08, 0x10, 0x20)),
             "$7EF36E": rng.randrange(0, 0x7C), "$7EF373": rng.randrange(2, 0x10)}
    asks = [Ask("mem:$7EF36D", memory=state), Ask("mem:$7EF372", memory=state),
            Ask("mem:$7EF36E", memory=state)]
    if rng.random() < 0.5:
        asks.append(Ask("mem:$7EF373", memory={**state, "$7EF36E": 0x80}))
    explanation = (f"It runs one frame of the refill effects, as two subroutines called with "
                   f"JSR. Health: while the pending health refill ($7EF372) is non-zero and the "
                   f"current health ($7EF36D) is below the maximum health ($7EF36C), it adds "
                   f"{h2(step)} to the current health (capped at the maximum) and takes "
                   f"{h2(step)} off the pending amount; a full health bar clears the pending "
                   f"refill. Magic: while the pending magic refill ($7EF373) is non-zero and the "
                   f"magic meter ($7EF36E) is below $80 (full), it adds {magic_step} to the meter "
                   "and counts the pending refill down by one; a full meter clears it. The "
                   "routine returns with RTL.")
    return Spec("refill_per_frame", 3, lines, explanation,
                [("refill", ["refill"]), ("pending", ["pending"]),
                 ("current health", ["current health"]),
                 ("maximum health", ["maximum health", "max health", "heart container"]),
                 ("magic", ["magic"]), ("per frame", ["per frame", "each frame", "one frame",
                                                     "every frame", "gradual"]), CAP],
                asks, HEALTH_ROLES, ALTTP)


GAME_FAMILIES = {
    "explanation": [heal_capped, damage_floor, magic_spend, rupee_add, ammo_refill],
    "alttp_pattern": [sprite_find_slot, oam_write, joypad_edge, sprite_timers, sprite_damage],
    "complete_routine": [spawn_routine, rle_decompress, bcd_digits, refill_tick],
}
