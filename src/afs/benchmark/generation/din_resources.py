"""Din families on the player's resources: bounded health/magic/arrow updates, rupees
(16-bit), a BCD counter in the SRAM block ALTTP leaves free, and joypad edge detection.

Addresses are ALTTP's ($7EF36C max health, $7EF36D current health, $7EF36E magic,
$7EF360 rupee target, $7EF377 arrows, $7EF371 arrow upgrades, $012E/$012F sound queues,
$F0/$F2 joypad held, $F4/$F6 newly pressed, $F8/$FA previous frame).
"""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft
from afs.benchmark.generation.din_common import (
    NATIVE,
    Part,
    _b,
    _l,
    _w,
    ending,
    routine,
    same,
    waste,
    widths_prologue,
)

HEALTH, MAX_HEALTH, MAGIC, PIECES = 0x7EF36D, 0x7EF36C, 0x7EF36E, 0x7EF36B
ARROWS, ARROW_UPGRADES, RUPEES, DISPLAYED = 0x7EF377, 0x7EF371, 0x7EF360, 0x7EF362
REFILL_HEALTH, REFILL_MAGIC = 0x7EF372, 0x7EF373
SFX1, SFX2 = 0x012E, 0x012F
FREE_SRAM = 0x701E00


class Addressing:
    """How the routine reaches $7EF3xx: long everywhere, absolute with DBR = $7E, or long in
    the original where DBR = $7E makes absolute enough (an addressing_mode waste)."""

    def __init__(self, rng: random.Random, *, allow_waste: bool = True) -> None:
        self.kind = rng.choice(("long", "abs", "waste") if allow_waste else ("long", "abs"))
        self.dbr = 0x00 if self.kind == "long" else 0x7E

    def o(self, address: int) -> str:
        return _l(address) if self.kind in ("long", "waste") else _w(address)

    def r(self, address: int) -> str:
        return _l(address) if self.kind == "long" else _w(address)

    @property
    def table(self) -> str:
        """Suffix for reading a table in the code's bank ($00)."""
        return "" if self.dbr == 0x00 else ".l"

    def head(self) -> list[Part]:
        return [Part([], [], "addressing_mode")] if self.kind == "waste" else []


def _heal(rng: random.Random, ad: Addressing) -> Part:
    amount = rng.choice((0x08, 0x10, 0x18, 0x20, 0x28, 0x40))
    h, mx = HEALTH, MAX_HEALTH
    base = [f"LDA {ad.o(h)}", "CLC", f"ADC #{_b(amount)}", f"CMP {ad.o(mx)}"]
    ref = [f"LDA {ad.r(h)}", "CLC", f"ADC #{_b(amount)}", f"CMP {ad.r(mx)}", "BCC +",
           f"LDA {ad.r(mx)}", "+", f"STA {ad.r(h)}"]
    kind = rng.randrange(3)
    if kind == 0:
        return Part([*base, "BCC +", f"LDA {ad.o(mx)}", "+", f"STA {ad.o(h)}"], ref)
    if kind == 1:
        return waste("branch_optimization",
                     [*base, "BCS ++", f"STA {ad.o(h)}", "BRA +++", "++", f"LDA {ad.o(mx)}",
                      f"STA {ad.o(h)}", "+++"], ref)
    return waste("redundant_loads",
                 [f"LDA {ad.o(h)}", "CLC", f"ADC #{_b(amount)}", f"STA {ad.o(h)}",
                  f"LDA {ad.o(h)}", f"CMP {ad.o(mx)}", "BCC +", f"LDA {ad.o(mx)}",
                  f"STA {ad.o(h)}", "+"], ref)


def _spend_magic(rng: random.Random, ad: Addressing) -> Part:
    cost = rng.choice((0x02, 0x04, 0x08, 0x10, 0x20))
    m = MAGIC
    ref = [f"LDA {ad.r(m)}", "SEC", f"SBC #{_b(cost)}", "BCC +", f"STA {ad.r(m)}",
           f"LDA #{_b(rng.choice((0x1B, 0x2E, 0x3C)))}", f"STA {_w(SFX2)}", "+"]
    sound = ref[5]
    kind = rng.randrange(3)
    if kind == 0:
        return Part([f"LDA {ad.o(m)}", "SEC", f"SBC #{_b(cost)}", "BCC +", f"STA {ad.o(m)}",
                     sound, f"STA {_w(SFX2)}", "+"], ref)
    if kind == 1:
        return waste("redundant_loads",
                     [f"LDA {ad.o(m)}", f"CMP #{_b(cost)}", "BCC +", f"LDA {ad.o(m)}", "SEC",
                      f"SBC #{_b(cost)}", f"STA {ad.o(m)}", sound, f"STA {_w(SFX2)}", "+"], ref)
    return waste("branch_optimization",
                 [f"LDA {ad.o(m)}", "SEC", f"SBC #{_b(cost)}", "BCS ++", "BRA +", "++",
                  f"STA {ad.o(m)}", sound, f"STA {_w(SFX2)}", "+"], ref)


def _heart_piece(rng: random.Random, ad: Addressing) -> Part:
    p, mx = PIECES, MAX_HEALTH
    tail = [f"LDA {ad.o(mx)}", "CLC", "ADC #$08", f"STA {ad.o(mx)}", "+"]
    rtail = [f"LDA {ad.r(mx)}", "CLC", "ADC #$08", f"STA {ad.r(mx)}", "+"]
    ref = [f"LDA {ad.r(p)}", "INC A", "AND #$03", f"STA {ad.r(p)}", "BNE +", *rtail]
    kind = rng.randrange(3)
    if kind == 0:
        return Part([f"LDA {ad.o(p)}", "INC A", "AND #$03", f"STA {ad.o(p)}", "BNE +", *tail],
                    ref)
    if kind == 1:
        return waste("increment_decrement",
                     [f"LDA {ad.o(p)}", "CLC", "ADC #$01", "AND #$03", f"STA {ad.o(p)}",
                      "BNE +", *tail], ref)
    return waste("branch_optimization",
                 [f"LDA {ad.o(p)}", "INC A", "AND #$03", f"STA {ad.o(p)}", "CMP #$00",
                  "BNE +", *tail], ref)


def _arrows(rng: random.Random, ad: Addressing) -> tuple[Part, list[str]]:
    caps = sorted(rng.sample(range(0x1E, 0x64), 8))
    data = [".arrow_caps", "db " + ", ".join(_b(c) for c in caps)]
    t = ad.table
    head = [f"LDA {ad.o(ARROW_UPGRADES)}", "AND #$07", "TAX", f"LDA {ad.o(ARROWS)}",
            f"CMP{t} .arrow_caps,X", "BCS +"]
    rhead = [f"LDA {ad.r(ARROW_UPGRADES)}", "AND #$07", "TAX", f"LDA {ad.r(ARROWS)}",
             f"CMP{t} .arrow_caps,X", "BCS +"]
    ref = [*rhead, "INC A", f"STA {ad.r(ARROWS)}", "+"]
    if rng.randrange(2):
        return Part([*head, "INC A", f"STA {ad.o(ARROWS)}", "+"], ref), data
    return waste("increment_decrement",
                 [*head, "CLC", "ADC #$01", f"STA {ad.o(ARROWS)}", "+"], ref), data


def _clear_refills(rng: random.Random, ad: Addressing) -> Part:
    targets = rng.sample((REFILL_HEALTH, REFILL_MAGIC, 0x7EF375, 0x7EF376), rng.randrange(1, 3))
    if ad.kind == "long":
        lines = ["LDA #$00", *(f"STA {_l(t)}" for t in targets)]
        return Part(lines, lines)
    orig = [line for t in targets for line in ("LDA #$00", f"STA {ad.o(t)}")]
    return waste("redundant_loads", orig, [f"STZ {_w(t)}" for t in targets])


def resources(rng: random.Random) -> Draft:
    ad = Addressing(rng)
    head, tail, widths, restores = widths_prologue(rng)
    makers = [_heal, _spend_magic, _heart_piece, _clear_refills]
    rng.shuffle(makers)
    body: list[Part] = []
    data: list[str] = []
    for make in makers[:rng.randrange(1, 4)]:
        body.append(make(rng, ad))
    if rng.random() < 0.4:
        part, data = _arrows(rng, ad)
        body.insert(rng.randrange(len(body) + 1), part)
    if not any(p.category for p in [*ad.head(), *head, *body]):
        body.append(waste("branch_optimization", *_health_check(ad)))
    parts = [*ad.head(), *head, *body, *tail, ending(rng)]
    live = "p,mem" if restores else "mem"
    return routine("resources", rng.choice(("RefillHealthAndMagic", "Hack_ItemEffect",
                                             "ApplyPotion", "PickupReward")),
                   parts, live_out=live, pre={**NATIVE, **widths, "dbr": ad.dbr},
                   description="Bounded health/magic/arrow updates with redundant work",
                   data=data)


def _health_check(ad: Addressing) -> tuple[list[str], list[str]]:
    """Low-health warning: the original compares against zero after a load."""
    orig = [f"LDA {ad.o(HEALTH)}", "CMP #$00", "BNE +", "LDA #$01", f"STA {_w(0x04CA)}", "+"]
    ref = [f"LDA {ad.r(HEALTH)}", "BNE +", "LDA #$01", f"STA {_w(0x04CA)}", "+"]
    return orig, ref


# --- rupees: 16-bit arithmetic --------------------------------------------------------------

def rupees(rng: random.Random) -> Draft:
    ad = Addressing(rng, allow_waste=False)
    free = rng.randrange(2) == 0      # M/X left free: PHP / SEP #$30 ... PLP
    amount = rng.randrange(0x05, 0x190)
    orig: list[str] = ["PHP", "SEP #$30"] if free else []
    ref: list[str] = ["PHP", "REP #$20"] if free else ["REP #$20"]
    kind = rng.randrange(3)
    if kind in (1, 2):      # the original parks the low byte in X: STX has no long form
        ad.kind, ad.dbr = "abs", 0x7E
    r = ad.o(RUPEES)
    r1 = ad.o(RUPEES + 1)
    if kind in (0, 2):   # add, 8-bit halves with the carry carried by hand
        orig += [f"LDA {r}", "CLC", f"ADC #{_b(amount)}", f"STA {r}", f"LDA {r1}",
                 f"ADC #{_b(amount >> 8)}", f"STA {r1}"]
        ref += [f"LDA {r}", "CLC", f"ADC #{_w(amount)}", f"STA {r}"]
    if kind in (1, 2):   # spend if there is enough; carry clear when there is not
        orig += [f"LDA {r}", "SEC", f"SBC #{_b(amount)}", "TAX", f"LDA {r1}",
                 f"SBC #{_b(amount >> 8)}", "BCC +", f"STA {r1}", f"STX {r}", "+"]
        ref += [f"LDA {r}", "SEC", f"SBC #{_w(amount)}", "BCC +", f"STA {r}", "+"]
    if rng.randrange(2):  # the HUD counts towards the target: copy it
        d, d1 = ad.o(DISPLAYED), ad.o(DISPLAYED + 1)
        orig += [f"LDA {r}", f"STA {d}", f"LDA {r1}", f"STA {d1}"]
        ref += [f"LDA {r}", f"STA {d}"]
    end = rng.choice(("RTS", "RTL"))
    if free:
        orig += ["PLP", end]
        ref += ["PLP", end]
        live = "p,mem"
        pre = {**NATIVE, "dbr": ad.dbr}
    else:
        orig += [end]
        ref += ["SEP #$20", end]
        live = "c,mem" if kind in (1, 2) else "mem"
        pre = {**NATIVE, "m": 1, "x": 1, "dbr": ad.dbr}
    name = rng.choice(("GiveRupees", "Shop_Buy", "AddRupees", "ChestRupees"))
    return routine("rupees", name, [waste("16bit_optimization", orig, ref)], live_out=live,
                   pre=pre, description="Rupee arithmetic done in 8-bit halves")


# --- BCD counter in the free SRAM block -----------------------------------------------------

def bcd_counter(rng: random.Random) -> Draft:
    base = FREE_SRAM + 2 * rng.randrange(0x40)
    lo, hi = _l(base), _l(base + 1)
    step = rng.choice((0x01, 0x05, 0x10, 0x25, 0x50))
    kind = rng.randrange(3)
    if kind == 0:   # decimal mode toggled between the halves
        orig = ["SED", f"LDA {lo}", "CLC", f"ADC #{_b(step)}", f"STA {lo}", "CLD", "SED",
                f"LDA {hi}", "ADC #$00", f"STA {hi}", "CLD"]
        ref = ["SED", f"LDA {lo}", "CLC", f"ADC #{_b(step)}", f"STA {lo}", f"LDA {hi}",
               "ADC #$00", f"STA {hi}", "CLD"]
        part = waste("register_mode", orig, ref)
    elif kind == 1:  # the carry is tested and added by hand
        orig = ["SED", f"LDA {lo}", "CLC", f"ADC #{_b(step)}", f"STA {lo}", "BCC +",
                f"LDA {hi}", "CLC", "ADC #$01", f"STA {hi}", "+", "CLD"]
        ref = ["SED", f"LDA {lo}", "CLC", f"ADC #{_b(step)}", f"STA {lo}", "BCC +",
               f"LDA {hi}", "ADC #$00", f"STA {hi}", "+", "CLD"]
        part = waste("redundant_loads", orig, ref)
    else:           # a 16-bit BCD add in two halves
        orig = ["SED", f"LDA {lo}", "CLC", f"ADC #{_b(step)}", f"STA {lo}", f"LDA {hi}",
                "ADC #$00", f"STA {hi}", "CLD"]
        ref = ["REP #$20", "SED", f"LDA {lo}", "CLC", f"ADC #{_w(step)}", f"STA {lo}", "CLD",
               "SEP #$20"]
        part = waste("16bit_optimization", orig, ref)
    parts: list[Part] = [part]
    if rng.randrange(2):
        parts.append(same(f"LDA #{_b(rng.choice((0x2C, 0x0F, 0x25)))}", f"STA {_w(SFX2)}"))
    if rng.randrange(2):
        parts.append(same("LDA #$01", f"STA {_w(0x0016)}"))   # ask NMI to redraw the HUD
    parts.append(ending(rng))
    return routine("bcd_counter", rng.choice(("Hack_AddScore", "CountKills", "Stats_Bump")),
                   parts, live_out="d,mem", pre={**NATIVE, "m": 1, "x": 1, "dbr": 0x00},
                   description="A BCD counter with decimal mode or carry handled clumsily")


# --- joypad edge detection ------------------------------------------------------------------

_BUTTONS = {0x80: "BPL", 0x40: "BVC"}


def _edge(rng: random.Random, held: int, prev: int, pressed: int) -> Part:
    ref = [f"LDA {_b(held)}", f"EOR {_b(prev)}", f"AND {_b(held)}", f"STA {_b(pressed)}",
           f"LDA {_b(held)}", f"STA {_b(prev)}"]
    kind = rng.randrange(3)
    if kind == 0:
        return Part(list(ref), ref)
    if kind == 1:
        return waste("dead_code",
                     [f"LDA {_b(held)}", f"EOR {_b(prev)}", f"STA {_b(pressed)}",
                      f"LDA {_b(pressed)}", f"AND {_b(held)}", f"STA {_b(pressed)}",
                      f"LDA {_b(held)}", f"STA {_b(prev)}"], ref)
    return waste("redundant_loads",
                 [f"LDA {_b(held)}", f"EOR {_b(prev)}", f"AND {_b(held)}", f"STA {_b(pressed)}",
                  f"LDA {_b(pressed)}", f"LDA {_b(held)}", f"STA {_b(prev)}"], ref)


def _react(rng: random.Random, pressed: int, used: set[tuple[int, int]]) -> Part:
    """Act on one newly pressed button; `used` keeps two reactions off the same button (the
    second's writes could then be dead, and dropping them a correct answer)."""
    bit = rng.choice([b for b in (0x80, 0x40, 0x10, 0x20, 0x08) if (pressed, b) not in used])
    used.add((pressed, bit))
    action = rng.choice((
        ["LDA #$0E", f"STA {_b(0x10)}"],
        [f"LDA #{_b(rng.choice((0x1D, 0x20, 0x33)))}", f"STA {_w(SFX1)}"],
        [f"INC {_w(0x0202)}"],
    ))
    zero = f"STZ {_b(0x11)}"
    if bit in _BUTTONS:
        ref = [f"BIT {_b(pressed)}" if bit == 0x40 else f"LDA {_b(pressed)}", f"{_BUTTONS[bit]} +",
               *action, zero, "+"]
        return waste("branch_optimization",
                     [f"LDA {_b(pressed)}", f"AND #{_b(bit)}", f"CMP #{_b(bit)}", "BNE +",
                      *action, "LDA #$00", f"STA {_b(0x11)}", "+"],
                     ref if rng.randrange(2) else
                     [f"LDA {_b(pressed)}", f"AND #{_b(bit)}", "BEQ +", *action, zero, "+"])
    ref = [f"LDA {_b(pressed)}", f"AND #{_b(bit)}", "BEQ +", *action, zero, "+"]
    if rng.randrange(2):
        return waste("branch_optimization",
                     [f"LDA {_b(pressed)}", f"AND #{_b(bit)}", f"CMP #{_b(bit)}", "BNE +",
                      *action, zero, "+"], ref)
    return waste("redundant_loads",
                 [f"LDA {_b(pressed)}", f"AND #{_b(bit)}", "BEQ +", *action, "LDA #$00",
                  f"STA {_b(0x11)}", "+"], ref)


def joypad(rng: random.Random) -> Draft:
    head, tail, widths, restores = widths_prologue(rng)
    parts: list[Part] = [*head]
    pads = [(0xF0, 0xF8, 0xF4), (0xF2, 0xFA, 0xF6)]
    for held, prev, pressed in pads[:rng.randrange(1, 3)]:
        parts.append(_edge(rng, held, prev, pressed))
    used: set[tuple[int, int]] = set()
    parts.append(_react(rng, rng.choice((0xF4, 0xF6)), used))
    if rng.randrange(2):
        parts.append(_react(rng, 0xF4, used))
    parts += [*tail, ending(rng)]
    return routine("joypad", rng.choice(("ReadInput_Edges", "Hack_CheckButtons", "Menu_Input")),
                   parts, live_out="p,mem" if restores else "mem",
                   pre={**NATIVE, **widths, "dbr": 0x00},
                   description="Newly pressed buttons computed with extra work")


FAMILIES = {
    "resources": ("health and magic routine", resources),
    "rupees": ("rupee routine", rupees),
    "bcd_counter": ("counter routine", bcd_counter),
    "joypad": ("input handler", joypad),
}
