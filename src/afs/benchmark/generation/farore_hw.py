"""Farore families about the hardware and the machine: DMA and HDMA setup, forced blank,
interrupt-safe updates and register saving, bank switching and long pointers.

Routines that write hardware registers run with DBR = $00 (the request says so through the
item's preconditions); their test records the value sequence written to each register.
"""

from __future__ import annotations

import random

from afs.benchmark.generation.farore_common import (
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

TARGETS = {  # B-bus target: (port, DMA mode, address registers, name)
    "vram": (0x18, 0x01, "VRAM"),
    "cgram": (0x22, 0x00, "CGRAM"),
    "oam": (0x04, 0x00, "OAM"),
}


def _store(value: int, register: int) -> list[str]:
    return [f"LDA #{h(value)}", f"STA ${register:04X}"]


def dma_upload(rng: random.Random) -> Built:
    """Upload a WRAM buffer to VRAM, CGRAM or OAM with one DMA channel."""
    channel = rng.randrange(8)
    base = 0x4300 + 0x10 * channel
    target = pick(rng, tuple(TARGETS))
    port, mode, name = TARGETS[target]
    bank = pick(rng, (0x7E, 0x7F))
    source = rng.randrange(0x2000, 0xF000) & 0xFFF0
    size = {"vram": rng.randrange(0x20, 0x800) & 0xFFFE, "cgram": 2 * rng.randrange(8, 0x100),
            "oam": 0x220}[target]
    wide = rng.random() < 0.5
    lines: list[str] = []
    if target == "vram":
        dest = rng.randrange(0x8000) & 0xFFF0
        setup = [(0x2115, 0x80)]
        address = [(0x2116, dest & 0xFF), (0x2117, dest >> 8)]
        what = f"VRAM word address {h(dest, 4)} (incrementing after each high byte)"
    elif target == "cgram":
        dest = rng.randrange(0x100 - size // 2 + 1)
        setup, address = [], [(0x2121, dest)]
        what = f"CGRAM from colour {dest}"
    else:
        setup, address = [], [(0x2102, 0x00), (0x2103, 0x00)]
        what = "OAM from its start"
    if wide:
        lines += ["REP #$20", f"LDA #{h(port << 8 | mode, 4)}", f"STA ${base:04X}",
                  f"LDA #{h(source, 4)}", f"STA ${base + 2:04X}", f"LDA #{h(size, 4)}",
                  f"STA ${base + 5:04X}"]
        if len(address) == 2:
            lines += [f"LDA #{h(address[1][1] << 8 | address[0][1], 4)}",
                      f"STA ${address[0][0]:04X}"]
        lines += ["SEP #$20"]
        if len(address) == 1:
            lines += _store(address[0][1], address[0][0])
        lines += _store(bank, base + 4)
    else:
        for register, value in [(base, mode), (base + 1, port), (base + 2, source & 0xFF),
                                (base + 3, source >> 8), (base + 4, bank),
                                (base + 5, size & 0xFF), (base + 6, size >> 8), *address]:
            lines += _store(value, register)
    for register, value in setup:
        lines += _store(value, register)
    lines += _store(1 << channel, 0x420B)
    cases = [Case({}) for _ in range(2)]
    spec = (f"It copies {size} bytes from {h(bank << 16 | source, 6)} to {what} with DMA "
            f"channel {channel}" + (", each word going to VMDATAL/VMDATAH ($2118/$2119)"
                                    if target == "vram" else "") + ".")
    routine = Routine("dma_upload", lines, cases, request(
        rng, say(rng, "My upload routine runs during vblank.", "DMA transfer code:",
                 f"This sends a buffer to {name}."), spec), dbr=0x00)
    enable = len(lines) - 2
    bugs = [Inject(enable, f"LDA #{h(channel)}" if channel != 1 else "LDA #$01", "dma_issues",
                   "MDMAEN takes a bit mask (1 << channel), not the channel number"),
            Inject(lines.index(f"LDA #{h(bank)}"), f"LDA #{h(bank ^ 0x01)}", "bank_boundary",
                   "the source bank byte names the other WRAM bank")]
    if wide:
        bugs += [Inject("REP #$20", [], "mode_mismatch",
                        "the 16-bit immediates run with 8-bit A: the instruction stream is "
                        "misread"),
                 Inject("SEP #$20", [], "mode_mismatch",
                        "A stays 16-bit: the bank store also writes the next register",
                        line=lines.index("SEP #$20") + 1),
                 Inject(f"LDA #{h(size, 4)}", f"LDA #{h(size - 1, 4)}", "off_by_one",
                        "the DMA byte count is the number of bytes, not that number minus "
                        "one")]
    else:
        bugs += [Inject(f"STA ${base + 5:04X}", f"STA ${base + 6:04X}", "memory_access",
                        "the size's low byte is written to the high-byte register"),
                 Inject(lines.index(f"STA ${base + 1:04X}") - 1, f"LDA #{h(port + 1)}",
                        "dma_issues",
                        "the B-bus target is one register too far")]
    if target == "vram":
        vmain = lines.index("LDA #$80")
        bugs.append(Inject(vmain, "LDA #$00", "dma_issues",
                           "VMAIN $00 increments after the low byte: every other byte "
                           "lands in the next word"))
    return routine, bugs


def hdma_setup(rng: random.Random) -> Built:
    """Point an HDMA channel at a table and enable it through the $9B shadow."""
    channel = rng.randrange(1, 8)
    base = 0x4300 + 0x10 * channel
    mode, port, what = pick(rng, ((0x02, 0x0D, "BG1HOFS ($210D, written twice per line)"),
                                  (0x00, 0x26, "the window 1 left position WH0 ($2126)"),
                                  (0x02, 0x32, "COLDATA ($2132, written twice per line)"),
                                  (0x03, 0x0D, "BG1HOFS/BG1VOFS ($210D/$210E)")))
    table = rng.randrange(0x1000, 0x1A00) & 0xFFF0
    bank = pick(rng, (0x7E, 0x7F))
    indirect = rng.random() < 0.3
    lines = [*_store(mode | (0x40 if indirect else 0), base), *_store(port, base + 1),
             *_store(table & 0xFF, base + 2), *_store(table >> 8, base + 3),
             *_store(bank, base + 4)]
    if indirect:
        lines += _store(bank, base + 7)
    mask = 1 << channel
    lines += [f"LDA #{h(mask)}", "TSB $9B"]
    cases = [Case({0x7E009B: v}) for v in (0x00, 0xFF ^ mask, rng.randrange(0x100),
                                           mask)]
    spec = (f"It sets up HDMA channel {channel} to write {what} from the "
            + ("indirect " if indirect else "") + f"table at {h(bank << 16 | table, 6)}"
            + (f" (its data in bank {h(bank)})" if indirect else "")
            + " and enables it through the HDMAEN shadow $9B (the NMI copies $9B to $420C), "
            "leaving the other channels' bits in $9B as they were.")
    routine = Routine("hdma_setup", lines, cases, request(
        rng, say(rng, "HDMA effect setup:", "This starts my wavy-screen HDMA.",
                 "Setting up an HDMA channel:"), spec), dbr=0x00)
    return routine, [
        Inject("TSB $9B", "STA $9B", "bit_manipulation",
               "STA replaces the shadow: every other HDMA channel is switched off"),
        Inject("TSB $9B", "STA $420B", "dma_issues",
               "the mask goes to MDMAEN: it starts general DMA instead of enabling HDMA"),
        Inject(lines.index(f"STA ${base + 4:04X}") - 1, f"LDA #{h(bank ^ 0x01)}",
               "bank_boundary", "the table's bank byte names the other WRAM bank"),
        Inject(f"STA ${base + 1:04X}", f"STA ${base:04X}", "memory_access",
               "the B-bus target is written over the mode register"),
    ]


def forced_blank(rng: random.Random) -> Built:
    """Write to a PPU data port mid-frame inside forced blank, then restore the screen."""
    level_from_shadow = rng.random() < 0.5
    level = rng.randrange(1, 16)
    target = rng.randrange(3)
    data = [rng.randrange(0x100) for _ in range(2 * rng.randrange(1, 4))]
    shown = ", ".join(h(v) for v in data)
    if target == 0:
        vram = rng.randrange(0, 0x8000)
        setup = [(0x2115, 0x80), (0x2116, vram & 0xFF), (0x2117, vram >> 8)]
        writes = [(0x2118 + i % 2, v) for i, v in enumerate(data)]
        what = f"the words {shown} (low, high, ...) to VRAM word address {h(vram, 4)}"
    elif target == 1:
        colour = rng.randrange(0x100)
        setup = [(0x2121, colour)]
        writes = [(0x2122, v) for v in data]
        what = f"the bytes {shown} to CGRAM starting at colour {colour}"
    else:
        entry = rng.randrange(0x100)
        setup = [(0x2102, entry), (0x2103, 0x00)]
        writes = [(0x2104, v) for v in data]
        what = f"the bytes {shown} to OAM starting at word {entry}"
    body = [t for register, v in setup + writes for t in _store(v, register)]
    restore = ["LDA $13", "STA $2100"] if level_from_shadow else _store(level, 0x2100)
    lines = ["LDA #$80", "STA $2100", *body, *restore]
    cases = [Case({0x7E0013: pick(rng, (0x0F, level, 0x08))}) for _ in range(2)]
    after = ("at the brightness held in the INIDISP shadow $13" if level_from_shadow
             else f"at brightness {level}")
    spec = (f"Called from the main loop while the screen is on, mid-frame, it writes {what}; "
            f"afterwards the screen must be on {after}.")
    routine = Routine("forced_blank", lines, cases, request(
        rng, say(rng, "Mid-frame PPU update:", "I call this to patch video memory.",
                 "A quick PPU write from the main loop:"), spec), dbr=0x00)
    return routine, [
        Inject(0, [], "vblank_timing", "the ports are written while the screen draws: "
               "without forced blank the writes are lost", line=1),
        Inject(0, f"LDA #{h(level)}", "vblank_timing",
               "the first INIDISP write sets brightness only (bit 7 clear): no forced blank"),
        Inject(len(lines) - 2, f"LDA #{h(0x80 | level)}", "vblank_timing",
               "the screen is left in forced blank afterwards"),
    ]


def irq_safe(rng: random.Random) -> Built:
    """Update a multi-byte value an IRQ handler reads, with IRQs masked, then restore P."""
    source, target = scratch(rng, 2)
    count = rng.randrange(2, 5)
    timer = rng.random() < 0.5
    lines = ["PHP", "SEI"]
    for i in range(count):
        lines += [f"LDA {ab(source + i)}", f"STA {ab(target + i)}"]
    if timer:
        lines += [f"LDA {ab(source + count)}", f"STA {ab(target + count)}",
                  f"INC {ab(target + count + 1)}"]
    lines += ["PLP"]
    cases = [Case({**{source + i: rng.randrange(0x100) for i in range(count + 1)},
                   target + count + 1: rng.randrange(0x100)}, {"p": p})
             for p in (0x30, 0x34, 0x31, 0x35, 0x30 | 0xC4, 0x30 | 0x42)]
    spec = (f"It copies the {count + (1 if timer else 0)} bytes at {ab(source)} to "
            f"{ab(target)} (an IRQ handler reads them), with IRQs masked while it does"
            + (f", and counts the update at {ab(target + count + 1)}" if timer else "")
            + "; it returns with the caller's flags, interrupt mask included.")
    routine = Routine("irq_safe_update", lines, cases, request(
        rng, say(rng, "Shared-variable update:", "This updates the values my IRQ uses.",
                 "Main-loop side of an IRQ handshake:"), spec), flags=("i", "c", "n", "z"))
    return routine, [
        Inject("PLP", "CLI", "interrupt_handling",
               "CLI unmasks IRQs even when the caller had them masked, and P stays on the "
               "stack"),
        Inject("PHP", [], "stack_imbalance", "PLP pulls a P that was never pushed", line=1),
    ]


def nmi_save(rng: random.Random) -> Built:
    """An NMI-time routine that saves every register, sets D and DBR, copies shadows to the
    PPU and restores everything."""
    shadows = rng.sample(((0x2100, 0x13), (0x212C, 0x1C), (0x212D, 0x1D), (0x2105, 0x94),
                          (0x2106, 0x95), (0x2131, 0x9A)), rng.randrange(2, 4))
    lines = ["PHP", "REP #$30", "PHA", "PHX", "PHY", "PHB", "PHD", "LDA #$0000", "TCD",
             "PHK", "PLB", "SEP #$30"]
    for register, dp in shadows:
        lines += [f"LDA {h(dp)}", f"STA ${register:04X}"]
    lines += ["INC $1A", "REP #$30", "PLD", "PLB", "PLY", "PLX", "PLA", "PLP"]
    cases = []
    for _ in range(4):
        mem = {0x7E0000 | dp: rng.randrange(0x100) for _, dp in shadows}
        mem[0x7E001A] = rng.randrange(0x100)
        cases.append(Case(mem, {"a": rng.randrange(0x10000), "dbr": 0x7E}))
    names = ", ".join(f"${dp:02X} to ${register:04X}" for register, dp in shadows)
    spec = (f"Called from the NMI handler, it copies the shadows {names} (direct page "
            "$0000) through bank $00, increments the frame counter $1A, and returns with "
            "every register as the caller had it: A (both bytes), X, Y, D, DBR and P.")
    routine = Routine("nmi_register_save", lines, cases, request(
        rng, say(rng, "Part of my NMI handler:", "NMI-time register update:",
                 "This copies the PPU shadows each frame."), spec),
        outputs=("a", "x", "y", "dbr", "d"), flags=("c", "n", "z", "v", "i"))
    return routine, [
        Inject(1, ["PHA", "PHX", "PHY", "REP #$30"], "interrupt_handling",
               "A, X and Y are pushed at the caller's 8-bit width but pulled as 16-bit",
               span=4),
        Inject(lines.index("PLD") + 1, [], "stack_imbalance",
               "DBR is pushed but never pulled: the stack and DBR are wrong on return"),
        Inject("PHD", [], "interrupt_handling",
               "D is changed without being saved: PLD pulls the wrong word"),
    ]
