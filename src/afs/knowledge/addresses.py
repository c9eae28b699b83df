"""SNES address notations and mirroring, as pure functions.

Everything is folded to one canonical 24-bit bus address so that a fact is found however it
is written: WRAM mirrors (`$10`, `$0010`, `$000010`, `$800010`, `7E:0010` all mean
`$7E0010`), I/O registers (canonical `$002100`, shown as `$2100`), LoROM SRAM (`$F00000` is
`$700000`) and FastROM bank mirrors of ROM. ALTTP keeps the direct page at `$0000` and reads
WRAM through banks `$00-$3F`/`$80-$BF`, so 1-2 digit operands are direct page and 3-4 digit
operands are absolute addresses in bank `$00`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WRAM_START = 0x7E0000
WRAM_END = 0x7FFFFF
LOW_RAM_SIZE = 0x2000

# `$7E0010`, `$10`, `7E:0010`, `$7E:0010`, `0x7EF36D`; `#$10` (immediate) is not an address.
_MENTION = re.compile(
    r"(?<![#\w$])(?:"
    r"\$?(?P<bank>[0-9A-Fa-f]{2}):(?P<off>[0-9A-Fa-f]{4})(?![0-9A-Za-z_])"
    r"|\$(?P<hex>[0-9A-Fa-f]{1,6})(?![0-9A-Za-z_])"
    r"|0[xX](?P<cx>[0-9A-Fa-f]{4,6})(?![0-9A-Za-z_])"
    r")"
)
_SINGLE = re.compile(
    r"^\s*(?:\$?(?P<bank>[0-9A-Fa-f]{2}):(?P<off>[0-9A-Fa-f]{4})"
    r"|(?:\$|0[xX])?(?P<hex>[0-9A-Fa-f]{1,6}))\s*$"
)


@dataclass(frozen=True)
class AddressMention:
    """An address written in text: where, how, and the canonical bus address it means."""

    text: str
    start: int
    end: int
    address: int
    digits: int


def canonical(address: int) -> int:
    """Fold a 24-bit bus address onto its canonical mirror."""
    if not 0 <= address <= 0xFFFFFF:
        raise ValueError(f"${address:X} is not a 24-bit SNES address")
    bank, offset = address >> 16, address & 0xFFFF
    if bank <= 0x3F or 0x80 <= bank <= 0xBF:
        if offset < LOW_RAM_SIZE:
            return WRAM_START | offset
        if offset < 0x6000:
            return offset  # I/O registers live in every system bank; canonical bank $00
        return (bank & 0x7F) << 16 | offset  # LoROM ROM: $80-$BF mirror $00-$3F
    if 0xF0 <= bank <= 0xFD and offset < 0x8000:
        return address - 0x800000  # LoROM SRAM mirror of $70-$7D
    return address


def from_operand(value: int, digits: int) -> int:
    """Canonical address of an operand written with `digits` hex digits (DP = $0000, DBR = $00)."""
    if digits <= 2:
        return WRAM_START | (value & 0xFF)
    if digits <= 4:
        return canonical(value & 0xFFFF)
    return canonical(value)


def find_mentions(text: str) -> list[AddressMention]:
    """Every address written in `text` (prose or code), in order."""
    found = []
    for match in _MENTION.finditer(text):
        if match.group("bank") is not None:
            value = int(match.group("bank"), 16) << 16 | int(match.group("off"), 16)
            digits = 6
        else:
            raw = match.group("hex") or match.group("cx")
            value, digits = int(raw, 16), len(raw)
        if digits == 5:
            digits = 6
        found.append(AddressMention(match.group(0), match.start(), match.end(),
                                    from_operand(value, digits), digits))
    return found


def parse_address(text: str) -> int | None:
    """Canonical address of one address written alone (`$7EF36D`, `7E:F36D`, `0x2100`, `10`)."""
    match = _SINGLE.match(text)
    if match is None:
        return None
    if match.group("bank") is not None:
        return canonical(int(match.group("bank"), 16) << 16 | int(match.group("off"), 16))
    raw = match.group("hex")
    return from_operand(int(raw, 16), 6 if len(raw) == 5 else len(raw))


def is_register(address: int) -> bool:
    """True for a canonical address in the system-bank I/O area ($2000-$5FFF)."""
    return 0x2000 <= address < 0x6000


def is_wram(address: int) -> bool:
    return WRAM_START <= address <= WRAM_END


def format_address(address: int) -> str:
    """`$2100` for registers, `$7EF36D` (six digits) for everything else."""
    return f"${address:04X}" if is_register(address) else f"${address:06X}"


def notations(address: int) -> list[str]:
    """Every way of writing canonical `address` that `parse_address` and `find_mentions` accept."""
    bank, offset = address >> 16, address & 0xFFFF
    forms = [f"${address:06X}", f"{bank:02X}:{offset:04X}", f"${bank:02X}:{offset:04X}",
             f"0x{address:06X}"]
    if is_register(address) or (bank == 0x7E and offset < LOW_RAM_SIZE):
        forms += [f"${offset:04X}", f"$80{offset:04X}", f"$00{offset:04X}", f"80:{offset:04X}"]
        if bank == 0x7E:
            forms += [f"$7E{offset:04X}", f"$3F{offset:04X}"]
        if bank == 0x7E and offset < 0x100:
            forms.append(f"${offset:02X}")
    elif 0x70 <= bank <= 0x7D and offset < 0x8000:
        forms.append(f"${bank + 0x80:02X}{offset:04X}")
    return list(dict.fromkeys(forms))
