"""Light 65816 text scanning for output validation: which memory each line touches, how
(read, write, read-modify-write), through which index, and with what data width.

This is not an assembler: it reads asar-style text line by line, follows `REP`/`SEP` in
straight-line order for the M and X widths (plus a width hint from 16-bit immediates when no
`REP`/`SEP` was seen), expands simple `!define = value` lines, and tolerates anything it does
not understand (prose, labels, directives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from afs.knowledge.addresses import AddressMention, find_mentions, from_operand


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


MNEMONICS = _names(
    "ADC AND ASL BCC BCS BEQ BIT BMI BNE BPL BRA BRK BRL BVC BVS CLC CLD CLI CLV CMP COP CPX "
    "CPY DEC DEX DEY EOR INC INX INY JML JMP JSL JSR LDA LDX LDY LSR MVN MVP NOP ORA PEA PEI "
    "PER PHA PHB PHD PHK PHP PHX PHY PLA PLB PLD PLP PLX PLY REP ROL ROR RTI RTL RTS SBC SEC "
    "SED SEI SEP STA STP STX STY STZ TAX TAY TCD TCS TDC TRB TSB TSC TSX TXA TXS TXY TYA TYX "
    "WAI WDM XBA XCE"
)
_WRITES = _names("STA STX STY STZ")
_READS = _names("LDA LDX LDY ADC SBC AND ORA EOR CMP CPX CPY BIT")
_RMW = _names("INC DEC ASL LSR ROL ROR TSB TRB")
_X_WIDTH = _names("STX STY LDX LDY CPX CPY")
# Instructions that leave the accumulator (and so a known immediate in it) unchanged.
_KEEPS_A = _WRITES | _names(
    "CMP CPX CPY BIT REP SEP LDX LDY INX INY DEX DEY TAX TAY PHA PHX PHY CLC SEC"
)

_STATEMENT = re.compile(
    r"^(?P<mn>[A-Za-z]{3})(?:\.(?P<size>[bwlBWL]))?(?:\s+(?P<op>.*?))?\s*$"
)
# An operand is one token (plus index/indirection); prose after a word like "and" is not.
_PLAUSIBLE_OPERAND = re.compile(
    r"^#?[\[(]?\s*[\w$!:+\-.]*\w\s*(?:,\s*[xXsS])?\s*[)\]]?\s*(?:,\s*[xXyY])?$"
)
_DEFINE = re.compile(r"^\s*!(?P<name>\w+)\s*#?=\s*(?P<value>\S+)")
_DEFINE_USE = re.compile(r"!(\w+)")
_LABEL = re.compile(r"^\s*(?:[A-Za-z_.][\w.]*:|[+\-]+\s)\s*")
_IMMEDIATE = re.compile(r"^#\$?(?P<hex>[0-9A-Fa-f]+)$")
_OPERAND = re.compile(
    r"^(?P<open>[(\[])?\s*(?P<addr>\$[0-9A-Fa-f]+|[0-9A-Fa-f]{2}:[0-9A-Fa-f]{4})"
    r"\s*(?P<off>[+-]\s*\$?[0-9A-Fa-f]+)?\s*(?P<inner>,\s*[xXsS])?\s*(?P<close>[)\]])?"
    r"\s*(?P<index>,\s*[xXyY])?\s*$"
)

AccessKind = Literal["read", "write", "rmw"]


@dataclass(frozen=True)
class Access:
    """One instruction operand that names memory."""

    line: int
    column: int
    mnemonic: str
    operand: str
    address: int
    digits: int
    kind: AccessKind
    width: int | None
    index: str | None = None
    indirect: bool = False
    value: int | None = None  # the byte/word stored, when the scan knows it


@dataclass
class ScannedLine:
    """A line of the input: its code accesses and the prose around them (comments included)."""

    number: int
    text: str
    is_code: bool = False
    accesses: list[Access] = field(default_factory=list)
    prose_mentions: list[AddressMention] = field(default_factory=list)


def _imm_value(operand: str) -> tuple[int, int] | None:
    match = _IMMEDIATE.match(operand.strip())
    if match is None:
        return None
    raw = match.group("hex")
    return int(raw, 16), len(raw)


def scan(text: str) -> list[ScannedLine]:
    """Scan `text` line by line; see the module docstring for what is understood."""
    defines: dict[str, str] = {}
    m_width: int | None = None
    x_width: int | None = None
    a_value: int | None = None
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = ScannedLine(number, raw)
        lines.append(line)
        define = _DEFINE.match(raw)
        if define:
            defines[define.group("name")] = define.group("value")
            continue
        code, _, comment = raw.partition(";")
        comment_col = len(code) + 1
        body = _LABEL.sub("", code)
        offset = len(code) - len(body)
        statements = []
        for part in re.split(r"\s:\s", body):
            stripped = part.strip()
            match = _STATEMENT.match(stripped)
            if (match and match.group("mn").upper() in MNEMONICS
                    and (match.group("op") is None
                         or _PLAUSIBLE_OPERAND.match(match.group("op")))):
                statements.append((match, offset + body.find(stripped) + 1))
        if not statements:
            line.prose_mentions = find_mentions(raw)
            continue
        line.is_code = True
        line.prose_mentions = [
            AddressMention(m.text, m.start + comment_col, m.end + comment_col, m.address,
                           m.digits)
            for m in find_mentions(comment)
        ]
        for match, column in statements:
            mnemonic = match.group("mn").upper()
            operand = _DEFINE_USE.sub(lambda m: defines.get(m.group(1), m.group(0)),
                                      (match.group("op") or "").strip())
            immediate = _imm_value(operand)
            if mnemonic in ("REP", "SEP") and immediate is not None:
                bits = immediate[0]
                if bits & 0x20:
                    m_width = 2 if mnemonic == "REP" else 1
                if bits & 0x10:
                    x_width = 2 if mnemonic == "REP" else 1
            elif mnemonic in ("PLP", "XCE", "RTI"):
                m_width = x_width = None
            if immediate is not None and mnemonic in _READS:
                hinted = 2 if immediate[1] > 2 else 1
                if mnemonic in _X_WIDTH:
                    x_width = x_width or hinted
                else:
                    m_width = m_width or hinted
            width = x_width if mnemonic in _X_WIDTH else m_width
            access = _access(number, column, mnemonic, operand, width, a_value)
            if access is not None:
                line.accesses.append(access)
            if mnemonic == "LDA" and immediate is not None:
                a_value = immediate[0]
            elif mnemonic not in _KEEPS_A:
                a_value = None
    return lines


def _access(number: int, column: int, mnemonic: str, operand: str, width: int | None,
            a_value: int | None) -> Access | None:
    if mnemonic in _WRITES:
        kind: AccessKind = "write"
    elif mnemonic in _READS:
        kind = "read"
    elif mnemonic in _RMW:
        kind = "rmw"
    else:
        return None
    match = _OPERAND.match(operand)
    if match is None:
        return None
    if match.group("inner") and match.group("inner").strip()[-1] in "sS":
        return None  # stack relative: not a fixed address
    raw = match.group("addr")
    if ":" in raw:
        value, digits = int(raw.replace(":", ""), 16), 6
    else:
        value, digits = int(raw[1:], 16), len(raw) - 1
        digits = 6 if digits == 5 else digits
    if match.group("off"):
        delta = match.group("off").replace(" ", "")
        sign = -1 if delta[0] == "-" else 1
        delta = delta[1:]
        value += sign * (int(delta[1:], 16) if delta.startswith("$") else int(delta))
    indirect = match.group("open") is not None
    index = None
    if match.group("index"):
        index = match.group("index").strip()[-1].upper()
    elif match.group("inner"):
        index = "X"
    stored = None
    if mnemonic == "STZ":
        stored = 0
    elif mnemonic == "STA":
        stored = a_value
    address = from_operand(value & 0xFFFFFF, digits)
    return Access(number, column, mnemonic, operand, address, digits,
                  kind, width, index, indirect, stored)
