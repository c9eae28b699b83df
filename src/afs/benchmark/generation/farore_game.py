"""Farore families about the player's state: bounded health, magic and rupee updates with
ALTTP's save-RAM addresses, BCD counters, joypad edge detection and progress bit flags.

Each family returns the fixed `Routine` (code, test inputs, request) and the bugs it can take
(`Inject`s, one per category it serves); `afs.benchmark.generation.farore` picks one.
"""

from __future__ import annotations

import random

from afs.benchmark.generation.farore_common import (
    HEALTH,
    HEALTH_MAX,
    MAGIC,
    PAD_HELD,
    RUPEES,
    SFX1,
    SFX2,
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


def _save(address: int, long_form: bool) -> str:
    """A save-RAM operand: long (`$7EF36D`) or through DBR = $7E (`$F36D`)."""
    return h(address, 6) if long_form else ab(address)


def heal(rng: random.Random) -> Built:
    """Refill health by an amount, never past the maximum (and not wrapping past 255)."""
    long_form = rng.random() < 0.5
    sfx = rng.random() < 0.6
    source = pick(rng, ("table", "constant", "pending"))
    with_magic = rng.random() < 0.35
    gain = rng.randrange(0x08, 0x40)
    cur, top = _save(HEALTH, long_form), _save(HEALTH_MAX, long_form)
    amounts = [8 * rng.randrange(1, 9) for _ in range(7)] + [0xA0]
    rng.shuffle(amounts)
    constant = 8 * rng.randrange(2, 13)
    add = {"table": "ADC.l HealAmount,X", "constant": f"ADC #{h(constant)}",
           "pending": f"ADC {_save(0x7EF372, long_form)}"}[source]
    lines = [f"LDA {cur}", "CLC", add, "BCS Full", f"CMP {top}", "BCC Store", "Full:",
             f"LDA {top}", "Store:", f"STA {cur}"]
    if source == "pending":
        lines += ["LDA #$00", f"STA {_save(0x7EF372, long_form)}"]
    if with_magic:
        lines += [f"LDA {_save(MAGIC, long_form)}", "CLC", f"ADC #{h(gain)}", "CMP #$80",
                  "BCC MagicOk", "LDA #$80", "MagicOk:", f"STA {_save(MAGIC, long_form)}"]
    sound = rng.randrange(1, 0x40)
    if sfx:
        lines += [f"LDA #{h(sound)}", f"STA {ab(SFX2)}"]
    lines.append("RTS")
    if source == "table":
        lines.append("HealAmount: db " + ", ".join(h(v) for v in amounts))
    cases = []
    for k in range(7):
        top_value = 8 * rng.randrange(3, 21)
        current = pick(rng, (rng.randrange(0, top_value), top_value - rng.randrange(1, 9),
                             top_value))
        low = k in (0, 1, 3, 4)     # far below the cap, carry set or clear on entry
        if low:
            top_value, current = 0xA0, rng.randrange(0, 0x10)
        mem = {HEALTH_MAX: top_value, HEALTH: current}
        init: dict[str, int] = {"p": 0x31 if k in (0, 3) else 0x30} if low else {}
        if source == "table":
            init["x"] = k if amounts[k] < 0x90 or not low else amounts.index(min(amounts))
        if source == "pending":
            mem[0x7EF372] = pick(rng, (8, 0x18, 0xA0, rng.randrange(1, 0x40)))
            if low:
                mem[0x7EF372] = rng.randrange(1, 0x40)
        if with_magic:      # sums just under, at and over the magic cap
            mem[MAGIC] = (0x7F - gain + k % 3) if k < 6 else rng.randrange(0, 0x81)
        cases.append(Case(mem, init))
    for k in range(4):          # any bytes at all, and a sum that wraps past 255
        mem = {HEALTH_MAX: rng.randrange(0x100), HEALTH: rng.randrange(0x100)}
        if k == 0:
            mem = {HEALTH_MAX: 0xFF, HEALTH: 0xF8 if source != "constant" else 0x100 - constant}
        init = {"x": rng.randrange(8)} if source == "table" else {}
        if source == "pending":
            mem[0x7EF372] = rng.randrange(0x100)
        if with_magic:
            mem[MAGIC] = rng.randrange(0x100)
        cases.append(Case(mem, init))
    what = {"table": "by entry X (0-7) of the HealAmount table after the code",
            "constant": f"by {constant // 8} hearts ({h(constant)} in eighths)",
            "pending": "by the pending refill amount at $7EF372, then clears that amount"}[source]
    spec = (f"It raises Link's health ($7EF36D) {what}, capped at his maximum ($7EF36C)."
            + (f" It also adds {h(gain)} to the magic meter $7EF36E, capped at $80."
               if with_magic else "")
            + (f" Then it queues sound {h(sound)} in $012F." if sfx else ""))
    routine = Routine("health_refill", lines, cases,
                      request(rng, say(rng, "This routine heals Link.",
                                       "Here is a healing routine from my hack.",
                                       "My potion/heart pickup code:"), spec))
    bugs = [Inject(1, [], "carry_flag", "the add starts with whatever carry the caller left: "
                   "one extra eighth of a heart when C is set", line=2),
            Inject("BCC Store", "BCS Store", "comparison_logic",
                   "the branch is inverted: health below the maximum is capped, health above "
                   "it is kept"),
            Inject(7, f"LDA {cur}", "memory_access",
                   "the cap reloads the current health instead of the maximum")]
    if source == "constant":
        bugs.append(Inject(2, f"ADC {h(constant)}", "addressing_mode",
                           "the amount is read from direct page instead of being an immediate"))
    if source == "table":
        bugs.append(Inject(2, "ADC HealAmount,X", "bank_boundary",
                           "the table is read through DBR ($7E, WRAM) instead of the code's "
                           "bank"))
    if source == "pending":
        bugs.append(Inject("BCS Full", [], "carry_flag",
                           "a sum past 255 wraps and is stored: the overflow carry is ignored"))
    return routine, bugs


def damage(rng: random.Random) -> Built:
    """Subtract damage from health; at zero or below, health is 0 and a death flag is set."""
    long_form = rng.random() < 0.5
    cur = _save(HEALTH, long_form)
    flag, = scratch(rng, 1)
    table = rng.random() < 0.5
    armour = rng.random() < 0.4
    damage_value = 8 * rng.randrange(1, 5)
    values = [4 * rng.randrange(1, 9) for _ in range(6)]
    hurt = rng.randrange(1, 0x40)
    lines = []
    if armour:      # armour halves the damage: $7EF35B is the mail level
        lines += ["LDA.l DamageTable,X" if table else f"LDA #{h(damage_value)}",
                  f"LDY {ab(0x7EF35B)}", "BEQ NoArmour", "LSR A", "NoArmour:",
                  f"STA {ab(flag + 1)}", f"LDA {cur}", "SEC", f"SBC {ab(flag + 1)}"]
    else:
        lines += [f"LDA {cur}", "SEC",
                  "SBC.l DamageTable,X" if table else f"SBC #{h(damage_value)}"]
    lines += ["BCC Dead", "BEQ Dead", f"STA {cur}", f"LDA #{h(hurt)}", f"STA {ab(SFX1)}",
              "RTS", "Dead:", "LDA #$00", f"STA {cur}", "LDA #$01", f"STA {ab(flag)}", "RTS"]
    if table:
        lines.append("DamageTable: db " + ", ".join(h(v) for v in values))
    cases = []
    healths = [0xA0, 0x98, 0x88, 0x10, 0x04, 0x08, 0x20, 0x84, 0x00, 0x01, 0x03]
    for k, health in enumerate(healths):
        mem = {HEALTH: health, flag: 0}
        init: dict[str, int] = {"p": 0x30 if k % 2 else 0x31}
        if table:
            init["x"] = k % 6
        if armour:
            mem[0x7EF35B] = k % 3 if k < 8 else 0      # the last ones: less than the damage
            mem[flag + 1] = rng.randrange(0x100)
        if k == 2:      # exactly lethal
            hit = values[k % 6] if table else damage_value
            mem[HEALTH] = hit >> 1 if armour and mem[0x7EF35B] else hit
        cases.append(Case(mem, init))
    amount = "entry X (0-5) of the DamageTable after the code" if table \
        else f"{h(damage_value)} (eighths of a heart)"
    spec = (f"It takes {amount} from Link's health ($7EF36D)"
            + (", halved when the mail level $7EF35B is nonzero (the halved value is kept at "
               f"{ab(flag + 1)})" if armour else "")
            + f". If that leaves 0 or less, health becomes 0 and {ab(flag)} is set to 1; "
            f"otherwise it queues the hurt sound {h(hurt)} in $012E.")
    routine = Routine("health_damage", lines, cases, request(
        rng, say(rng, "This is my damage handler.", "Link takes damage through this routine.",
                 "A routine that applies damage to Link:"), spec))
    sec = lines.index("SEC")
    bugs = [Inject(sec, "CLC", "carry_flag",
                   "CLC before SBC subtracts one more than the damage"),
            Inject("BCC Dead", "BMI Dead", "signed_arithmetic",
                   "health is tested as a signed byte: from $80 up Link dies"),
            Inject("BEQ Dead", [], "off_by_one",
                   "exactly zero health is stored as alive")]
    if armour:
        bugs.append(Inject("LSR A", "ASL A", "bit_manipulation",
                           "ASL doubles the damage instead of halving it"))
    return routine, bugs


def magic_cost(rng: random.Random) -> Built:
    """Spend magic if there is enough; carry returns the outcome."""
    long_form = rng.random() < 0.5
    meter = _save(MAGIC, long_form)
    table = rng.random() < 0.5
    cost = rng.randrange(2, 0x20)
    costs = [rng.randrange(2, 0x20) for _ in range(4)]
    error = rng.randrange(1, 0x40)
    lines = [f"LDA {meter}"]
    lines += ["CMP.l MagicCost,X", "BCC NotEnough", "SBC.l MagicCost,X"] if table else \
        [f"CMP #{h(cost)}", "BCC NotEnough", f"SBC #{h(cost)}"]
    lines += [f"STA {meter}", "CLC", "RTS", "NotEnough:", f"LDA #{h(error)}",
              f"STA {ab(SFX1)}", "SEC", "RTS"]
    if table:
        lines.append("MagicCost: db " + ", ".join(h(v) for v in costs))
    cases = []
    for k in range(8):
        need = costs[k % 4] if table else cost
        magic = pick(rng, (need, need - 1, need + 1, 0x80, 0, rng.randrange(0x81)))
        if k < 3:
            magic = (need, need - 1, 0x80)[k]
        cases.append(Case({MAGIC: max(0, magic), SFX1: 0x55},
                          {"x": k % 4} if table else {}))
    spec = (f"If the magic meter ($7EF36E) holds at least "
            f"{'entry X (0-3) of the MagicCost table after the code' if table else h(cost)}, "
            "it subtracts the cost and returns with carry clear; otherwise it leaves the "
            f"meter alone, queues sound {h(error)} in $012E and returns with carry set.")
    routine = Routine("magic_cost", lines, cases, request(
        rng, say(rng, "Item code that pays for a spell:", "This checks and spends magic.",
                 "My magic-cost routine:"), spec), flags=("c",))
    return routine, [
        Inject("BCC NotEnough", "BCS NotEnough", "comparison_logic",
               "the branch is inverted: spells are cast only without enough magic"),
        Inject(2, ["CLC", lines[3]], "carry_flag",
               "CLC before SBC takes one more than the cost"),
        Inject("CLC", "SEC", "flag_state",
               "the success path returns with carry set, the failure value"),
    ]


def rupees(rng: random.Random) -> Built:
    """Add a prize to the 16-bit rupee count, capped at 999."""
    long_form = rng.random() < 0.5
    target = _save(RUPEES, long_form)
    table = rng.random() < 0.5
    display = rng.random() < 0.4
    prizes = [pick(rng, (1, 5, 20, 50, 100, 300)) for _ in range(6)]
    amount = rng.randrange(1, 0x200)
    sound = rng.randrange(1, 0x40)
    lines = []
    if table:
        lines += ["TXA", "ASL A", "TAX"]
    lines += ["REP #$20", f"LDA {target}", "CLC",
              "ADC.l RupeeValue,X" if table else f"ADC #{h(amount, 4)}",
              "CMP #$03E8", "BCC Store", "LDA #$03E7", "Store:", f"STA {target}"]
    if display:
        lines += [f"STA {_save(0x7EF362, long_form)}"]
    lines += ["SEP #$20", f"LDA #{h(sound)}", f"STA {ab(SFX1)}", "RTS"]
    if table:
        lines.append("RupeeValue: dw " + ", ".join(h(v, 4) for v in prizes))
    cases = []
    for k in range(14):
        x = k % 6 if k < 12 else rng.randrange(0x80, 0x100)
        gain = prizes[x] if table and x < 6 else amount
        # sums just under, at and just over the cap, then anything at all
        count = (0x3E7 - gain + k % 3) & 0xFFFF if k < 3 else \
            rng.randrange(0x3E8 - gain) if k < 12 else rng.randrange(0x100)
        init: dict[str, int] = {"x": x} if table else {}
        mem = {RUPEES: count & 0xFF, RUPEES + 1: count >> 8}
        if display:
            mem[0x7EF362], mem[0x7EF363] = rng.randrange(0x100), rng.randrange(4)
        cases.append(Case(mem, init))
    spec = ("It adds "
            + ("entry X (0-5) of the word table RupeeValue after the code"
               if table else f"{amount} rupees")
            + " to the 16-bit rupee count at $7EF360, capped at 999"
            + (", copies the new count to the displayed count $7EF362" if display else "")
            + f", and queues sound {h(sound)} in $012E. It returns with 8-bit A.")
    routine = Routine("rupee_counter", lines, cases, request(
        rng, say(rng, "This routine collects rupees.", "Rupee pickup handler:",
                 "I wrote this to give the player rupees."), spec))
    rep = lines.index("REP #$20")
    bugs = [Inject("SEP #$20", [], "mode_mismatch",
                   "A is left 16-bit: the sound store writes two bytes and the routine "
                   "returns in the wrong width", line=lines.index("SEP #$20") + 1),
            Inject("LDA #$03E7", "LDA #$03E8", "off_by_one",
                   "the cap is 1000, one more than the counter's 999"),
            Inject(rep + 2, [], "carry_flag", "the add starts with the caller's carry",
                   line=rep + 3),
            Inject(rep, [], "16bit_operations",
                   "the 16-bit count is handled with 8-bit A: the immediates are misread")]
    if table:
        bugs.append(Inject(1, [], "pointer_bugs",
                           "the index is not doubled for a word table: odd entries read "
                           "half of two words", line=2))
    return routine, bugs


def bcd_score(rng: random.Random) -> Built:
    """Add points to a multi-byte BCD score (capped at all nines), then bump a binary count."""
    score, counter = scratch(rng, 2)
    digits = pick(rng, (2, 3))
    points = rng.randrange(1, 100)
    cap = rng.random() < 0.5
    lines = ["SED", f"LDA {ab(score)}", "CLC", f"ADC #${points:02d}", f"STA {ab(score)}"]
    for i in range(1, digits):
        lines += [f"LDA {ab(score + i)}", "ADC #$00", f"STA {ab(score + i)}"]
    if cap:
        lines += ["BCC NoCap", "LDA #$99"] + [f"STA {ab(score + i)}" for i in range(digits)] \
            + ["NoCap:"]
    lines += ["CLD", f"LDA {ab(counter)}", "CLC", "ADC #$01", f"STA {ab(counter)}", "RTS"]

    def bcd(n: int) -> int:
        return int(str(n % 100), 16)

    cases = []
    top = 10 ** (2 * digits)
    # a carry out of each byte, the last points before the cap, past it, anything at all
    values = [99, 100 - points, 9999, 10000 - points, top - points, top - points - 1,
              top - 1, rng.randrange(top), rng.randrange(top)]
    for k, value in enumerate(values):
        value %= top
        mem = {score + i: bcd(value // 100 ** i) for i in range(digits)}
        mem[counter] = pick(rng, (0x09, 0x19, 0x49, rng.randrange(0x100)))
        cases.append(Case(mem, {"p": 0x31 if k % 2 else 0x30}))
    for k in range(2):      # bytes that are not BCD at all
        mem = {score + i: rng.randrange(0x100) for i in range(digits)}
        mem[counter] = rng.randrange(0x100)
        cases.append(Case(mem, {"p": 0x30 | k}))
    places = {2: "four", 3: "six"}[digits]
    spec = (f"The score is a {places}-digit BCD number, low byte first, at {ab(score)}. "
            f"The routine adds {points} points to it"
            + (", stopping at all nines" if cap else ", wrapping past all nines")
            + f", then adds 1 to the binary event counter at {ab(counter)}.")
    routine = Routine("bcd_score", lines, cases, request(
        rng, say(rng, "Score keeping for my minigame:", "This adds points to the score.",
                 "A score routine:"), spec))
    second_adc = lines.index("ADC #$00")
    return routine, [
        Inject("CLD", [], "flag_state", "decimal mode stays on: the binary counter is added "
               "in BCD as well", line=lines.index("CLD") + 1),
        Inject(second_adc, ["CLC", "ADC #$00"], "carry_flag",
               "CLC before the high byte's add drops the carry out of the low digits"),
        Inject(2, [], "initialization", "the add starts with the caller's carry", line=3),
    ]


def joypad(rng: random.Random) -> Built:
    """Edge detection on the held-buttons byte $F0, then act on new presses."""
    prev, pause, shots = (scratch(rng, 3, 0x10))
    button = pick(rng, ((0x10, "Start"), (0x20, "Select")))
    fire = pick(rng, ((0x80, "B"), (0x40, "Y")))
    sound = rng.randrange(1, 0x40)
    new = prev + 1
    lines = [f"LDA {h(PAD_HELD & 0xFF)}", f"EOR {ab(prev)}", f"AND {h(PAD_HELD & 0xFF)}",
             f"STA {ab(new)}", f"LDA {h(PAD_HELD & 0xFF)}", f"STA {ab(prev)}",
             f"LDA {ab(new)}", f"AND #{h(button[0])}", "BEQ NoToggle", f"LDA {ab(pause)}",
             "EOR #$01", f"STA {ab(pause)}", "NoToggle:"]
    if fire[0] == 0x80:
        lines += [f"LDA {ab(new)}", "BPL NoShot"]
    else:
        lines += [f"BIT {ab(new)}", "BVC NoShot"]
    lines += [f"INC {ab(shots)}", f"LDA #{h(sound)}", f"STA {ab(SFX2)}", "NoShot:", "RTS"]
    cases = []
    both = button[0] | fire[0]
    for k in range(12):
        held, before = rng.randrange(0x100), rng.randrange(0x100)
        if k < 4:       # a new press of one of the two buttons
            held |= (button[0] if k % 2 else fire[0])
            before &= ~both & 0xFF
        elif k == 4:    # nothing new
            before = held
        elif k == 5:    # everything released
            held, before = 0, 0xFF
        elif k == 6:    # both held since last frame, other buttons new
            held, before = both | 0x0F, both
        elif k == 7:    # only the other buttons change
            held, before = (held & ~both) | 0x01, held & ~both & 0xFE
        cases.append(Case({PAD_HELD: held, prev: before, pause: rng.randrange(0x100),
                           shots: rng.randrange(0x100), new: rng.randrange(0x100),
                           SFX2: rng.randrange(0x100)}))
    spec = (f"Each frame it works out which buttons were newly pressed (held now in $F0, not "
            f"held last frame: it keeps last frame's $F0 at {ab(prev)}) and stores them at "
            f"{ab(new)}. A new {button[1]} press toggles bit 0 of {ab(pause)}; a new "
            f"{fire[1]} press increments {ab(shots)} and queues sound {h(sound)} in $012F.")
    routine = Routine("joypad_edge", lines, cases, request(
        rng, say(rng, "My input handler:", "Button handling for a custom item:",
                 "This reads the controller state."), spec))
    return routine, [
        Inject(2, [], "bit_manipulation",
               "without the AND, released buttons count as new presses too", line=3),
        Inject("EOR #$01", "ORA #$01", "bit_manipulation",
               "ORA sets the pause bit instead of toggling it"),
        Inject(0, f"LDA #{h(PAD_HELD & 0xFF)}", "addressing_mode",
               "LDA #$F0 loads the number $F0, not the held buttons"),
        Inject(1, [f"LDA {h(PAD_HELD & 0xFF)}", f"STA {ab(prev)}", f"EOR {ab(prev)}"],
               "timing_issues", "last frame's buttons are overwritten before they are "
               "compared: nothing is ever new", line=2),
        Inject(lines.index("BPL NoShot") if fire[0] == 0x80 else lines.index("BVC NoShot"),
               "BMI NoShot" if fire[0] == 0x80 else "BVS NoShot", "flag_state",
               f"the branch tests the wrong sense of the {fire[1]} bit"),
    ]


def progress_flags(rng: random.Random) -> Built:
    """Set, clear or test bit n of a bit array (n in A): byte n>>3, mask from a table."""
    flags, out = scratch(rng, 2)
    op = pick(rng, ("set", "clear", "test"))
    count = pick(rng, (4, 8, 16))
    lines = ["PHA", "LSR A", "LSR A", "LSR A", "TAY", "PLA", "AND #$07", "TAX",
             "LDA.l BitMask,X"]
    if op == "set":
        lines += [f"ORA {ab(flags)},Y", f"STA {ab(flags)},Y"]
    elif op == "clear":
        lines += ["EOR #$FF", f"AND {ab(flags)},Y", f"STA {ab(flags)},Y"]
    else:
        lines += [f"AND {ab(flags)},Y", "BEQ Clear", "LDA #$01", "Clear:", f"STA {ab(out)}"]
    lines += ["RTS", "BitMask: db $01, $02, $04, $08, $10, $20, $40, $80"]
    cases = []
    for k in range(14):
        # every bit position once, then anywhere; the byte holds the flag and its
        # neighbouring bit in opposite states, so a mask off by a bit shows
        bit = 8 * rng.randrange(count) + k if k < 8 else rng.randrange(count * 8)
        if k == 8:
            bit = count * 8 - 1
        mem = {flags + i: rng.randrange(0x100) for i in range(count)}
        mask, other = 1 << bit % 8, 1 << (bit % 8 ^ 1)
        on = k % 4 in (1, 2)
        byte = mem[flags + bit // 8] & ~(mask | other)
        mem[flags + bit // 8] = byte | (mask if on else other)
        cases.append(Case(mem, {"a": (rng.randrange(0x100) << 8) | bit}))
    verb = {"set": "sets", "clear": "clears", "test": "tests"}[op]
    spec = (f"A holds a flag number n (0-{count * 8 - 1}) in a bit array of {count} bytes "
            f"at {ab(flags)}: flag n is bit n mod 8 of byte n / 8. It {verb} flag n"
            + (f" and stores 1 at {ab(out)} if it is set, else 0." if op == "test"
               else ", leaving every other bit as it was."))
    routine = Routine("progress_flags", lines, cases, request(
        rng, say(rng, "Event-flag helper:", "A routine for my save-flag bit array.",
                 "This manipulates one bit of the progress flags."), spec))
    bugs = [Inject(3, [], "off_by_one", "two shifts divide by 4, not 8: the wrong byte",
                   line=4),
            Inject("AND #$07", "AND #$08", "bit_manipulation",
                   "AND #$08 is not n mod 8: that is AND #$07"),
            Inject("PLA", [], "register_corruption",
                   "the pushed flag number is never pulled: A holds n / 8 and the stack is "
                   "off by one"),
            Inject("TAY", "TAX", "addressing_mode",
                   "the byte index goes to X, which the mask lookup then overwrites")]
    if op == "set":
        bugs.append(Inject(f"ORA {ab(flags)},Y", f"EOR {ab(flags)},Y", "bit_manipulation",
                           "EOR toggles the flag instead of setting it"))
    if op == "clear":
        bugs.append(Inject("EOR #$FF", [], "bit_manipulation",
                           "AND with the mask itself keeps only that flag"))
    return routine, bugs
