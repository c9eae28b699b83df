"""Veran families about asar syntax (size suffixes, label arithmetic, sublabels and
anonymous labels, data directives) and SNES hardware registers (DMA, HDMA, CGRAM, PPU
setup). asar questions ask what the assembler emits; hardware questions what the code writes
to each register (the emulator logs every I/O write)."""

from __future__ import annotations

import random

from afs.benchmark.generation.veran_common import Ask, Spec, h2, h4, h6, line_of, pick

SUFFIX_MODES = {"b": ("direct page", "1-byte"), "w": ("absolute", "2-byte"),
                "l": ("long", "3-byte")}


# --- asar_address_operators ----------------------------------------------------------------

def suffix_forms(rng: random.Random) -> Spec:
    offset = rng.randrange(0x0100, 0x1F00)
    dp = rng.randrange(0x10, 0xF0)
    order = rng.sample(["b", "w", "l"], 3)[:rng.randrange(2, 4)]
    lines, stores = [], []
    for i, suffix in enumerate(order):
        if suffix == "b":
            lines += [f"LDA.b $7E00{dp:02X}", f"STA {h6(0x7E0000 + offset + i)}"]
        elif suffix == "w":
            lines += [f"LDA.w {h6(0x7E0000 + offset + 0x10)}", f"STA.l {h6(0x7E0000 + offset + i)}"]
        else:
            lines += [f"LDA.l $00{offset + 0x20:04X}", f"STA.w {h6(0x7E0000 + offset + i)}"]
        stores.append(offset + i)
    asked = rng.choice(order)
    number = line_of(lines, next(ln for ln in lines if ln.startswith(f"LDA.{asked}")))
    mem = {f"$7E00{dp:02X}": rng.randrange(1, 0x100),
           h6(0x7E0000 + offset + 0x10): rng.randrange(1, 0x100),
           h6(0x7F0000 + offset + 0x10): rng.randrange(1, 0x100),
           h6(0x7E0000 + offset + 0x20): rng.randrange(1, 0x100)}
    w_index = order.index("w") if "w" in order else 0
    asks = [Ask(f"bytes:{number}"),
            Ask(f"mem:{h6(0x7E0000 + stores[w_index])}", init={"dbr": 0x7F}, memory=mem),
            Ask(f"size:{line_of(lines, lines[1])}")]
    explanation = ("In asar a .b, .w or .l suffix forces the operand size whatever the size "
                   "of the value written: .b gives a 1-byte direct page operand (only the low "
                   "byte is kept), .w a 2-byte absolute operand whose bank comes from DBR at run "
                   "time (the bank byte written is dropped), and .l a 3-byte long operand. "
                   "Without a suffix asar sizes the operand from how the number is written. Each "
                   "load here is copied to the WRAM buffer at "
                   f"$7E{offset:04X}.")
    return Spec("operand_size_suffixes", 2, lines, explanation,
                [("forces size", ["force", "operand size"]),
                 ("direct page", ["direct page", "1-byte"]),
                 ("dbr bank", ["dbr", "data bank"]),
                 ("truncation", ["dropped", "low byte", "truncat", "kept"])],
                asks, [("the suffix sets the register width",
                        [r"\b(?:accumulator|register) width", r"changes the m flag"])])


def label_math(rng: random.Random) -> Spec:
    values = [rng.randrange(0x100) for _ in range(rng.randrange(4, 8))]
    k = rng.randrange(1, len(values) - 1)
    lines = [f"{pick(rng, 'ReadTable', 'LookupEntry', 'FetchByte')}:", f"LDA.l Table+{k}",
             "STA $00", "LDA.l Table+1,X", "STA $01", "RTS", "Table:",
             "db " + ", ".join(h2(v) for v in values), "Ends:", "dw Table+2, Ends-Table"]
    if rng.random() < 0.5:
        lines[8:8] = ["Other:", f"db {h2(rng.randrange(0x100))}"]
    x = rng.randrange(0, len(values) - 1)
    asks = [Ask("mem:$7E0000"), Ask("mem:$7E0001", init={"x": x}),
            Ask(f"bytes:{line_of(lines, 'dw Table+2, Ends-Table')}")]
    if rng.random() < 0.5:
        asks[0] = Ask(f"bytes:{line_of(lines, f'LDA.l Table+{k}')}")
    explanation = ("asar evaluates label arithmetic at assembly time: Table+k is the address "
                   "k bytes past the label, so LDA.l Table+k reads one fixed table entry and "
                   "LDA.l Table+1,X reads entry X+1. `dw Table+2, Ends-Table` emits two 16-bit "
                   "little-endian words: an address and the table's length in bytes "
                   "(the difference of two labels).")
    return Spec("label_arithmetic", 2, lines, explanation,
                [("assembly time", ["assembly time", "assembler computes", "at assembly"]),
                 ("offset", ["bytes past", "offset", "entry"]),
                 ("length", ["length", "difference", "size of the table"]),
                 ("little-endian", ["little-endian", "low byte first"])],
                asks, [("computed at run time", [r"\b(?:computed|evaluated|added) at run ?time"]),
                       ("big-endian", [r"big-endian", r"high byte first"])])


# --- asar_labels ---------------------------------------------------------------------------

def sublabels(rng: random.Random) -> Spec:
    first, second = rng.sample(["Fill", "Clear", "Copy", "Scan", "Count", "Shift"], 2)
    n1, n2 = rng.randrange(2, 7), rng.randrange(2, 7)
    dst = rng.randrange(0x0100, 0x1F00)
    lines = [f"{first}:", f"LDX #{h2(n1)}", ".loop", f"STA ${dst:04X},X", "DEX", "BNE .loop",
             f"JSR {second}", "RTS", f"{second}:", f"LDY #{h2(n2)}", ".loop", "INC $00", "DEY",
             "BNE .loop", ".done", "RTS"]
    if rng.random() < 0.5:
        lines[line_of(lines, "INC $00") - 1] = "INC $00" if rng.random() < 0.5 else "DEC $00"
    asks = [Ask(f"count:{line_of(lines, 'DEX')}"), Ask(f"label:{second}_loop"),
            Ask("mem:$7E0000" if "INC $00" in lines else f"count:{line_of(lines, 'DEY')}",
                init={"a": rng.randrange(1, 0x100)})]
    explanation = (f"`.loop` is a sublabel (local label): the first belongs to {first} and the "
                   f"second to {second}, so each BNE .loop branches to the loop of its own "
                   f"parent; outside, asar names them {first}_loop and {second}_loop. {first} "
                   f"fills {n1} bytes at ${dst:04X}+1..{n1} (X counts down), then calls "
                   f"{second} with JSR, which runs its own loop {n2} times.")
    return Spec("sublabels", 2, lines, explanation,
                [("sublabel", ["sublabel", "local label"]),
                 ("parent", ["parent", "belongs to", first.lower()]),
                 ("scope", [f"{second.lower()}_loop", "own"]),
                 ("call", ["jsr", "calls", "subroutine"])],
                asks, [("the sublabels clash", [r"\b(?:duplicate|redefin|clash|conflict)"])])


def anonymous_labels(rng: random.Random) -> Spec:
    outer, inner = rng.randrange(2, 5), rng.randrange(2, 5)
    lines = [f"LDY #{h2(outer)}", "--", f"LDX #{h2(inner)}", "-", "INC $00", "DEX", "BNE -",
             "DEY", "BNE --", "LDA $00", "CMP #$08", "BCC +", "LDA #$08", "+", "STA $01"]
    if rng.random() < 0.5:
        lines[line_of(lines, "INC $00") - 1:line_of(lines, "INC $00")] = ["INC $00", "INC $00"]
    asks = [Ask(f"count:{line_of(lines, 'DEX')}"), Ask("mem:$7E0001"),
            Ask(f"bytes:{line_of(lines, 'BNE -')}")]
    explanation = ("`-`, `--` and `+` are asar anonymous (plus/minus) labels: `BNE -` branches "
                   "back to the nearest `-` above, `BNE --` to the nearest `--` above (the "
                   f"outer loop), and `BCC +` forward to the nearest `+` below. So the inner "
                   f"loop runs {inner} times for each of the {outer} outer passes, and the "
                   "total in $00 is capped at 8 into $01. A branch assembles to its opcode and "
                   "a signed 8-bit offset from the next instruction.")
    return Spec("anonymous_labels", 2, lines, explanation,
                [("anonymous", ["anonymous", "plus/minus", "nameless"]),
                 ("backward", ["above", "backward", "back"]),
                 ("forward", ["below", "forward"]), ("nested", ["outer", "nested", "inner"])],
                asks, [("- branches forward", [r"`?-`? (?:label )?(?:branches|jumps|goes) "
                                               r"forward"])])


def org_labels(rng: random.Random) -> Spec:
    org = rng.randrange(0x8100, 0xF000) & 0xFFF0
    n = rng.randrange(2, 6)
    lines = [f"org ${org:06X}", "Start:", "LDX #$00", "-", "LDA.l Data,X", "STA $0400,X",
             "INX", f"CPX #{h2(n)}", "BCC -", "RTS", "Data:",
             "db " + ", ".join(h2(rng.randrange(0x100)) for _ in range(n))]
    asks = [Ask("label:Data"), Ask(f"mem:{h6(0x7E0400 + rng.randrange(n))}"),
            Ask(f"bytes:{line_of(lines, 'LDA.l Data,X')}")]
    explanation = (f"`org ${org:06X}` places the following code at SNES address ${org:06X}, "
                   "so every label gets its address from there: Start is the org address and "
                   "Data follows the code. The loop copies the bytes of the Data table to "
                   f"$0400 (X counts 0 to {n - 1}); LDA.l Data,X carries Data's 24-bit address "
                   "in its operand.")
    return Spec("org_and_labels", 2, lines, explanation,
                [("org", ["org"]), ("address", ["address"]), ("copy", ["cop", "table"]),
                 ("24-bit operand", ["24-bit", "long", "3-byte"])],
                asks, [("org sets the ROM file offset", [r"\bfile offset\b"])])


# --- asar_data_directives ------------------------------------------------------------------

def _table_read(rng: random.Random, label: str, index: str) -> tuple[list[str], list[str],
                                                                     str]:
    """(prologue, read instruction, epilogue) for reading `label`,index: a long read, or an
    absolute read with the data bank set to the code's bank (PHB/PHK/PLB ... PLB)."""
    if rng.random() < 0.5:
        return [], [f"LDA.l {label},{index}"] if index == "X" else [f"LDA {label},Y"], []
    return ["PHB", "PHK", "PLB"], [f"LDA {label},{index}"], ["PLB"]


def data_table(rng: random.Random) -> Spec:
    words = [rng.randrange(0x100, 0x10000) for _ in range(rng.randrange(3, 6))]
    k = rng.randrange(len(words))
    index = rng.choice(("X", "Y"))
    head, read, tail = _table_read(rng, "Words", index)
    if index == "Y" and not head:
        head, read, tail = ["PHB", "PHK", "PLB"], ["LDA Words,Y"], ["PLB"]
    double = ["TXA", "ASL A", f"TA{index}"] if rng.random() < 0.5 else \
        ["TXA", "CLC", "ADC #$00", "ASL A", f"TA{index}"]
    if rng.random() < 0.5:
        double = ["STX $02", "ASL $02", f"LD{index} $02"]
    lines = [f"{pick(rng, 'GetSpeed', 'LoadWord', 'ReadEntry')}:", *head, *double, "REP #$20",
             *read, "STA $00", "SEP #$20", *tail, "RTS", "Words:",
             "dw " + ", ".join(h4(w) for w in words)]
    if rng.random() < 0.5:
        lines += ["Bytes:", f"db {', '.join(h2(rng.randrange(0x100)) for _ in range(3))}",
                  f"dl {h6(rng.randrange(0x10000, 0x1000000))}"]
        asks = [Ask(f"bytes:{len(lines)}")]
    else:
        asks = [Ask(f"size:{line_of(lines, 'Words:') + 1}")]
    asks += [Ask("mem16:$7E0000", init={"x": k}),
             Ask(f"bytes:{line_of(lines, 'Words:') + 1}")]
    explanation = ("`dw` emits each value as a 16-bit little-endian word (low byte first), so "
                   "entry X starts at offset 2*X: the code doubles the index and reads "
                   "the word with a 16-bit accumulator into $00-$01. `db` emits single bytes "
                   "and `dl` 24-bit values (3 bytes, bank byte last).")
    if head:
        explanation += (" PHK/PLB makes the data bank the code's bank so the table can be read "
                        "with absolute addressing; PLB restores the caller's bank.")
    return Spec("data_directives", 1, lines, explanation,
                [("16-bit words", ["16-bit", "word"]),
                 ("little-endian", ["little-endian", "low byte first"]),
                 ("index doubled", ["doubles", "2*x", "2 * x", "twice", "times 2"]),
                 ("bytes", ["byte"])],
                asks, [("big-endian", [r"big-endian", r"high byte first"])])


def string_copy(rng: random.Random) -> Spec:
    text = rng.choice(("LINK", "ZELDA", "HYRULE", "GANON", "SAHASRAHLA", "AGAHNIM", "KAKARIKO"))
    dst = rng.randrange(0x0100, 0x1F00)
    index = rng.choice(("X", "Y"))
    head, read, tail = _table_read(rng, "Name", index)
    if index == "Y" and not head:
        head, read, tail = ["PHB", "PHK", "PLB"], ["LDA Name,Y"], ["PLB"]
    zero = rng.random() < 0.4
    end = "$00" if zero else "$FF"
    check = [] if zero else ["CMP #$FF"]
    store = f"STA ${dst:04X},{index}" if rng.random() < 0.5 else \
        f"STA.l {h6(0x7E0000 + dst)},X" if index == "X" else f"STA ${dst:04X},Y"
    lines = ["CopyName:", *head, f"LD{index} #$00", ".next", *read, *check, "BEQ .done",
             store, f"IN{index}", "BRA .next", ".done", *tail, "RTS", "Name:",
             f'db "{text}", {end}']
    k = rng.randrange(len(text))
    asks = [Ask(f"size:{len(lines)}"), Ask(f"mem:{h6(0x7E0000 + dst + k)}"),
            Ask(f"reg:{index.lower()}")]
    explanation = (f'`db "{text}", {end}` emits the string\'s {len(text)} characters as bytes '
                   f"(asar adds no terminator of its own) followed by an explicit {end} end "
                   f"marker. The loop copies the characters to ${dst:04X} until it reads the "
                   f"{end}" + (" (LDA itself sets the zero flag, so no compare is needed)"
                               if zero else "") +
                   f", so {index} ends at the string's length.")
    if head:
        explanation += (" PHK/PLB makes the data bank the code's bank so the string can be "
                        "read with absolute addressing; PLB restores the caller's bank.")
    return Spec("string_data", 1, lines, explanation,
                [("characters as bytes", ["character", "string"]),
                 ("terminator", [end.lower(), "terminat", "end marker"]),
                 ("copy loop", ["cop", "loop"])],
                asks, [("asar adds a zero byte",
                        [r"\basar (?:adds|appends) a (?:zero|null|\$00)"])])


def pointer_table(rng: random.Random) -> Spec:
    n = rng.randrange(2, 5)
    values = [[rng.randrange(1, 0x100) for _ in range(rng.randrange(1, 4))] for _ in range(n)]
    lines = ["ReadThrough:", "STA $04", "ASL A", "CLC", "ADC $04", "TAX", "LDA.l Pointers,X",
             "STA $00", "LDA.l Pointers+1,X", "STA $01", "LDA.l Pointers+2,X", "STA $02",
             "LDA [$00]", "STA $03", "RTS", "Pointers:",
             "dl " + ", ".join(f"Data{i}" for i in range(n))]
    if rng.random() < 0.5:
        lines[line_of(lines, "LDA [$00]") - 1:line_of(lines, "LDA [$00]")] = [
            "LDY #$01", "LDA [$00],Y"]
        values = [v if len(v) > 1 else [*v, rng.randrange(1, 0x100)] for v in values]
    for i, v in enumerate(values):
        lines += [f"Data{i}:", "db " + ", ".join(h2(b) for b in v)]
    k = rng.randrange(n)
    asks = [Ask("mem:$7E0003", init={"a": k}), Ask("mem:$7E0002", init={"a": k}),
            Ask(f"bytes:{line_of(lines, 'Pointers:') + 1}")]
    explanation = ("`dl` emits 24-bit long pointers, 3 bytes each in little-endian order (low "
                   "byte, high byte, bank byte last), so entry A starts at offset 3*A: the code "
                   "multiplies the index by three (A*2 + A), copies the pointer into $00-$02 "
                   "and reads the byte it points to with a direct page indirect long load, "
                   "which can reach any bank. The byte lands in $03.")
    return Spec("pointer_table", 2, lines, explanation,
                [("24-bit pointers", ["24-bit", "3 bytes", "three bytes", "long pointer"]),
                 ("times three", ["three", "3*a", "3 * a", "times 3"]),
                 ("indirect long", ["indirect", "[$00]"]),
                 ("little-endian", ["little-endian", "low byte", "bank byte last"])],
                asks, [("pointers are 16-bit", [r"\b16-bit pointers?\b", r"\b2-byte pointers?"])])


# --- hardware_register ---------------------------------------------------------------------

IO_BANK = (" PHB/PHK/PLB first makes the data bank the code's bank ($00), where absolute "
           "addresses $2100-$43FF reach the I/O registers, and PLB restores the caller's bank.")


def _io_bank(lines: list[str]) -> list[str]:
    """Run `lines` with DBR = the code's bank, so absolute $21xx/$43xx reach the I/O."""
    return ["PHB", "PHK", "PLB", *lines, "PLB"]


TRANSFER_MODES = {0: "one register", 1: "two registers, low then high"}
DMA_TARGETS = {0x18: ("VRAM", "VMDATAL/VMDATAH ($2118/$2119)", 0x01),
               0x22: ("CGRAM", "CGDATA ($2122)", 0x00),
               0x04: ("OAM", "OAMDATA ($2104)", 0x00)}


def dma_upload(rng: random.Random) -> Spec:
    channel = rng.randrange(8)
    base = 0x4300 + channel * 0x10
    bbad = rng.choice(sorted(DMA_TARGETS))
    what, reg, mode = DMA_TARGETS[bbad]
    size = rng.randrange(0x20, 0x800) & 0xFFF0
    src = rng.randrange(0x2000, 0xF000) & 0xFFF0
    bank = rng.choice((0x7E, 0x7F))
    lines = ["PHP", "REP #$20"]
    if bbad == 0x18:
        vaddr = rng.randrange(0, 0x8000) & 0xFFF0
        lines += [f"LDA #{h4(vaddr)}", "STA $2116", "SEP #$20", "LDA #$80", "STA $2115",
                  "REP #$20"]
    elif bbad == 0x22:
        lines += ["SEP #$20", f"LDA #{h2(rng.randrange(0x100))}", "STA $2121", "REP #$20"]
    else:
        lines += ["STZ $2102"]
    lines += [f"LDA #${bbad:02X}{mode:02X}", f"STA ${base:04X}", f"LDA #{h4(src)}",
              f"STA ${base + 2:04X}", f"LDA #{h4(size)}", f"STA ${base + 5:04X}", "SEP #$20",
              f"LDA #${bank:02X}", f"STA ${base + 4:04X}", f"LDA #{h2(1 << channel)}",
              "STA $420B", "PLP"]
    lines = _io_bank(lines)
    asks = [Ask(f"io_last:${base + 1:04X}"), Ask("io_last:$420B"),
            Ask(rng.choice((f"io_last:${base + 6:04X}", f"io_last:${base + 4:04X}",
                            f"io_count:${base + 2:04X}")))]
    explanation = (f"It sets up DMA channel {channel} (registers ${base:04X}-${base + 0xF:04X}) "
                   f"to copy {size} bytes from ${bank:02X}:{src:04X} to {what}: ${base:04X} gets "
                   f"the transfer mode ({TRANSFER_MODES[mode]}) "
                   f"and ${base + 1:04X} the B-bus target ${bbad:02X}, {reg}; "
                   f"${base + 2:04X}-${base + 4:04X} hold the source address and bank and "
                   f"${base + 5:04X}-${base + 6:04X} the byte count. Writing bit {channel} to "
                   "MDMAEN ($420B) starts the transfer." + IO_BANK)
    return Spec("dma_setup", 2, lines, explanation,
                [("dma channel", [f"channel {channel}", "dma"]),
                 ("destination", [what.lower()]), ("size", [str(size), h4(size).lower(),
                                                            "byte count"]),
                 ("start", ["mdmaen", "$420b", "starts"])],
                asks, [("HDMA starts it", [r"\$420C", r"\bhdmaen\b"]),
                       ("the source is VRAM", [rf"from {what}\b"])])


def hdma_setup(rng: random.Random) -> Spec:
    channel = rng.randrange(1, 8)
    base = 0x4300 + channel * 0x10
    target, name, mode = rng.choice(((0x00, "INIDISP (brightness)", 0x00),
                                     (0x0D, "BG1HOFS (BG1 horizontal scroll)", 0x02),
                                     (0x26, "WH0 (window 1 left edge)", 0x00),
                                     (0x32, "COLDATA (fixed colour)", 0x00)))
    table = rng.randrange(0x1000, 0x1F00)
    shadow = rng.random() < 0.5
    lines = ["REP #$20", f"LDA #${target:02X}{mode:02X}", f"STA ${base:04X}", f"LDA #{h4(table)}",
             f"STA ${base + 2:04X}", "SEP #$20", "LDA #$7E", f"STA ${base + 4:04X}"]
    if shadow:
        lines += [f"LDA #{h2(1 << channel)}", "TSB $9B", "LDA $9B", "STA $420C"]
    else:
        lines += [f"LDA #{h2(1 << channel)}", "STA $420C"]
    lines = _io_bank(lines)
    other = rng.randrange(0x100) & ~(1 << channel)
    asks = [Ask(f"io_last:${base + 1:04X}"), Ask("io_last:$420C", memory={"$7E009B": other}),
            Ask(f"io_last:${base:04X}")]
    explanation = (f"It sets up HDMA channel {channel}: ${base:04X} gets the transfer mode "
                   f"and ${base + 1:04X} the target register ${target:02X}, {name}, written on "
                   "each scanline; the table of per-line values is at "
                   f"$7E:{table:04X} (${base + 2:04X}-${base + 4:04X}). Setting bit {channel} in "
                   "HDMAEN ($420C) turns the channel on for every frame"
                   + (" and the game's shadow of it, $9B, keeps the other channels' bits."
                      if shadow else ".") + IO_BANK)
    return Spec("hdma_setup", 2, lines, explanation,
                [("hdma", ["hdma"]), ("channel", [f"channel {channel}"]),
                 ("table", ["table"]), ("enable", ["$420c", "hdmaen"])],
                asks, [("MDMAEN starts it", [r"\$420B", r"\bmdmaen\b"])])


def cgram_colors(rng: random.Random) -> Spec:
    n = rng.randrange(2, 5)
    colors = [rng.randrange(0, 0x8000) for _ in range(n)]
    index = rng.randrange(0, 0x100 - n)
    lines = ["SetColors:", "PHB", "PHK", "PLB", f"LDA #{h2(index)}", "STA $2121", "LDX #$00",
             ".next", "LDA Colors,X", "STA $2122", "INX", f"CPX #{h2(2 * n)}", "BCC .next",
             "PLB", "RTS",
             "Colors:", "dw " + ", ".join(h4(c) for c in colors)]
    asks = [Ask("io_count:$2122"), Ask("io_last:$2122"), Ask("io_last:$2121")]
    explanation = (f"It writes {n} colours to CGRAM (the palette) starting at colour {index}: "
                   "CGADD ($2121) selects the first colour and each colour is a 15-bit BGR "
                   "value written to CGDATA ($2122) as two bytes, low byte first; the address "
                   "advances after every second write. The dw table holds the colours, so X "
                   f"counts {2 * n} bytes." + IO_BANK)
    return Spec("palette_upload", 2, lines, explanation,
                [("cgram", ["cgram", "palette"]), ("two writes", ["two bytes", "low byte first",
                                                                  "twice"]),
                 ("cgadd", ["cgadd", "$2121"]), ("bgr", ["bgr", "15-bit", "colour", "color"])],
                asks, [("CGDATA takes one byte per colour", [r"\bone byte per colou?r"]),
                       ("the colours are RGB888", [r"24-bit colou?r"])])


def ppu_screen(rng: random.Random) -> Spec:
    mode = rng.randrange(0, 8)
    layers = rng.randrange(1, 0x20)
    bright = rng.randrange(1, 0x10)
    lines = ["LDA #$80", "STA $2100", f"LDA #{h2(mode | rng.choice((0, 0x08)))}", "STA $2105",
             f"LDA #{h2(layers)}", "STA $1C", "STA $212C"]
    if rng.random() < 0.5:
        lines += ["STZ $212D"]
    lines = _io_bank([*lines, f"LDA #{h2(bright)}", "STA $13", "STA $2100"])
    asks = [Ask("io_last:$2100"), Ask("io_count:$2100"), Ask("io_last:$212C")]
    explanation = ("It reconfigures the screen under forced blank: writing $80 to INIDISP "
                   "($2100) blanks the display, BGMODE ($2105) selects background mode "
                   f"{mode}, TM ($212C) picks the layers on the main screen (also kept in the "
                   "game's shadow $1C), and finally INIDISP gets brightness "
                   f"{bright} with forced blank off (also saved in the shadow $13)." + IO_BANK)
    return Spec("ppu_setup", 1, lines, explanation,
                [("forced blank", ["forced blank", "blank"]), ("bg mode", ["bgmode",
                                                                           "background mode"]),
                 ("main screen", ["main screen", "tm ("]), ("brightness", ["brightness"])],
                asks, [("reads the PPU registers", [r"\breads? (?:from )?(?:INIDISP|the PPU)"])])


def dma_queue(rng: random.Random) -> Spec:
    channel = rng.randrange(8)
    base = 0x4300 + channel * 0x10
    count = rng.randrange(1, 5)
    entries = [(rng.randrange(0, 0x8000) & 0xFFF0, rng.randrange(0x2000, 0xF000) & 0xFFF0,
                rng.choice((0x7E, 0x7F)), rng.randrange(0x20, 0x400) & 0xFFF0)
               for _ in range(count)]
    table = [ln for v, s, b, n in entries for ln in (f"dw {h4(v)}, {h4(s)}", f"db ${b:02X}",
                                                     f"dw {h4(n)}")]
    lines = ["UploadQueue:", "PHB", "PHK", "PLB", "REP #$10", "LDX #$0000", "SEP #$20",
             "LDA #$80", "STA $2115", "LDA #$01", f"STA ${base:04X}", "LDA #$18",
             f"STA ${base + 1:04X}", ".next", "REP #$20", "LDA Queue,X", "CMP #$FFFF",
             "BEQ .done", "STA $2116", "LDA Queue+2,X", f"STA ${base + 2:04X}",
             "LDA Queue+5,X", f"STA ${base + 5:04X}", "SEP #$20", "LDA Queue+4,X",
             f"STA ${base + 4:04X}", f"LDA #{h2(1 << channel)}", "STA $420B", "REP #$20",
             "TXA", "CLC", "ADC #$0007", "TAX", "BRA .next", ".done", "SEP #$30", "PLB",
             "RTS", "Queue:", *table, "dw $FFFF"]
    asks = [Ask("io_count:$420B"), Ask("io_last:$2116"),
            Ask(rng.choice((f"io_last:${base + 5:04X}", f"io_last:${base + 4:04X}",
                            "reg:x")))]
    explanation = (f"It works through a queue of VRAM uploads with DMA channel {channel}. Each "
                   "7-byte queue entry holds the VRAM word address, the source address, the "
                   "source bank and the byte count; a $FFFF word ends the queue. For every "
                   "entry it sets VMADD ($2116), the channel's source and size registers, then "
                   f"starts the transfer by writing bit {channel} to MDMAEN ($420B), and adds 7 "
                   "to X to reach the next entry. The channel is set once to mode 1 (two "
                   "registers) targeting $2118 (VMDATA), with VMAIN = $80 so the VRAM address "
                   "steps after each high byte." + IO_BANK)
    return Spec("dma_queue", 3, lines, explanation,
                [("dma", ["dma"]), ("queue", ["queue", "entries", "each entry"]),
                 ("vram", ["vram"]), ("terminator", ["$ffff", "ends the queue", "terminat"]),
                 ("start", ["mdmaen", "$420b"])],
                asks, [("HDMA starts it", [r"\$420C", r"\bhdmaen\b"])])


ASAR_FAMILIES = {
    "asar_address_operators": [suffix_forms, label_math],
    "asar_labels": [sublabels, anonymous_labels, org_labels],
    "asar_data_directives": [data_table, string_copy, pointer_table],
    "hardware_register": [dma_upload, hdma_setup, cgram_colors, ppu_screen],
    "complete_routine": [dma_queue],
}
