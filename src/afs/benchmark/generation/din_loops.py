"""Din families on control flow and loops: state dispatch (JMP (abs,X)), lookup tables,
pointer walking over a far stream ([dp],Y), run-length decompression, multiplication by
constants, and buffer fills and copies (OAM hiding, sprite tables, block moves)."""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft
from afs.benchmark.generation.din_common import M8, _b, _w, routine, same, waste

# --- state dispatch -------------------------------------------------------------------------

def _handler(rng: random.Random, n: int) -> list[str]:
    kind = rng.randrange(6)
    if kind == 0:
        return ["INC $11", "RTS"]
    if kind == 1:
        return [f"LDA #{_b(rng.randrange(1, 0x40))}", "STA $012F", "RTS"]
    if kind == 2:
        return ["STZ $11", f"LDA #{_b(rng.randrange(0x07, 0x1C))}", "STA $10", "RTS"]
    if kind == 3:
        return ["LDA $1A", f"AND #{_b(rng.choice((0x01, 0x02, 0x04, 0x08)))}", f"BNE .s{n}_wait",
                "INC $11", f".s{n}_wait", "RTS"]
    if kind == 4:
        return ["LDA $F4", f"BPL .s{n}_idle", "STZ $11", f".s{n}_idle", "RTS"]
    return [f"LDA #{_b(rng.randrange(1, 0x100))}", f"STA {_w(rng.choice((0x0202, 0x04A0)))}",
            "INC $11", "RTS"]


def dispatch(rng: random.Random) -> Draft:
    states = rng.randrange(4, 9)
    handlers = [[f".s{n}", *_handler(rng, n)] for n in range(states)]
    default = [".default", "RTS"] if states < 8 else []
    targets = [f".s{n}" if n < states else ".default" for n in range(8)]
    head = ["LDA $11", "AND #$07"]
    chain: list[str] = []
    long_style = rng.randrange(2)
    for n in range(states - 1 if states == 8 else states):
        if long_style:
            chain += [f"CMP #{_b(n)}", "BNE +", f"JMP .s{n}", "+"]
        else:
            chain += [f"CMP #{_b(n)}", f"BEQ .s{n}"]
    chain.append("JMP .s7" if states == 8 else "RTS")
    if not long_style:
        chain[0:2] = ["BEQ .s0"] if chain[0] == "CMP #$00" else chain[0:2]
    body = [line for h in handlers for line in h]
    orig = [*head, *chain, *body, *default]
    ref = [*head, "ASL A", "TAX", "JMP (.states,X)", ".states", "dw " + ", ".join(targets),
           *body, *default]
    return routine("dispatch", rng.choice(("Module_CustomRoom", "Hack_StateMachine",
                                            "Ending_Step", "Menu_Run")),
                   [waste("branch_optimization", orig, ref)], live_out="mem",
                   pre={**M8, "dbr": 0x00},
                   description="A compare chain over a state number")


# --- lookup tables --------------------------------------------------------------------------

def lookup(rng: random.Random) -> Draft:
    use_sprite = rng.randrange(2)
    if use_sprite:
        source, mask, index, outs = "$0DE0,X", 0x03, "Y", ["$0D40,X", "$0D50,X"]
    else:
        source, mask, index, outs = "$2F", 0x06, "X", ["$27", "$28"]
    outs = outs[:rng.randrange(1, 3)]
    values = list(range(0, mask + 1, 2 if mask == 0x06 else 1))
    speed = rng.choice((0x08, 0x10, 0x18, 0x20, 0x28))
    tables = {out: [rng.choice((speed, (-speed) & 0xFF, 0)) for _ in values] for out in outs}
    orig = [f"LDA {source}", f"AND #{_b(mask)}"]
    for position, value in enumerate(values):
        last = position == len(values) - 1
        if not last:
            orig += [f"CMP #{_b(value)}", "BNE +"]
        for out in outs:
            orig += [f"LDA #{_b(tables[out][position])}", f"STA {out}"]
        if not last:
            orig += ["BRA .done", "+"]
    orig.append(".done")
    if rng.randrange(2) and len(values) > 1:    # first compare with zero is free after AND
        orig[2:4] = ["BNE +"]
    ref = [f"LDA {source}", f"AND #{_b(mask)}"]
    if mask == 0x06:
        ref.append("LSR A")
    ref.append(f"TA{index}")
    for n, out in enumerate(outs):
        ref += [f"LDA .table{n},{index}", f"STA {out}"]
    data = [line for n, out in enumerate(outs) for line in (
        f".table{n}", "db " + ", ".join(_b(v) for v in tables[out]))]
    parts = [waste("strength_reduction", orig, ref)]
    parts.append(same(rng.choice(("RTS", "RTL"))))
    names = (("Sprite_SetSpeedFromDir", "Sprite_BounceOff", "Hack_SpriteKnock") if use_sprite
             else ("Link_SetRecoil", "Hack_PushBack", "Link_Bonk"))
    return routine("lookup", rng.choice(names),
                   parts, live_out="mem", pre={**M8, "dbr": 0x00}, data=data,
                   description="A value picked by a compare chain instead of a table")


# --- pointer walking ------------------------------------------------------------------------

def _pointer(rng: random.Random) -> tuple[list[str], int]:
    source = rng.choice((0x0DC000, 0x0EA000, 0x7EC800, 0x1BB000)) + 0x20 * rng.randrange(0x80)
    return [f"LDA #{_b(source)}", "STA $00", f"LDA #{_b(source >> 8)}", "STA $01",
            f"LDA #{_b(source >> 16)}", "STA $02"], source


def pointer_copy(rng: random.Random) -> Draft:
    setup, _ = _pointer(rng)
    count = 2 * rng.randrange(4, 0x40)
    dest = 0x2000 + 0x40 * rng.randrange(0x80)
    orig = [*setup, "LDY #$00", ".copy", "LDA [$00],Y", f"STA {_w(dest)},Y", "INY",
            f"CPY #{_b(count)}", "BNE .copy"]
    if rng.randrange(2):
        part = waste("loop_optimization", orig,
                     [*setup, f"LDY #{_b(count - 1)}", ".copy", "LDA [$00],Y",
                      f"STA {_w(dest)},Y", "DEY", "BPL .copy"])
    else:
        part = waste("16bit_optimization", orig,
                     [*setup, "REP #$20", f"LDY #{_b(count - 2)}", ".copy", "LDA [$00],Y",
                      f"STA {_w(dest)},Y", "DEY", "DEY", "BPL .copy", "SEP #$20"])
    parts = [part]
    if rng.randrange(2):
        parts.append(same("LDA #$01", "STA $15"))   # ask NMI for a palette upload
    parts.append(same(rng.choice(("RTS", "RTL"))))
    return routine("pointer_walk", rng.choice(("Hack_LoadPalette", "CopyFarData",
                                                "LoadRoomHeader")),
                   parts, live_out="mem", pre={**M8, "dbr": 0x7F},
                   description="A far stream copied through a long pointer")


# --- run-length decompression ---------------------------------------------------------------

def rle(rng: random.Random) -> Draft:
    setup, _ = _pointer(rng)
    runs = rng.randrange(2, 5)
    dest = 0x2000 + 0x40 * rng.randrange(0x80)
    count_o = ["AND #$07", "CLC", "ADC #$01"]
    count_r = ["AND #$07", "INC A"]
    wastes = rng.sample(("count", "hoist", "long"), rng.randrange(1, 3))
    store_o = f"STA $7F{dest:04X},X" if "long" in wastes else f"STA {_w(dest)},X"
    store_r = f"STA {_w(dest)},X"
    head = [*setup, "LDY #$00", "LDX #$00", ".run", "LDA [$00],Y"]
    orig = [*head, *(count_o if "count" in wastes else count_r), "STA $04", "INY"]
    ref = [*head, *count_r, "STA $04", "INY", "LDA [$00],Y", "INY", ".fill", store_r, "INX",
           "DEC $04", "BNE .fill"]
    if "hoist" in wastes:
        orig += [".fill", "LDA [$00],Y", store_o, "INX", "DEC $04", "BNE .fill", "INY"]
    else:
        orig += ["LDA [$00],Y", "INY", ".fill", store_o, "INX", "DEC $04", "BNE .fill"]
    tail = [f"CPY #{_b(2 * runs)}", "BNE .run"]
    category = {"count": "increment_decrement", "hoist": "loop_optimization",
                "long": "addressing_mode"}[wastes[0]]
    parts = [waste(category, [*orig, *tail], [*ref, *tail]), same(rng.choice(("RTS", "RTL")))]
    draft = routine("decompression", rng.choice(("Hack_DecompressRow", "UnpackRuns",
                                                 "Decomp_Tiles")),
                    parts, live_out="mem", pre={**M8, "dbr": 0x7F},
                    description="A run-length decoder with work in the wrong place")
    if "long" in wastes:   # a long store costs no more cycles than an absolute one
        draft.metadata["objective"] = "bytes"
    return draft


# --- multiplication by a constant -----------------------------------------------------------

def _horner(factor: int) -> list[str]:
    """x (in A and $04, x < 16, x * factor < 256) times factor: shift and add, MSB first.
    Every ADC follows an ASL of a value below $80, so the carry is already clear."""
    out: list[str] = []
    for bit in bin(factor)[3:]:
        out.append("ASL A")
        if bit == "1":
            out.append("ADC $04")
    return out


def multiply(rng: random.Random) -> Draft:
    factor = rng.choice((3, 5, 6, 7, 9, 10, 12, 14))
    source = rng.choice(("$1A", "$2F", "$0202", "$0E20,X", "$0DE0,X"))
    out = rng.choice(("$06", "$0E", "$0DB0,X", "$0D90,X"))
    head = [f"LDA {source}", "AND #$0F", "STA $04"]
    ref = [*head, *_horner(factor), f"STA {out}"]
    if rng.randrange(2):
        orig = [*head, "LDY $04", "LDA #$00", ".mul", "CPY #$00", "BEQ .done", "CLC",
                f"ADC #{_b(factor)}", "DEY", "BRA .mul", ".done", f"STA {out}"]
    else:
        orig = [*head, *(line for _ in range(factor - 1) for line in ("CLC", "ADC $04")),
                f"STA {out}"]
    parts = [waste("multiplication", orig, ref), same(rng.choice(("RTS", "RTL")))]
    return routine("multiply", rng.choice(("Hack_TileOffset", "Sprite_ScaleDamage",
                                            "ComputeRowOffset")),
                   parts, live_out="mem", pre={**M8, "dbr": 0x7E},
                   description=f"A value times {factor} by repeated addition")


# --- buffer fills and copies ----------------------------------------------------------------

def buffers(rng: random.Random) -> Draft:
    kind = rng.randrange(3)
    if kind == 0:   # hide a range of OAM entries: Y = $F0
        count = rng.randrange(4, 0x20)
        base = 0x0800 + 4 * rng.randrange(0x40)
        orig = ["LDX #$00", ".hide", "LDA #$F0", f"STA {_w(base + 1)},X", "INX", "INX", "INX",
                "INX", f"CPX #{_b(4 * count)}", "BNE .hide"]
        ref = ["LDA #$F0", f"LDX #{_b(4 * (count - 1))}", ".hide", f"STA {_w(base + 1)},X",
               "DEX", "DEX", "DEX", "DEX", "BPL .hide"]
        part = waste("loop_optimization", orig, ref)
        name, what = "OAM_HideRange", "OAM entries hidden one by one"
    elif kind == 1:  # reset sprite tables for every slot: one loop per table
        tables = rng.sample((0x0D40, 0x0D50, 0x0F70, 0x0F80, 0x0E00, 0x0B58), rng.randrange(2, 5))
        value = rng.choice((0x00, 0x00, 0x01, 0x80))
        if value:
            store = [f"STA {_w(t)},X" for t in tables]
            orig = [line for t in tables for line in (
                "LDX #$0F", f".c{t:04X}", f"LDA #{_b(value)}", f"STA {_w(t)},X", "DEX",
                f"BPL .c{t:04X}")]
            ref = [f"LDA #{_b(value)}", "LDX #$0F", ".reset", *store, "DEX", "BPL .reset"]
        else:
            orig = [line for t in tables for line in ("LDX #$0F", f".c{t:04X}", f"STZ {_w(t)},X",
                                                       "DEX", f"BPL .c{t:04X}")]
            ref = ["LDX #$0F", ".reset", *(f"STZ {_w(t)},X" for t in tables), "DEX",
                   "BPL .reset"]
        part = waste("loop_optimization", orig, ref)
        name, what = "Sprites_ResetMotion", "sprite tables reset by one loop each"
    else:           # copy a block from ROM to a WRAM buffer
        count = rng.randrange(0x10, 0x100)
        src = rng.choice((0x0DC000, 0x0EB000, 0x1CF000)) + 0x100 * rng.randrange(0x10)
        dst = 0x7F0000 + 0x100 * rng.randrange(0x20, 0x80)
        orig = ["LDX #$00", ".copy", f"LDA ${src:06X},X", f"STA ${dst:06X},X", "INX",
                f"CPX #{_b(count)}", "BNE .copy"]
        ref = ["REP #$30", f"LDA #{_w(count - 1)}", f"LDX #{_w(src)}", f"LDY #{_w(dst)}",
               f"MVN ${dst >> 16:02X},${src >> 16:02X}", "SEP #$30"]
        part = waste("loop_optimization", orig, ref)
        name, what = "Hack_CopyTable", "a byte loop where a block move would do"
    parts = [part, same(rng.choice(("RTS", "RTL")))]
    return routine("buffers", name, parts, live_out="mem", pre={**M8, "dbr": 0x7E},
                   description=what)


FAMILIES = {
    "dispatch": ("state handler", dispatch),
    "lookup": ("movement routine", lookup),
    "pointer_walk": ("data loader", pointer_copy),
    "decompression": ("decompressor", rle),
    "multiply": ("arithmetic routine", multiply),
    "buffers": ("buffer routine", buffers),
}
