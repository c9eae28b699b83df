"""SuperFX (GSU) instructions under `arch superfx`, encoded as asar 1.91 encodes them.

Opcodes and operand forms from the GSU instruction set (Nintendo's SNES Development Manual,
book II, "Super FX"; the same values as asar 1.91's `src/asar/arch-superfx.cpp`, whose
accepted forms and register ranges are followed): ALT1/ALT2/ALT3 forms are written with
their $3D/$3E/$3F prefix, `rN`/`#N`/`(rN)` register operands (N = 0..15), `#imm`, `(addr)`
and branch targets. asar's choices kept:

- `move rN, #v` is IBT (2 bytes) when v is -128..127 as a 16-bit value, else IWT;
  `move rN, (a)` / `move (a), rN` is the short LMS/SMS form when a is even and below $200,
  and asar writes a there (not a / 2, as `lms`/`sms` do).
- `lms`/`sms` take an even address $0..$1FE (asar 1.91 fails on another `lms` address
  without printing why: it checks it while it reads it as 0).
- A branch to a 1-byte value (`bra $12`) writes it as is; otherwise it is relative and out
  of range is an error.
- asar reads `#v`/`(a)`/`lea` values as 0 before its last pass, so the two `move` forms
  whose size depends on them change size in that pass and asar's labels after them move
  (asar fails): AFS refuses such a `move`, naming `ibt`/`iwt`/`lm`/`lms`/`sm`/`sms`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from afs.asm.expressions import parse_expression
from afs.asm.parser import SpcInstruction, split_args

if TYPE_CHECKING:
    from afs.asm.passstate import PassState

_ALT = {1: 0x3D, 2: 0x3E, 3: 0x3F}
# no operand: mnemonic -> (ALT prefix or 0, opcode)
NO_OPERAND = {
    "stop": (0, 0x00), "nop": (0, 0x01), "cache": (0, 0x02), "lsr": (0, 0x03),
    "rol": (0, 0x04), "loop": (0, 0x3C), "alt1": (0, 0x3D), "alt2": (0, 0x3E),
    "alt3": (0, 0x3F), "plot": (0, 0x4C), "swap": (0, 0x4D), "color": (0, 0x4E),
    "not": (0, 0x4F), "merge": (0, 0x70), "sbk": (0, 0x90), "sex": (0, 0x95),
    "asr": (0, 0x96), "ror": (0, 0x97), "lob": (0, 0x9E), "fmult": (0, 0x9F),
    "hib": (0, 0xC0), "getc": (0, 0xDF), "getb": (0, 0xEF),
    "rpix": (1, 0x4C), "cmode": (1, 0x4E), "div2": (1, 0x96), "lmult": (1, 0x9F),
    "getbh": (1, 0xEF), "ramb": (2, 0xDF), "getbl": (2, 0xEF), "romb": (3, 0xDF),
    "getbs": (3, 0xEF),
}
_ALL = (0, 15)
# `op rN`: mnemonic -> (ALT, base opcode, register range)
REGISTER = {
    "to": (0, 0x10, _ALL), "with": (0, 0x20, _ALL), "add": (0, 0x50, _ALL),
    "sub": (0, 0x60, _ALL), "and": (0, 0x70, (1, 15)), "mult": (0, 0x80, _ALL),
    "jmp": (0, 0x90, (8, 13)), "from": (0, 0xB0, _ALL), "or": (0, 0xC0, (1, 15)),
    "inc": (0, 0xD0, (0, 14)), "dec": (0, 0xE0, (0, 14)), "adc": (1, 0x50, _ALL),
    "sbc": (1, 0x60, _ALL), "bic": (1, 0x70, (1, 15)), "umult": (1, 0x80, _ALL),
    "ljmp": (1, 0x90, (8, 13)), "xor": (1, 0xC0, (1, 15)), "cmp": (3, 0x60, _ALL),
}
# `op #N` (a 4-bit constant)
CONSTANT = {
    "link": (0, 0x90, (1, 4)), "add": (2, 0x50, _ALL), "sub": (2, 0x60, _ALL),
    "and": (2, 0x70, (1, 15)), "mult": (2, 0x80, _ALL), "or": (2, 0xC0, (1, 15)),
    "adc": (3, 0x50, _ALL), "bic": (3, 0x70, (1, 15)), "umult": (3, 0x80, _ALL),
    "xor": (3, 0xC0, (1, 15)),
}
# `op (rN)`
INDIRECT = {"stw": (0, 0x30, (0, 11)), "ldw": (0, 0x40, (0, 11)),
            "stb": (1, 0x30, (0, 11)), "ldb": (1, 0x40, (0, 11))}
BRANCHES = {"bra": 0x05, "bge": 0x06, "blt": 0x07, "bne": 0x08, "beq": 0x09, "bpl": 0x0A,
            "bmi": 0x0B, "bcc": 0x0C, "bcs": 0x0D, "bvc": 0x0E, "bvs": 0x0F}
MNEMONICS = frozenset([*NO_OPERAND, *REGISTER, *CONSTANT, *INDIRECT, *BRANCHES, "move",
                       "moves", "ibt", "iwt", "moveb", "movew", "lm", "lms", "sm", "sms",
                       "lea"])

_REG = re.compile(r"[rR](1[0-5]|[0-9])$")
_HASH = re.compile(r"#(1[0-5]|[0-9])$")
_ANON = re.compile(r"\++|-+")
_PAREN_REG = re.compile(r"\([rR](1[0-5]|[0-9])\)$")


def _register(pattern: re.Pattern[str], text: str) -> int | None:
    m = pattern.match(text)
    return int(m.group(1)) if m else None


def encode_superfx(state: PassState, st: SpcInstruction) -> bytes:
    """Encode one SuperFX instruction (`arch superfx`) at the pass's current address."""
    mnem = st.mnemonic
    if st.suffix is not None or mnem not in MNEMONICS:
        raise state.error(f"unknown SuperFX instruction '{mnem}"
                          f"{'.' + st.suffix if st.suffix else ''}'")
    args = split_args(st.operand, st.operand_column) if st.operand else []
    if not args:
        if mnem not in NO_OPERAND:
            raise _bad(state, mnem, st.operand)
        alt, code = NO_OPERAND[mnem]
        return _with_alt(alt, code)
    if len(args) == 1:
        return _one(state, mnem, *args[0])
    if len(args) == 2:
        return _two(state, mnem, args[0], args[1])
    raise _bad(state, mnem, st.operand)


def _with_alt(alt: int, *codes: int) -> bytes:
    return bytes(((_ALT[alt],) if alt else ()) + codes)


def _bad(state: PassState, mnem: str, operand: str) -> Exception:
    return state.error(f"'{mnem} {operand}' is not a SuperFX instruction asar accepts")


def _ranged(state: PassState, table: dict, mnem: str, reg: int) -> bytes:
    alt, base, (low, high) = table[mnem]
    if not low <= reg <= high:
        raise state.error(f"invalid register for '{mnem}': r{reg} (valid: {low}-{high})")
    return _with_alt(alt, base + reg)


def _value(state: PassState, text: str, column: int) -> int:
    return parse_expression(text, column=column, file=state.file, line=state.line,
                            precedence=state.precedence).evaluate(state)


def _one(state: PassState, mnem: str, text: str, column: int) -> bytes:
    for pattern, table in ((_REG, REGISTER), (_HASH, CONSTANT), (_PAREN_REG, INDIRECT)):
        reg = _register(pattern, text)
        if reg is not None and mnem in table:
            return _ranged(state, table, mnem, reg)
    if mnem not in BRANCHES:
        raise _bad(state, mnem, text)
    if _ANON.fullmatch(text):
        target = state.anon_value(text, column)
    else:
        expr = parse_expression(text, column=column, file=state.file, line=state.line,
                                precedence=state.precedence)
        target = expr.evaluate(state)
        if expr.width(state) == 1:
            return bytes((BRANCHES[mnem], target & 0xFF))
    distance = target - (state.logical_pc + 2)
    if not -128 <= distance <= 127:
        state.defer(state.error(f"relative branch out of range: distance {distance}"))
        distance = 0
    return bytes((BRANCHES[mnem], distance & 0xFF))


def _word(value: int) -> tuple[int, int]:
    return value & 0xFF, value >> 8 & 0xFF


def _two(state: PassState, mnem: str, first: tuple[str, int],
         second: tuple[str, int]) -> bytes:
    (a, a_col), (b, b_col) = first, second
    r1, r2 = _register(_REG, a), _register(_REG, b)
    if r1 is not None:
        if r2 is not None and mnem in ("move", "moves"):
            return bytes((0x20 + r2, 0x10 + r1) if mnem == "move" else (0x20 + r1, 0xB0 + r2))
        if b.startswith("#") and mnem in ("ibt", "iwt", "move"):
            value = _value(state, b[1:], b_col + 1) & 0xFFFF
            short = value < 0x80 or value >= 0xFF80
            if mnem == "move":
                _middle_pass_size(state, short, True, "ibt/iwt")
            if mnem == "ibt" or (mnem == "move" and short):
                return bytes((0xA0 + r1, value & 0xFF))
            return bytes((0xF0 + r1, *_word(value)))
        pointer = _register(_PAREN_REG, b)
        if pointer is not None and mnem in ("moveb", "movew"):
            load = (0x3D, 0x40 + pointer) if mnem == "moveb" else (0x40 + pointer,)
            return bytes(((0x10 + r1,) if r1 else ()) + load)
        if pointer is None and b.startswith("(") and b.endswith(")") and mnem in ("lm", "lms",
                                                                                  "move"):
            return _memory(state, mnem, 0x3D, r1, _value(state, b, b_col))
        if mnem == "lea":
            return bytes((0xF0 + r1, *_word(_value(state, b, b_col))))
    elif r2 is not None:
        pointer = _register(_PAREN_REG, a)
        if pointer is not None and mnem in ("moveb", "movew"):
            store = (0x3D, 0x30 + r2) if mnem == "moveb" else (0x30 + r2,)
            return bytes(((0xB0 + pointer,) if pointer else ()) + store)
        if pointer is None and a.startswith("(") and a.endswith(")") and mnem in ("sm", "sms",
                                                                                  "move"):
            return _memory(state, mnem, 0x3E, r2, _value(state, a, a_col), load=False)
    raise _bad(state, mnem, f"{a}, {b}")


def _memory(state: PassState, mnem: str, alt: int, reg: int, address: int,
            load: bool = True) -> bytes:
    """LM/LMS/SM/SMS and `move` to or from memory (`alt`: $3D loads, $3E stores)."""
    address &= 0xFFFFFFFF
    if mnem in ("lm", "sm"):
        return bytes((alt, 0xF0 + reg, *_word(address)))
    if mnem in ("lms", "sms"):
        if address % 2 or address > 0x1FE:
            raise state.error(f"invalid short address ${address:X} for '{mnem}' (even, "
                              "$0..$1FE)")
        return bytes((alt, 0xA0 + reg, address >> 1 & 0xFF))
    short = not (address & 1 or address >= 0x200)
    if load:
        _middle_pass_size(state, short, True, "lm/lms")
    if short:
        return bytes((alt, 0xA0 + reg, address & 0xFF))
    return bytes((alt, 0xF0 + reg, *_word(address)))


def _middle_pass_size(state: PassState, short: bool, short_at_zero: bool, forms: str) -> None:
    # asar sized this `move` with the value 0 (short) before its last pass
    if short != short_at_zero:
        raise state.error(f"asar 1.91 sizes this move with the value 0 before its last pass, "
                          f"so its long form moves the labels after it and asar fails; write "
                          f"{forms} instead")
