"""Nayru families about the SNES hardware: PPU register writes (`ppu_registers`), DMA and
HDMA channel setup (`dma_channels`) and joypad handling over ALTTP's joypad copies in WRAM
(`joypad`: $F0/$F2 held, $F4/$F6 newly pressed). Items that write I/O registers run with
DBR = $00; their specs list every register write in order, per register."""

from __future__ import annotations

import random

from afs.benchmark.generation import Draft
from afs.benchmark.generation.nayru_common import (
    IO_DBR,
    Memory,
    Outcome,
    State,
    ab,
    draft,
    free_low,
    h,
    lines,
    lng,
)

P, D, J = "ppu_registers", "dma_channels", "joypad"
INIDISP_SHADOW, TM_SHADOW, HDMAEN_SHADOW = 0x7E0013, 0x7E001C, 0x7E009B
SCROLL_SHADOWS = {("BG1", "horizontal"): (0x7E00E0, 0x210D),
                  ("BG2", "horizontal"): (0x7E00E2, 0x210F),
                  ("BG3", "horizontal"): (0x7E00E4, 0x2111),
                  ("BG1", "vertical"): (0x7E00E6, 0x210E),
                  ("BG2", "vertical"): (0x7E00E8, 0x2110),
                  ("BG3", "vertical"): (0x7E00EA, 0x2112)}
LAYERS = {"BG1": 0, "BG2": 1, "BG3": 2, "BG4": 3, "sprites": 4}
HELD_HIGH, HELD_LOW, PRESSED_HIGH, PRESSED_LOW = 0x7E00F0, 0x7E00F2, 0x7E00F4, 0x7E00F6
BUTTONS_HIGH = {"B": 7, "Y": 6, "Select": 5, "Start": 4, "Up": 3, "Down": 2, "Left": 1,
                "Right": 0}
BUTTONS_LOW = {"A": 7, "X": 6, "L": 5, "R": 4}


# --- ppu_registers --------------------------------------------------------------------------

def fade_step(rng: random.Random) -> Draft:
    fade_in = rng.random() < 0.5
    direct = rng.random() < 0.5
    also = " and write the new value to INIDISP ($2100) as well" if direct else ""
    if fade_in:
        requests = [
            f"One step of a fade-in: raise the brightness in ALTTP's INIDISP shadow ($7E0013, "
            f"bits 0-3) by one unless it is already 15, clearing forced blank (bit 7){also}. "
            "Return with carry set once brightness is 15, clear before.",
            f"Brighten the screen by one level via the INIDISP shadow at $7E0013 (max 15, "
            f"forced blank off){also}; carry set when full brightness has been reached.",
        ]
        reference = lines(f"LDA.l {lng(INIDISP_SHADOW)}", "AND #$0F", "CMP #$0F", "BCS Done",
                          "INC A", "Done:", f"STA.l {lng(INIDISP_SHADOW)}",
                          ["STA $2100"] if direct else [], "CMP #$0F")
    else:
        requests = [
            f"One step of a fade-out: lower the brightness in the INIDISP shadow ($7E0013, "
            f"bits 0-3) by one; when it reaches 0 set forced blank (bit 7, value $80){also}. "
            "Return with carry set when the screen is black (blanked), clear before.",
            f"Darken the screen one level through $7E0013 (brightness in bits 0-3). At zero, "
            f"store $80 (forced blank) instead{also}. Carry set once blanked.",
        ]
        reference = lines(f"LDA.l {lng(INIDISP_SHADOW)}", "AND #$0F", "BEQ Blank", "DEC A",
                          "BNE Store", "Blank:", "LDA #$80", "Store:",
                          f"STA.l {lng(INIDISP_SHADOW)}", ["STA $2100"] if direct else [],
                          "CMP #$80")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        level = m[INIDISP_SHADOW] & 0x0F
        if fade_in:
            value = min(level + 1, 15)
            done = value == 15
        else:
            value = level - 1 if level > 1 else 0x80
            done = value == 0x80
        m[INIDISP_SHADOW] = value
        return Outcome(flags={"c": int(done)}, io={0x2100: [value]} if direct else None)

    states = [State({INIDISP_SHADOW: v}) for v in (0x80, 0x0E, 0x0F, 0x01, 0x8F, 0x07, 0x00,
                                                   0x0D, 0x02)]
    return draft(rng, category=P, family="fade_step", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model, flags=["c"],
                 watch=[0x7E0012, 0x7E0014], dbr=IO_DBR,
                 description="brightness ramp in the INIDISP shadow")


def scroll_registers(rng: random.Random) -> Draft:
    layer = rng.choice(("BG1", "BG2", "BG3"))
    both = rng.random() < 0.5
    axes = ("horizontal", "vertical") if both else (rng.choice(("horizontal", "vertical")),)
    named = " and ".join(f"{axis} ({h(SCROLL_SHADOWS[(layer, axis)][0], 6)})" for axis in axes)
    requests = [
        f"Copy {layer}'s {named} scroll from ALTTP's 16-bit shadow{'s' if both else ''} into "
        "the PPU scroll register(s).",
        f"Send the {layer} scroll value{'s' if both else ''} kept in WRAM ({named}) to the "
        "PPU.",
    ]
    body = []
    io: dict[int, list[str]] = {}
    for axis in axes:
        shadow, register = SCROLL_SHADOWS[(layer, axis)]
        body += [f"LDA {ab(shadow)}", f"STA {ab(register)}", f"LDA {ab(shadow + 1)}",
                 f"STA {ab(register)}"]
        io[register] = []
    reference = lines(body)

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        out = {}
        for axis in axes:
            shadow, register = SCROLL_SHADOWS[(layer, axis)]
            out[register] = [m[shadow], m[shadow + 1]]
        return Outcome(io=out)

    addresses = [a for axis in axes for a in (SCROLL_SHADOWS[(layer, axis)][0],
                                              SCROLL_SHADOWS[(layer, axis)][0] + 1)]
    states = [State({a: rng.randrange(0x100) for a in addresses}) for _ in range(3)]
    return draft(rng, category=P, family="scroll_registers", difficulty=1, requests=requests,
                 reference=reference, states=states, model=model, dbr=IO_DBR,
                 description="write-twice scroll registers, low byte first")


def layer_toggle(rng: random.Random) -> Draft:
    layer = rng.choice(sorted(LAYERS))
    bit = 1 << LAYERS[layer]
    mode = rng.choice(("show", "hide", "toggle"))
    requests = {
        "show": [f"Enable {layer} on the main screen by setting its bit in ALTTP's TM shadow "
                 "($7E001C); the other layers stay as they are.",
                 f"Make {layer} visible on the main screen (TM shadow at $7E001C), keeping the "
                 "other layer bits."],
        "hide": [f"Hide {layer} from the main screen: clear its bit in the TM shadow "
                 "($7E001C) without touching other layers.",
                 f"Turn {layer} off in ALTTP's main screen designation shadow ($7E001C); leave "
                 "the rest."],
        "toggle": [f"Toggle {layer} on the main screen: flip its bit in the TM shadow "
                   "($7E001C).",
                   f"Switch {layer}'s main-screen visibility (its bit in $7E001C) to the "
                   "opposite state."],
    }[mode]
    op = {"show": f"ORA #{h(bit)}", "hide": f"AND #{h(0xFF ^ bit)}",
          "toggle": f"EOR #{h(bit)}"}[mode]
    reference = lines(f"LDA.l {lng(TM_SHADOW)}", op, f"STA.l {lng(TM_SHADOW)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        v = m[TM_SHADOW]
        m[TM_SHADOW] = {"show": v | bit, "hide": v & ~bit & 0xFF, "toggle": v ^ bit}[mode]

    states = [State({TM_SHADOW: v}) for v in (0x00, 0x1F, bit, 0x1F ^ bit, 0x15)]
    return draft(rng, category=P, family="layer_toggle", difficulty=1, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[0x7E001B, 0x7E001D], description="one bit of the TM shadow")


def fixed_colour(rng: random.Random) -> Draft:
    from_ram = rng.random() < 0.5
    r, g, b = (rng.randrange(32) for _ in range(3))
    if from_ram:
        requests = [
            "Set the colour-math fixed colour from ALTTP's component shadows: red at "
            "$7E009C, green at $7E009D, blue at $7E009E (each 0-31; ignore bits 5-7). Write it "
            "to the fixed-colour register.",
            "Program COLDATA from the red/green/blue shadow bytes $7E009C-$7E009E (5-bit "
            "values, upper bits are garbage), red first, then green, then blue.",
        ]
        reference = lines("LDA $9C", "AND #$1F", "ORA #$20", "STA $2132", "LDA $9D", "AND #$1F",
                          "ORA #$40", "STA $2132", "LDA $9E", "AND #$1F", "ORA #$80",
                          "STA $2132")
    else:
        requests = [
            f"Set the colour-math fixed colour to red {r}, green {g}, blue {b} (0-31 each), "
            "red first, then green, then blue.",
            f"Program the fixed colour register with R={r}, G={g}, B={b}: three writes, "
            "red, then green, then blue.",
        ]
        reference = lines(f"LDA #{h(0x20 | r)}", "STA $2132", f"LDA #{h(0x40 | g)}",
                          "STA $2132", f"LDA #{h(0x80 | b)}", "STA $2132")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        if from_ram:
            rr, gg, bb = m[0x7E009C] & 0x1F, m[0x7E009D] & 0x1F, m[0x7E009E] & 0x1F
        else:
            rr, gg, bb = r, g, b
        return Outcome(io={0x2132: [0x20 | rr, 0x40 | gg, 0x80 | bb]})

    states = [State({0x7E009C: rng.randrange(256), 0x7E009D: rng.randrange(256),
                     0x7E009E: rng.randrange(256)}) for _ in range(3)]
    states.append(State({0x7E009C: 0xFF, 0x7E009D: 0xE0, 0x7E009E: 0x1F}))
    return draft(rng, category=P, family="fixed_colour", difficulty=2 if from_ram else 1,
                 requests=requests, reference=reference, states=states, model=model,
                 dbr=IO_DBR, description="COLDATA: a channel select per write")


def cgram_colour(rng: random.Random) -> Draft:
    index = rng.randrange(256)
    requests = [
        f"Write one colour to CGRAM entry {index}. Its components are the bytes at $7E0000 "
        "(red), $7E0001 (green) and $7E0002 (blue), each 0-31. The SNES colour word is "
        "0bbbbbgg gggrrrrr; send the low byte, then the high byte.",
        f"Build the 15-bit BGR colour from red = $00, green = $01, blue = $02 (direct page, "
        f"5 bits each) and store it in palette entry {index} of CGRAM (low byte first).",
    ]
    reference = lines(
        f"LDA #{h(index)}", "STA $2121", "REP #$20", "LDA $02", "AND #$001F", "ASL A",
        "ASL A", "ASL A", "ASL A", "ASL A", "PHA", "LDA $01", "AND #$001F", "ORA $01,S",
        "ASL A", "ASL A", "ASL A", "ASL A", "ASL A", "STA $01,S", "LDA $00", "AND #$001F",
        "ORA $01,S", "STA $01,S", "PLA", "SEP #$20", "STA $2122", "XBA", "STA $2122")

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        word = (m[0x7E0002] & 0x1F) << 10 | (m[0x7E0001] & 0x1F) << 5 | (m[0x7E0000] & 0x1F)
        return Outcome(io={0x2121: [index], 0x2122: [word & 0xFF, word >> 8]})

    states = [State({0x7E0000: r, 0x7E0001: g, 0x7E0002: b, 0x7E0003: rng.randrange(256)})
              for r, g, b in ((31, 0, 0), (0, 31, 0), (0, 0, 31),
                              (rng.randrange(32), rng.randrange(32), rng.randrange(32)),
                              (17, 9, 22))]
    return draft(rng, category=P, family="cgram_colour", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model, dbr=IO_DBR,
                 description="pack 5-bit components into a BGR555 word")


# --- dma_channels ----------------------------------------------------------------------------

def _channel_writes(channel: int, mode: int, bbad: int, source: int, size: int) -> dict[int,
                                                                                          list]:
    base = 0x4300 + 16 * channel
    return {base: [mode], base + 1: [bbad], base + 2: [source & 0xFF],
            base + 3: [(source >> 8) & 0xFF], base + 4: [source >> 16], base + 5: [size & 0xFF],
            base + 6: [size >> 8], 0x420B: [1 << channel]}


def _channel_code(channel: int, mode: int, bbad: int, source: int, size: int,
                  wide: bool) -> list[str]:
    base = 0x4300 + 16 * channel
    if wide:
        return ["REP #$10", f"LDX #{h((bbad << 8) | mode, 4)}", f"STX {ab(base)}",
                f"LDX #{h(source & 0xFFFF, 4)}", f"STX {ab(base + 2)}",
                f"LDA #{h(source >> 16)}", f"STA {ab(base + 4)}", f"LDX #{h(size, 4)}",
                f"STX {ab(base + 5)}", "SEP #$10", f"LDA #{h(1 << channel)}", "STA $420B"]
    return [f"LDA #{h(mode)}", f"STA {ab(base)}", f"LDA #{h(bbad)}", f"STA {ab(base + 1)}",
            f"LDA #{h(source & 0xFF)}", f"STA {ab(base + 2)}",
            f"LDA #{h((source >> 8) & 0xFF)}", f"STA {ab(base + 3)}",
            f"LDA #{h(source >> 16)}", f"STA {ab(base + 4)}", f"LDA #{h(size & 0xFF)}",
            f"STA {ab(base + 5)}", f"LDA #{h(size >> 8)}", f"STA {ab(base + 6)}",
            f"LDA #{h(1 << channel)}", "STA $420B"]


def _dma_draft(rng: random.Random, family: str, requests: list[str], head: list[str],
               head_io: dict[int, list[int]], channel: int, mode: int, bbad: int, source: int,
               size: int, description: str, watch: list[int] | None = None,
               zero: int | None = None) -> Draft:
    wide = rng.random() < 0.5
    reference = lines(head, _channel_code(channel, mode, bbad, source, size, wide))
    io = {**head_io, **_channel_writes(channel, mode, bbad, source, size)}

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        if zero is not None:
            m[zero] = 0
        return Outcome(io=io)

    return draft(rng, category=D, family=family, difficulty=3, requests=requests,
                 reference=reference, states=[State({}), State({})], model=model, dbr=IO_DBR,
                 watch=watch or [], description=description)


def _vram_head(rng: random.Random, vram: int) -> list[str]:
    if rng.random() < 0.5:
        return ["LDA #$80", "STA $2115", "REP #$10", f"LDX #{h(vram, 4)}", "STX $2116",
                "SEP #$10"]
    return ["LDA #$80", "STA $2115", f"LDA #{h(vram & 0xFF)}", "STA $2116",
            f"LDA #{h(vram >> 8)}", "STA $2117"]


def vram_dma(rng: random.Random) -> Draft:
    channel = rng.randrange(8)
    source = 0x7E0000 | (rng.randrange(0x2000, 0xF000) & 0xFFF0)
    size = rng.randrange(0x20, 0x1000) & 0xFFFE
    vram = rng.randrange(0x8000) & 0xFFF0
    requests = [
        f"Upload {size} bytes of tile data from {lng(source)} to VRAM word address "
        f"{h(vram, 4)}, using DMA channel {channel}. Words are written low byte then high "
        "byte and the address steps by one word after each high byte.",
        f"Copy {h(size, 4)} bytes from WRAM {lng(source)} into VRAM at word {h(vram, 4)} "
        f"through DMA channel {channel} (the VRAM address increments after the high byte).",
    ]
    head = _vram_head(rng, vram)
    head_io = {0x2115: [0x80], 0x2116: [vram & 0xFF], 0x2117: [vram >> 8]}
    return _dma_draft(rng, "vram_dma", requests, head, head_io, channel, 0x01, 0x18, source,
                      size, "VMAIN, VMADD, then a mode-1 channel to $2118")


def cgram_dma(rng: random.Random) -> Draft:
    channel = rng.randrange(8)
    start = rng.randrange(0, 0x100)
    colours = rng.randrange(1, 0x100 - start + 1)
    source = 0x7EC500 + 2 * start if rng.random() < 0.5 else \
        0x7F0000 | (rng.randrange(0x5000, 0x7000) & 0xFFFE)
    requests = [
        f"Upload {colours} colours from {lng(source)} into CGRAM starting at colour {start}, "
        f"with DMA channel {channel}.",
        f"Send {colours} palette entries (2 bytes each) at {lng(source)} to CGRAM, first "
        f"entry {start}, over DMA channel {channel}.",
    ]
    return _dma_draft(rng, "cgram_dma", requests, [f"LDA #{h(start)}", "STA $2121"],
                      {0x2121: [start]}, channel, 0x00, 0x22, source, 2 * colours,
                      "CGADD, then a one-register channel to $2122")


def oam_dma(rng: random.Random) -> Draft:
    channel = rng.randrange(8)
    requests = [
        f"Copy ALTTP's whole OAM buffer ($7E0800, 544 bytes including the high table) into "
        f"OAM, starting at OAM address 0, with DMA channel {channel}.",
        f"Send the 544-byte sprite buffer at $7E0800 to the PPU's OAM from address 0 via DMA "
        f"channel {channel}.",
    ]
    return _dma_draft(rng, "oam_dma", requests, ["STZ $2102", "STZ $2103"],
                      {0x2102: [0], 0x2103: [0]}, channel, 0x00, 0x04, 0x7E0800, 544,
                      "OAMADD, then a channel to $2104")


def vram_clear(rng: random.Random) -> Draft:
    channel = rng.randrange(8)
    zero = free_low(rng)
    vram = rng.randrange(0x8000) & 0xFF00
    size = rng.randrange(0x100, 0x2000) & 0xFF00
    requests = [
        f"Clear {size} bytes of VRAM from word address {h(vram, 4)} with DMA channel "
        f"{channel}: first store 0 in the byte at {lng(zero)}, then have the DMA read that "
        "same byte over and over (the source address must not advance). VRAM address steps "
        "after the high byte.",
        f"Zero-fill VRAM: {h(size, 4)} bytes starting at word {h(vram, 4)}, DMA channel "
        f"{channel}. Set the byte at {lng(zero)} to 0 first; every byte of the transfer is "
        "read from that fixed location.",
    ]
    head = [f"STZ {ab(zero)}", *_vram_head(rng, vram)]
    head_io = {0x2115: [0x80], 0x2116: [vram & 0xFF], 0x2117: [vram >> 8]}
    return _dma_draft(rng, "vram_clear", requests, head, head_io, channel, 0x09, 0x18, zero,
                      size, "fixed-source mode-1 DMA", watch=[zero - 1, zero, zero + 1],
                      zero=zero)


def hdma_setup(rng: random.Random) -> Draft:
    channel = rng.randrange(1, 8)
    target, name, mode = rng.choice(((0x00, "INIDISP ($2100)", 0),
                                     (0x0D, "BG1HOFS ($210D)", 2),
                                     (0x26, "the window 1 left position ($2126)", 0),
                                     (0x32, "COLDATA ($2132)", 0)))
    table = 0x7F0000 | (rng.randrange(0x5000, 0x7000) & 0xFFF0)
    shadow = rng.random() < 0.5
    start = ("turn it on by setting its bit in ALTTP's HDMA enable shadow ($7E009B), keeping "
             "the other channels' bits" if shadow else
             "start it by writing its bit to HDMAEN directly (only this channel)")
    width = "two bytes per line, written twice" if mode == 2 else "one byte per line"
    requests = [
        f"Set up HDMA channel {channel} to write {name} ({width}) from the table at "
        f"{lng(table)}, direct (not indirect) mode; {start}.",
        f"Configure channel {channel} for HDMA into {name}: table at {lng(table)}, "
        f"{width}, direct addressing. Then {start}.",
    ]
    base = 0x4300 + 16 * channel
    setup = [f"LDA #{h(mode)}", f"STA {ab(base)}", f"LDA #{h(target)}", f"STA {ab(base + 1)}",
             f"LDA #{h(table & 0xFF)}", f"STA {ab(base + 2)}",
             f"LDA #{h((table >> 8) & 0xFF)}", f"STA {ab(base + 3)}",
             f"LDA #{h(table >> 16)}", f"STA {ab(base + 4)}"]
    enable = ([f"LDA {ab(HDMAEN_SHADOW)}", f"ORA #{h(1 << channel)}",
               f"STA {ab(HDMAEN_SHADOW)}"] if shadow else
              [f"LDA #{h(1 << channel)}", "STA $420C"])
    reference = lines(setup, enable)

    def model(m: Memory, _: dict[str, int]) -> Outcome:
        io = {base: [mode], base + 1: [target], base + 2: [table & 0xFF],
              base + 3: [(table >> 8) & 0xFF], base + 4: [table >> 16]}
        if shadow:
            m[HDMAEN_SHADOW] |= 1 << channel
        else:
            io[0x420C] = [1 << channel]
        return Outcome(io=io)

    states = [State({HDMAEN_SHADOW: v}) for v in (0x00, 0xFF ^ (1 << channel), 0x81)]
    return draft(rng, category=D, family="hdma_setup", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model, dbr=IO_DBR,
                 watch=[HDMAEN_SHADOW - 1, HDMAEN_SHADOW + 1],
                 description="an HDMA channel and its enable bit")


# --- joypad ----------------------------------------------------------------------------------

def edge_detect(rng: random.Random) -> Draft:
    cur = free_low(rng, 6)
    prev, new = cur + 2, cur + 4
    wide = rng.random() < 0.5
    size = "16-bit word" if wide else "byte"
    requests = [
        f"Compute newly pressed buttons: the buttons held now are the {size} at {lng(cur)}, "
        f"last frame's are the {size} at {lng(prev)}. Store the buttons held now but not last "
        f"frame at {lng(new)}, then save the current buttons as last frame's.",
        f"Edge-detect the controller: {lng(new)} = bits set in {lng(cur)} and clear in "
        f"{lng(prev)} ({size}s); afterwards copy {lng(cur)} into {lng(prev)}.",
    ]
    reg = ["REP #$20"] if wide else []
    mask = h(0xFFFF, 4) if wide else h(0xFF)
    reference = lines(reg, f"LDA {ab(prev)}", f"EOR #{mask}",
                      f"AND {ab(cur)}", f"STA {ab(new)}", f"LDA {ab(cur)}", f"STA {ab(prev)}",
                      ["SEP #$20"] if wide else [])

    def model(m: Memory, _: dict[str, int]) -> None:
        n = 2 if wide else 1
        for k in range(n):
            m[new + k] = m[cur + k] & ~m[prev + k] & 0xFF
            m[prev + k] = m[cur + k]

    states = []
    for c, p in ((0xC0, 0x80), (0xFF, 0x00), (0x00, 0xFF), (0x5A, 0x5A), (0x81, 0x18)):
        states.append(State({cur: c, cur + 1: c ^ 0x3C, prev: p, prev + 1: p ^ 0x0F}))
    return draft(rng, category=J, family="edge_detect", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=range(cur - 1, cur + 7), description="new = held AND NOT previous")


def button_combo(rng: random.Random) -> Draft:
    press_name, press_bit = rng.choice(sorted(BUTTONS_LOW.items()))
    hold = rng.random() < 0.6
    hold_name, hold_bit = rng.choice(sorted(BUTTONS_HIGH.items()))
    flag = free_low(rng)
    value = rng.randrange(1, 0x100)
    cond = (f" while {hold_name} is held ($7E00F0)" if hold else "")
    requests = [
        f"If {press_name} was pressed this frame (ALTTP's newly-pressed byte $7E00F6){cond}, "
        f"store {h(value)} at {lng(flag)}; otherwise leave it alone.",
        f"Trigger on {press_name} going down this frame ($7E00F6){cond}: write {h(value)} to "
        f"{lng(flag)}. No trigger, no write.",
    ]
    reference = lines(f"LDA {ab(PRESSED_LOW)}", f"AND #{h(1 << press_bit)}", "BEQ Skip",
                      [f"LDA {ab(HELD_HIGH)}", f"AND #{h(1 << hold_bit)}", "BEQ Skip"]
                      if hold else [], f"LDA #{h(value)}", f"STA {ab(flag)}", "Skip:")

    def model(m: Memory, _: dict[str, int]) -> None:
        if m[PRESSED_LOW] & (1 << press_bit) and (not hold or m[HELD_HIGH] & (1 << hold_bit)):
            m[flag] = value

    states = []
    for pressed, held in ((1 << press_bit, 1 << hold_bit), (0xFF ^ (1 << press_bit), 0xFF),
                          (0xF0, 0xFF ^ (1 << hold_bit)), (1 << press_bit, 0xFF),
                          (0xFF, 1 << hold_bit), (0x00, 0xFF), (0xFF ^ (1 << press_bit), 0x00),
                          (0xFF, 0xFF), (0x0F, 0x00)):
        # the neighbouring joypad bytes hold every button but the ones that matter
        states.append(State({PRESSED_LOW: pressed, HELD_HIGH: held,
                             PRESSED_LOW - 1: 0xFF ^ (1 << press_bit),
                             PRESSED_LOW + 1: 0xFF ^ (1 << press_bit),
                             HELD_HIGH - 1: 0xFF ^ (1 << hold_bit),
                             HELD_HIGH + 1: 0xFF ^ (1 << hold_bit)}))
    return draft(rng, category=J, family="button_combo", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[flag - 1, flag, flag + 1], description="bit tests on the joypad copies")


def dpad_facing(rng: random.Random) -> Draft:
    order = ["Up", "Down", "Left", "Right"]
    rng.shuffle(order)
    codes = {"Up": 0, "Down": 2, "Left": 4, "Right": 6}
    priority = ", then ".join(order)
    requests = [
        f"Turn Link toward the direction held on the d-pad (bits of $7E00F0: Up $08, Down "
        f"$04, Left $02, Right $01). When several are held, the priority is {priority}. Facing "
        "($7E002F): 0 up, 2 down, 4 left, 6 right. With no direction held, keep the facing.",
        f"Set Link's facing byte $7E002F from the held d-pad in $7E00F0 (Up=bit 3, Down=bit "
        f"2, Left=bit 1, Right=bit 0; facing codes up 0, down 2, left 4, right 6), checking "
        f"{priority} in that order. Nothing held: leave $7E002F alone.",
    ]
    body = [f"LDA {ab(HELD_HIGH)}"]
    for name in order:
        body += [f"BIT #{h(1 << BUTTONS_HIGH[name])}", f"BNE Face{name}"]
    body += ["RTS"]
    for name in order:
        body += [f"Face{name}:", f"LDA #{h(codes[name])}", "BRA Store"]
    body += ["Store:", "STA $2F"]
    reference = lines(body)

    def model(m: Memory, _: dict[str, int]) -> None:
        for name in order:
            if m[HELD_HIGH] & (1 << BUTTONS_HIGH[name]):
                m[0x7E002F] = codes[name]
                return

    states = [State({HELD_HIGH: v, 0x7E002F: 0x55}) for v in (
        0x00, 0x0F, 0xF0, 0x08, 0x04, 0x02, 0x01, 0x06, 0x09, 0xF3)]
    return draft(rng, category=J, family="dpad_facing", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[0x7E002E, 0x7E0030], description="a priority chain over d-pad bits")


def auto_repeat(rng: random.Random) -> Draft:
    name, bit = rng.choice(sorted(BUTTONS_HIGH.items()))
    delay = rng.randrange(0x10, 0x30)
    rate = rng.randrange(2, 0x08)
    timer = free_low(rng, 2)
    fire = timer + 1
    requests = [
        f"Menu auto-repeat for {name} (bit {bit} of the held byte $7E00F0), timer at "
        f"{lng(timer)}, output flag at {lng(fire)}. If {name} is not held: timer = {delay}, "
        f"flag = 0. If held: count the timer down; when it reaches 0, set the flag to 1 and "
        f"reload the timer with {rate}; otherwise the flag is 0.",
        f"Implement key repeat: while {name} ($7E00F0 bit {bit}) is held, decrement "
        f"{lng(timer)} each call and raise {lng(fire)} to 1 on the call where it hits zero "
        f"(reloading {rate}); any other held call leaves {lng(fire)} = 0. When released, "
        f"reset the timer to {delay} and the flag to 0.",
    ]
    reference = lines(
        "LDX #$00", f"LDA {ab(HELD_HIGH)}", f"AND #{h(1 << bit)}", "BNE Held",
        f"LDA #{h(delay)}", "BRA Store", "Held:", f"LDA {ab(timer)}", "DEC A", "BNE Store",
        "INX", f"LDA #{h(rate)}", "Store:", f"STA {ab(timer)}", f"STX {ab(fire)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        if not m[HELD_HIGH] & (1 << bit):
            m[timer], m[fire] = delay, 0
            return
        t = (m[timer] - 1) & 0xFF
        m[timer], m[fire] = (rate, 1) if t == 0 else (t, 0)

    states = [State({HELD_HIGH: held, timer: t, fire: f}) for held, t, f in (
        (0x00, 5, 1), (1 << bit, 1, 0), (1 << bit, 2, 1), (0xFF, 0x20, 0),
        (0xFF ^ (1 << bit), 1, 1), (1 << bit, 0, 0))]
    return draft(rng, category=J, family="auto_repeat", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[timer - 1, fire + 1], description="a held-button repeat timer")


def cheat_sequence(rng: random.Random) -> Draft:
    length = rng.randrange(3, 7)
    names = [rng.choice(sorted(BUTTONS_HIGH)) for _ in range(length)]
    index = free_low(rng, 2)
    done = index + 1
    codes = [1 << BUTTONS_HIGH[n] for n in names]
    sfx = rng.randrange(1, 0x40) if rng.random() < 0.5 else None
    requests = [
        f"Recognise the button sequence {', '.join(names)} from the newly-pressed byte "
        f"$7E00F4 (B $80, Y $40, Select $20, Start $10, Up $08, Down $04, Left $02, Right "
        f"$01). The progress counter is {lng(index)} (a value of {length} or more counts as "
        f"0). Frames with nothing pressed are "
        "ignored. A press that exactly equals the next expected button advances the counter; "
        "any other press resets it to 0. When the whole sequence is entered, reset the "
        f"counter and set {lng(done)} to 1.",
        f"Cheat-code input: expected buttons {', '.join(names)}; progress in {lng(index)}, "
        f"completion flag {lng(done)} (a counter past the end counts as 0). Each call looks "
        "at $7E00F4 (this frame's new presses, "
        "SNES high-byte layout B Y Select Start Up Down Left Right from bit 7). Zero: do "
        "nothing. Equal to the expected button: step forward (on the last one, counter back to "
        f"0 and {lng(done)} = 1). Anything else: counter = 0.",
    ]
    if sfx is not None:
        requests = [r + f" On completion also queue sound {h(sfx)} in $7E012F." for r in requests]
    reference = lines(
        f"LDA {ab(PRESSED_HIGH)}", "BEQ Done", f"LDX {ab(index)}", f"CPX #{h(length)}",
        "BCC Check", "LDX #$00", "Check:", "CMP.l Sequence,X",
        "BNE Reset", "INX", f"CPX #{h(length)}", "BCC Save", "LDA #$01", f"STA {ab(done)}",
        [f"LDA #{h(sfx)}", "STA $012F"] if sfx is not None else [],
        "Reset:", "LDX #$00", "Save:", f"STX {ab(index)}", "Done:", "RTS",
        f"Sequence: db {', '.join(h(c) for c in codes)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        pressed = m[PRESSED_HIGH]
        if not pressed:
            return
        at = m[index] if m[index] < length else 0
        if pressed == codes[at]:
            step = at + 1
            if step >= length:
                m[index], m[done] = 0, 1
                if sfx is not None:
                    m[0x7E012F] = sfx
            else:
                m[index] = step
        else:
            m[index] = 0

    states = []
    for k in range(length):
        states.append(State({PRESSED_HIGH: codes[k], index: k, done: 0}))
    wrong = next(c for c in (0x80, 0x40, 0x20, 0x10, 0x08) if c != codes[1])
    states += [State({PRESSED_HIGH: 0, index: 2, done: 0}),
               State({PRESSED_HIGH: wrong, index: 1, done: 0}),
               State({PRESSED_HIGH: codes[1] | 0x01 if codes[1] != 1 else 0x03, index: 1,
                      done: 0}),
               State({PRESSED_HIGH: codes[0], index: length, done: 0}),
               State({PRESSED_HIGH: codes[1], index: 0xFF, done: 0})]
    return draft(rng, category=J, family="cheat_sequence", difficulty=3, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[index - 1, done + 1, 0x7E012F],
                 description="a table-driven input state machine")


def popcount_held(rng: random.Random) -> Draft:
    out = free_low(rng)
    low = rng.random() < 0.5
    source = HELD_LOW if low else HELD_HIGH
    released = rng.random() < 0.4
    state = "not held (clear bits)" if released else "held"
    requests = [
        f"Count how many buttons are {state} in ALTTP's joypad byte {lng(source)} (one bit "
        f"per button, all 8 bits count) and store the number at {lng(out)}.",
        f"Store at {lng(out)} the number of {'clear' if released else 'set'} bits in "
        f"{lng(source)} (buttons {state}).",
    ]
    reference = lines(f"LDA {ab(source)}", ["EOR #$FF"] if released else [], "LDX #$00",
                      "Loop:", "ASL A", "BCC Next", "INX", "Next:", "CMP #$00", "BNE Loop",
                      f"STX {ab(out)}")

    def model(m: Memory, _: dict[str, int]) -> None:
        value = m[source] ^ 0xFF if released else m[source]
        m[out] = bin(value).count("1")

    states = [State({source: v}) for v in (0x00, 0xFF, 0x81, 0x5A, 0x01, 0x80)]
    return draft(rng, category=J, family="popcount_held", difficulty=2, requests=requests,
                 reference=reference, states=states, model=model,
                 watch=[out - 1, out, out + 1], description="count set bits")


PPU_FAMILIES = (fade_step, scroll_registers, layer_toggle, fixed_colour, cgram_colour)
DMA_FAMILIES = (vram_dma, cgram_dma, oam_dma, vram_clear, hdma_setup)
JOYPAD_FAMILIES = (edge_detect, button_combo, dpad_facing, auto_repeat, cheat_sequence,
                   popcount_held)
