"""Veran families about the 65816 itself: instructions at work, arithmetic idioms (16-bit,
BCD, shifts, signed and unsigned comparisons), advanced patterns (jump tables, pointer
walking, block moves, multiplication loops, bank switching) and documented CPU behaviour
(the oracle_docs category), each as a small routine with questions answered by running it."""

from __future__ import annotations

import random

from afs.benchmark.generation.veran_common import Ask, Spec, h2, h4, h6, line_of, not_words, pick

WIDTH_8 = ("the accumulator is 16-bit", [r"\b(?:accumulator|a) is (?:now )?16-bit"])


def _dp(rng: random.Random, size: int = 1) -> int:
    """A scratch direct-page address ($04-$0F: ALTTP's scratch registers; $00-$03 are the
    families' own temporaries)."""
    return rng.randrange(0x04, 0x11 - size)


def _free_word(rng: random.Random) -> int:
    """A WRAM word the ALTTP map leaves free ($0500-$0637), for 16-bit stores."""
    return rng.randrange(0x0500, 0x0630)


# --- instruction ---------------------------------------------------------------------------

def xba_combine(rng: random.Random) -> Spec:
    hi, lo, dst = _dp(rng), _dp(rng), _free_word(rng)
    lines = [f"LDA ${hi:02X}", "XBA", f"LDA ${lo:02X}", "REP #$20", f"STA ${dst:04X}"]
    if rng.random() < 0.5:
        lines += ["ASL A", f"STA ${dst + 2:04X}"]
    lines.append("SEP #$20")
    if rng.random() < 0.4:
        lines += ["XBA", f"STA ${dst + 4:04X}"]
    a, b = rng.randrange(1, 0x80), rng.randrange(0x100)
    mem = {f"$7E00{hi:02X}": a, f"$7E00{lo:02X}": b} if hi != lo else {f"$7E00{hi:02X}": a}
    asks = [Ask(f"mem16:{h6(0x7E0000 + dst)}", memory=mem), Ask("reg:a", memory=mem)]
    explanation = (f"XBA swaps the two halves of the 16-bit accumulator: the byte from "
                   f"${hi:02X} is moved into the high byte (B), then ${lo:02X} is loaded into "
                   "the low byte, so REP #$20 sees the 16-bit value high:low and stores it as "
                   f"a little-endian word at ${dst:04X} (low byte first).")
    if "ASL A" in lines:
        explanation += f" ASL A doubles that word and stores it at ${dst + 2:04X}."
    if lines[-2] == "XBA":
        explanation += " Back in 8-bit mode, XBA swaps the halves again and stores the byte."
    return Spec("xba_word_build", 2, lines, explanation,
                [("swap halves", ["swap", "exchange"]), ("high byte", ["high byte", "register b"]),
                 ("16-bit word", ["16-bit", "word"]), ("little-endian", ["little-endian",
                                                                        "low byte first"])],
                asks, [("XBA swaps with X", [r"\bswaps?\b[^.]{0,25}\bwith (?:the )?X\b"]),
                       ("big-endian", [r"big-endian", r"high byte first"])])


def tsb_trb(rng: random.Random) -> Spec:
    flags = rng.choice((0x7EF3C6, 0x7EF3C9, 0x7EF374))
    setm, clrm = rng.randrange(1, 0x100), rng.randrange(1, 0x100)
    addr = f"${flags & 0xFFFF:04X}"
    lines = [f"{pick(rng, 'SetProgress', 'MarkFlags', 'UpdateFlags')}:", f"LDA #{h2(setm)}",
             f"TSB {addr}"]
    test = rng.random() < 0.6
    if test:
        lines += ["BNE .already", "INC $00", ".already"]
    lines += [f"LDA #{h2(clrm)}", f"TRB {addr}"]
    if rng.random() < 0.5:
        lines += [f"LDA {addr}", "STA $01"]
    old = rng.randrange(0x100)
    asks = [Ask(f"mem:{h6(flags)}", memory={h6(flags): old})]
    if test:
        asks.append(Ask("mem:$7E0000", memory={h6(flags): old & ~setm & 0xFF}))
        asks.append(Ask(f"taken:{line_of(lines, 'BNE .already')}",
                        memory={h6(flags): old | setm}))
    else:
        asks.append(Ask("flag:z", memory={h6(flags): old}))
    explanation = (f"TSB sets, in the byte at {h6(flags)} (absolute {addr} through DBR = $7E), "
                   f"the bits that are set in A ({h2(setm)}); TRB then clears the bits of "
                   f"{h2(clrm)} there. Both set the zero flag from A AND the old memory value, "
                   "without changing A.")
    if test:
        explanation += (" The BNE after TSB skips INC $00 when any of those bits was already "
                        "set, so $00 counts first-time sets.")
    return Spec("flag_bits", 2, lines, explanation,
                [("sets bits", ["tsb sets", "sets the bits", "sets bits"]),
                 ("clears bits", ["trb clears", "clears the bits", "clears bits"]),
                 ("mask", ["mask", "bits that are set in a", h2(setm).lower()]),
                 ("zero flag", ["zero flag", "z flag", "z is"])],
                asks, [("TSB clears bits", [r"\bTSB\W[^.]{0,30}\bclears\b"]),
                       ("TRB sets bits", [r"\bTRB\W[^.]{0,30}\bsets\b"])])


def shift_rotate(rng: random.Random) -> Spec:
    base = _dp(rng, 3)
    width = rng.choice((2, 3))
    times = rng.randrange(1, 4)
    step = [f"ASL ${base:02X}"] + [f"ROL ${base + i:02X}" for i in range(1, width)]
    if times > 1 and rng.random() < 0.5:
        lines = [f"LDX #{h2(times)}", "-", *step, "DEX", "BNE -"]
    else:
        lines = step * times
    value = rng.randrange(1, 1 << (8 * width))
    mem = {h6(0x7E0000 + base + i): value >> (8 * i) & 0xFF for i in range(width)}
    asks = [Ask(f"mem:{h6(0x7E0000 + base + width - 1)}", memory=mem),
            Ask(f"mem:{h6(0x7E0000 + base)}", memory=mem), Ask("flag:c", memory=mem)]
    explanation = (f"It shifts the {8 * width}-bit little-endian number at ${base:02X}-"
                   f"${base + width - 1:02X} left by {times} bit{'s' * (times > 1)}, i.e. "
                   f"multiplies it by {2 ** times} (modulo 2^{8 * width}): ASL shifts the low "
                   "byte and puts its top bit in the carry, and each ROL shifts the carry into "
                   "the next byte up. The carry ends with the last bit shifted out.")
    return Spec("multibyte_shift", 2, lines, explanation,
                [("shift left", ["shift", "left"]), ("multiply", ["multipl", "doubles",
                                                                  f"times {2 ** times}"]),
                 ("carry chain", ["carry"]), ("multi-byte", [f"{8 * width}-bit",
                                                             "little-endian", "byte"])],
                asks, [not_words("divides", "divid", "shift right", "shifts right")])


def bit_test(rng: random.Random) -> Spec:
    var = rng.choice((0x7E0E60, 0x7E0F60, 0x7E0BA0))
    table = f"${var & 0xFFFF:04X},X"
    codes = rng.sample(range(1, 0x20), 3)
    lines = [f"{pick(rng, 'ClassifySlot', 'CheckFlags', 'SpriteMode')}:",
             f"LDA #{h2(codes[2])}", f"BIT {table}", "BMI .top", "BVS .six",
             "BRA .store", ".top", f"LDA #{h2(codes[0])}", "BRA .store", ".six",
             f"LDA #{h2(codes[1])}", ".store", "STA $0F"]
    slot = rng.randrange(16)
    mem = {h6(var + slot): rng.randrange(0x40, 0x80)}
    asks = [Ask("mem:$7E000F", init={"x": slot}, memory=mem),
            Ask("mem:$7E000F", init={"x": slot}, memory={h6(var + slot): rng.randrange(0x80,
                                                                                   0x100)}),
            Ask(f"branchflag:{line_of(lines, 'BVS .six')}")]
    explanation = (f"BIT {table} copies bit 7 of the slot's byte into N and bit 6 into V "
                   "without changing A, so the code picks a result code: "
                   f"{h2(codes[0])} when bit 7 is set (BMI), else {h2(codes[1])} when bit 6 is "
                   f"set (BVS), else {h2(codes[2])}; it stores the result at $0F.")
    return Spec("bit_test_dispatch", 2, lines, explanation,
                [("bit 7 to N", ["bit 7", "negative"]), ("bit 6 to V", ["bit 6", "overflow"]),
                 ("a unchanged", ["without changing a", "a is unchanged", "does not change a",
                                  "without modifying a"]),
                 ("result", ["result", "$0f", "code"])],
                asks, [("BIT changes A", [r"\bBIT\b[^.]{0,25}\b(?:changes|modifies|ands "
                                          r"into) A\b"])])


def width_switch(rng: random.Random) -> Spec:
    value = rng.randrange(0x0100, 0xFFFF)
    lines = ["REP #$30", f"LDX #{h4(value)}", f"LDA #{h4(rng.randrange(0x100, 0xFFFF))}",
             "SEP #$10", "TXY"]
    if rng.random() < 0.5:
        lines += ["REP #$10", "INX"]
    if rng.random() < 0.5:
        lines += ["SEP #$20", "TXA"]
    lines.append(f"STX ${_dp(rng, 2):02X}")
    asks = [Ask("reg:x"), Ask("reg:y"), Ask("reg:a")]
    explanation = (f"REP #$30 makes A and the index registers 16-bit and X is loaded with "
                   f"{h4(value)}. SEP #$10 then makes X and Y 8-bit, which clears their high "
                   "bytes: X keeps only its low byte and TXY copies that. Widening X again "
                   "with REP #$10 does not bring the old high byte back.")
    return Spec("register_widths", 2, lines, explanation,
                [("16-bit index", ["16-bit"]), ("8-bit index", ["8-bit"]),
                 ("high byte cleared", ["clears", "cleared", "zeroed", "high byte"]),
                 ("transfer", ["txy", "copies", "transfer"])],
                asks, [("the high byte is kept", [r"high bytes? (?:are|is) (?:kept|preserved)"])])


def stack_juggle(rng: random.Random) -> Spec:
    a, x = rng.randrange(1, 0x100), rng.randrange(1, 0x100)
    lines = [f"LDA #{h2(a)}", f"LDX #{h2(x)}", "PHA", "PHX", "PLA", "PLX"]
    if rng.random() < 0.5:
        lines += ["PHA", "PLY"]
    if rng.random() < 0.5:
        lines += ["PHP", "SEP #$01", "PLP"]
    if rng.random() < 0.5:
        lines += [f"PEA ${rng.randrange(0x100):02X}{rng.randrange(0x100):02X}", "PLA", "PLA"]
    asks = [Ask("reg:a.b", init={"p": 0x30}), Ask("reg:x", init={"p": 0x30}), Ask("reg:s")]
    explanation = ("It swaps A and X through the stack: A and X are pushed, then pulled in the "
                   "opposite order (last in, first out), so A receives the old X and X the old "
                   "A. Every push is matched by a pull, so the stack pointer ends where it "
                   "started.")
    return Spec("stack_swap", 1, lines, explanation,
                [("swap", ["swap", "exchange"]), ("stack", ["stack"]),
                 ("lifo", ["last in", "opposite order", "reverse"]),
                 ("balanced", ["balanced", "where it started", "matched", "unchanged"])],
                asks, [("the stack is left unbalanced", [r"\bunbalanced\b", r"\bleaks?\b"])])


# --- pattern -------------------------------------------------------------------------------

def inc16(rng: random.Random) -> Spec:
    base = _dp(rng, 2)
    if rng.random() < 0.5:
        lines = [f"INC ${base:02X}", "BNE +", f"INC ${base + 1:02X}", "+"]
        how = ("INC increments the low byte and, when it wraps to zero (BNE not taken), the "
               "high byte")
    else:
        step = rng.randrange(1, 0x40)
        lines = [f"LDA ${base:02X}", "CLC", f"ADC #{h2(step)}", f"STA ${base:02X}",
                 f"LDA ${base + 1:02X}", "ADC #$00", f"STA ${base + 1:02X}"]
        how = (f"ADC #{h2(step)} adds to the low byte and ADC #$00 adds the carry into the "
               "high byte")
    if rng.random() < 0.5:
        lines = [f"LDX #{h2(rng.randrange(2, 5))}", "-", *lines, "DEX", "BNE -"]
    low = rng.choice((0xFF, 0xFE, rng.randrange(0x100)))
    mem = {h6(0x7E0000 + base): low, h6(0x7E0001 + base): rng.randrange(0x100)}
    asks = [Ask(f"mem16:{h6(0x7E0000 + base)}", memory=mem),
            Ask(f"mem:{h6(0x7E0001 + base)}", memory=mem)]
    explanation = (f"It increases the 16-bit little-endian counter at ${base:02X}-"
                   f"${base + 1:02X} with 8-bit instructions: {how}, so the carry from the low "
                   "byte propagates into the high byte.")
    if lines[0].startswith("LDX"):
        explanation += " The loop around it repeats that X times."
    return Spec("word_counter", 1, lines, explanation,
                [("16-bit", ["16-bit", "16 bit", "word"]),
                 ("increment", ["increment", "increase", "add"]),
                 ("carry into high byte", ["high byte", "carry", "propagat"])],
                asks, [not_words("decrements", "decrement", "subtract")])


def clamp_range(rng: random.Random) -> Spec:
    lo = rng.randrange(0x08, 0x60)
    hi = rng.randrange(lo + 0x10, 0xF0)
    var = rng.choice((0x7E0022, 0x7E0020, 0x7E00E2, 0x7E00E8))
    name = {0x7E0022: "Link's X coordinate", 0x7E0020: "Link's Y coordinate",
            0x7E00E2: "BG2 horizontal scroll", 0x7E00E8: "BG2 vertical scroll"}[var]
    dp = f"${var & 0xFF:02X}"
    if rng.random() < 0.5:
        lines = [f"LDA {dp}", f"CMP #{h2(lo)}", "BCS +", f"LDA #{h2(lo)}", "+",
                 f"CMP #{h2(hi + 1)}", "BCC +", f"LDA #{h2(hi)}", "+", f"STA {dp}"]
    else:
        lines = ["ClampPosition:", f"LDA {dp}", f"CMP #{h2(hi)}", "BCC .low", "BEQ .low",
                 f"LDA #{h2(hi)}",
                 "BRA .store", ".low", f"CMP #{h2(lo)}", "BCS .store", f"LDA #{h2(lo)}",
                 ".store", f"STA {dp}"]
    asks = [Ask(f"mem:{h6(var)}", memory={h6(var): rng.randrange(0, lo)}),
            Ask(f"mem:{h6(var)}", memory={h6(var): rng.randrange(hi + 1, 0x100)}),
            Ask(f"mem:{h6(var)}", memory={h6(var): rng.randrange(lo, hi + 1)})]
    explanation = (f"It clamps the low byte of {name} (${var & 0xFF:02X}) to the range "
                   f"{h2(lo)}-{h2(hi)} with unsigned comparisons: below {h2(lo)} becomes "
                   f"{h2(lo)}, above {h2(hi)} becomes {h2(hi)}, anything in between is kept.")
    return Spec("clamp", 1, lines, explanation,
                [("clamp", ["clamp", "limit", "range", "bound"]),
                 ("unsigned", ["unsigned", "carry"]),
                 ("minimum", [h2(lo).lower(), "minimum", "lower bound"]),
                 ("maximum", [h2(hi).lower(), "maximum", "upper bound"])],
                asks, [("signed comparison", [r"(?<!un)signed compar"])])


def bcd_counter(rng: random.Random) -> Spec:
    base = _dp(rng, 2)
    step = rng.choice((0x01, 0x05, 0x10, 0x25))
    lines = ["SED", "CLC", f"LDA ${base:02X}", f"ADC #{h2(step)}", f"STA ${base:02X}"]
    two = rng.random() < 0.6
    if two:
        lines += [f"LDA ${base + 1:02X}", "ADC #$00", f"STA ${base + 1:02X}"]
    lines.append("CLD")
    low = rng.choice((0x99, 0x98, 0x95, 0x49)) if two else rng.choice((0x38, 0x45, 0x19))
    mem = {h6(0x7E0000 + base): low, h6(0x7E0001 + base): rng.choice((0x00, 0x09, 0x12))}
    asks = [Ask(f"mem:{h6(0x7E0000 + base)}", memory=mem)]
    asks.append(Ask(f"mem:{h6(0x7E0001 + base)}", memory=mem) if two else
                Ask("flag:c", memory={h6(0x7E0000 + base): 0x99}))
    explanation = (f"It adds {step:X} to a binary-coded decimal (BCD) counter at ${base:02X}"
                   + (f"-${base + 1:02X} (four decimal digits, two per byte)" if two else
                      " (two decimal digits)")
                   + ": SED turns on decimal mode so ADC produces decimal digits and a carry out "
                   "past 99; CLD restores binary mode.")
    return Spec("bcd_arithmetic", 2, lines, explanation,
                [("bcd", ["bcd", "binary-coded decimal", "binary coded decimal"]),
                 ("decimal mode", ["decimal mode", "decimal flag", "sed"]),
                 ("adds", ["add"]), ("carry", ["carry"])],
                asks, [("a binary result", [r"\bhexadecimal (?:sum|result)", r"\bbinary sum\b"])])


def mul_const(rng: random.Random) -> Spec:
    factor = rng.choice((3, 5, 6, 9, 10, 12))
    src, dst = _dp(rng, 2), _dp(rng, 2)
    lines = [f"LDA ${src:02X}", "STA $00"]
    plans = {3: ["ASL A", "CLC", "ADC $00"], 5: ["ASL A", "ASL A", "CLC", "ADC $00"],
             6: ["ASL A", "CLC", "ADC $00", "ASL A"], 9: ["ASL A", "ASL A", "ASL A", "CLC",
                                                          "ADC $00"],
             10: ["ASL A", "ASL A", "CLC", "ADC $00", "ASL A"],
             12: ["ASL A", "CLC", "ADC $00", "ASL A", "ASL A"]}
    lines += plans[factor] + [f"STA ${dst:02X}"]
    wide = rng.random() < 0.4
    if wide:
        lines = ["REP #$20"] + [ln.replace("STA $00", "STA $00") for ln in lines] + ["SEP #$20"]
    value = rng.randrange(1, 0x100 // factor)
    mem = {f"$7E00{src:02X}": value, f"$7E00{src + 1:02X}": 0} if wide else \
        {f"$7E00{src:02X}": value}
    asks = [Ask(f"mem:{h6(0x7E0000 + dst)}", memory=mem), Ask("mem:$7E0000", memory=mem)]
    explanation = (f"It multiplies the value at ${src:02X} by {factor} without a multiply "
                   "instruction: each ASL A doubles A, and adding the saved copy in $00 adds "
                   f"one more times the value, so the shifts and additions build {factor}x; "
                   f"the product goes to ${dst:02X}.")
    if wide:
        explanation += " REP #$20 makes it a 16-bit computation (A is 16-bit)."
    return Spec("shift_add_multiply", 2, lines, explanation,
                [("multiply", ["multipl", f"times {factor}", f"{factor}x"]),
                 ("shift doubles", ["doubles", "shift", "asl"]),
                 ("add copy", ["add", "sum"]), ("result", [f"${dst:02x}", "product"])],
                asks, [not_words("divides", "divid")])


def abs_value(rng: random.Random) -> Spec:
    var = rng.choice((0x7E0027, 0x7E0028, 0x7E0030, 0x7E0031))
    name = {0x7E0027: "Link's Y recoil", 0x7E0028: "Link's X recoil",
            0x7E0030: "Link's Y movement delta", 0x7E0031: "Link's X movement delta"}[var]
    dst = _dp(rng)
    neg = rng.choice((["EOR #$FF", "INC A"], ["EOR #$FF", "CLC", "ADC #$01"]))
    lines = [f"LDA ${var & 0xFF:02X}", "BPL +", *neg, "+", f"STA ${dst:02X}"]
    asks = [Ask(f"mem:{h6(0x7E0000 + dst)}", memory={h6(var): rng.randrange(0x81, 0x100)}),
            Ask(f"mem:{h6(0x7E0000 + dst)}", memory={h6(var): rng.randrange(0x01, 0x80)}),
            Ask(f"taken:{line_of(lines, 'BPL +')}", memory={h6(var): rng.randrange(0x80,
                                                                                  0x100)})]
    explanation = (f"It takes the absolute value of {name} (${var & 0xFF:02X}, a signed byte): "
                   "when bit 7 is set (negative, BPL not taken) it negates it in two's "
                   "complement by inverting the bits and adding one; positive values pass "
                   f"through. The magnitude is stored at ${dst:02X}.")
    return Spec("signed_magnitude", 1, lines, explanation,
                [("absolute value", ["absolute value", "magnitude"]),
                 ("two's complement", ["two's complement", "twos complement", "invert"]),
                 ("sign test", ["negative", "bit 7", "sign"])],
                asks, [("only inverts", [r"\bone's complement (?:only|negation)"])])


def negate_only(rng: random.Random) -> Spec:
    src = _dp(rng, 2)
    dst = _free_word(rng)
    lines = [f"LDA ${src:02X}", "EOR #$FF", "INC A", f"STA ${dst:04X}"]
    if rng.random() < 0.5:
        lines = ["REP #$20", f"LDA ${src:02X}", "EOR #$FFFF", "INC A", f"STA ${dst:04X}",
                 "SEP #$20"]
    wide = lines[0] == "REP #$20"
    value = rng.randrange(1, 0x100)
    mem = {f"$7E00{src:02X}": value, f"$7E00{src + 1:02X}": rng.randrange(0x100)}
    asks = [Ask(f"mem:{h6(0x7E0000 + dst)}", memory=mem), Ask("flag:z", memory=mem)]
    if wide:
        asks[0] = Ask(f"mem16:{h6(0x7E0000 + dst)}", memory=mem)
    explanation = (f"It negates the {'16-bit word' if wide else 'byte'} at ${src:02X} in two's "
                   f"complement and stores -x at ${dst:04X}: EOR with all ones inverts every "
                   "bit and INC A adds one.")
    return Spec("signed_magnitude", 1, lines, explanation,
                [("negation", ["negat", "-x", "minus"]),
                 ("two's complement", ["two's complement", "twos complement"]),
                 ("invert", ["invert", "flip", "complement"])],
                asks, [("absolute value", [r"\babsolute value"])])


def count_bits(rng: random.Random) -> Spec:
    var = rng.choice((0x7EF37A, 0x7EF374, 0x7EF3C6))
    what = {0x7EF37A: "crystals", 0x7EF374: "pendants", 0x7EF3C6: "progress flags"}[var]
    lines = [f"LDA.l {h6(var)}", "STA $00", "LDY #$00", "LDX #$08", "-", "LSR $00", "BCC +",
             "INY", "+", "DEX", "BNE -", "STY $01"]
    value = rng.randrange(1, 0x100)
    asks = [Ask("mem:$7E0001", memory={h6(var): value}),
            Ask(f"count:{line_of(lines, 'INY')}", memory={h6(var): value}),
            Ask(f"count:{line_of(lines, 'LSR $00')}", memory={h6(var): value})]
    explanation = (f"It counts how many bits are set in the {what} byte ({h6(var)}): a copy in "
                   "$00 is shifted right eight times (X counts the bits); each bit shifted out "
                   "into the carry that is 1 increments Y. The count is stored at $01.")
    return Spec("bit_count", 2, lines, explanation,
                [("count bits", ["count", "how many"]),
                 ("set bits", ["bits are set", "set bits", "bits set", "1 bits", "ones"]),
                 ("shift into carry", ["shift", "carry"]),
                 ("eight times", ["eight", "8 times", "8 bits"])],
                asks, [not_words("shifts left", "shifts left", "shift left")])


# --- advanced_pattern ----------------------------------------------------------------------

def jump_table(rng: random.Random) -> Spec:
    n = rng.randrange(3, 6)
    values = rng.sample(range(1, 0x100), n)
    dst = rng.choice((0x7E0010, 0x7E0011, 0x7E00B0))
    lines = ["Dispatch:", "ASL A", "TAX", "JMP (Handlers,X)", "Handlers:",
             "dw " + ", ".join(f"Mode{i}" for i in range(n))]
    for i, v in enumerate(values):
        lines += [f"Mode{i}:", f"LDA #{h2(v)}", f"STA ${dst & 0xFFFF:04X}"]
        if rng.random() < 0.3:
            lines += ["INC $00"]
        lines.append("RTS")
    k = rng.randrange(n)
    asks = [Ask(f"mem:{h6(dst)}", init={"a": k}), Ask("reg:x", init={"a": k})]
    if rng.random() < 0.5:
        asks.append(Ask(f"mem:{h6(dst)}", init={"a": (k + 1) % n}))
    explanation = ("It dispatches on the index in A through a jump table: ASL A doubles the "
                   "index because every table entry is a 2-byte (16-bit) address, TAX makes it "
                   "the table offset, and JMP (Handlers,X) jumps to the handler read from the "
                   f"table in the program bank. Each handler stores its own value at "
                   f"${dst & 0xFFFF:04X} and returns.")
    return Spec("jump_table", 2, lines, explanation,
                [("jump table", ["jump table", "table"]),
                 ("doubles index", ["doubles", "2-byte", "two bytes", "times 2"]),
                 ("indirect jump", ["jmp (", "indirect", "jumps to"]),
                 ("handlers", ["handler", "routine"])],
                asks, [("entries are 1 byte", [r"\b(?:1|one)[- ]byte (?:entries|address)"]),
                       ("runs every handler", [r"\bcalls every handler",
                                               r"\ball (?:the )?handlers run"])])


def pointer_walk(rng: random.Random) -> Spec:
    items = [rng.randrange(1, 0x40) for _ in range(rng.randrange(2, 6))]
    long = rng.random() < 0.5
    lines = (["REP #$20", "LDA #List", "STA $00", "SEP #$20", "LDA.b #List>>16", "STA $02"]
             if long else ["PHB", "PHK", "PLB", "REP #$20", "LDA #List", "STA $00",
                           "SEP #$20"])
    read = "LDA [$00],Y" if long else "LDA ($00),Y"
    lines = [f"{pick(rng, 'SumList', 'WalkList', 'TotalEntries')}:", *lines]
    lines += ["LDY #$00", "STZ $04", ".loop", read, "CMP #$FF", "BEQ .end", "CLC", "ADC $04",
              "STA $04", "INY", "BRA .loop", ".end"]
    if not long:
        lines.append("PLB")
    lines += ["RTS", "List:", "db " + ", ".join(h2(v) for v in items) + ", $FF"]
    asks = [Ask("mem:$7E0004"), Ask("reg:y"), Ask(f"count:{line_of(lines, 'INY')}")]
    explanation = ("It walks a $FF-terminated list of bytes through a pointer at $00 and sums "
                   "it: " + ("a 24-bit pointer (low, high, bank) read with LDA [$00],Y reaches "
                             "the list in any bank" if long else
                             "PHK/PLB makes the data bank the code's bank so the 16-bit "
                             "pointer read with LDA ($00),Y reaches the list")
                   + "; Y indexes the entries until the $FF terminator, adding each byte into "
                   "$04. Y ends at the number of entries.")
    return Spec("pointer_walk", 3, lines, explanation,
                [("pointer", ["pointer", "indirect"]), ("terminator", ["$ff", "terminat"]),
                 ("sum", ["sum", "total", "adds"]),
                 ("index y", ["y indexes", "indexed by y", "y counts", "y walks",
                                            "index"])],
                asks, [not_words("copies the list", "copies", "moves")])


def block_move(rng: random.Random) -> Spec:
    count = rng.randrange(2, 9)
    src, dst = rng.randrange(0x2000, 0x8000), rng.randrange(0x1000, 0x1F00)
    sb, db = rng.choice(((0x7F, 0x7E), (0x7E, 0x7E), (0x7E, 0x7F)))
    lines = ["PHB", "REP #$30", f"LDA #{h4(count - 1)}", f"LDX #{h4(src)}", f"LDY #{h4(dst)}",
             f"MVN ${db:02X},${sb:02X}", "SEP #$30", "PLB"]
    data = {h6(sb << 16 | src + i): rng.randrange(1, 0x100) for i in range(count)}
    k = rng.randrange(count)
    asks = [Ask(f"mem:{h6(db << 16 | dst + k)}", memory=data), Ask("reg:a"), Ask("reg:x")]
    explanation = (f"It copies {count} bytes with the MVN block move: A holds the count minus "
                   f"one, X the source offset {h4(src)} and Y the destination offset {h4(dst)}. "
                   f"asar writes MVN's operands as destination bank, source bank, so this "
                   f"copies from ${sb:02X}:{src:04X} to ${db:02X}:{dst:04X}; X and Y advance "
                   "after each byte and A counts down to $FFFF. MVN leaves DBR set to the "
                   "destination bank, which is why PHB/PLB save and restore it.")
    return Spec("block_move", 3, lines, explanation,
                [("block move", ["block move", "mvn", "copies"]),
                 ("count minus one", ["minus one", "count - 1", "count-1", "a + 1"]),
                 ("operand order", ["destination bank, source bank", "destination first"]),
                 ("dbr", ["dbr", "data bank"])],
                asks, [("source first in asar", [r"source bank, (?:the )?destination bank"]),
                       ("copies backwards", [r"\bbackwards?\b"])])


def mul_loop(rng: random.Random) -> Spec:
    lines = [f"{pick(rng, 'Multiply8', 'Mul8x8', 'ProductOf')}:", "STZ $02", "STZ $03",
             "STZ $05", "LDX #$08", ".bit", "LSR $01", "BCC .skip", "CLC",
             "LDA $02", "ADC $00", "STA $02", "LDA $03", "ADC $05", "STA $03", ".skip",
             "ASL $00", "ROL $05", "DEX", "BNE .bit"]
    a, b = rng.randrange(2, 0x100), rng.randrange(2, 0x100)
    mem = {"$7E0000": a, "$7E0001": b}
    asks = [Ask("mem16:$7E0002", memory=mem),
            Ask(f"count:{line_of(lines, 'ADC $00')}", memory=mem)]
    if rng.random() < 0.5:
        asks.append(Ask(f"count:{line_of(lines, 'ASL $00')}", memory=mem))
    explanation = ("It multiplies the two 8-bit numbers at $00 and $01 into a 16-bit product at "
                   "$02-$03 by shift-and-add: for each of the 8 bits of the multiplier ($01, "
                   "shifted right into the carry) a set bit adds the multiplicand, kept as a "
                   "16-bit value in $00/$05, to the product; the multiplicand is then doubled "
                   "with ASL/ROL.")
    return Spec("multiply_loop", 3, lines, explanation,
                [("multiply", ["multipl", "product"]), ("shift and add", ["shift", "add"]),
                 ("16-bit product", ["16-bit"]), ("eight bits", ["8 bits", "eight"])],
                asks, [not_words("divides", "divid", "quotient")])


def bank_switch(rng: random.Random) -> Spec:
    src = rng.randrange(0x2000, 0xF000)
    bank = rng.choice((0x7F, 0x7E))
    dst = rng.randrange(0x0100, 0x1F00)
    n = rng.randrange(1, 4)
    lines = ["PHB", f"LDA #${bank:02X}", "PHA", "PLB"]
    for i in range(n):
        lines += [f"LDA ${src + i:04X}", f"STA.l {h6(0x7E0000 + dst + i)}"]
    lines.append("PLB")
    data = {h6(bank << 16 | src + i): rng.randrange(1, 0x100) for i in range(n)}
    k = rng.randrange(n)
    asks = [Ask(f"mem:{h6(0x7E0000 + dst + k)}", memory=data), Ask("reg:a", memory=data)]
    if bank == 0x7F:
        asks.append(Ask(f"mem:{h6(0x7E0000 + dst)}",
                        memory={h6(0x7E0000 + src): 0x11, h6(0x7F0000 + src): 0x22}))
    explanation = (f"It switches the data bank to ${bank:02X} (PHA/PLB, after saving the "
                   f"caller's DBR with PHB) so absolute reads of ${src:04X} come from bank "
                   f"${bank:02X}, copies {n} byte(s) to ${dst:04X} with long stores, and "
                   "restores the caller's data bank with PLB.")
    return Spec("bank_switch", 2, lines, explanation,
                [("data bank", ["data bank", "dbr"]), ("restore", ["restore", "saves",
                                                                  "saving"]),
                 ("bank value", [f"${bank:02x}", "bank"]), ("copy", ["cop", "reads"])],
                asks, [("changes the program bank",
                        [r"\b(?:sets|changes|switches) the program bank"])])


# --- oracle_docs: documented CPU behaviour -------------------------------------------------

def doc_index_high_byte(rng: random.Random) -> Spec:
    value = rng.randrange(0x0100, 0xFFFF)
    lines = ["PHP", "REP #$30", f"LDX #{h4(value)}", f"LDY #{h4(rng.randrange(0x100, 0xFFFF))}",
             "PLP", f"STX ${_dp(rng, 2):02X}"]
    if rng.random() < 0.5:
        lines[4:5] = ["SEP #$10", "REP #$10"]
    asks = [Ask("reg:x", init={"p": 0x30}), Ask("reg:y", init={"p": 0x30})]
    explanation = ("The index registers are made 16-bit and loaded with 16-bit values; when "
                   "the X flag is set again (PLP restoring the 8-bit state, or SEP #$10) the "
                   "CPU clears the high bytes of X and Y to zero, so only the low bytes "
                   "survive, as the 65816 datasheet documents.")
    return Spec("index_width_documented", 2, lines, explanation,
                [("x flag", ["x flag", "8-bit index", "sep #$10", "plp"]),
                 ("high bytes cleared", ["clears the high", "high bytes", "zero"]),
                 ("low bytes survive", ["low byte"])],
                asks, [("the high bytes are preserved", [r"high bytes? (?:are|is) (?:kept|"
                                                         r"preserved|restored)"])])


def doc_bank_cross(rng: random.Random) -> Spec:
    off = rng.randrange(0xFFF0, 0x10000)
    x = rng.randrange(0x11, 0x40)
    lines = ["REP #$10", f"LDX #{h4(x)}", f"LDA ${off:04X},X", "SEP #$10", f"STA ${_dp(rng):02X}"]
    target = (0x7E0000 | off) + x
    asks = [Ask("reg:a.b", memory={h6(target): rng.randrange(1, 0x100),
                                   h6(target - 0x10000): rng.randrange(1, 0x100)}),
            Ask("reg:x")]
    explanation = (f"Absolute indexed addressing adds X to the full 24-bit address DBR:"
                   f"{off:04X}: with DBR = $7E and X = {h4(x)} the sum crosses into the next "
                   f"bank and reads {h6(target)}, not a byte wrapped inside bank $7E.")
    return Spec("bank_crossing_documented", 2, lines, explanation,
                [("next bank", ["next bank", "crosses", h6(target).lower()]),
                 ("adds x", ["adds x", "plus x", "indexed"])],
                asks, [("wraps inside the bank", [r"wraps? (?:around )?(?:within|inside|in) "
                                                  r"(?:the )?(?:same )?bank"])])


def doc_decimal(rng: random.Random) -> Spec:
    # Decimal digits written as hex: the BCD encoding of two-digit numbers.
    a, b = int(str(rng.randrange(10, 99)), 16), int(str(rng.randrange(10, 99)), 16)
    lines = ["SED", "CLC", f"LDA #{h2(a)}", f"ADC #{h2(b)}", "CLD", "STA $00"]
    if rng.random() < 0.5:
        lines[1:1] = ["SEC"]
        del lines[2]
    asks = [Ask("mem:$7E0000"), Ask("flag:c")]
    explanation = (f"With the decimal flag set (SED) ADC adds binary-coded decimal: {a:X} + "
                   f"{b:X} gives decimal digits, and the carry is set when the decimal sum "
                   "passes 99. CLD returns to binary mode before the store.")
    return Spec("decimal_mode_documented", 2, lines, explanation,
                [("decimal mode", ["decimal"]), ("bcd", ["bcd", "binary-coded decimal",
                                                         "decimal digits"]),
                 ("carry past 99", ["99", "carry"])],
                asks, [("binary result", [r"\bbinary sum\b"])])


def doc_direct_index(rng: random.Random) -> Spec:
    base = rng.randrange(0xC0, 0x100)
    x = rng.randrange(0x41, 0x80)
    lines = [f"LDX #{h2(x)}", f"LDA ${base:02X},X", f"STA ${_dp(rng):02X}"]
    target = base + x
    asks = [Ask("reg:a.b", memory={h6(0x7E0000 + target): rng.randrange(1, 0x100),
                                   h6(0x7E0000 + (target & 0xFF)): rng.randrange(1, 0x100)}),
            Ask("reg:x")]
    explanation = (f"Direct page indexed addressing in native mode adds X to D + ${base:02X} "
                   f"as a 16-bit sum: with D = $0000 and X = {h2(x)} it reads ${target:04X} "
                   f"(WRAM $7E{target:04X}); only emulation mode wraps the address inside "
                   "the page.")
    return Spec("direct_page_index_documented", 2, lines, explanation,
                [("native mode", ["native mode", "native"]),
                 ("no page wrap", ["16-bit sum", "crosses", f"${target:04x}"]),
                 ("emulation wraps", ["emulation"])],
                asks, [("wraps in native mode", [r"wraps? (?:around )?(?:within|inside|in) "
                                                 r"(?:the )?(?:direct )?page"])])


def doc_overflow(rng: random.Random) -> Spec:
    a = rng.randrange(0x40, 0x80)
    b = rng.randrange(0x80 - a, 0x80)
    lines = ["CLC", f"LDA #{h2(a)}", f"ADC #{h2(b)}", "BVC +", "LDA #$7F", "+", "STA $00"]
    asks = [Ask("mem:$7E0000"), Ask("flag:v"), Ask(f"branchflag:{line_of(lines, 'BVC +')}")]
    explanation = (f"ADC sets the overflow flag V when two numbers of the same sign give a "
                   f"result of the other sign (signed overflow): {h2(a)} + {h2(b)} are both "
                   "positive but the sum has bit 7 set, so BVC falls through and the result is "
                   "saturated to $7F, the largest positive signed byte.")
    return Spec("overflow_flag_documented", 2, lines, explanation,
                [("overflow flag", ["overflow", "v flag"]), ("signed", ["signed"]),
                 ("saturate", ["saturat", "$7f", "clamp", "largest"])],
                asks, [("carry decides", [r"\bcarry (?:flag )?(?:decides|is set|tells)"])])


def doc_xba_hidden(rng: random.Random) -> Spec:
    b = rng.randrange(1, 0x100)
    a = rng.randrange(1, 0x100)
    lines = [f"LDA #{h2(b)}", "XBA", f"LDA #{h2(a)}", "REP #$20", f"STA ${_dp(rng, 2):02X}",
             "SEP #$20"]
    if rng.random() < 0.5:
        lines[3:3] = ["TAX"]
    asks = [Ask("reg:a"), Ask("reg:x")]
    explanation = ("In 8-bit mode the accumulator's high byte B is hidden but kept: XBA moves "
                   f"{h2(b)} into B, LDA #{h2(a)} only replaces the low byte, and after REP "
                   "#$20 the 16-bit accumulator holds both bytes. TAX with 8-bit index "
                   "registers copies only the low byte.")
    return Spec("hidden_b_documented", 2, lines, explanation,
                [("hidden b", ["hidden", "high byte"]),
                 ("kept", ["b is kept", "keeps b", "preserv", "both bytes", "survive"]),
                 ("xba", ["xba", "swap", "exchange"])],
                asks, [("the high byte is cleared", [r"\bhigh byte (?:is )?(?:cleared|lost|"
                                                     r"zeroed)"])])


CPU_FAMILIES = {
    "instruction": [xba_combine, tsb_trb, shift_rotate, bit_test, width_switch, stack_juggle],
    "pattern": [inc16, clamp_range, bcd_counter, mul_const, abs_value, negate_only,
                count_bits],
    "advanced_pattern": [jump_table, pointer_walk, block_move, mul_loop, bank_switch],
    "oracle_docs": [doc_index_high_byte, doc_bank_cross, doc_decimal, doc_direct_index,
                    doc_overflow, doc_xba_hidden],
}
