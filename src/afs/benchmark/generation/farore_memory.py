"""Farore families about memory and control flow: bank switching for ROM tables, long
pointers, RLE-style decompression, checksums, unrolled clears out of branch range, helpers
called through JSR/JSL, frame-periodic work and 16-bit-index fills.
"""

from __future__ import annotations

import random

from afs.benchmark.generation.farore_common import (
    FACING,
    FRAME,
    LINK_X,
    LINK_Y,
    SFX2,
    SPR_HP,
    SPR_STATE,
    SPR_TYPE,
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


def bank_table(rng: random.Random) -> Built:
    """Read properties of item X from ROM tables through the program bank (PHB/PHK/PLB)."""
    out, = scratch(rng, 1)
    fields = rng.randrange(2, 5)
    entries = 8
    tables = [[rng.randrange(0x100) for _ in range(entries)] for _ in range(fields)]
    lines = ["PHB", "PHK", "PLB"]
    for f in range(fields):
        lines += [f"LDA Prop{f},X", f"STA {ab(out + f)}"]
    if rng.random() < 0.5:
        lines += ["LDA Prop0,X", "CLC", "ADC Prop1,X", f"STA {ab(out + fields)}"]
    lines += ["PLB"]
    data = [f"Prop{f}: db " + ", ".join(h(v) for v in t) for f, t in enumerate(tables)]
    cases = [Case({}, {"x": x}) for x in (0, entries - 1, *rng.sample(range(1, entries - 1),
                                                                      3))]
    spec = (f"X is an item number (0-{entries - 1}). It reads item X's entries of the "
            f"{fields} property tables Prop0.. (in the code's bank, $00) and stores them at "
            f"{ab(out)} onward"
            + (f", and the wrapping sum of the first two at {ab(out + fields)}"
               if "ADC Prop1,X" in lines else "")
            + ". The caller's DBR ($7E) must be restored; its stores go to WRAM.")
    routine = Routine("bank_switch_tables", lines, cases, request(
        rng, say(rng, "Item property lookup:", "This loads an item's data from ROM.",
                 "ROM table lookup with a bank switch:"), spec), outputs=("dbr",), data=data)
    return routine, [
        Inject(len(lines) - 1, [], "stack_imbalance",
               "the pushed DBR is never pulled: DBR stays $00 and the stack is off by one",
               line=len(lines) - 1),
        Inject(1, [], "bank_boundary",
               "without PHK the PLB pulls the caller's own DBR: the tables are read from "
               "WRAM", span=2, line=2),
        Inject(0, [], "stack_imbalance", "PLB at the end pulls a byte that was never "
               "pushed", line=1),
    ]


def long_pointer(rng: random.Random) -> Built:
    """Copy a block through the 24-bit pointer at $00-$02 into a WRAM buffer."""
    count = rng.randrange(4, 0x20)
    dest, = scratch(rng, 1)
    down = rng.random() < 0.5
    lines = (["LDY #$00", "Loop:", "LDA [$00],Y", f"STA {ab(dest)},Y", "INY",
              f"CPY #{h(count)}", "BNE Loop"] if not down else
             [f"LDY #{h(count - 1)}", "Loop:", "LDA [$00],Y", f"STA {ab(dest)},Y", "DEY",
              "BPL Loop"])
    cases = []
    for k in range(6):
        bank = pick(rng, (0x7F, 0x7E)) if k else 0x7F
        address = rng.randrange(0x2000, 0xFF00) if bank == 0x7F else \
            rng.randrange(0x1C00, 0x1E00)
        mem = {0x7E0000: address & 0xFF, 0x7E0001: address >> 8, 0x7E0002: bank}
        for i in range(count + 2):
            mem[(bank << 16) + address + i] = rng.randrange(0x100)
            mem[0x7E0000 | (address + i) & 0xFFFF] = rng.randrange(0x100)
        y = (1, count - 1, count // 2)[k] if k < 3 else rng.randrange(0x100)
        cases.append(Case(mem, {"y": y}))
    spec = (f"It copies {count} bytes from the address held in the 24-bit pointer at "
            f"$00-$02 (low, high, bank) to {ab(dest)}.")
    routine = Routine("long_pointer_copy", lines, cases, request(
        rng, say(rng, "Buffer copy for my decompressor:", "This copies data given a long "
                 "pointer.", "Copy routine:"), spec),
        watch=tuple(dest + i for i in range(0x100)))
    return routine, [
        Inject("LDA [$00],Y", "LDA ($00),Y", "bank_boundary",
               "($00),Y reads from the data bank, ignoring the pointer's bank byte"),
        Inject(0, [], "initialization", "Y is used as the index without being set", line=1),
        Inject(f"STA {ab(dest)},Y", f"STA {ab(dest)},X", "addressing_mode",
               "the store is indexed by X, not Y"),
        Inject("BNE Loop", "BPL Loop", "loop_termination",
               "BPL keeps looping while Y is below $80: far past the count")
        if not down else
        Inject("BPL Loop", "BNE Loop", "off_by_one", "BNE stops before copying byte 0"),
    ]


def rle_decode(rng: random.Random) -> Built:
    """Expand (count, value) pairs from the pointer at $00-$01 until a zero count."""
    dest, = scratch(rng, 1, 0x80)
    counter = pick(rng, (0x02, 0x04, 0x08))
    lines = ["LDY #$00", "LDX #$00", "Next:", "LDA ($00),Y", "BEQ Done",
             f"STA {h(counter)}", "INY", "LDA ($00),Y", "INY", "Fill:", f"STA {ab(dest)},X",
             "INX", f"DEC {h(counter)}", "BNE Fill", "BRA Next", "Done:"]
    if rng.random() < 0.5:
        lines += [f"STX {ab(dest + 0x7F)}"]
    cases = []
    for _ in range(5):
        stream: list[int] = []
        total = 0
        for _ in range(rng.randrange(1, 6)):
            n = rng.randrange(1, 9)
            if total + n > 0x60:
                break
            stream += [n, rng.randrange(0x100)]
            total += n
        stream.append(0)
        source = 0x7E1C00 + rng.randrange(0, 0x100)
        mem = {0x7E0000: source & 0xFF, 0x7E0001: (source >> 8) & 0xFF,
               0x7E0000 | counter: rng.randrange(0x100)}
        for i, b in enumerate(stream):
            mem[source + i] = b
        mem[source + len(stream)] = rng.randrange(1, 9)     # junk past the end
        cases.append(Case(mem))
    spec = (f"The data at the 16-bit pointer $00-$01 is a list of (count, value) byte pairs "
            f"ending with a zero count. It writes each value count times in a row to "
            f"{ab(dest)} onward"
            + (f", then stores the number of bytes written at {ab(dest + 0x7F)}"
               if len(lines) > 16 else "") + f". ${counter:02X} is free scratch.")
    routine = Routine("rle_decode", lines, cases, request(
        rng, say(rng, "A small RLE decompressor:", "My run-length decoder:",
                 "This unpacks run-length data."), spec))
    return routine, [
        Inject("BEQ Done", [], "loop_termination",
               "the zero count does not end the loop: it fills 256 bytes and reads on"),
        Inject(lines.index("LDA ($00),Y", 4) + 1, [], "pointer_bugs",
               "Y does not advance past the value: each next count is read from the value",
               line=lines.index("LDA ($00),Y", 4) + 2),
        Inject("LDX #$00", [], "initialization", "X, the write index, is never zeroed",
               line=2),
        Inject("BNE Fill", "BPL Fill", "off_by_one", "BPL writes each run one extra time "
               "(and more once the count wraps)"),
        Inject(3, "LDA ($00,X)", "addressing_mode",
               "($00,X) adds X to the pointer's address, not Y to the pointer"),
    ]


def sram_checksum(rng: random.Random) -> Built:
    """Sum a block of 16-bit words (a save-file style checksum)."""
    words = rng.randrange(4, 0x30)
    block, out = scratch(rng, 2, 0x80)
    invert = rng.random() < 0.5
    lines = ["REP #$20", "LDA #$0000", f"LDX #{h(2 * words - 2)}", "Loop:", "CLC",
             f"ADC {ab(block)},X", "DEX", "DEX", "BPL Loop"]
    if invert:
        lines += ["EOR #$FFFF", "INC A"]
    lines += [f"STA {ab(out)}", "SEP #$20"]
    cases = []
    for k in range(4):
        mem = {block + i: rng.randrange(0x100) for i in range(2 * words)}
        if k == 0:
            mem = {block + i: 0xFF for i in range(2 * words)}
        cases.append(Case(mem))
    spec = (f"It adds up the {words} 16-bit words at {ab(block)} (wrapping) and stores "
            + ("the two's complement of the sum" if invert else "the sum")
            + f" at {ab(out)}; it returns with 8-bit A.")
    routine = Routine("word_checksum", lines, cases, request(
        rng, say(rng, "Save-data checksum:", "This computes my checksum.",
                 "Checksum routine:"), spec))
    return routine, [
        Inject("LDA #$0000", [], "initialization", "the sum starts from whatever A held",
               line=2),
        Inject(lines.index("DEX"), [], "16bit_operations",
               "X steps one byte, not one word: the sum reads overlapping words",
               line=lines.index("DEX") + 1),
        Inject("SEP #$20", [], "mode_mismatch", "the routine returns with 16-bit A",
               line=len(lines)),
        Inject("BPL Loop", "BNE Loop", "loop_termination", "BNE stops before word 0"),
        Inject("CLC", [], "carry_flag", "each add includes the carry out of the last",
               line=5),
    ]


def unrolled_clear(rng: random.Random) -> Built:
    """Clear sprite tables for every slot, unrolled, unless a flag says not to."""
    flag, out = scratch(rng, 2, 0x10)
    tables = rng.sample((SPR_STATE, SPR_TYPE, SPR_HP, 0x0D90, 0x0DA0, 0x0E60, 0x0F50), 3)
    slots = rng.randrange(15, 17)     # 3+ tables x 15+ slots: past a branch's reach
    value = rng.randrange(1, 0x100)
    body = [f"STZ {ab(t + s)}" for t in tables for s in range(slots)]
    lines = [f"LDA {ab(flag)}", "BNE Keep", "JMP Skip", "Keep:", *body, "Skip:",
             f"LDA #{h(value)}", f"STA {ab(out)}"]
    cases = []
    for k in range(8):
        mem = {0x7E0000 | t + s: rng.randrange(1, 0x100) for t in tables for s in range(17)}
        mem[flag] = (0, 1, 0x80, 0, 0xFF, 0, 0x01, 0)[k]
        cases.append(Case(mem))
    names = ", ".join(f"${t:04X}" for t in tables)
    spec = (f"Unless the byte at {ab(flag)} is zero, it zeroes entries 0-{slots - 1} of the "
            f"sprite tables {names}, written out one store per byte; in every case it then "
            f"stores {h(value)} at {ab(out)}.")
    routine = Routine("unrolled_clear", lines, cases, request(
        rng, say(rng, "Room-reset code:", "This wipes the sprite tables.",
                 "Sprite table reset:"), spec))
    return routine, [
        Inject(1, "BEQ Skip", "branch_range",
               f"BEQ cannot reach Skip, {3 * len(body)} bytes ahead (a branch reaches "
               "-128..+127)", span=3),
    ]


def unrolled_loop(rng: random.Random) -> Built:
    """A loop whose body is too long for the branch back to its top."""
    tables = 0x7E1000 + 0x10 * rng.randrange(0, 0x40)
    count = rng.randrange(44, 54)
    slots = rng.randrange(2, 16)
    value = rng.randrange(0x100)
    body = [f"STA {ab(tables + 0x10 * t)},X" for t in range(count)]
    lines = [f"LDA #{h(value)}", f"LDX #{h(slots - 1)}", "Loop:", *body, "DEX", "BMI Done",
             "JMP Loop", "Done:"]
    cases = [Case({tables + 0x10 * t + s: rng.randrange(0x100) for t in range(count)
                   for s in range(slots + 1)}) for _ in range(2)]
    spec = (f"It sets entries 0-{slots - 1} of each of the {count} 16-byte tables at "
            f"{ab(tables)}, {ab(tables + 0x10)}, ... to {h(value)}, one loop over the entry "
            "index.")
    routine = Routine("unrolled_loop", lines, cases, request(
        rng, say(rng, "Table initialisation:", "This fills a block of tables.",
                 "Init loop for my tables:"), spec))
    return routine, [
        Inject("BMI Done", "BPL Loop", "branch_range",
               f"BPL Loop must jump back over {3 * count + 1} bytes, out of a branch's "
               "reach", span=3),
    ]


def helper_call(rng: random.Random) -> Built:
    """Place a sprite at Link's position offset by a direction table, through a helper."""
    long_call = rng.random() < 0.5
    call, ret = ("JSL", "RTL") if long_call else ("JSR", "RTS")
    dx = [rng.randrange(-0x18, 0x18) & 0xFF for _ in range(4)]
    dy = [rng.randrange(-0x18, 0x18) & 0xFF for _ in range(4)]
    lines = ["PHB", "PHK", "PLB", f"LDA {h(FACING & 0xFF)}", "LSR A", "TAY", f"{call} Offset",
             "PLB", "RTS", "Offset:", "LDA $22", "CLC", "ADC DirX,Y", "STA $0D10,X",
             "LDA $20", "CLC", "ADC DirY,Y", "STA $0D00,X", ret]
    data = ["DirX: db " + ", ".join(h(v) for v in dx),
            "DirY: db " + ", ".join(h(v) for v in dy)]
    cases = []
    for k in range(8):
        mem = {FACING: 2 * (k % 4) + (k >= 6), LINK_X: rng.randrange(0x100),
               LINK_Y: rng.randrange(0x100),
               LINK_X + 1: rng.randrange(0x100), LINK_Y + 1: rng.randrange(0x100)}
        cases.append(Case(mem, {"x": rng.randrange(16)}))
    spec = ("Link's facing ($2F) is 0, 2, 4 or 6 (up, down, left, right; it is halved to "
            "index the tables). For sprite slot X it "
            "sets the low X and Y coordinates ($0D10,X/$0D00,X) to the low bytes of Link's "
            "($22/$20) plus that direction's entries of DirX and DirY (tables in the code's "
            f"bank). The work is done by the helper Offset, called with {call}.")
    routine = Routine("direction_helper", lines, cases, request(
        rng, say(rng, "Positioning helper:", "This puts a sprite in front of Link.",
                 "Sprite placement through a helper:"), spec), data=data,
        outputs=("dbr",))
    return routine, [
        Inject(len(lines) - 1, "RTL" if ret == "RTS" else "RTS", "subroutine_call",
               f"the helper is called with {call} but returns with the other kind of return: "
               "the return address is popped with the wrong size"),
        Inject(f"{call} Offset", "JMP Offset" if not long_call else "JML Offset",
               "subroutine_call", "a jump never returns: the caller's PLB is skipped"),
        Inject("LSR A", [], "off_by_one", "the facing value is already 0-6 in steps of two: "
               "not halving it indexes past the table"),
        Inject("TAY", "TAX", "register_corruption",
               "the table index overwrites X, the sprite slot"),
    ]


def frame_periodic(rng: random.Random) -> Built:
    """Every 2^n frames, count a timer down and queue a sound when it runs out."""
    bits = rng.randrange(1, 6)
    timer, = scratch(rng, 1, 0x10)
    sound = rng.randrange(1, 0x40)
    lines = [f"LDA {h(FRAME & 0xFF)}", f"AND #{h((1 << bits) - 1)}", "BNE Done",
             f"LDA {ab(timer)}", "BEQ Done", f"DEC {ab(timer)}", "BNE Done",
             f"LDA #{h(sound)}", f"STA {ab(SFX2)}", "Done:"]
    cases = []
    period = 1 << bits
    fire = sorted({0, period, 3 * period & 0xFF, 0x80 & ~(period - 1), 0xFF & ~(period - 1)})
    quiet = [1, period - 1, period + 1, 0xFF]
    for k, frame in enumerate(fire[:3] * 4 + quiet * 2):
        value = (0, 1, 2, rng.randrange(3, 0x100))[k % 4]
        cases.append(Case({FRAME: frame & 0xFF, timer: value, SFX2: rng.randrange(0x100)}))
    spec = (f"On frames where the frame counter $1A is a multiple of {period}, it counts the "
            f"timer at {ab(timer)} down (not below zero); when that takes it to zero it "
            f"queues sound {h(sound)} in $012F.")
    routine = Routine("frame_periodic", lines, cases, request(
        rng, say(rng, "A slow countdown:", "This runs every few frames.",
                 "Frame-counter based timer:"), spec))
    return routine, [
        Inject(1, f"AND #{h(period)}", "timing_issues",
               "the mask is the period, not the period minus one"),
        Inject("BEQ Done", [], "timing_issues",
               "a timer at zero is decremented: it wraps and fires 255 periods late"),
        Inject(0, f"LDA #{h(FRAME & 0xFF)}", "addressing_mode",
               "LDA #$1A loads the number $1A, not the frame counter"),
    ]


def wide_fill(rng: random.Random) -> Built:
    """Fill more than 256 bytes with a 16-bit index, then return with 8-bit registers."""
    count = rng.randrange(0x110, 0x180)
    base = 0x7E1000 + rng.randrange(0, 0x600)
    value = rng.randrange(1, 0x100)
    lines = ["REP #$10", f"LDX #{h(count - 1, 4)}", f"LDA #{h(value)}", "Loop:",
             f"STA.l {h(base, 6)},X", "DEX", "BPL Loop", "SEP #$10"]
    cases = [Case({base + i: rng.randrange(0x100) for i in range(count)}) for _ in range(2)]
    spec = (f"It fills the {count} bytes from {h(base, 6)} with {h(value)} and returns with "
            "8-bit index registers.")
    routine = Routine("wide_fill", lines, cases, request(
        rng, say(rng, "Buffer fill:", "This clears a big buffer.", "Fill routine:"), spec))
    return routine, [
        Inject("REP #$10", [], "mode_mismatch",
               "the 16-bit count is loaded into an 8-bit X: the instruction stream is "
               "misread", line=1),
        Inject("SEP #$10", [], "mode_mismatch", "the routine returns with 16-bit X",
               line=len(lines)),
        Inject(f"LDX #{h(count - 1, 4)}", f"LDX #{h(count, 4)}", "off_by_one",
               "X starts at the count: one byte past the buffer is written"),
    ]

