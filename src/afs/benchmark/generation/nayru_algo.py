"""Nayru families of general ROM-hack routines: 16-bit and BCD arithmetic (`basic_ops`),
lookup and jump tables (`intermediate_ops`), pointer walking, decompression-style loops and
bank switching (`advanced_ops`), and array routines with subroutines (`generation`). Work
areas are in WRAM the ALTTP map leaves free ($7E1E00-$7E1EFF, $7F5000-$7F7FFF)."""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft, GenerationError
from afs.benchmark.generation.nayru_common import (
    Memory,
    Outcome,
    State,
    ab,
    draft,
    free_block,
    free_low,
    h,
    lines,
    lng,
)

B, MID, ADV, G = "basic_ops", "intermediate_ops", "advanced_ops", "generation"
SWORD, SPRITE_HP, SPRITE_STATE = 0x7EF359, 0x7E0E50, 0x7E0DD0


def _bcd(n: int, digits: int) -> list[int]:
    text = f"{n:0{digits}d}"
    return [int(text[i:i + 2], 16) for i in range(0, digits, 2)][::-1]


def _word_states(rng: random.Random, address: int, values: list[int]) -> list[State]:
    return [State({address: v & 0xFF, address + 1: (v >> 8) & 0xFF}) for v in values]


# --- basic_ops ------------------------------------------------------------------------------

def bcd_add(rng: random.Random) -> Draft:
    wide = rng.random() < 0.5
    digits = 4 if wide else 2
    top = 10 ** digits - 1
    amount = rng.randrange(1, 100 if not wide else 1000)
    counter = free_low(rng, 2)
    requests = [
        f"The {digits}-digit score at {lng(counter)} is stored as packed BCD "
        f"({'low byte first, ' if wide else ''}two digits per byte). Add {amount} to it, "
        f"stopping at {top} instead of rolling over.",
        f"Add {amount} (decimal) to the packed-BCD counter at {lng(counter)} "
        f"({digits} digits{', little-endian' if wide else ''}); if the result would pass "
        f"{top}, store {top}.",
    ]
    add = _bcd(amount, digits)
    if wide:
        reference = lines("SED", "REP #$20", f"LDA {ab(counter)}", "CLC",
                          f"ADC #{h(add[1] << 8 | add[0], 4)}", "BCC Store", "LDA #$9999",
                          "Store:", f"STA {ab(counter)}", "SEP #$20", "CLD")
    else:
        reference = lines("SED", f"LDA {ab(counter)}", "CLC", f"ADC #{h(add[0])}", "BCC Store",
                          "LDA #$99", "Store:", f"STA {ab(counter)}", "CLD")

    def model(m: Memory, _: dict[str, int]) -> None:
        raw = m.word(counter) if wide else m[counter]
        value = int(f"{raw:0{digits}X}")
        result = _bcd(min(value + amount, top), digits)
        for k, byte in enumerate(result):
            m[counter + k] = byte

    values = [0, top - amount, top - amount + 1, top, 9 if not wide else 1999,
              rng.randrange(top)]
    states = [State({counter + k: b for k, b in enumerate(_bcd(v, digits))}) for v in values]
    return draft(rng, category=B, family="bcd_add", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[counter - 1, counter + digits // 2],
                 description="decimal-mode add with saturation")


def to_digits(rng: random.Random) -> Draft:
    src = free_low(rng, 6)
    out = src + 2
    requests = [
        f"Split the byte at {lng(src)} (0-255) into decimal digits for the HUD: hundreds at "
        f"{lng(out)}, tens at {lng(out + 1)}, ones at {lng(out + 2)}.",
        f"Convert the binary value at {lng(src)} to three decimal digits, one per byte: "
        f"{lng(out)} = hundreds, {lng(out + 1)} = tens, {lng(out + 2)} = ones.",
    ]
    reference = lines(
        f"LDA {ab(src)}", "LDX #$00", "Hundreds:", "CMP #100", "BCC Tens", "SBC #100", "INX",
        "BRA Hundreds", "Tens:", f"STX {ab(out)}", "LDX #$00", "TensLoop:", "CMP #10",
        "BCC Ones", "SBC #10", "INX", "BRA TensLoop", "Ones:", f"STX {ab(out + 1)}",
        f"STA {ab(out + 2)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        v = m[src]
        m[out], m[out + 1], m[out + 2] = v // 100, v // 10 % 10, v % 10

    states = [State({src: v}) for v in (0, 9, 10, 99, 100, 255, 199, rng.randrange(256))]
    return draft(rng, category=B, family="to_digits", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=range(src - 1, out + 4), description="repeated subtraction by 100, 10")


def add16(rng: random.Random) -> Draft:
    a = free_low(rng, 6)
    b, out = a + 2, a + 4
    subtract = rng.random() < 0.5
    narrow = rng.random() < 0.5
    op, word = ("subtract", "minus") if subtract else ("add", "plus")
    requests = [
        f"Store the 16-bit word at {lng(a)} {word} the word at {lng(b)} at {lng(out)} "
        "(little-endian, wrapping at 16 bits).",
        f"16-bit {op}: {lng(out)} = [{lng(a)}] {'-' if subtract else '+'} [{lng(b)}], words "
        "stored low byte first; ignore overflow.",
    ]
    inst, flag = ("SBC", "SEC") if subtract else ("ADC", "CLC")
    if narrow:
        reference = lines(f"LDA {ab(a)}", flag, f"{inst} {ab(b)}", f"STA {ab(out)}",
                          f"LDA {ab(a + 1)}", f"{inst} {ab(b + 1)}", f"STA {ab(out + 1)}")
    else:
        reference = lines("REP #$20", f"LDA {ab(a)}", flag, f"{inst} {ab(b)}",
                          f"STA {ab(out)}", "SEP #$20")

    def model(m: Memory, _: dict[str, int]) -> None:
        x, y = m.word(a), m.word(b)
        m.set_word(out, (x - y) & 0xFFFF if subtract else (x + y) & 0xFFFF)

    pairs = ((0x00FF, 0x0001), (0x1234, 0x0FED), (0xFFFF, 0x0001), (0x0000, 0x0001),
             (0x8000, 0x8000), (rng.randrange(0x10000), rng.randrange(0x10000)))
    states = [State({a: x & 0xFF, a + 1: x >> 8, b: y & 0xFF, b + 1: y >> 8}) for x, y in pairs]
    return draft(rng, category=B, family="add16", difficulty=1 if not narrow else 2,
                 requests=requests, reference=reference, states=states, model=model,
                 watch=range(a - 1, out + 3), description="16-bit add/subtract")


def abs16(rng: random.Random) -> Draft:
    var = free_low(rng, 2)
    requests = [
        f"Replace the signed 16-bit value at {lng(var)} with its absolute value ($8000 stays "
        "$8000).",
        f"Make the two's-complement word at {lng(var)} non-negative (negate it when bit 15 is "
        "set).",
    ]
    reference = lines("REP #$20", f"LDA {ab(var)}", "BPL Done", "EOR #$FFFF", "INC A",
                      f"STA {ab(var)}", "Done:", "SEP #$20")

    def model(m: Memory, _: dict[str, int]) -> None:
        v = m.word(var)
        if v & 0x8000:
            m.set_word(var, (-v) & 0xFFFF)

    states = _word_states(rng, var, [0x0000, 0xFFFF, 0x8000, 0x7FFF, 0xFF00, 0x0100,
                                     rng.randrange(0x8000, 0x10000)])
    return draft(rng, category=B, family="abs16", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[var - 1, var + 2], description="two's-complement negate")


def max16(rng: random.Random) -> Draft:
    a = free_low(rng, 6)
    b, out = a + 2, a + 4
    signed = rng.random() < 0.5
    kind = "signed" if signed else "unsigned"
    smaller = rng.random() < 0.5
    which = "smaller" if smaller else "larger"
    requests = [
        f"Store the {which} of the two {kind} 16-bit words at {lng(a)} and {lng(b)} at "
        f"{lng(out)}.",
        f"{lng(out)} = {'min' if smaller else 'max'}([{lng(a)}], [{lng(b)}]), comparing the "
        f"words as {kind} numbers.",
    ]
    if not signed:
        reference = lines("REP #$20", f"LDA {ab(a)}", f"CMP {ab(b)}",
                          "BCC ALess", f"LDA {ab(b if smaller else a)}", "BRA Store", "ALess:",
                          f"LDA {ab(a if smaller else b)}", "Store:", f"STA {ab(out)}",
                          "SEP #$20")
    if signed:
        # A < B: take A for the minimum, B for the maximum.
        reference = lines("REP #$20", f"LDA {ab(a)}", "SEC", f"SBC {ab(b)}", "BVC NoOverflow",
                          "EOR #$8000", "NoOverflow:", "BMI ALess",
                          f"LDA {ab(b if smaller else a)}", "BRA Store", "ALess:",
                          f"LDA {ab(a if smaller else b)}", "Store:", f"STA {ab(out)}",
                          "SEP #$20")

    def model(m: Memory, _: dict[str, int]) -> None:
        x, y = m.word(a), m.word(b)
        if signed:
            x, y = x - ((x & 0x8000) << 1), y - ((y & 0x8000) << 1)
        r = min(x, y) if smaller else max(x, y)
        m.set_word(out, r & 0xFFFF)

    pairs = ((1, 2), (2, 1), (0x7FFF, 0x8000), (0x8000, 0x7FFF), (0xFFFF, 0x0001),
             (0x1234, 0x1234), (0x0100, 0x00FF), (0x8001, 0xFFFE))
    states = [State({a: x & 0xFF, a + 1: x >> 8, b: y & 0xFF, b + 1: y >> 8}) for x, y in pairs]
    return draft(rng, category=B, family="max16", difficulty=2 if not signed else 3,
                 requests=requests, reference=reference, states=states, model=model,
                 watch=range(a - 1, out + 3), description="16-bit compare and select")


def multiply_const(rng: random.Random) -> Draft:
    factor = rng.choice((3, 5, 6, 10, 12, 24, 40))
    src = free_low(rng, 4)
    out = src + 1
    requests = [
        f"Multiply the byte at {lng(src)} by {factor} and store the 16-bit product at "
        f"{lng(out)} (low byte first).",
        f"{lng(out)} (a word) = {factor} x the unsigned byte at {lng(src)}.",
    ]
    body = [f"LDA {ab(src)}", "AND #$00FF", "PHA"]
    for bit in bin(factor)[3:]:
        body.append("ASL A")
        if bit == "1":
            body += ["CLC", "ADC $01,S"]
    reference = lines("REP #$20", body, f"STA {ab(out)}", "PLA", "SEP #$20")

    def model(m: Memory, _: dict[str, int]) -> None:
        m.set_word(out, m[src] * factor)

    states = [State({src: v}) for v in (0, 1, 0xFF, 0x80, 0x7F, rng.randrange(256))]
    return draft(rng, category=B, family="multiply_const", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[src - 1, out + 2], description="shift-and-add multiply")


def add24(rng: random.Random) -> Draft:
    var = free_low(rng, 3)
    amount = rng.randrange(1, 0x10000)
    requests = [
        f"Add {amount} to the 24-bit counter at {lng(var)} (3 bytes, low byte first), "
        "wrapping at 24 bits.",
        f"Increase the three-byte little-endian total at {lng(var)} by {h(amount, 4)}.",
    ]
    reference = lines("REP #$20", f"LDA {ab(var)}", "CLC", f"ADC #{h(amount, 4)}",
                      f"STA {ab(var)}", "SEP #$20", f"LDA {ab(var + 2)}", "ADC #$00",
                      f"STA {ab(var + 2)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        v = (m.word(var) | m[var + 2] << 16) + amount
        m.set_word(var, v & 0xFFFF)
        m[var + 2] = (v >> 16) & 0xFF

    states = [State({var: v & 0xFF, var + 1: (v >> 8) & 0xFF, var + 2: v >> 16}) for v in (
        0, 0xFFFFFF, 0x00FFFF, 0x10000 - amount, 0x12FFFF - amount + 1, rng.randrange(1 << 24))]
    return draft(rng, category=B, family="add24", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[var - 1, var + 3], description="carry into a third byte")


# --- intermediate_ops -------------------------------------------------------------------------

def jump_table(rng: random.Random) -> Draft:
    count = rng.randrange(3, 7)
    state = free_low(rng, 2)
    out = state + 1
    values = rng.sample(range(1, 0x100), count)
    actions = [rng.choice(("store", "increment", "clear")) for _ in range(count)]
    described = []
    for k, (action, value) in enumerate(zip(actions, values, strict=True)):
        described.append({"store": f"{k}: store {h(value)} at {lng(out)}",
                          "increment": f"{k}: add 1 to {lng(out)}",
                          "clear": f"{k}: store 0 at {lng(out)} and set the state to 0"}[action])
    requests = [
        f"Dispatch on the state byte at {lng(state)} (0-{count - 1}) to one handler per "
        f"state: {'; '.join(described)}. Any other state does nothing.",
        f"Write a state machine step: the state is the byte at {lng(state)}. Per state: "
        f"{'; '.join(described)}. States {count} and up: no effect.",
    ]
    handlers = []
    for k, (action, value) in enumerate(zip(actions, values, strict=True)):
        body = {"store": [f"LDA #{h(value)}", f"STA {ab(out)}"],
                "increment": [f"INC {ab(out)}"],
                "clear": [f"STZ {ab(out)}", f"STZ {ab(state)}"]}[action]
        handlers += [f"State{k}:", *body, "RTS"]
    reference = lines(
        f"LDA {ab(state)}", f"CMP #{h(count)}", "BCS Done", "ASL A", "TAX",
        "JMP (Handlers,X)", "Done:", "RTS",
        f"Handlers: dw {', '.join(f'State{k}' for k in range(count))}", handlers)

    def model(m: Memory, _: dict[str, int]) -> None:
        s = m[state]
        if s >= count:
            return
        action = actions[s]
        if action == "store":
            m[out] = values[s]
        elif action == "increment":
            m[out] = (m[out] + 1) & 0xFF
        else:
            m[out] = 0
            m[state] = 0

    states = [State({state: k, out: rng.randrange(1, 0xFF)}) for k in range(count)]
    states += [State({state: count, out: 0x44}), State({state: 0x80, out: 0xFF}),
               State({state: count - 1, out: 0xFF})]
    return draft(rng, category=MID, family="jump_table", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[state - 1, out + 1], description="JMP (abs,X) dispatch")


def word_lookup(rng: random.Random) -> Draft:
    count = rng.randrange(4, 9)
    values = [rng.randrange(0x10000) for _ in range(count)]
    index_at = free_low(rng, 4)
    out = index_at + 1
    listing = ", ".join(h(v, 4) for v in values)
    requests = [
        f"Look up the byte at {lng(index_at)} (0-{count - 1}) in this table of 16-bit "
        f"values and store the entry at {lng(out)} (low byte first): {listing}. An index out "
        "of range changes nothing.",
        f"Given an index 0-{count - 1} in {lng(index_at)}, write the matching word from the "
        f"list {listing} to {lng(out)}; any larger index leaves {lng(out)} alone.",
    ]
    reference = lines(f"LDA {ab(index_at)}", f"CMP #{h(count)}", "BCS Done", "ASL A", "TAX",
                      "REP #$20", "LDA.l Table,X", f"STA {ab(out)}", "SEP #$20", "Done:", "RTS",
                      f"Table: dw {listing}")

    def model(m: Memory, _: dict[str, int]) -> None:
        if m[index_at] < count:
            m.set_word(out, values[m[index_at]])

    states = [State({index_at: k}) for k in sorted({0, count - 1, 1, count // 2, count, 0xFF})]
    return draft(rng, category=MID, family="word_lookup", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[index_at - 1, out + 2], description="a dw table indexed by 2*i")


def sword_damage(rng: random.Random) -> Draft:
    damage = sorted(rng.sample(range(1, 0x20), 5))
    listing = ", ".join(str(d) for d in damage)
    requests = [
        f"X is a sprite slot. Hit that sprite with Link's sword: the damage depends on the "
        f"sword level at $7EF359 (0-4): {listing}. Subtract it from the sprite's hit points "
        "($0E50,X); if that reaches zero or less, set its HP to 0 and its state ($0DD0,X) to "
        "6 (dying). Keep X.",
        f"Apply sword damage to the sprite in slot X: damage by sword level ($7EF359 = 0..4) "
        f"is {listing}. HP at $0E50,X drops by that much; at 0 or below, HP = 0 and state "
        "$0DD0,X = 6. X must be preserved.",
    ]
    requests = [r + " A sword level above 4 counts as 4." for r in requests]
    reference = lines(
        "PHX", "LDA.l $7EF359", "CMP #$05", "BCC Level", "LDA #$04", "Level:", "TAX",
        "LDA.l Damage,X", "PLX", "PHA",
        f"LDA {ab(SPRITE_HP)},X", "SEC", "SBC $01,S", "BEQ Dead", "BCS Alive", "Dead:",
        "LDA #$06", f"STA {ab(SPRITE_STATE)},X", "LDA #$00", "Alive:",
        f"STA {ab(SPRITE_HP)},X", "PLA", "RTS", f"Damage: db {', '.join(h(d) for d in damage)}")

    def model(m: Memory, regs: dict[str, int]) -> Outcome:
        slot = regs["x"]
        hp = m[SPRITE_HP + slot] - damage[min(m[SWORD], 4)]
        if hp <= 0:
            m[SPRITE_HP + slot], m[SPRITE_STATE + slot] = 0, 6
        else:
            m[SPRITE_HP + slot] = hp
        return Outcome(registers={"x": slot})

    states = []
    for slot, level, hp in ((0, 0, 0x20), (15, 4, damage[4]), (7, 2, damage[2] - 1 or 0),
                            (3, 1, damage[1] + 1), (9, 3, 0xFF), (12, 5, damage[4] + 1),
                            (6, 0xFF, damage[4])):
        states.append(State({SWORD: level, SPRITE_HP + slot: hp, SPRITE_STATE + slot: 9},
                            {"x": slot}))
    return draft(rng, category=MID, family="sword_damage", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, registers=["x"],
                 description="table lookup, subtract, kill on zero")


def velocity_table(rng: random.Random) -> Draft:
    speed = rng.randrange(0x08, 0x40)
    diag = (speed * 3) // 4
    dirs = [(0, -speed), (diag, -diag), (speed, 0), (diag, diag), (0, speed), (-diag, diag),
            (-speed, 0), (-diag, -diag)]
    requests = [
        f"X is a sprite slot; its direction ($0DE0,X) is 0-7 clockwise from up (0 up, 1 "
        f"up-right, 2 right, ..., 7 up-left). Set its signed velocities, X at $0D50,X and Y at "
        f"$0D40,X: {speed} along an axis, {diag} on each axis for diagonals, 0 otherwise. "
        "Keep X.",
        f"Give the sprite in slot X a speed of {speed} in the direction $0DE0,X (eight "
        f"directions, 0 = up, going clockwise; diagonals use {diag} per axis): write the "
        "signed X velocity to $0D50,X and the Y velocity to $0D40,X (down is positive Y). "
        "X must survive.",
    ]
    requests = [r + " Only the low three bits of the direction byte count." for r in requests]
    reference = lines("LDA $0DE0,X", "AND #$07", "PHX", "TAX", "LDA.l XSpeed,X", "PLX",
                      "STA $0D50,X", "LDA $0DE0,X", "AND #$07", "PHX", "TAX", "LDA.l YSpeed,X",
                      "PLX", "STA $0D40,X",
                      "RTS",
                      f"XSpeed: db {', '.join(h(d[0] & 0xFF) for d in dirs)}",
                      f"YSpeed: db {', '.join(h(d[1] & 0xFF) for d in dirs)}")

    def model(m: Memory, regs: dict[str, int]) -> Outcome:
        slot = regs["x"]
        vx, vy = dirs[m[0x7E0DE0 + slot] & 7]
        m[0x7E0D50 + slot], m[0x7E0D40 + slot] = vx & 0xFF, vy & 0xFF
        return Outcome(registers={"x": slot})

    states = [State({0x7E0DE0 + slot: d, 0x7E0D50 + slot: 0x11, 0x7E0D40 + slot: 0x22},
                    {"x": slot}) for slot, d in ((0, 0), (5, 3), (15, 7), (8, 6), (2, 1),
                                                  (4, 0x0D), (11, 0xF8))]
    return draft(rng, category=MID, family="velocity_table", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model, registers=["x"],
                 description="two parallel tables indexed by direction")


def clamp_range(rng: random.Random) -> Draft:
    var = free_low(rng)
    signed = rng.random() < 0.5
    if signed:
        low, high = -rng.randrange(4, 0x40), rng.randrange(4, 0x40)
    else:
        low, high = rng.randrange(0x08, 0x60), rng.randrange(0x80, 0xF0)
    kind = "signed" if signed else "unsigned"
    requests = [
        f"Clamp the {kind} byte at {lng(var)} into the range {low} to {high} (inclusive).",
        f"Keep the {kind} value at {lng(var)} between {low} and {high}: below the range, "
        "store the low bound; above, the high bound.",
    ]
    if signed:
        # Bias by $80 so an unsigned compare orders signed values.
        reference = lines(f"LDA {ab(var)}", "EOR #$80", f"CMP #{h((low & 0xFF) ^ 0x80)}",
                          "BCS NotLow", f"LDA #{h(low & 0xFF)}", "BRA Store", "NotLow:",
                          f"CMP #{h(((high & 0xFF) ^ 0x80) + 1)}", "BCC Done",
                          f"LDA #{h(high & 0xFF)}", "Store:", f"STA {ab(var)}", "Done:")
    else:
        reference = lines(f"LDA {ab(var)}", f"CMP #{h(low)}", "BCS NotLow", f"LDA #{h(low)}",
                          "BRA Store", "NotLow:", f"CMP #{h(high + 1)}", "BCC Done",
                          f"LDA #{h(high)}", "Store:", f"STA {ab(var)}", "Done:")

    def model(m: Memory, _: dict[str, int]) -> None:
        v = m[var]
        if signed:
            v -= (v & 0x80) << 1
        m[var] = max(low, min(high, v)) & 0xFF

    values = [low, low - 1, high, high + 1, 0x80 if signed else 0, 0x7F if signed else 0xFF,
              (low + high) // 2]
    middle = ((low + high) // 2) & 0xFF     # neighbours inside the range: a misread shows
    states = [State({var: v & 0xFF, var - 1: middle, var + 1: middle}) for v in values]
    return draft(rng, category=MID, family="clamp_range", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[var - 1, var + 1], description="two-sided clamp")


# --- advanced_ops ---------------------------------------------------------------------------

def rle_decode(rng: random.Random) -> Draft:
    runs = [(rng.randrange(1, 9), rng.randrange(0x100)) for _ in range(rng.randrange(3, 7))]
    data = [b for run in runs for b in run] + [0]
    dest = free_block(rng, 64)
    total = sum(n for n, _ in runs)
    requests = [
        f"Decompress run-length data into WRAM at {lng(dest)}. The data is the byte list "
        f"below (put it in your code as a table): pairs of (count, value), each meaning "
        f"'count copies of value', ended by a count of 0. Data: "
        f"{', '.join(h(b) for b in data)}.",
        f"Expand this RLE stream to {lng(dest)}: (count, byte) pairs, count 0 terminates. "
        f"Stream bytes: {', '.join(h(b) for b in data)}. Include the stream as data in your "
        "routine.",
    ]
    reference = lines(
        "LDX #$00", "LDY #$00", "Run:", "LDA.l Stream,X", "BEQ Done", "STA $00", "INX",
        "LDA.l Stream,X", "INX", "Copy:", "PHX", "TYX", f"STA.l {lng(dest)},X", "PLX", "INY",
        "DEC $00", "BNE Copy", "BRA Run", "Done:", "RTS",
        f"Stream: db {', '.join(h(b) for b in data)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        k = 0
        for n, v in runs:
            for _ in range(n):
                m[dest + k] = v
                k += 1
        m[0x7E0000] = 0     # the run counter lives in $00 (scratch the request allows)

    states = [State({**{dest + k: rng.randrange(256) for k in range(-1, total + 1)},
                     0x7E0000: rng.randrange(256)}) for _ in range(2)]
    requests = [r + " You may use the direct-page byte $00 as a counter; it must end at 0."
                for r in requests]
    return draft(rng, category=ADV, family="rle_decode", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 description="a decompression loop over a data table")


def string_copy(rng: random.Random) -> Draft:
    dest = free_block(rng, 40)
    requests = [
        f"The 24-bit pointer in direct page $00-$02 points at a zero-terminated string. Copy "
        f"it, terminator included, to {lng(dest)}, and return its length (without the "
        "terminator) in Y.",
        f"Copy the 0-terminated byte string addressed by the long pointer at $00 (low, high, "
        f"bank) to {lng(dest)} including the 0, leaving the number of characters before the "
        "0 in Y.",
    ]
    reference = lines("LDY #$00", "Loop:", "TYX", "LDA [$00],Y", f"STA.l {lng(dest)},X",
                      "BEQ Done", "INY", "BRA Loop", "Done:")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        src = m[0x7E0000] | m[0x7E0001] << 8 | m[0x7E0002] << 16
        for k in range(0x100):
            m[dest + k] = m[src + k]
            if m[src + k] == 0:
                return Outcome(registers={"y": k})
        raise GenerationError("string_copy: a string with no terminator")

    states = []
    for length in (0, 1, rng.randrange(5, 20), 31):
        src = free_block(rng, 40)
        while abs(src - dest) < 48:     # the string and the copy must not overlap
            src = free_block(rng, 40)
        text = [rng.randrange(1, 256) for _ in range(length)] + [0]
        memory = {0x7E0000: src & 0xFF, 0x7E0001: (src >> 8) & 0xFF, 0x7E0002: src >> 16}
        memory.update({src + k: b for k, b in enumerate(text)})
        memory.update({dest + k: 0xEE for k in range(-1, length + 2) if dest + k not in memory})
        states.append(State(memory))
    return draft(rng, category=ADV, family="string_copy", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, registers=["y"],
                 description="walking a long pointer with [dp],Y")


def list_walk(rng: random.Random) -> Draft:
    out = free_low(rng)
    count_only = rng.random() < 0.4
    requests = [
        f"Walk a linked list in bank $7F: the 16-bit word at $7E0000 is the address (in bank "
        f"$7F) of the first node, 0 meaning an empty list. Each node starts with the 16-bit "
        f"address of the next node (0 ends the list) followed by a value byte. Store the sum "
        f"of the value bytes (8-bit, wrapping) at {lng(out)}.",
        f"Sum the value bytes of a list of nodes in bank $7F (node = next-pointer word, then "
        f"a value byte; a pointer of 0 ends it). The head pointer is the word at $00 in "
        f"direct page. Write the 8-bit wrapped total to {lng(out)}.",
    ]
    if count_only:
        requests = [
            "Count the nodes of a linked list in bank $7F: the word at $7E0000 (direct page "
            "$00) is the first node's address in bank $7F, 0 for an empty list; each node "
            f"starts with the word address of the next node (0 ends it). Store the count at "
            f"{lng(out)}.",
            "How long is the list? Nodes live in bank $7F and begin with a 16-bit pointer to "
            "the next node (0 = last); the head pointer is the word at $00 in direct page (0 = "
            f"empty). Write the number of nodes to {lng(out)}.",
        ]
    reference = lines(
        "PHB", "LDA #$7F", "PHA", "PLB", "REP #$10", "LDX $00", "LDA #$00", "Loop:",
        "CPX #$0000", "BEQ Done", *(["INC A"] if count_only else ["CLC", "ADC $0002,X"]),
        "LDY $0000,X", "TYX", "BRA Loop",
        "Done:", "SEP #$10", "PLB", f"STA.l {lng(out)}")

    def model(m: Memory, regs: dict[str, int]) -> Outcome:
        node, total = m.word(0x7E0000), 0
        while node:
            total += 1 if count_only else m[0x7F0000 + node + 2]
            node = m.word(0x7F0000 + node)
        m[out] = total & 0xFF
        return Outcome(registers={"dbr": regs["dbr"]})

    states = []
    for count in (0, 1, 3, rng.randrange(4, 8)):
        nodes = [0x5000 + rng.randrange(0, 0x2F0) * 8 for _ in range(count)]
        while len(set(nodes)) < count:
            nodes = [0x5000 + rng.randrange(0, 0x2F0) * 8 for _ in range(count)]
        memory = {0x7E0000: (nodes[0] if nodes else 0) & 0xFF,
                  0x7E0001: (nodes[0] if nodes else 0) >> 8}
        for k, node in enumerate(nodes):
            nxt = nodes[k + 1] if k + 1 < count else 0
            memory.update({0x7F0000 + node: nxt & 0xFF, 0x7F0001 + node: nxt >> 8,
                           0x7F0002 + node: rng.choice((0xFF, 0x80, rng.randrange(256)))})
        states.append(State(memory))
    return draft(rng, category=ADV, family="list_walk", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, registers=["dbr"],
                 watch=[out - 1, out, out + 1],
                 description="pointer chasing with the data bank switched and restored")


def bank_copy(rng: random.Random) -> Draft:
    count = rng.randrange(4, 0x60)
    src = free_block(rng, count + 2)
    dest = 0x7E0000 | rng.randrange(0x1E00, 0x1F00 - count - 1)
    requests = [
        f"Copy {count} bytes from {lng(src)} to {lng(dest)}. The data bank register must be "
        "the same on return as on entry.",
        f"Move a {count}-byte block from bank $7F ({lng(src)}) to bank $7E ({lng(dest)}); "
        "preserve DBR.",
    ]
    reference = lines("PHB", "REP #$30", f"LDX #{h(src & 0xFFFF, 4)}",
                      f"LDY #{h(dest & 0xFFFF, 4)}", f"LDA #{h(count - 1, 4)}", "MVN $7E,$7F",
                      "SEP #$30", "PLB")

    def model(m: Memory, regs: dict[str, int]) -> Outcome:
        for k in range(count):
            m[dest + k] = m[src + k]
        return Outcome(registers={"dbr": regs["dbr"]})

    states = [State({**{src + k: rng.randrange(256) for k in range(count)},
                     **{dest + k: 0x5A for k in (-1, count)}}) for _ in range(2)]
    return draft(rng, category=ADV, family="bank_copy", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model, registers=["dbr"],
                 watch=range(dest, dest + count),
                 description="a cross-bank block copy")


def checksum16(rng: random.Random) -> Draft:
    words = rng.randrange(4, 24)
    block = free_block(rng, 2 * words + 4, align=2)
    expected_at = block + 2 * words
    if rng.random() < 0.4:
        return _checksum_write(rng, words, block, expected_at)
    requests = [
        f"Verify a save block: add up the {words} 16-bit words at {lng(block)} (wrapping at "
        f"16 bits) and compare the sum with the word stored right after them "
        f"({lng(expected_at)}). Carry set if they match, clear if not. Change no memory.",
        f"Checksum test: 16-bit wrapping sum of {words} little-endian words starting at "
        f"{lng(block)}; return carry set when it equals the word at {lng(expected_at)}, "
        "carry clear otherwise.",
    ]
    reference = lines(
        "REP #$30", "LDA #$0000", f"LDX #{h(2 * words - 2, 4)}", "Loop:", "CLC",
        f"ADC.l {lng(block)},X", "DEX", "DEX", "BPL Loop", f"CMP.l {lng(expected_at)}",
        "BEQ Good", "SEP #$30", "CLC", "RTS", "Good:", "SEP #$30", "SEC", "RTS")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        total = sum(m.word(block + 2 * k) for k in range(words)) & 0xFFFF
        return Outcome(flags={"c": int(total == m.word(expected_at))})

    states = []
    for k in range(4):
        data = [rng.randrange(0x10000) for _ in range(words)]
        total = sum(data) & 0xFFFF
        stored = total if k % 2 else (total + rng.choice((1, 0x100, 0xFFFF))) & 0xFFFF
        memory = {}
        for n, w in enumerate([*data, stored]):
            memory[block + 2 * n], memory[block + 2 * n + 1] = w & 0xFF, w >> 8
        states.append(State(memory))
    # The first word alone wrong by the difference the last one makes: both ends are summed.
    return draft(rng, category=ADV, family="checksum16", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, flags=["c"],
                 description="a 16-bit sum loop with a compare")


def _checksum_write(rng: random.Random, words: int, block: int, out: int) -> Draft:
    requests = [
        f"Seal a save block: store at {lng(out)} the inverse checksum of the {words} 16-bit "
        f"words at {lng(block)}, that is $5A5A minus their 16-bit wrapping sum (low byte "
        "first).",
        f"Write $5A5A - (16-bit sum of the {words} little-endian words from {lng(block)}) to "
        f"the word at {lng(out)}, wrapping at 16 bits.",
    ]
    reference = lines(
        "REP #$30", "LDA #$0000", f"LDX #{h(2 * words - 2, 4)}", "Loop:", "CLC",
        f"ADC.l {lng(block)},X", "DEX", "DEX", "BPL Loop", "EOR #$FFFF", "SEC",
        "ADC #$5A5A", f"STA.l {lng(out)}", "SEP #$30")

    def model(m: Memory, _: dict[str, int]) -> None:
        total = sum(m.word(block + 2 * k) for k in range(words))
        m.set_word(out, (0x5A5A - total) & 0xFFFF)

    states = [State({block + k: rng.randrange(256) for k in range(2 * words)})
              for _ in range(3)]
    states.append(State({block + k: 0xFF for k in range(2 * words)}))
    return draft(rng, category=ADV, family="checksum_write", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[out, out + 1], description="an inverse checksum like ALTTP's saves")


def insertion_sort(rng: random.Random) -> Draft:
    count = rng.randrange(3, 9)
    array = free_low(rng, count + 2)
    descending = rng.random() < 0.4
    order = "descending" if descending else "ascending"
    requests = [
        f"Sort the {count} unsigned bytes at {lng(array)} into {order} order, in place.",
        f"Put the {count}-byte array at {lng(array)} in {order} order (unsigned values), "
        "sorting it where it is.",
    ]
    branch = "BCS Place" if not descending else "BCC Place"
    reference = lines(
        "LDX #$01", "Outer:", f"LDA {ab(array)},X", "TXY", "Inner:", "DEY", "BMI Place",
        f"CMP {ab(array)},Y", branch, "PHA", f"LDA {ab(array)},Y", f"STA {ab(array + 1)},Y",
        "PLA", "BRA Inner", "Place:", "INY", f"STA {ab(array)},Y", "INX", f"CPX #{h(count)}",
        "BCC Outer")

    def model(m: Memory, _: dict[str, int]) -> None:
        values = sorted((m[array + k] for k in range(count)), reverse=descending)
        for k, v in enumerate(values):
            m[array + k] = v

    states = []
    for kind in range(5):
        values = [rng.randrange(256) for _ in range(count)]
        if kind == 1:
            values = sorted(values)
        if kind == 2:
            values = sorted(values, reverse=True)
        if kind == 3:
            values = [0x80, 0x7F, 0xFF, 0x00, 0x80, 0x01, 0xFE, 0x7F][:count]
        states.append(State({array + k: v for k, v in enumerate(values)}))
    return draft(rng, category=ADV, family="insertion_sort", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[array - 1, array + count], description="insertion sort in place")


# --- generation -----------------------------------------------------------------------------

def find_extreme(rng: random.Random) -> Draft:
    count = rng.randrange(4, 40)
    array = free_block(rng, count)
    out = free_low(rng, 2)
    biggest = rng.random() < 0.5
    word = "largest" if biggest else "smallest"
    requests = [
        f"Find the {word} of the {count} unsigned bytes at {lng(array)}. Store the value at "
        f"{lng(out)} and the index of its first occurrence at {lng(out + 1)}.",
        f"Scan the {count}-byte array at {lng(array)} for its {word} value (unsigned): value "
        f"to {lng(out)}, lowest index holding it to {lng(out + 1)}.",
    ]
    keep = "BCS Next" if biggest else "BCC Next"
    reference = lines(
        f"LDA.l {lng(array)}", "LDY #$00", "LDX #$01", "Loop:", f"CPX #{h(count)}",
        "BCS Done", f"CMP.l {lng(array)},X", "BEQ Next", keep,
        f"LDA.l {lng(array)},X", "TXY", "Next:", "INX", "BRA Loop", "Done:", f"STA {ab(out)}",
        f"STY {ab(out + 1)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        values = [m[array + k] for k in range(count)]
        target = max(values) if biggest else min(values)
        m[out], m[out + 1] = target, values.index(target)

    states = []
    for kind in range(9):
        # kinds 5-8 draw from a few values only: ties, and the extreme anywhere
        values = [rng.randrange(1, 255) if kind < 5 else rng.choice((0x01, 0x7F, 0x80, 0xFE))
                  for _ in range(count)]
        if kind == 1:
            values[-1] = 0xFF if biggest else 0
        if kind == 2:
            values[0] = 0xFF if biggest else 0
        if kind == 3:
            values[1] = values[count - 2] = 0xFF if biggest else 0
        edge = 0xFF if biggest else 0x00     # just outside the array: must not be read
        states.append(State({array - 1: edge, array + count: edge,
                             **{array + k: v for k, v in enumerate(values)}}))
    return draft(rng, category=G, family="find_extreme", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[out - 1, out, out + 1, out + 2], description="a min/max scan")


def reverse_array(rng: random.Random) -> Draft:
    count = rng.randrange(2, 40)
    array = free_block(rng, count + 2)
    requests = [
        f"Reverse the order of the {count} bytes at {lng(array)} in place.",
        f"Flip the {count}-byte buffer at {lng(array)} end for end (first byte becomes last).",
    ]
    reference = lines(
        "LDX #$00", "Loop:", f"CPX #{h(count // 2)}", "BCS Done",
        f"LDA.l {lng(array)},X", "PHA", "TXA", "EOR #$FF", "CLC", f"ADC #{h(count)}", "TAY",
        "PHX", "TYX", f"LDA.l {lng(array)},X", "PLX", f"STA.l {lng(array)},X", "PLA",
        "PHX", "TYX", f"STA.l {lng(array)},X", "PLX", "INX", "BRA Loop", "Done:")

    def model(m: Memory, _: dict[str, int]) -> None:
        values = [m[array + k] for k in range(count)][::-1]
        for k, v in enumerate(values):
            m[array + k] = v

    states = [State({array + k: rng.randrange(256) for k in range(-1, count + 1)})
              for _ in range(3)]
    return draft(rng, category=G, family="reverse_array", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 description="swap from both ends")


def compare_blocks(rng: random.Random) -> Draft:
    count = rng.randrange(2, 32)
    a = free_block(rng, count)
    b = 0x7E0000 | rng.randrange(0x1E00, 0x1F00 - count)
    requests = [
        f"Compare the {count} bytes at {lng(a)} with the {count} bytes at {lng(b)}: carry set "
        "if they are all equal, carry clear if any differs.",
        f"Return carry set when the two {count}-byte buffers {lng(a)} and {lng(b)} hold the "
        "same bytes, carry clear otherwise.",
    ]
    reference = lines(f"LDX #{h(count - 1)}", "Loop:", f"LDA.l {lng(a)},X",
                      f"CMP.l {lng(b)},X", "BNE Differ", "DEX", "BPL Loop", "SEC", "RTS",
                      "Differ:", "CLC", "RTS")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        same = all(m[a + k] == m[b + k] for k in range(count))
        return Outcome(flags={"c": int(same)})

    states = []
    for where, delta in ((None, 0), (0, 1), (count - 1, -1), (None, 0), (count // 2, 1),
                         (count // 2, -1)):
        data = [rng.randrange(1, 255) for _ in range(count)]
        other = list(data)
        if where is not None:     # one byte above or below: carry after the compare varies
            other[where] += delta
        states.append(State({**{a + k: v for k, v in enumerate(data)},
                             **{b + k: v for k, v in enumerate(other)}}))
    return draft(rng, category=G, family="compare_blocks", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model, flags=["c"],
                 description="memcmp with a flag result")


def scale_pairs(rng: random.Random) -> Draft:
    count = rng.randrange(2, 6)
    array = free_low(rng, 2 * count + 2)
    shift = rng.randrange(1, 4)
    requests = [
        f"There are {count} 16-bit values at {lng(array)} (low byte first). Multiply each by "
        f"{1 << shift} (wrapping at 16 bits) using a subroutine that handles one value, "
        "called once per value.",
        f"Double each of the {count} words at {lng(array)} {shift} time(s) (i.e. times "
        f"{1 << shift}, 16-bit wrap). Put the per-word work in a subroutine you call for each "
        "word.",
    ]
    reference = lines(
        "LDX #$00", "Loop:", "JSR Scale", "INX", "INX", f"CPX #{h(2 * count)}", "BCC Loop",
        "RTS", "Scale:", "REP #$20", f"LDA {ab(array)},X", ["ASL A"] * shift,
        f"STA {ab(array)},X", "SEP #$20", "RTS")

    def model(m: Memory, _: dict[str, int]) -> None:
        for k in range(count):
            m.set_word(array + 2 * k, (m.word(array + 2 * k) << shift) & 0xFFFF)

    states = [State({array + k: rng.randrange(256) for k in range(-1, 2 * count + 1)})
              for _ in range(3)]
    return draft(rng, category=G, family="scale_pairs", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 description="a loop calling a subroutine per element")


def count_value(rng: random.Random) -> Draft:
    count = rng.randrange(4, 64)
    array = free_block(rng, count)
    out = free_low(rng)
    value = rng.randrange(1, 255)
    at_least = rng.random() < 0.5
    if at_least:
        requests = [
            f"Count how many of the {count} unsigned bytes at {lng(array)} are {h(value)} or "
            f"more and store the count at {lng(out)}.",
            f"Store at {lng(out)} how many entries of the {count}-byte table at {lng(array)} "
            f"are at least {h(value)} (unsigned).",
        ]
    else:
        requests = [
            f"Count how many of the {count} bytes at {lng(array)} equal {h(value)} and store "
            f"the count at {lng(out)}.",
            f"Store at {lng(out)} the number of occurrences of {h(value)} in the {count}-byte "
            f"table at {lng(array)}.",
        ]
    reference = lines("LDY #$00", f"LDX #{h(count - 1)}", "Loop:", f"LDA.l {lng(array)},X",
                      f"CMP #{h(value)}", "BCC Next" if at_least else "BNE Next", "INY",
                      "Next:", "DEX", "BPL Loop", f"STY {ab(out)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        m[out] = sum(1 for k in range(count) if (m[array + k] >= value if at_least
                                                 else m[array + k] == value))

    # The bytes around the table hold a value that is never counted.
    around = {array - 1: value - 1, array + count: value - 1}
    states = [State({**around, **{array + k: v for k in range(count)}})
              for v in (value, value - 1, value + 1)]
    for _ in range(2):
        data = [rng.choice((value, value - 1, value + 1, rng.randrange(256)))
                for _ in range(count)]
        states.append(State({**around, **{array + k: v for k, v in enumerate(data)}}))
    return draft(rng, category=G, family="count_value", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[out - 1, out, out + 1], description="count matches in a table")


BASIC_FAMILIES = (bcd_add, to_digits, add16, abs16, max16, multiply_const, add24)
INTERMEDIATE_FAMILIES = (jump_table, word_lookup, sword_damage, velocity_table, clamp_range)
ADVANCED_FAMILIES = (rle_decode, string_copy, list_walk, bank_copy, checksum16,
                     insertion_sort)
def sum_bytes16(rng: random.Random) -> Draft:
    count = rng.randrange(3, 100)
    array = free_block(rng, count)
    out = free_low(rng, 2)
    requests = [
        f"Add up the {count} unsigned bytes at {lng(array)} into a 16-bit total and store it "
        f"at {lng(out)} (low byte first).",
        f"Write the 16-bit sum of the {count}-byte table at {lng(array)} (each byte 0-255) to "
        f"{lng(out)}.",
    ]
    reference = lines(
        "LDA #$00", f"STA {ab(out)}", f"STA {ab(out + 1)}", f"LDX #{h(count - 1)}", "Loop:",
        f"LDA.l {lng(array)},X", "CLC", f"ADC {ab(out)}", f"STA {ab(out)}", "BCC Next",
        f"INC {ab(out + 1)}", "Next:", "DEX", "BPL Loop")

    def model(m: Memory, _: dict[str, int]) -> None:
        m.set_word(out, sum(m[array + k] for k in range(count)))

    states = [State({array + k: rng.choice((0xFF, 0x80, rng.randrange(256)))
                     for k in range(count)}) for _ in range(3)]
    states.append(State({array + k: 0xFF for k in range(count)}))
    return draft(rng, category=G, family="sum_bytes16", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[out - 1, out, out + 1, out + 2], description="a sum with a carry byte")


def add_to_each(rng: random.Random) -> Draft:
    count = rng.randrange(2, 64)
    array = free_block(rng, count + 2)
    amount = rng.randrange(1, 0x80)
    saturate = rng.random() < 0.5
    limit = " stopping at $FF instead of wrapping" if saturate else " (wrapping)"
    requests = [
        f"Add {amount} to each of the {count} bytes at {lng(array)},{limit}.",
        f"Increase every byte of the {count}-byte buffer at {lng(array)} by {h(amount)}"
        f"{',' + limit if saturate else ' (8-bit wrap)'}.",
    ]
    reference = lines(f"LDX #{h(count - 1)}", "Loop:", f"LDA.l {lng(array)},X", "CLC",
                      f"ADC #{h(amount)}", ["BCC Store", "LDA #$FF", "Store:"] if saturate
                      else [], f"STA.l {lng(array)},X", "DEX", "BPL Loop")

    def model(m: Memory, _: dict[str, int]) -> None:
        for k in range(count):
            v = m[array + k] + amount
            m[array + k] = min(v, 0xFF) if saturate else v & 0xFF

    states = [State({array + k: rng.choice((0xFF, 0x00, 0xFF - amount, 0x100 - amount,
                                            rng.randrange(256)))
                     for k in range(-1, count + 1)}) for _ in range(3)]
    return draft(rng, category=G, family="add_to_each", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 description="an element-wise update loop")


GENERATION_FAMILIES = (find_extreme, reverse_array, compare_blocks, scale_pairs, count_value,
                       sum_bytes16, add_to_each)


def rle_literals(rng: random.Random) -> Draft:
    packets: list[tuple[str, list[int]]] = []
    kinds = ["run", "lit"] + [rng.choice(("run", "lit")) for _ in range(rng.randrange(1, 4))]
    rng.shuffle(kinds)     # at least one packet of each kind
    for kind in kinds:
        if kind == "run":
            packets.append(("run", [rng.randrange(2, 9), rng.randrange(256)]))
        else:
            packets.append(("lit", [rng.randrange(256) for _ in range(rng.randrange(1, 5))]))
    data: list[int] = []
    out_bytes: list[int] = []
    for kind, payload in packets:
        if kind == "run":
            data += [0x80 | payload[0], payload[1]]
            out_bytes += [payload[1]] * payload[0]
        else:
            data += [len(payload), *payload]
            out_bytes += payload
    data.append(0)
    dest = free_block(rng, len(out_bytes) + 2)
    stream = ", ".join(h(b) for b in data)
    requests = [
        f"Decompress this stream into WRAM at {lng(dest)}: a control byte of 0 ends it; with "
        "bit 7 set, the low 7 bits are a count and the next byte is repeated that many times; "
        "otherwise the control byte is a count of literal bytes that follow and are copied as "
        f"they are. Stream (put it in your code as data): {stream}. You may use the "
        "direct-page byte $00 as a counter; it must end at 0.",
        f"Unpack run/literal data to {lng(dest)}. Control byte c: c = 0 stop; c >= $80: "
        "write the following byte (c - $80) times; else copy the next c bytes. Data: "
        f"{stream} (include it in the routine). Direct-page $00 is yours as a counter and "
        "must be 0 at the end.",
    ]
    reference = lines(
        "LDX #$00", "LDY #$00", "Packet:", "LDA.l Stream,X", "BEQ Done", "INX", "CMP #$80",
        "BCC Literal", "AND #$7F", "STA $00", "LDA.l Stream,X", "INX", "Run:", "PHX", "TYX",
        f"STA.l {lng(dest)},X", "PLX", "INY", "DEC $00", "BNE Run", "BRA Packet", "Literal:",
        "STA $00", "Copy:", "LDA.l Stream,X", "INX", "PHX", "TYX", f"STA.l {lng(dest)},X",
        "PLX", "INY", "DEC $00", "BNE Copy", "BRA Packet", "Done:", "RTS",
        f"Stream: db {stream}")

    def model(m: Memory, _: dict[str, int]) -> None:
        for k, b in enumerate(out_bytes):
            m[dest + k] = b
        m[0x7E0000] = 0

    states = [State({**{dest + k: rng.randrange(256) for k in range(-1, len(out_bytes) + 1)},
                     0x7E0000: rng.randrange(1, 256)}) for _ in range(2)]
    return draft(rng, category=ADV, family="rle_literals", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 description="a two-mode decompression loop")


def hud_digits(rng: random.Random) -> Draft:
    base = rng.choice((0x2490, 0x3C90, 0x2800)) + rng.randrange(0, 0x10) * 0x10
    out = free_low(rng, 8)
    requests = [
        f"Draw the rupee count for the HUD: the 16-bit value at $7EF360 (0-999) becomes three "
        f"decimal digits, hundreds first, written as 16-bit tile words to {lng(out)}, "
        f"{lng(out + 2)} and {lng(out + 4)} (low byte first). The tile for digit d is "
        f"{h(base, 4)} + d.",
        f"Convert the rupees ($7EF360, a word holding 0-999) to three HUD tile words at "
        f"{lng(out)} (hundreds), {lng(out + 2)} (tens) and {lng(out + 4)} (ones): tile = "
        f"{h(base, 4)} plus the digit.",
    ]
    reference = lines(
        "REP #$30", "LDA.l $7EF360", "LDX #$0000", "Hundreds:", "CMP #$0064", "BCC Tens",
        "SBC #$0064", "INX", "BRA Hundreds", "Tens:", "LDY #$0000", "TensLoop:", "CMP #$000A",
        "BCC Ones", "SBC #$000A", "INY", "BRA TensLoop", "Ones:", "CLC", f"ADC #{h(base, 4)}",
        f"STA {ab(out + 4)}", "TYA", "CLC", f"ADC #{h(base, 4)}", f"STA {ab(out + 2)}", "TXA",
        "CLC", f"ADC #{h(base, 4)}", f"STA {ab(out)}", "SEP #$30")

    def model(m: Memory, _: dict[str, int]) -> None:
        value = m.word(0x7EF360)
        for k, digit in enumerate((value // 100, value // 10 % 10, value % 10)):
            m.set_word(out + 2 * k, base + digit)

    states = [State({0x7EF360: v & 0xFF, 0x7EF361: v >> 8}) for v in (
        0, 9, 10, 99, 100, 999, 505, rng.randrange(1000))]
    return draft(rng, category=B, family="hud_digits", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=range(out - 1, out + 7), description="binary to decimal tile words")


BASIC_FAMILIES = (*BASIC_FAMILIES, hud_digits)
ADVANCED_FAMILIES = (*ADVANCED_FAMILIES, rle_literals)
