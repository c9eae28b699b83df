"""Nayru families about the player: health, magic, rupees, ammunition, bottles (category
`alttp_specific`) and Link himself (`link_state`). Addresses are the project's ALTTP RAM map
(../shared/data/alttp): $7EF36C is the MAXIMUM health, $7EF36D the current health."""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft
from afs.benchmark.generation.nayru_common import (
    Memory,
    Outcome,
    State,
    ab,
    draft,
    h,
    lines,
    lng,
)

HEALTH_MAX, HEALTH = 0x7EF36C, 0x7EF36D
HEALTH_PENDING, MAGIC, MAGIC_USE = 0x7EF372, 0x7EF36E, 0x7EF37B
RUPEES, BOMBS, ARROWS = 0x7EF360, 0x7EF343, 0x7EF377
BOMB_UPGRADES, ARROW_UPGRADES = 0x7EF370, 0x7EF371
HEART_PIECES, BOTTLES = 0x7EF36B, 0x7EF35C
SFX2 = 0x7E012F
LINK_Y, LINK_X = 0x7E0020, 0x7E0022
LINK_Y_CACHE, LINK_X_CACHE = 0x7E0FC4, 0x7E0FC2
FACING, HURT_TIMER, PENDING_DAMAGE, INVINCIBLE = 0x7E002F, 0x7E0046, 0x7E0373, 0x7E037B
RECOIL_Y, RECOIL_X = 0x7E0027, 0x7E0028
BOOTS, ABILITY, SPEED = 0x7EF355, 0x7EF379, 0x7E005E
SPRITE_Y_LO, SPRITE_X_LO, SPRITE_Y_HI, SPRITE_X_HI = 0x7E0D00, 0x7E0D10, 0x7E0D20, 0x7E0D30
# Real ALTTP capacities by upgrade level.
BOMB_CAPACITY = (10, 15, 20, 25, 30, 35, 40, 50)
ARROW_CAPACITY = (30, 35, 40, 45, 50, 55, 60, 70)

A = "alttp_specific"
L = "link_state"


def _hearts(rng: random.Random, amount: int) -> str:
    if amount % 8 == 0 and rng.random() < 0.6:
        n = amount // 8
        return f"{n} heart{'s' if n != 1 else ''}"
    return f"{amount} eighths of a heart"


# --- alttp_specific -------------------------------------------------------------------------

def heal_capped(rng: random.Random) -> Draft:
    from_pending = rng.random() < 0.4
    sfx = rng.randrange(1, 0x40) if rng.random() < 0.5 else None
    amount = rng.choice((4, 8, 16, 24, 0x28, 0x40))
    what = ("the amount waiting in the health refill byte ($7EF372), then clear that byte"
            if from_pending else _hearts(rng, amount))
    extra = f" and queue sound effect {h(sfx)} in $7E012F" if sfx is not None else ""
    requests = [
        f"Heal Link by {what}{extra}. His current health must never end above his maximum "
        "health.",
        f"Add {what} to Link's current health{extra}, capping it at his heart-container "
        "maximum.",
        f"Restore {what} of Link's health{extra}; the result may not exceed the maximum.",
    ] if not from_pending else [
        f"Apply the pending health refill: add {what}{extra}. Current health is capped at the "
        "maximum.",
        f"Move {what} into Link's current health{extra}; never go past the maximum health.",
    ]
    add = [f"ADC.l {lng(HEALTH_PENDING)}"] if from_pending else [f"ADC #{h(amount)}"]
    reference = lines(
        f"LDA.l {lng(HEALTH)}", "CLC", add, "BCS Full", f"CMP.l {lng(HEALTH_MAX)}", "BCC Store",
        "Full:", f"LDA.l {lng(HEALTH_MAX)}", "Store:", f"STA.l {lng(HEALTH)}",
        ["LDA #$00", f"STA.l {lng(HEALTH_PENDING)}"] if from_pending else [],
        [f"LDA #{h(sfx)}", f"STA.l {lng(SFX2)}"] if sfx is not None else [])

    def model(m: Memory, _: dict[str, int]) -> None:
        gain = m[HEALTH_PENDING] if from_pending else amount
        m[HEALTH] = min(m[HEALTH] + gain, m[HEALTH_MAX])
        if from_pending:
            m[HEALTH_PENDING] = 0

    states = []
    for cur, top, pend in ((0x08, 0x18, 0x08), (0x00, 0xA0, 0x30), (0x9C, 0xA0, 0x18),
                           (0x58, 0x60, 0x08), (0xA0, 0xA0, 0xA0), (0x10, 0x28, 0x18),
                           (0x9F, 0xA0, 0x08), (0x17, 0x18, 0x04)):
        if not from_pending and cur == 0x58:
            cur = 0x60 - amount    # exactly reaches the maximum
        if not from_pending and top == 0xA0 and cur == 0xA0:
            cur = 0xFF - amount // 2    # the add carries out of the byte
        states.append(State({HEALTH: cur, HEALTH_MAX: top, HEALTH_PENDING: pend,
                             HEART_PIECES: 0}))

    def full_model(m: Memory, regs: dict[str, int]) -> None:
        model(m, regs)
        if sfx is not None:
            m[SFX2] = sfx

    watch = [HEALTH - 2, HEALTH + 1, HEALTH_PENDING, SFX2 - 1, SFX2, SFX2 + 1]
    return draft(rng, category=A, family="heal_capped", difficulty=2, requests=requests,
                 reference=reference, states=states, model=full_model, watch=watch,
                 description="health $7EF36D raised, capped at the maximum $7EF36C")


def damage_floor(rng: random.Random) -> Draft:
    from_pending = rng.random() < 0.5
    timer = rng.randrange(0x10, 0x40) if rng.random() < 0.6 else None
    amount = rng.choice((2, 4, 8, 12, 16))
    what = ("the damage waiting in $7E0373 (then clear it)" if from_pending
            else _hearts(rng, amount))
    also = f" Also start Link's hurt timer ($7E0046) at {h(timer)}." if timer else ""
    requests = [
        f"Take {what} away from Link's current health; health stops at zero rather than "
        f"wrapping.{also}",
        f"Damage Link by {what}. If that would drop his health below zero, leave it at "
        f"zero.{also}",
        f"Subtract {what} from Link's current health without letting it underflow.{also}",
    ]
    sub = [f"SBC.l {lng(PENDING_DAMAGE)}"] if from_pending else [f"SBC #{h(amount)}"]
    reference = lines(
        f"LDA.l {lng(HEALTH)}", "SEC", sub, "BCS Store", "LDA #$00", "Store:",
        f"STA.l {lng(HEALTH)}",
        ["LDA #$00", f"STA.l {lng(PENDING_DAMAGE)}"] if from_pending else [],
        [f"LDA #{h(timer)}", f"STA.l {lng(HURT_TIMER)}"] if timer else [])

    def model(m: Memory, _: dict[str, int]) -> None:
        hit = m[PENDING_DAMAGE] if from_pending else amount
        m[HEALTH] = max(0, m[HEALTH] - hit)
        if from_pending:
            m[PENDING_DAMAGE] = 0
        if timer:
            m[HURT_TIMER] = timer

    states = [State({HEALTH: cur, PENDING_DAMAGE: dmg, HEALTH_MAX: 0xA0}) for cur, dmg in (
        (0x50, 0x08), (amount if not from_pending else 0x10, 0x10), (0x01, 0x04),
        (0xA0, 0x20), (amount - 1 if not from_pending else 0x07, 0x08), (0x00, 0x02))]
    return draft(rng, category=A, family="damage_floor", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[HEALTH, HEALTH_MAX, HEALTH + 1, PENDING_DAMAGE, HURT_TIMER,
                        HURT_TIMER + 1],
                 description="current health $7EF36D lowered, floored at 0")


def magic_spend(rng: random.Random) -> Draft:
    cost = rng.choice((4, 8, 0x10, 0x20))
    halving = rng.random() < 0.5
    note = (" Link's magic cost level at $7EF37B (0 normal, 1 half, 2 quarter) divides the "
            "cost by 1, 2 or 4." if halving else "")
    requests = [
        f"Try to spend {cost} units of magic.{note} If the meter ($7EF36E) holds at least "
        "that much, take it and return with carry set; otherwise change nothing and return "
        "with carry clear.",
        f"Write a magic-cost check for an item costing {cost} magic.{note} Enough magic: "
        "deduct it and set carry. Not enough: carry clear, meter untouched.",
    ]
    if halving:
        reference = lines(
            f"LDA.l {lng(MAGIC_USE)}", "TAX", f"LDA #{h(cost)}", "Halve:", "DEX", "BMI Check",
            "LSR A", "BRA Halve", "Check:", "PHA",
            f"LDA.l {lng(MAGIC)}", "SEC", "SBC $01,S", "BCC NoMagic",
            f"STA.l {lng(MAGIC)}", "NoMagic:", "PLA")
    else:
        reference = lines(f"LDA.l {lng(MAGIC)}", "SEC", f"SBC #{h(cost)}", "BCC NoMagic",
                          f"STA.l {lng(MAGIC)}", "NoMagic:")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        need = cost >> m[MAGIC_USE] if halving else cost
        if m[MAGIC] >= need:
            m[MAGIC] -= need
            return Outcome(flags={"c": 1})
        return Outcome(flags={"c": 0})

    states = []
    for magic, level in ((0x80, 0), (cost - 1, 0), (cost, 0), (0x00, 1), (cost // 2, 1),
                         (cost // 4 - 1 if cost >= 8 else 0, 2), (cost // 4, 2), (0x7F, 1)):
        states.append(State({MAGIC: magic, MAGIC_USE: level if halving else 0}))
    return draft(rng, category=A, family="magic_spend", difficulty=3 if halving else 2,
                 requests=requests, reference=reference, states=states, model=model,
                 watch=[MAGIC - 1, MAGIC, MAGIC + 1, MAGIC_USE], flags=["c"],
                 description="conditional magic deduction, result in carry")


def rupees_add(rng: random.Random) -> Draft:
    eight_bit = rng.random() < 0.4
    cap = rng.choice((999, 500) if eight_bit else (999, 500, 255))
    amount = rng.choice([a for a in (1, 5, 20, 50, 100, 300) if a < cap // 2])
    requests = [
        f"Give Link {amount} rupees, but never let his rupee total go above {cap}.",
        f"Add {amount} to the player's rupees (the 16-bit real count), capping at {cap}.",
        f"Award {amount} rupees; the wallet holds at most {cap}.",
    ]
    if eight_bit:
        reference = lines(
            f"LDA.l {lng(RUPEES)}", "CLC", f"ADC #{h(amount & 0xFF)}", "TAX",
            f"LDA.l {lng(RUPEES + 1)}", f"ADC #{h(amount >> 8)}", "TAY",
            f"CPY #{h(cap >> 8)}", "BCC Store", "BNE Cap", f"CPX #{h((cap & 0xFF) + 1)}",
            "BCC Store", "Cap:", f"LDX #{h(cap & 0xFF)}", f"LDY #{h(cap >> 8)}", "Store:",
            "TXA", f"STA.l {lng(RUPEES)}", "TYA", f"STA.l {lng(RUPEES + 1)}")
    else:
        reference = lines(
            "REP #$20", f"LDA.l {lng(RUPEES)}", "CLC", f"ADC #{h(amount, 4)}",
            f"CMP #{h(cap + 1, 4)}", "BCC Store", f"LDA #{h(cap, 4)}", "Store:",
            f"STA.l {lng(RUPEES)}", "SEP #$20")

    def model(m: Memory, _: dict[str, int]) -> None:
        m.set_word(RUPEES, min(m.word(RUPEES) + amount, cap))

    values = [0, cap - amount, cap - amount + 1, cap, 0x00FF - amount + 1, 7,
              (cap & 0xFF00) + 1 - amount, (cap & 0xFF00) - 1 - amount]
    states = [State({RUPEES: v & 0xFF, RUPEES + 1: v >> 8}) for v in values if v >= 0]
    return draft(rng, category=A, family="rupees_add", difficulty=3 if eight_bit else 2,
                 requests=requests, reference=reference, states=states, model=model,
                 watch=[RUPEES - 1, RUPEES, RUPEES + 1, RUPEES + 2],
                 description="16-bit add to $7EF360 with an upper cap")


def rupees_spend(rng: random.Random) -> Draft:
    price = rng.choice((10, 50, 100, 250, 500))
    requests = [
        f"A shop item costs {price} rupees. If Link can afford it, deduct the price from his "
        "rupees and return with carry set; if not, return with carry clear and leave the "
        "rupees alone.",
        f"Charge the player {price} rupees when he has enough (carry set on success); "
        "otherwise carry clear and no change.",
    ]
    reference = lines("REP #$20", f"LDA.l {lng(RUPEES)}", "SEC", f"SBC #{h(price, 4)}",
                      "BCC Poor", f"STA.l {lng(RUPEES)}", "Poor:", "SEP #$20")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        have = m.word(RUPEES)
        if have >= price:
            m.set_word(RUPEES, have - price)
            return Outcome(flags={"c": 1})
        return Outcome(flags={"c": 0})

    values = (price, price - 1, 999, 0, price + 0x100, (price & 0xFF00) + 0xFF)
    states = [State({RUPEES: v & 0xFF, RUPEES + 1: v >> 8}) for v in values]
    return draft(rng, category=A, family="rupees_spend", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[RUPEES - 1, RUPEES, RUPEES + 1, RUPEES + 2], flags=["c"],
                 description="16-bit compare-and-subtract on $7EF360")


def ammo_refill(rng: random.Random) -> Draft:
    bombs = rng.random() < 0.5
    what, count, upgrades, table = (("bombs", BOMBS, BOMB_UPGRADES, BOMB_CAPACITY) if bombs
                                    else ("arrows", ARROWS, ARROW_UPGRADES, ARROW_CAPACITY))
    amount = rng.choice((1, 5, 10, 30))
    caps = ", ".join(str(c) for c in table)
    requests = [
        f"Give Link {amount} {what} (an upgrade level above 7 counts as 7). He can carry "
        "at most the capacity for his upgrade level "
        f"(the byte at {lng(upgrades)}, 0-7): {caps}. Never exceed it.",
        f"Add {amount} to Link's {what}, limited by his capacity; the capacities by upgrade "
        f"level ({lng(upgrades)}, levels past 7 count as 7) are {caps}.",
    ]
    reference = lines(
        f"LDA.l {lng(upgrades)}", "CMP #$08", "BCC Level", "LDA #$07", "Level:", "TAX",
        f"LDA.l {lng(count)}", "CLC", f"ADC #{h(amount)}",
        "CMP.l Capacity,X", "BCC Store", "LDA.l Capacity,X", "Store:", f"STA.l {lng(count)}",
        "RTS", f"Capacity: db {', '.join(h(c) for c in table)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        m[count] = min(m[count] + amount, table[min(m[upgrades], 7)])

    states = [State({upgrades: lvl, count: max(0, n)}) for lvl, n in (
        (0, 0), (7, table[7] - amount), (3, table[3] - amount + 1), (1, table[1]), (5, 2),
        (6, table[6] - 1), (8, table[7] - amount + 1), (0xFF, 0))]
    return draft(rng, category=A, family="ammo_refill", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[count - 1, count, count + 1],
                 description=f"{what} add capped by a capacity table")


def heart_piece(rng: random.Random) -> Draft:
    sfx = rng.randrange(1, 0x30) if rng.random() < 0.5 else None
    also = (f" When a container is completed, also queue sound {h(sfx)} in $7E012F."
            if sfx else "")
    requests = [
        "Collect a piece of heart: count it in $7EF36B. On the fourth piece, reset the count to "
        "0, raise maximum health by one heart (never above 20 hearts) and fill current health "
        f"to the new maximum.{also}",
        "Give Link a heart piece. Four pieces make a heart container: then the piece count goes "
        "back to zero, the maximum health grows by a heart (capped at 20 hearts) and current "
        f"health is refilled to the maximum.{also}",
    ]
    reference = lines(
        f"LDA.l {lng(HEART_PIECES)}", "INC A", "CMP #$04", "BCC Keep", "LDA.l "
        f"{lng(HEALTH_MAX)}", "CMP #$A0", "BCS Refill", "ADC #$08",
        f"STA.l {lng(HEALTH_MAX)}", "Refill:", f"STA.l {lng(HEALTH)}",
        [f"LDA #{h(sfx)}", f"STA.l {lng(SFX2)}"] if sfx else [], "LDA #$00", "Keep:",
        f"STA.l {lng(HEART_PIECES)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        pieces = m[HEART_PIECES] + 1
        if pieces < 4:
            m[HEART_PIECES] = pieces
            return
        m[HEART_PIECES] = 0
        top = m[HEALTH_MAX] if m[HEALTH_MAX] >= 0xA0 else m[HEALTH_MAX] + 8
        m[HEALTH_MAX] = top
        m[HEALTH] = top
        if sfx:
            m[SFX2] = sfx

    states = [State({HEART_PIECES: p, HEALTH_MAX: top, HEALTH: cur}) for p, top, cur in (
        (3, 0x18, 0x10), (0, 0x30, 0x08), (3, 0xA0, 0x20), (2, 0x98, 0x98), (3, 0x98, 0x04),
        (1, 0x50, 0x50))]
    return draft(rng, category=A, family="heart_piece", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[HEART_PIECES, HEALTH_MAX, HEALTH, HEALTH + 1, SFX2],
                 description="heart piece counter rolling into a heart container")


def bottle_fill(rng: random.Random) -> Draft:
    contents = rng.choice(((3, "a red potion"), (4, "a green potion"), (5, "a blue potion"),
                           (6, "a fairy"), (7, "a bee")))
    value, name = contents
    requests = [
        f"Put {name} (code {value}) into the first empty bottle. Bottles 1-4 are the bytes at "
        "$7EF35C-$7EF35F; an empty bottle holds 2 (0 means no bottle). Return with carry set "
        "if a bottle was filled, carry clear if none was empty.",
        f"Find Link's first empty bottle (bytes $7EF35C-$7EF35F, value 2 = empty, 0 = no "
        f"bottle) and store {value} ({name}) in it; carry set on success, clear when every "
        "bottle is full or missing.",
    ]
    reference = lines("LDX #$00", "Next:", f"LDA.l {lng(BOTTLES)},X", "CMP #$02",
                      "BEQ Found", "INX", "CPX #$04", "BCC Next", "CLC", "BRA Done", "Found:",
                      f"LDA #{h(value)}", f"STA.l {lng(BOTTLES)},X", "SEC", "Done:")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        for k in range(4):
            if m[BOTTLES + k] == 2:
                m[BOTTLES + k] = value
                return Outcome(flags={"c": 1})
        return Outcome(flags={"c": 0})

    layouts = ((2, 2, 2, 2), (3, 0, 2, 2), (6, 6, 6, 2), (0, 0, 0, 0), (5, 2, 3, 4),
               (8, 7, 6, 5))
    states = [State({BOTTLES + k: v for k, v in enumerate(lay)}) for lay in layouts]
    return draft(rng, category=A, family="bottle_fill", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[BOTTLES - 1, *range(BOTTLES, BOTTLES + 5)], flags=["c"],
                 description="search four bottle slots for the empty code 2")


# --- link_state -------------------------------------------------------------------------

def move_clamped(rng: random.Random) -> Draft:
    axis = rng.choice(("X", "Y"))
    address = LINK_X if axis == "X" else LINK_Y
    positive = rng.random() < 0.5
    step = rng.randrange(1, 0x20)
    low = rng.randrange(0x0100, 0x0800) & 0xFFF0
    high = low + rng.randrange(0x0100, 0x0400) & 0xFFF0
    direction = {("X", True): "right", ("X", False): "left", ("Y", True): "down",
                 ("Y", False): "up"}[(axis, positive)]
    bound = high if positive else low
    requests = [
        f"Move Link {step} pixels {direction}, but keep his {axis} coordinate "
        f"{'at most' if positive else 'at least'} {h(bound, 4)} (the room's edge).",
        f"Step Link {direction} by {step} pixels. If that takes his {axis} position past "
        f"{h(bound, 4)}, stop him at {h(bound, 4)}.",
    ]
    if positive:
        body = ["CLC", f"ADC #{h(step, 4)}", f"CMP #{h(bound + 1, 4)}", "BCC Store",
                f"LDA #{h(bound, 4)}"]
    else:
        body = ["SEC", f"SBC #{h(step, 4)}", "BCC Clamp", f"CMP #{h(bound, 4)}", "BCS Store",
                "Clamp:", f"LDA #{h(bound, 4)}"]
    reference = lines("REP #$20", f"LDA.l {lng(address)}", body, "Store:",
                      f"STA.l {lng(address)}", "SEP #$20")

    def model(m: Memory, _: dict[str, int]) -> None:
        v = m.word(address)
        v = min(v + step, bound) if positive else max(v - step, bound)
        m.set_word(address, v)

    if positive:
        values = (low, bound - step, bound - step + 1, bound, 0x00F8, bound - 0x100)
    else:
        values = (high, bound + step, bound + step - 1, bound, step - 1 if step > 1 else 0,
                  bound + 0x100)
    states = [State({address: v & 0xFF, address + 1: v >> 8}) for v in values]
    return draft(rng, category=L, family="move_clamped", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[address - 1, address, address + 1, address + 2],
                 description="16-bit coordinate step with a room-edge clamp")


def restore_position(rng: random.Random) -> Draft:
    both = rng.random() < 0.5
    offset = rng.randrange(0, 0x10) if rng.random() < 0.5 else 0
    shift = f", then push him {offset} pixels down" if offset else ""
    requests = [
        "Put Link back where he was at the start of the frame (the cached coordinates at "
        f"$7E0FC2 for X{' and $7E0FC4 for Y' if both else ''}){shift}.",
        f"Restore Link's {'X and Y coordinates' if both else 'X coordinate'} from the "
        f"start-of-frame cache{shift}.",
    ]
    body = ["REP #$20", f"LDA.l {lng(LINK_X_CACHE)}", f"STA.l {lng(LINK_X)}"]
    if both or offset:
        body += [f"LDA.l {lng(LINK_Y_CACHE)}" if both else f"LDA.l {lng(LINK_Y)}"]
        if offset:
            body += ["CLC", f"ADC #{h(offset, 4)}"]
        body += [f"STA.l {lng(LINK_Y)}"]
    reference = lines(body, "SEP #$20")

    def model(m: Memory, _: dict[str, int]) -> None:
        m.set_word(LINK_X, m.word(LINK_X_CACHE))
        if both or offset:
            y = m.word(LINK_Y_CACHE) if both else m.word(LINK_Y)
            m.set_word(LINK_Y, (y + offset) & 0xFFFF)

    states = []
    for _ in range(4):
        states.append(State({a: rng.randrange(0x100) for a in (
            LINK_X, LINK_X + 1, LINK_Y, LINK_Y + 1, LINK_X_CACHE, LINK_X_CACHE + 1,
            LINK_Y_CACHE, LINK_Y_CACHE + 1)}))
    states.append(State({LINK_X: 0, LINK_X + 1: 0, LINK_Y: 0xFF, LINK_Y + 1: 0x00,
                         LINK_X_CACHE: 0xFF, LINK_X_CACHE + 1: 0x12, LINK_Y_CACHE: 0xF8,
                         LINK_Y_CACHE + 1: 0x01}))
    return draft(rng, category=L, family="restore_position", difficulty=1, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[LINK_Y - 1, LINK_X + 2], description="16-bit coordinate copies")


def knockback(rng: random.Random) -> Draft:
    speed = rng.randrange(0x08, 0x30)
    timer = rng.randrange(0x08, 0x20)
    requests = [
        f"Knock Link back away from where he faces: his facing byte ($7E002F) is 0 up, 2 down, "
        f"4 left, 6 right. Set his recoil velocities ($7E0027 Y, $7E0028 X, signed) to "
        f"{speed} pixels opposite to his facing (0 on the other axis) and start his hurt timer "
        f"($7E0046) at {h(timer)}.",
        f"Push Link backwards at speed {speed}: facing up (0) means Y recoil +{speed}, down (2) "
        f"Y recoil -{speed}, left (4) X recoil +{speed}, right (6) X recoil -{speed}; recoil "
        f"Y is $7E0027, X is $7E0028, the unused axis gets 0. Then set $7E0046 to {h(timer)}.",
    ]
    requests = [r + " Only bits 1-2 of the facing byte count." for r in requests]
    guard = rng.random() < 0.5
    if guard:
        requests = [r + " Do nothing at all while Link is invincible ($7E037B nonzero)."
                    for r in requests]
    neg = (-speed) & 0xFF
    reference = lines(
        [f"LDA.l {lng(INVINCIBLE)}", "BNE Done"] if guard else [],
        f"LDA.l {lng(FACING)}", "AND #$06", "LSR A", "TAX", "LDA.l RecoilY,X",
        f"STA.l {lng(RECOIL_Y)}",
        "LDA.l RecoilX,X", f"STA.l {lng(RECOIL_X)}", f"LDA #{h(timer)}",
        f"STA.l {lng(HURT_TIMER)}", "Done:", "RTS",
        f"RecoilY: db {h(speed)}, {h(neg)}, $00, $00",
        f"RecoilX: db $00, $00, {h(speed)}, {h(neg)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        if guard and m[INVINCIBLE]:
            return
        face = (m[FACING] & 6) // 2
        m[RECOIL_Y] = (speed, neg, 0, 0)[face]
        m[RECOIL_X] = (0, 0, speed, neg)[face]
        m[HURT_TIMER] = timer

    states = [State({FACING: f, RECOIL_Y: 0x55, RECOIL_X: 0x66, INVINCIBLE: inv})
              for f, inv in ((0, 0), (2, 0), (4, 0), (6, 0), (6, 1), (0, 0x80), (0xF3, 0),
                             (0x0C, 0))]
    return draft(rng, category=L, family="knockback", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[0x7E0026, 0x7E0029, HURT_TIMER], description="table-driven recoil")


def hurt_link(rng: random.Random) -> Draft:
    damage = rng.choice((4, 8, 16))
    timer = rng.randrange(0x10, 0x40)
    armor = rng.random() < 0.5
    requests = [
        f"Hurt Link for {_hearts(rng, damage)} unless he is invincible ($7E037B nonzero) or "
        f"still flashing from the last hit ($7E0046 nonzero). A hit lowers current health "
        f"(floored at 0) and sets $7E0046 to {h(timer)}.",
        f"Apply a {damage}-eighth hit to Link: skip it entirely while $7E037B or $7E0046 is "
        f"nonzero; otherwise subtract from his health without going below zero and start "
        f"the hurt timer $7E0046 at {h(timer)}.",
    ]
    if armor:
        requests = [r + " Armour ($7EF35B: 0 green, 1 blue, 2 red mail) halves the damage "
                    "once per level." for r in requests]
        cost = ["PHA", f"LDA.l {lng(0x7EF35B)}", "TAX", f"LDA #{h(damage)}", "Halve:", "DEX",
                "BMI Apply", "LSR A", "BRA Halve", "Apply:", "STA $01,S", f"LDA.l {lng(HEALTH)}",
                "SEC", "SBC $01,S", "BCS Store", "LDA #$00", "Store:", f"STA.l {lng(HEALTH)}",
                "PLA"]
    else:
        cost = [f"LDA.l {lng(HEALTH)}", "SEC", f"SBC #{h(damage)}", "BCS Store", "LDA #$00",
                "Store:", f"STA.l {lng(HEALTH)}"]
    reference = lines(
        f"LDA.l {lng(INVINCIBLE)}", f"ORA.l {lng(HURT_TIMER)}", "BNE Skip", cost,
        f"LDA #{h(timer)}", f"STA.l {lng(HURT_TIMER)}", "Skip:")

    def model(m: Memory, _: dict[str, int]) -> None:
        if m[INVINCIBLE] or m[HURT_TIMER]:
            return
        hit = damage >> m[0x7EF35B] if armor else damage
        m[HEALTH] = max(0, m[HEALTH] - hit)
        m[HURT_TIMER] = timer

    states = [State({INVINCIBLE: inv, HURT_TIMER: t, HEALTH: hp, 0x7EF35B: mail})
              for inv, t, hp, mail in (
        (0, 0, 0x40, 0), (1, 0, 0x40, 1), (0, 3, 0x40, 0), (0, 0, damage - 1, 0),
        (0x80, 0x80, 0x10, 2), (0, 0, damage, 0), (0, 0, 0x40, 1), (0, 0, 0x41, 2),
        (0, 0, damage // 2 - 1, 1))]
    return draft(rng, category=L, family="hurt_link", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[HEALTH, HEALTH + 1, HURT_TIMER, INVINCIBLE, HURT_TIMER + 1],
                 description="guarded damage with an invulnerability timer")


def sprite_near_link(rng: random.Random) -> Draft:
    reach = rng.randrange(0x08, 0x30)
    axis = rng.choice(("X", "Y"))
    link, lo, hi = ((LINK_X, SPRITE_X_LO, SPRITE_X_HI) if axis == "X"
                    else (LINK_Y, SPRITE_Y_LO, SPRITE_Y_HI))
    lo_name = "$0D10" if axis == "X" else "$0D00"
    hi_name = "$0D30" if axis == "X" else "$0D20"
    requests = [
        f"X holds a sprite slot (0-15). Return with carry set if that sprite's {axis} "
        f"coordinate (low byte {lo_name},X, high byte {hi_name},X) is within {reach} pixels of "
        f"Link's {axis} coordinate (16-bit, {lng(link)}), inclusive, and carry clear "
        "otherwise. Keep X.",
        f"Is the sprite in slot X close to Link on the {axis} axis? Distance at most {reach} "
        f"pixels: carry set; farther: carry clear. Sprite {axis} = {lo_name},X (low) and "
        f"{hi_name},X (high); Link's is the word at {lng(link)}. X must survive.",
    ]
    reference = lines(
        f"LDA {ab(hi)},X", "XBA", f"LDA {ab(lo)},X", "REP #$20", "SEC", f"SBC.l {lng(link)}",
        "BPL Positive", "EOR #$FFFF", "INC A", "Positive:", f"CMP #{h(reach + 1, 4)}",
        "SEP #$20", "BCS Far", "SEC", "RTS", "Far:", "CLC", "RTS")

    def model(m: Memory, regs: dict[str, int]) -> Outcome:
        slot = regs["x"]
        sprite = m[lo + slot] | m[hi + slot] << 8
        diff = (sprite - m.word(link)) & 0xFFFF
        if diff & 0x8000:
            diff = (-diff) & 0xFFFF
        return Outcome(registers={"x": slot}, flags={"c": int(diff <= reach)})

    states = []
    for slot, sprite, pos in ((3, 0x0180, 0x0180), (15, 0x0180 + reach, 0x0180),
                              (0, 0x0180 + reach + 1, 0x0180), (7, 0x0200 - reach, 0x0200),
                              (9, 0x01FF - reach, 0x0200), (2, 0x0100, 0x00F8),
                              (5, 0x0300, 0x0100)):
        states.append(State({lo + slot: sprite & 0xFF, hi + slot: sprite >> 8,
                             link: pos & 0xFF, link + 1: pos >> 8}, {"x": slot}))
    return draft(rng, category=L, family="sprite_near_link", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, registers=["x"],
                 flags=["c"], description="16-bit absolute distance compare")


def dash_speed(rng: random.Random) -> Draft:
    fast, slow = rng.randrange(1, 8), 0
    bunny = rng.random() < 0.5
    requests = [
        f"Set Link's speed setting ($7E005E) to {fast} if he owns the Pegasus Boots "
        "($7EF355 nonzero) and has the dash ability (bit 2 of $7EF379); otherwise set it to "
        "0.",
        f"Link may dash only with the boots ($7EF355 != 0) and ability bit 2 of $7EF379 set. "
        f"Write {fast} to $7E005E when both hold, 0 when either is missing.",
    ]
    if bunny:
        requests = [r + " A bunny ($7E0056 nonzero) never dashes." for r in requests]
    reference = lines(f"LDA #{h(slow)}", "TAX", f"LDA.l {lng(BOOTS)}", "BEQ Store",
                      f"LDA.l {lng(ABILITY)}", "AND #$04", "BEQ Store",
                      [f"LDA {ab(0x7E0056)}", "BNE Store"] if bunny else [],
                      f"LDX #{h(fast)}", "Store:", "TXA", f"STA.l {lng(SPEED)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        ok = m[BOOTS] and m[ABILITY] & 0x04 and not (bunny and m[0x7E0056])
        m[SPEED] = fast if ok else slow

    states = [State({BOOTS: b, ABILITY: ab_, SPEED: 0x33, 0x7E0056: bn, ABILITY + 1: 0x04,
                     ABILITY - 1: 0x04, BOOTS + 1: 0, BOOTS - 1: 0}) for b, ab_, bn in (
        (1, 0x04, 0), (0, 0xFF, 0), (1, 0xFB, 0), (2, 0x06, 1), (0, 0, 0), (1, 0x04, 0x80))]
    return draft(rng, category=L, family="dash_speed", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[SPEED - 1, SPEED, SPEED + 1], description="two-condition flag test")


ALTTP_FAMILIES = (heal_capped, damage_floor, magic_spend, rupees_add, rupees_spend,
                  ammo_refill, heart_piece, bottle_fill)
LINK_FAMILIES = (move_clamped, restore_position, knockback, hurt_link, sprite_near_link,
                 dash_speed)


def drink_potion(rng: random.Random) -> Draft:
    bottle = rng.randrange(4)
    address = BOTTLES + bottle
    requests = [
        f"Link drinks from bottle {bottle + 1} ({lng(address)}). A red potion (3) refills his "
        "current health to his maximum health; a green potion (4) fills the magic meter "
        "($7EF36E) to $80; a blue potion (5) does both. After a potion the bottle holds 2 "
        "(empty) and the routine returns carry set. Anything else in the bottle: nothing "
        "changes, carry clear.",
        f"Use the potion in bottle {bottle + 1} (byte {lng(address)}: 3 red = full health, 4 "
        "green = full magic ($80 at $7EF36E), 5 blue = both; health is refilled to the maximum "
        "at $7EF36C). Empty the bottle (value 2) and set carry when a potion was drunk; for "
        "any other content change nothing and clear carry.",
    ]
    reference = lines(
        f"LDA.l {lng(address)}", "CMP #$03", "BCC None", "CMP #$06", "BCS None", "CMP #$04",
        "BEQ Magic", f"LDA.l {lng(HEALTH_MAX)}", f"STA.l {lng(HEALTH)}",
        f"LDA.l {lng(address)}", "CMP #$05", "BNE Empty", "Magic:", "LDA #$80",
        f"STA.l {lng(MAGIC)}", "Empty:", "LDA #$02", f"STA.l {lng(address)}", "SEC", "RTS",
        "None:", "CLC", "RTS")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        kind = m[address]
        if kind not in (3, 4, 5):
            return Outcome(flags={"c": 0})
        if kind in (3, 5):
            m[HEALTH] = m[HEALTH_MAX]
        if kind in (4, 5):
            m[MAGIC] = 0x80
        m[address] = 2
        return Outcome(flags={"c": 1})

    states = [State({address: kind, HEALTH: 0x10, HEALTH_MAX: 0x60, MAGIC: 0x20})
              for kind in (3, 4, 5, 2, 6, 0, 8, 5)]
    return draft(rng, category=A, family="drink_potion", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, flags=["c"],
                 watch=[MAGIC + 1], description="a dispatch on bottle contents")


ALTTP_FAMILIES = (*ALTTP_FAMILIES, drink_potion)


ANC_TYPE, ANC_Y_LO, ANC_X_LO, ANC_Y_HI, ANC_X_HI = 0x7E0C4A, 0x7E0BFA, 0x7E0C04, 0x7E0C0E, 0x7E0C18
ANC_Y_VEL, ANC_X_VEL, ANC_TIMER, ANC_DIR = 0x7E0C22, 0x7E0C2C, 0x7E0C68, 0x7E0C72


def fire_projectile(rng: random.Random) -> Draft:
    kind = rng.choice((2, 5, 9, 0x0C))
    speed = rng.randrange(0x10, 0x40)
    timer = rng.randrange(0x10, 0x60)
    neg = (-speed) & 0xFF
    requests = [
        f"Link fires a projectile (ancilla type {h(kind)}). Use the highest free ancilla slot "
        f"(type byte $0C4A,X = 0, slots 9 down to 0); with none free, return carry clear and "
        f"change nothing. Otherwise set: type {h(kind)}; position = Link's (16-bit X at "
        f"$7E0022, Y at $7E0020) split into $0C04,X/$0C18,X (X low/high) and $0BFA,X/$0C0E,X "
        f"(Y low/high); direction $0C72,X = Link's facing ($7E002F: 0 up, 2 down, 4 left, 6 "
        f"right) divided by 2; velocity {speed} pixels toward the facing (signed; X velocity "
        f"$0C2C,X, Y velocity $0C22,X, 0 on the other axis); timer $0C68,X = {h(timer)}. "
        "Return carry set with X = the slot. Only bits 1-2 of the facing byte count.",
        f"Spawn ancilla {h(kind)} in front of Link: search ancilla slots 9..0 for type 0 "
        f"($0C4A,X) - none free: carry clear, no change. Found: $0C4A,X = {h(kind)}; X/Y "
        "position from Link's words $7E0022/$7E0020 into low bytes $0C04,X/$0BFA,X and high "
        "bytes $0C18,X/$0C0E,X; $0C72,X = facing/2 (facing $7E002F uses 0 up, 2 down, 4 left, "
        f"6 right; ignore its other bits); speed {speed} in the facing direction as signed "
        f"velocities $0C2C,X (X) and $0C22,X (Y), the other axis 0; timer $0C68,X = "
        f"{h(timer)}; carry set, X = slot.",
    ]
    reference = lines(
        "LDX #$09", "Search:", f"LDA {ab(ANC_TYPE)},X", "BEQ Found", "DEX", "BPL Search",
        "CLC", "RTS", "Found:", f"LDA #{h(kind)}", f"STA {ab(ANC_TYPE)},X",
        "LDA.l $7E0022", f"STA {ab(ANC_X_LO)},X", "LDA.l $7E0023", f"STA {ab(ANC_X_HI)},X",
        "LDA.l $7E0020", f"STA {ab(ANC_Y_LO)},X", "LDA.l $7E0021", f"STA {ab(ANC_Y_HI)},X",
        f"LDA #{h(timer)}", f"STA {ab(ANC_TIMER)},X", f"LDA.l {lng(FACING)}", "AND #$06",
        "LSR A", f"STA {ab(ANC_DIR)},X", "PHX", "TAY", "TYX", "LDA.l VelX,X", "PLX",
        f"STA {ab(ANC_X_VEL)},X", "PHX", "TYX", "LDA.l VelY,X", "PLX",
        f"STA {ab(ANC_Y_VEL)},X", "SEC", "RTS",
        f"VelX: db $00, $00, {h(neg)}, {h(speed)}",
        f"VelY: db {h(neg)}, {h(speed)}, $00, $00")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        for k in range(9, -1, -1):
            if m[ANC_TYPE + k] == 0:
                face = (m[FACING] & 6) // 2
                m[ANC_TYPE + k] = kind
                m[ANC_X_LO + k], m[ANC_X_HI + k] = m[LINK_X], m[LINK_X + 1]
                m[ANC_Y_LO + k], m[ANC_Y_HI + k] = m[LINK_Y], m[LINK_Y + 1]
                m[ANC_TIMER + k] = timer
                m[ANC_DIR + k] = face
                m[ANC_X_VEL + k] = (0, 0, neg, speed)[face]
                m[ANC_Y_VEL + k] = (neg, speed, 0, 0)[face]
                return Outcome(registers={"x": k}, flags={"c": 1})
        return Outcome(flags={"c": 0})

    layouts = [[9] * 10, [0] + [9] * 9, [9] * 9 + [0], [0] * 10, [9, 0, 7, 0, 5, 9, 9, 2, 9, 9]]
    states = []
    for index, layout in enumerate(layouts + layouts[1:3]):
        memory = {ANC_TYPE + k: v for k, v in enumerate(layout)}
        memory.update({ANC_TYPE + 10: 0, ANC_TYPE - 1: 0})    # just outside the slots
        for base in (ANC_X_LO, ANC_X_HI, ANC_Y_LO, ANC_Y_HI, ANC_TIMER, ANC_DIR, ANC_X_VEL,
                     ANC_Y_VEL):
            memory.update({base + k: rng.randrange(256) for k in range(10)})
        memory.update({LINK_X: rng.randrange(256), LINK_X + 1: rng.randrange(1, 4),
                       LINK_Y: rng.randrange(256), LINK_Y + 1: rng.randrange(1, 4),
                       FACING: (0, 2, 4, 6, 0x86, 0x0B, 2)[index]})
        states.append(State(memory))
    return draft(rng, category=L, family="fire_projectile", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, flags=["c"],
                 description="slot search, then a full ancilla set-up from tables")


def fairy_revival(rng: random.Random) -> Draft:
    hearts = rng.randrange(3, 10)
    requests = [
        f"Revive Link with a bottled fairy: only when his current health is 0, find the first "
        f"of bottles 1-4 ($7EF35C-$7EF35F) holding a fairy (6), empty it (2) and set his "
        f"current health to {hearts} hearts but no more than his maximum health ($7EF36C); "
        "return carry set. No fairy, or health not 0: change nothing, carry clear.",
        f"Fairy rescue: if $7EF36D is 0 and some bottle ($7EF35C-$7EF35F) holds a fairy "
        f"(value 6), the first such bottle becomes empty (2) and health becomes "
        f"{hearts * 8} eighths, capped at the maximum at $7EF36C; carry set. Otherwise carry "
        "clear and nothing changes.",
    ]
    amount = hearts * 8
    reference = lines(
        f"LDA.l {lng(HEALTH)}", "BNE None", "LDX #$00", "Find:", f"LDA.l {lng(BOTTLES)},X",
        "CMP #$06", "BEQ Use", "INX", "CPX #$04", "BCC Find", "None:", "CLC", "RTS", "Use:",
        "LDA #$02", f"STA.l {lng(BOTTLES)},X", f"LDA #{h(amount)}",
        f"CMP.l {lng(HEALTH_MAX)}", "BCC Store", f"LDA.l {lng(HEALTH_MAX)}", "Store:",
        f"STA.l {lng(HEALTH)}", "SEC", "RTS")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        if m[HEALTH]:
            return Outcome(flags={"c": 0})
        for k in range(4):
            if m[BOTTLES + k] == 6:
                m[BOTTLES + k] = 2
                m[HEALTH] = min(amount, m[HEALTH_MAX])
                return Outcome(flags={"c": 1})
        return Outcome(flags={"c": 0})

    states = [State({HEALTH: hp, HEALTH_MAX: top, **{BOTTLES + k: v for k, v in enumerate(b)},
                     BOTTLES + 4: 6})
              for hp, top, b in ((0, 0xA0, (2, 6, 6, 3)), (1, 0xA0, (6, 6, 6, 6)),
                                 (0, amount - 8, (3, 4, 5, 6)), (0, 0x50, (2, 2, 2, 2)),
                                 (0, amount, (6, 0, 0, 0)), (0x20, 0x18, (6, 2, 2, 2)),
                                 (0, amount + 8, (0, 0, 0, 7)))]
    return draft(rng, category=A, family="fairy_revival", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, flags=["c"],
                 description="condition, bottle search, capped refill")


ALTTP_FAMILIES = (*ALTTP_FAMILIES, fairy_revival)
LINK_FAMILIES = (*LINK_FAMILIES, fire_projectile)
