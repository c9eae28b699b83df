"""SPC700 (the SNES sound CPU) instructions in asar 1.91's syntax (`arch spc700`).

Opcodes and operand byte orders: the SPC700 instruction table of the SNES Development Manual
(Nintendo, book I, "SPC700 instruction set"), cross-checked with anomie's SPC700 reference
(apu.txt, "SPC700 opcodes"); the syntax is asar's manual (docs/src/arch-spc700.md), which
writes `(x)+` as `(x+)`, indexing as `$00+x`, indirection with parentheses, and `!` for an
inverted bit operand. Every form in that manual is checked against the asar binary in
tests/asm/test_spc700.py.

Sizes follow the 65816 side: `.b` direct page, `.w` absolute, else the operand's width
(`afs.asm.expressions`), widened to the next form the instruction has.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from afs.asm.asar_warnings import warn
from afs.asm.expressions import Expr, parse_expression
from afs.asm.parser import SpcInstruction, split_args

if TYPE_CHECKING:
    from afs.asm.passstate import PassState

# (mnemonic, operand shape) -> {size: opcode}. Shapes: registers by name (a x y ya sp psw c),
# `imm` #value, `m` memory (size 1 = direct page, 2 = absolute), `mx`/`my` memory+x/+y,
# `(x)` `(x+)` `(y)`, `(mx)` (dp+x) or (!abs+x), `(m)y` (dp)+y, `rel` branch target,
# `bit` 13-bit address + bit number, `nbit` the same inverted (`!addr`).
_ALU = {"or": 0x00, "and": 0x20, "eor": 0x40, "cmp": 0x60, "adc": 0x80, "sbc": 0xA0}
_SHIFT = {"asl": 0x00, "rol": 0x20, "lsr": 0x40, "ror": 0x60, "dec": 0x80, "inc": 0xA0}

TABLE: dict[tuple[str, tuple[str, ...]], dict[int, int]] = {}


def _add(mnemonic: str, shape: tuple[str, ...], **sizes: int) -> None:
    TABLE[(mnemonic, shape)] = {int(k[1:]): v for k, v in sizes.items()}


for _name, _base in _ALU.items():
    _add(_name, ("a", "m"), s1=_base + 0x04, s2=_base + 0x05)
    _add(_name, ("a", "(x)"), s0=_base + 0x06)
    _add(_name, ("a", "(mx)"), s1=_base + 0x07)
    _add(_name, ("a", "imm"), s1=_base + 0x08)
    _add(_name, ("m", "m"), s1=_base + 0x09)
    _add(_name, ("a", "mx"), s1=_base + 0x14, s2=_base + 0x15)
    _add(_name, ("a", "my"), s2=_base + 0x16)
    _add(_name, ("a", "(m)y"), s1=_base + 0x17)
    _add(_name, ("m", "imm"), s1=_base + 0x18)
    _add(_name, ("(x)", "(y)"), s0=_base + 0x19)
for _name, _base in _SHIFT.items():
    _add(_name, ("m",), s1=_base + 0x0B, s2=_base + 0x0C)
    _add(_name, ("mx",), s1=_base + 0x1B)
for _name, _code in (("asl", 0x1C), ("rol", 0x3C), ("lsr", 0x5C), ("ror", 0x7C), ("dec", 0x9C),
                     ("inc", 0xBC)):
    _add(_name, ("a",), s0=_code)
for _bit in range(8):
    _add(f"set{_bit}", ("m",), s1=0x02 | _bit << 5)
    _add(f"clr{_bit}", ("m",), s1=0x12 | _bit << 5)
    _add(f"bbs{_bit}", ("m", "rel"), s1=0x03 | _bit << 5)
    _add(f"bbc{_bit}", ("m", "rel"), s1=0x13 | _bit << 5)
for _name, _code in (("bpl", 0x10), ("bmi", 0x30), ("bvc", 0x50), ("bvs", 0x70), ("bcc", 0x90),
                     ("bcs", 0xB0), ("bne", 0xD0), ("beq", 0xF0), ("bra", 0x2F)):
    _add(_name, ("rel",), s1=_code)
for _name, _code in (("nop", 0x00), ("clrp", 0x20), ("setp", 0x40), ("clrc", 0x60),
                     ("setc", 0x80), ("ei", 0xA0), ("di", 0xC0), ("clrv", 0xE0), ("brk", 0x0F),
                     ("ret", 0x6F), ("reti", 0x7F), ("notc", 0xED), ("sleep", 0xEF),
                     ("stop", 0xFF)):
    _add(_name, (), s0=_code)
for _reg, _push, _pop in (("psw", 0x0D, 0x8E), ("p", 0x0D, 0x8E), ("a", 0x2D, 0xAE),
                          ("x", 0x4D, 0xCE), ("y", 0x6D, 0xEE)):
    _add("push", (_reg,), s0=_push)
    _add("pop", (_reg,), s0=_pop)
_add("or1", ("c", "bit"), s2=0x0A)
_add("or1", ("c", "nbit"), s2=0x2A)
_add("and1", ("c", "bit"), s2=0x4A)
_add("and1", ("c", "nbit"), s2=0x6A)
_add("eor1", ("c", "bit"), s2=0x8A)
_add("mov1", ("c", "bit"), s2=0xAA)
_add("mov1", ("bit", "c"), s2=0xCA)
_add("not1", ("bit",), s2=0xEA)
_add("tset", ("m", "a"), s2=0x0E)
_add("tset1", ("m", "a"), s2=0x0E)
_add("tclr", ("m", "a"), s2=0x4E)
_add("tclr1", ("m", "a"), s2=0x4E)
_add("cbne", ("m", "rel"), s1=0x2E)
_add("cbne", ("mx", "rel"), s1=0xDE)
_add("dbnz", ("m", "rel"), s1=0x6E)
_add("dbnz", ("y", "rel"), s1=0xFE)
_add("pcall", ("m",), s1=0x4F)
_add("call", ("m",), s2=0x3F)
_add("jmp", ("m",), s2=0x5F)
_add("jmp", ("(mx)",), s2=0x1F)
_add("decw", ("m",), s1=0x1A)
_add("incw", ("m",), s1=0x3A)
_add("cmpw", ("ya", "m"), s1=0x5A)
_add("addw", ("ya", "m"), s1=0x7A)
_add("subw", ("ya", "m"), s1=0x9A)
_add("movw", ("ya", "m"), s1=0xBA)
_add("movw", ("m", "ya"), s1=0xDA)
_add("mul", ("ya",), s0=0xCF)
_add("div", ("ya", "x"), s0=0x9E)
_add("xcn", ("a",), s0=0x9F)
_add("das", ("a",), s0=0xBE)
_add("daa", ("a",), s0=0xDF)
_add("dec", ("x",), s0=0x1D)
_add("inc", ("x",), s0=0x3D)
_add("dec", ("y",), s0=0xDC)
_add("inc", ("y",), s0=0xFC)
_add("cmp", ("x", "m"), s1=0x3E, s2=0x1E)
_add("cmp", ("y", "m"), s1=0x7E, s2=0x5E)
_add("cmp", ("x", "imm"), s1=0xC8)
_add("cmp", ("y", "imm"), s1=0xAD)
_add("mov", ("m", "a"), s1=0xC4, s2=0xC5)
_add("mov", ("(x)", "a"), s0=0xC6)
_add("mov", ("(mx)", "a"), s1=0xC7)
_add("mov", ("m", "x"), s1=0xD8, s2=0xC9)
_add("mov", ("m", "y"), s1=0xCB, s2=0xCC)
_add("mov", ("mx", "a"), s1=0xD4, s2=0xD5)
_add("mov", ("my", "a"), s2=0xD6)
_add("mov", ("(m)y", "a"), s1=0xD7)
_add("mov", ("my", "x"), s1=0xD9)
_add("mov", ("mx", "y"), s1=0xDB)
_add("mov", ("a", "m"), s1=0xE4, s2=0xE5)
_add("mov", ("a", "(x)"), s0=0xE6)
_add("mov", ("a", "(mx)"), s1=0xE7)
_add("mov", ("a", "imm"), s1=0xE8)
_add("mov", ("x", "m"), s1=0xF8, s2=0xE9)
_add("mov", ("y", "m"), s1=0xEB, s2=0xEC)
_add("mov", ("a", "mx"), s1=0xF4, s2=0xF5)
_add("mov", ("a", "my"), s2=0xF6)
_add("mov", ("a", "(m)y"), s1=0xF7)
_add("mov", ("x", "my"), s1=0xF9)
_add("mov", ("y", "mx"), s1=0xFB)
_add("mov", ("m", "m"), s1=0xFA)
_add("mov", ("m", "imm"), s1=0x8F)
_add("mov", ("y", "imm"), s1=0x8D)
_add("mov", ("x", "imm"), s1=0xCD)
_add("mov", ("(x+)", "a"), s0=0xAF)
_add("mov", ("a", "(x+)"), s0=0xBF)
_add("mov", ("x", "a"), s0=0x5D)
_add("mov", ("a", "x"), s0=0x7D)
_add("mov", ("x", "sp"), s0=0x9D)
_add("mov", ("sp", "x"), s0=0xBD)
_add("mov", ("a", "y"), s0=0xDD)
_add("mov", ("y", "a"), s0=0xFD)

MNEMONICS = frozenset({m for m, _ in TABLE} | {"tcall"})
_REGISTERS = frozenset({"a", "x", "y", "ya", "sp", "psw", "p", "c"})
_INDEX = re.compile(r"(.*\S)\s*\+\s*([xXyY])$")
_IND_X = re.compile(r"\((.*\S)\s*\+\s*[xX]\s*\)$")
_IND_Y = re.compile(r"\((.*)\)\s*\+\s*[yY]$")
_SUFFIX_SIZE = {"b": 1, "w": 2}
_BIT = re.compile(r"(.*\S)\.([0-7])$")
_BIT_OPS = frozenset({"and1", "or1", "eor1", "mov1", "not1"})
# The bit written on the address (`$12.3`) rather than in the mnemonic (`set3`).
_BIT_IN_OPERAND = frozenset({"set1", "clr1", "bbs", "bbc"})


_ANON = re.compile(r"\++|-+")


def _anon_expr(name: str, column: int) -> Expr:
    """`bne +`: an anonymous label as an operand (a label, 2 bytes wide, as asar sizes it)."""
    return Expr(name, column, lambda ctx: ctx.anon_value(name, column), 2, (name,))


def _classify(text: str) -> tuple[str, str | None, int]:
    """(shape, expression text, offset of the expression in `text`) of one operand."""
    low = text.lower().replace(" ", "")
    if low in _REGISTERS:
        return low, None, 0
    if low in ("(x)", "(x+)", "(y)"):
        return low, None, 0
    if text.startswith("#"):
        return "imm", text[1:], 1
    if text.startswith("!"):
        return "nbit", text[1:], 1
    m = _IND_X.match(text)
    if m:
        return "(mx)", m.group(1), 1
    m = _IND_Y.match(text)
    if m:
        return "(m)y", m.group(1), 1
    m = _INDEX.match(text)
    if m:
        return "m" + m.group(2).lower(), m.group(1), 0
    return "m", text, 0


def _shapes(mnemonic: str, shape: tuple[str, ...]) -> tuple[str, ...]:
    """The table's name for `shape`: memory that is a branch target or a bit address."""
    out = list(shape)
    if mnemonic in _BIT_OPS:
        out = ["bit" if s == "m" else s for s in out]
    elif mnemonic in ("tcall",) and out == ["m"]:
        return ("tcall",)
    if out and out[-1] == "m" and (mnemonic[:3] in ("bbs", "bbc") or mnemonic in
                                   ("cbne", "dbnz", "bpl", "bmi", "bvc", "bvs", "bcc", "bcs",
                                    "bne", "beq", "bra")):
        out[-1] = "rel"
    return tuple(out)


def encode_spc(state: PassState, st: SpcInstruction) -> bytes:
    """Encode one SPC700 instruction at the pass's current address."""
    mnem = st.mnemonic
    args = split_args(st.operand, st.operand_column) if st.operand else []
    if mnem in _BIT_IN_OPERAND and args and (bit := _BIT.match(args[0][0])) is not None:
        # asar's `set1 $12.3` / `bbs $12.3, target`: `set3 $12` / `bbs3 $12, target`
        mnem = mnem[:3] + bit.group(2)
        args[0] = (bit.group(1), args[0][1])
    shape: list[str] = []
    exprs = []
    bits: list[int] = []
    for text, col in args:
        kind, expr_text, offset = _classify(text)
        bit = _BIT.match(expr_text) if expr_text is not None else None
        if bit is not None and mnem in _BIT_OPS:
            expr_text = bit.group(1)
        shape.append(kind)
        if expr_text is not None:
            bits.append(int(bit.group(2)) if bit is not None and mnem in _BIT_OPS else 1)
        if expr_text is not None and _ANON.fullmatch(expr_text):
            exprs.append((kind, _anon_expr(expr_text, col + offset)))
        elif expr_text is not None:
            exprs.append((kind, parse_expression(expr_text, column=col + offset,
                                                 file=state.file, line=state.line,
                                                 precedence=state.precedence)))
    if mnem not in MNEMONICS:
        raise state.error(f"unknown SPC700 instruction '{mnem}'")
    key = _shapes(mnem, tuple(shape))
    if key == ("tcall",):
        number = exprs[0][1].evaluate(state)
        if not 0 <= number <= 15:
            raise state.error(f"tcall takes 0..15, not {number}", exprs[0][1].column)
        return bytes((0x01 | number << 4,))
    sizes = TABLE.get((mnem, key))
    if sizes is None:
        raise state.error(f"'{mnem} {st.operand}' is not an SPC700 instruction asar accepts")
    values = [e.evaluate(state) for _, e in exprs]
    if 0 in sizes:
        return bytes((sizes[0],))
    if st.suffix is not None:
        # asar takes the suffix's size where the instruction has it, else its only size.
        want = _SUFFIX_SIZE[st.suffix]
        size = want if want in sizes else min(sizes)
    else:
        sized = exprs[:-1] if "rel" in key else exprs
        width = max((e.width(state) for kind, e in sized if kind != "imm"), default=1)
        # a long label (another bank) takes the 16-bit form, as asar's `getlen` 3 does
        size = next((s for s in sorted(sizes) if s >= width), 2 if 2 in sizes else 0)
        if not size and mnem[:3] in ("set", "clr", "bbs", "bbc"):
            raise state.error(f"'{st.mnemonic} {st.operand}': address "
                              f"${values[0] & 0xFFFFFF:06X} out of bounds (a direct-page byte)")
        if not size and 1 in sizes:
            # A form with only a byte operand: asar writes the value's low byte, with a
            # warning where it checks the width (two operands, one of them a register).
            size = 1
        if not size:
            raise state.error(f"'{mnem} {st.operand}': operand too wide for the SPC700")
    code = sizes[size]
    if "bit" in key or "nbit" in key:
        index = next(i for i, (kind, _) in enumerate(exprs) if kind in ("m", "nbit"))
        address = values[index]
        if not 0 <= address <= 0x1FFF:
            raise state.error(f"address ${address & 0xFFFF:04X} out of range for '{mnem}' "
                              "($0000..$1FFF)", exprs[0][1].column)
        # asar's bit number when `.n` is not written is 1.
        value = address | bits[index] << 13
        return bytes((code, value & 0xFF, value >> 8))
    if "rel" in key:
        return _relative(state, mnem, key, code, exprs, values)
    if key in (("m", "m"),):                    # dest, source: written source first
        return bytes((code, values[1] & 0xFF, values[0] & 0xFF))
    if key == ("m", "imm"):                     # dp, #imm: written imm first
        return bytes((code, values[1] & 0xFF, values[0] & 0xFF))
    out = bytearray((code,))
    for (kind, _), value in zip(exprs, values, strict=True):
        n = 1 if kind == "imm" else size
        if n == 1 and (kind in _WARNED_KINDS or len(key) == 2) and st.suffix != "b" and (
                value & 0xFF00 if value >= 0 else value & 0xFF00 != 0xFF00):
            warn(state, "spc700_assuming_8_bit")     # (asar: a value wider than its byte)
        out += (value & ((1 << 8 * n) - 1)).to_bytes(n, "little")
    return bytes(out)


# the one-byte operands asar checks for a wider value (its `w1` forms; so are the memory
# operands of two-operand forms: `movw ya, $1234`, `mov $1234+x, y`)
_WARNED_KINDS = frozenset(["imm", "(mx)", "(m)y"])


def _relative(state: PassState, mnem: str, key: tuple[str, ...], code: int,
              exprs: list, values: list[int]) -> bytes:
    """Branches, as asar 1.91 writes them.

    - `bbs`/`bbc`: always relative to the next instruction, never range-checked.
    - Others: a target one byte wide (`bne $12`) is written as is; else relative, and out of
      range is an error when the target uses a label.
    - asar quirk: asar's middle pass evaluates no SPC700 operand (it reads 0), so `dbnz y`,
      `dbnz dp` and `cbne` see a distance of -(pc + 2 or 3); when that is out of range and
      the last `org`/`base`/assignment asar evaluated used a label (its stale `foundlabel`),
      the instruction takes no room in that pass and asar fails at the end without saying
      why. The labels after it, which asar keeps from that pass, sit that much lower, which
      shows in the errors asar does print (branch distances); AFS reproduces both.
    """
    size = 1 + len(exprs)
    target_expr = exprs[-1][1]
    target = values[-1]
    head = bytes(v & 0xFF for v in values[:-1])
    if mnem[:3] in ("bbs", "bbc"):
        distance = target - (state.logical_pc + size)
        return bytes((code,)) + head + bytes((distance & 0xFF,))
    relative = target_expr.width(state) != 1
    two_operand = len(key) == 2
    if (two_operand and relative and not state.frozen and state.found_label
            and not -128 <= -(state.logical_pc + size) <= 127):
        if state.number == 0:       # asar's first pass writes it: decided in the next one
            state.unresolved += 1
            return bytes((code,)) + head + b"\x00"
        state.quirks.append(state.error(
            f"asar 1.91 rejects this '{mnem}' (without a message): its middle pass reads "
            f"the target as 0, and {-(state.logical_pc + size)} is out of branch range "
            "(the last org, base or assignment before it used a label)"))
        return b""
    distance = target - (state.logical_pc + size) if relative else target
    if relative and target_expr.has_labels and not -128 <= distance <= 127:
        state.defer(state.error(f"relative branch out of range: distance {distance}"))
        distance = 0
    return bytes((code,)) + head + bytes((distance & 0xFF,))
