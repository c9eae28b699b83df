"""Din families on the hardware and the call structure: DMA to VRAM/CGRAM/OAM, HDMA channel
setup through ALTTP's $9B shadow, VRAM tilemap writes, bank switching around save-RAM
accesses, and routines built from local subroutines (JSR/RTS)."""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft
from afs.benchmark.generation.din_common import (
    M8,
    NATIVE,
    Part,
    _b,
    _l,
    _w,
    routine,
    same,
    waste,
    widths_prologue,
)

HDMAEN_SHADOW = 0x9B
MAX_DMA_WRITES = 28


# --- DMA --------------------------------------------------------------------------------------

def _transfer(rng: random.Random, channel: int) -> tuple[list[tuple[int, int]], str]:
    """(register, byte) writes of one DMA transfer, in the order the original makes them."""
    base = 0x4300 + 0x10 * channel
    target = rng.choice(("vram", "cgram", "oam"))
    source = rng.choice((0x7E2000, 0x7F0000, 0x0DB000, 0x7EC500)) + 0x20 * rng.randrange(0x40)
    size = rng.choice((0x20, 0x40, 0x80, 0x100, 0x200, 0x800))
    writes: list[tuple[int, int]] = []
    if target == "vram":
        vaddr = 0x1000 * rng.randrange(8) + 0x20 * rng.randrange(0x20)
        writes += [(0x2115, 0x80), (0x2116, vaddr & 0xFF), (0x2117, vaddr >> 8)]
        mode, reg = 0x01, 0x18
    elif target == "cgram":
        writes += [(0x2121, 0x10 * rng.randrange(16))]
        mode, reg = 0x00, 0x22
        size = min(size, 0x200)
    else:
        writes += [(0x2102, 0x00), (0x2103, 0x00)]
        mode, reg = 0x00, 0x04
        size = 0x220
    writes += [(base, mode), (base + 1, reg), (base + 2, source & 0xFF),
               (base + 3, (source >> 8) & 0xFF), (base + 4, source >> 16),
               (base + 5, size & 0xFF), (base + 6, size >> 8)]
    return writes, target


def _bytewise(writes: list[tuple[int, int]], *, stz: bool) -> list[str]:
    out: list[str] = []
    last: int | None = None
    for register, value in writes:
        if value == 0 and stz:
            out.append(f"STZ {_w(register)}")
            continue
        if value != last:
            out.append(f"LDA #{_b(value)}")
            last = value
        out.append(f"STA {_w(register)}")
    return out


def _wordwise(writes: list[tuple[int, int]], *, toggling: bool = False) -> list[str]:
    """Consecutive register pairs written with 16-bit stores (low byte first, as the 8-bit
    original does), the rest with 8-bit stores; same registers, same order. `toggling`: A
    goes back to 8-bit after every pair (the waste of a hand-made macro per register pair)."""
    out: list[str] = []
    wide = False
    index = 0
    while index < len(writes):
        register, value = writes[index]
        pair = (index + 1 < len(writes) and writes[index + 1][0] == register + 1
                and _word_register(register))
        if pair:
            word = value | writes[index + 1][1] << 8
            if not wide:
                out.append("REP #$20")
                wide = True
            out += [f"STZ {_w(register)}"] if word == 0 else [f"LDA #{_w(word)}",
                                                                f"STA {_w(register)}"]
            index += 2
            if toggling:
                out.append("SEP #$20")
                wide = False
            continue
        if wide:
            out.append("SEP #$20")
            wide = False
        out += [f"STZ {_w(register)}"] if value == 0 else [f"LDA #{_b(value)}",
                                                             f"STA {_w(register)}"]
        index += 1
    if wide:
        out.append("SEP #$20")
    return out


def _word_register(register: int) -> bool:
    """Registers that start a natural 16-bit pair: VMADD, OAMADD and the DMA/HDMA channel's
    mode/target, address and bank/size bytes (never VMAIN with VMADDL, say)."""
    if register in (0x2116, 0x2102):
        return True
    return register & 0xFF00 == 0x4300 and register & 0x0F in (0x0, 0x2, 0x4, 0x5)


def dma(rng: random.Random) -> Draft:
    count = rng.randrange(1, 4)
    channels = rng.sample(range(8), count) if rng.randrange(2) else [0] * count
    transfers = [[*_transfer(rng, channel)[0], (0x420B, 1 << channel)] for channel in channels]
    while len(transfers) > 1 and sum(map(len, transfers)) > MAX_DMA_WRITES:
        transfers.pop()     # keep the routine within 60 instructions
    writes = [write for transfer in transfers for write in transfer]
    kind = rng.randrange(4)
    if kind == 3:
        part = waste("register_mode", _wordwise(writes, toggling=True), _wordwise(writes))
    elif kind == 0:
        part = waste("16bit_optimization", _bytewise(writes, stz=False), _wordwise(writes))
    elif kind == 1:
        part = waste("16bit_optimization", _bytewise(writes, stz=True), _wordwise(writes))
    else:
        part = waste("redundant_loads", _bytewise_reloading(writes), _bytewise(writes, stz=True))
    parts = [part, same(rng.choice(("RTS", "RTL")))]
    return routine("dma", rng.choice(("Hack_UploadGraphics", "NMI_CustomTransfer",
                                       "UploadPalette", "Hack_DmaQueue")),
                   parts, live_out="mem", pre={**M8, "dbr": 0x00},
                   description="DMA set up one register byte at a time")


def _bytewise_reloading(writes: list[tuple[int, int]]) -> list[str]:
    return [line for register, value in writes
            for line in (f"LDA #{_b(value)}", f"STA {_w(register)}")]


# --- HDMA -------------------------------------------------------------------------------------

def hdma(rng: random.Random) -> Draft:
    channel = rng.randrange(1, 8)
    base = 0x4300 + 0x10 * channel
    target = rng.choice((0x0D, 0x0F, 0x26, 0x32, 0x21))
    mode = rng.choice((0x00, 0x02, 0x42, 0x03))
    table = rng.choice((0x0DB800, 0x0EF000, 0x7EC700, 0x7F1000)) + 0x10 * rng.randrange(0x10)
    writes = [(base, mode), (base + 1, target), (base + 2, table & 0xFF),
              (base + 3, (table >> 8) & 0xFF), (base + 4, table >> 16)]
    if mode & 0x40:
        writes.append((base + 7, 0x7E))
    bit = 1 << channel
    kind = rng.randrange(3)
    enable_orig = [f"LDA {_b(HDMAEN_SHADOW)}", f"ORA #{_b(bit)}", f"STA {_b(HDMAEN_SHADOW)}"]
    enable_ref = [f"LDA #{_b(bit)}", f"TSB {_b(HDMAEN_SHADOW)}"]
    if kind == 0:
        parts = [waste("strength_reduction", [*_bytewise(writes, stz=True), *enable_orig],
                       [*_bytewise(writes, stz=True), *enable_ref])]
    elif kind == 1:
        parts = [waste("16bit_optimization", _bytewise(writes, stz=False), _wordwise(writes)),
                 same(*enable_ref)]
    else:
        parts = [waste("16bit_optimization", _bytewise(writes, stz=True), _wordwise(writes)),
                 waste("strength_reduction", enable_orig, enable_ref)]
    if rng.randrange(2):    # turn another channel off
        other = 1 << rng.choice([c for c in range(1, 8) if c != channel])
        parts.insert(0, waste("strength_reduction",
                              [f"LDA {_b(HDMAEN_SHADOW)}", f"AND #{_b(0xFF ^ other)}",
                               f"STA {_b(HDMAEN_SHADOW)}"],
                              [f"LDA #{_b(other)}", f"TRB {_b(HDMAEN_SHADOW)}"]))
    head, tail, widths, restores = widths_prologue(rng, allow_waste=False)
    parts = [*head, *parts, *tail, same(rng.choice(("RTS", "RTL")))]
    return routine("hdma", rng.choice(("Hack_WaveEffect", "SetupSpotlight", "Hdma_Enable",
                                        "Hack_Gradient")),
                   parts, live_out="p,mem" if restores else "mem",
                   pre={**NATIVE, **widths, "dbr": 0x00},
                   description="HDMA channel set-up and enabling through the $9B shadow")


# --- VRAM tilemap writes ----------------------------------------------------------------------

def vram(rng: random.Random) -> Draft:
    tiles = rng.randrange(3, 12)
    words = [rng.randrange(0x10000) for _ in range(tiles)]
    vaddr = 0x6000 + 0x20 * rng.randrange(0x40) + rng.randrange(0x20)
    data = [".tiles", "dw " + ", ".join(_w(v) for v in words)]
    head = ["LDA #$80", "STA $2115", f"LDA #{_b(vaddr)}", "STA $2116", f"LDA #{_b(vaddr >> 8)}",
            "STA $2117"]
    whead = ["LDA #$80", "STA $2115", "REP #$20", f"LDA #{_w(vaddr)}", "STA $2116"]
    orig = [*head, "LDX #$00", ".loop", "LDA .tiles,X", "STA $2118", "INX", "LDA .tiles,X",
            "STA $2119", "INX", f"CPX #{_b(2 * tiles)}", "BNE .loop"]
    ref = [*whead, "LDX #$00", ".loop", "LDA .tiles,X", "STA $2118", "INX", "INX",
           f"CPX #{_b(2 * tiles)}", "BNE .loop", "SEP #$20"]
    parts = [waste("16bit_optimization", orig, ref)]
    if rng.randrange(2):
        parts.append(same("LDA #$01", "STA $14"))    # tell NMI a tilemap upload is queued
    parts.append(same(rng.choice(("RTS", "RTL"))))
    return routine("vram", rng.choice(("Hack_DrawTilemapRow", "HUD_WriteTiles", "DrawSign")),
                   parts, live_out="mem", pre={**M8, "dbr": 0x00}, data=data,
                   description="Tilemap words written to VMDATA a byte at a time")


# --- bank switching ---------------------------------------------------------------------------

_SAVE = (0x7EF359, 0x7EF35A, 0x7EF35B, 0x7EF36C, 0x7EF36D, 0x7EF36E, 0x7EF377, 0x7EF343,
         0x7EF354, 0x7EF355)
_LOW = (0x0E50, 0x0FA0, 0x0202, 0x04, 0x06, 0x0D90, 0x0DA0)


def bank_switch(rng: random.Random) -> Draft:
    copies = rng.randrange(1, 5)
    sources = rng.sample(_SAVE, copies)
    targets = rng.sample(_LOW, copies)
    indexed = rng.randrange(2)
    orig = ["PHB", "LDA #$7E", "PHA", "PLB"]
    ref: list[str] = []
    for src, dst in zip(sources, targets, strict=True):
        at = (f"{_w(dst)},X" if indexed and dst >= 0x0D00 else
              _b(dst) if dst < 0x100 else _w(dst))
        orig += [f"LDA {_w(src)}", f"STA {at}"]
        ref += [f"LDA {_l(src)}", f"STA {at}"]
    orig.append("PLB")
    part = waste("stack_optimization", orig, ref)
    parts = [part, same(rng.choice(("RTL", "RTS")))]
    return routine("bank_switch", rng.choice(("Hack_ReadEquipment", "Sprite_CopyStats",
                                               "GetSaveValues")),
                   parts, live_out="mem", pre={**M8, "dbr": rng.choice((0x00, 0x0D, 0x1E))},
                   description="DBR switched to $7E for a few accesses long addressing reaches")


# --- local subroutines ------------------------------------------------------------------------

_HELPERS = {
    "sfx": lambda rng: [f"LDA #{_b(rng.choice((0x0B, 0x1E, 0x2C, 0x3B)))}", "STA $012F"],
    "stop": lambda rng: ["STZ $0D40,X", "STZ $0D50,X"],
    "timer": lambda rng: [f"LDA #{_b(rng.choice((0x08, 0x10, 0x20)))}", "STA $0DF0,X"],
    "flash": lambda rng: [f"LDA #{_b(rng.choice((0x04, 0x08)))}", "STA $0B58,X"],
}


def subroutines(rng: random.Random) -> Draft:
    names = rng.sample(sorted(_HELPERS), rng.randrange(2, 4))
    bodies = {n: _HELPERS[n](rng) for n in names}
    main_o: list[str] = []
    main_r: list[str] = []
    subs_o: list[str] = []
    subs_r: list[str] = []
    wastes: list[str] = []
    for position, name in enumerate(names):
        last = position == len(names) - 1
        style = rng.randrange(3)
        if style == 0 and not last:     # a helper called once: its JSR/RTS is pure overhead
            main_o.append(f"JSR .{name}")
            main_r += bodies[name]
            subs_o += [f".{name}", *bodies[name], "RTS"]
            wastes.append("stack_optimization")
        elif style == 1 and name == "sfx":
            main_o += ["PHX", f"JSR .{name}", "PLX"]     # the helper leaves X alone
            main_r.append(f"JSR .{name}")
            subs_o += [f".{name}", *bodies[name], "RTS"]
            subs_r += [f".{name}", *bodies[name], "RTS"]
            wastes.append("stack_optimization")
        else:
            main_o.append(f"JSR .{name}")
            main_r.append(f"JSR .{name}")
            subs_o += [f".{name}", *bodies[name], "RTS"]
            subs_r += [f".{name}", *bodies[name], "RTS"]
    # The last call is followed by RTS: a tail call.
    tail_call = rng.randrange(2) or not wastes
    if tail_call:
        main_r[-1] = main_r[-1].replace("JSR", "JMP")
        wastes.append("stack_optimization")
    main_o.append("RTS")
    if not tail_call:
        main_r.append("RTS")
    prefix = [f"LDA {_w(0x0DD0)},X", "BNE +", "RTS", "+"]
    part = Part([*prefix, *main_o, *subs_o], [*prefix, *main_r, *subs_r], wastes[0])
    return routine("subroutines", rng.choice(("Sprite_OnHit", "Hack_Reset", "Sprite_Stun",
                                               "Sprite_Bounce")),
                   [part], live_out="mem", pre={**M8, "dbr": 0x7E},
                   description="Local helpers called with avoidable JSR/RTS and stack work")


FAMILIES = {
    "dma": ("transfer routine", dma),
    "hdma": ("HDMA set-up", hdma),
    "vram": ("tilemap writer", vram),
    "bank_switch": ("save-data reader", bank_switch),
    "subroutines": ("sprite routine", subroutines),
}
