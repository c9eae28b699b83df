"""What Veran says about asar syntax and addressing modes, read from the assembled listing.

Data directives (the bytes they emit and their order), operand size suffixes (.b/.w/.l),
anonymous (+/-) labels and sublabels (.name), indirect and indexed addressing modes, and
branch targets that lie outside a snippet. Facts from the asar manual and the WDC datasheet.
"""

from __future__ import annotations

import re
from typing import Any

from afs.asm.analysis import Instr
from afs.asm.isa import Mode

DIRECTIVES = {
    "db": "db emits bytes (8-bit values) as written; a quoted string emits its characters' "
          "bytes with no terminator added",
    "dw": "dw emits 16-bit words, little-endian (low byte first)",
    "dl": "dl emits 24-bit long values (3 bytes each), little-endian: low byte, high byte, "
          "then the bank byte last",
    "dd": "dd emits 32-bit values (4 bytes each), little-endian (low byte first)",
}
SUFFIXES = {
    "b": "the .b suffix forces asar to use a 1-byte (direct page) operand; asar keeps only "
         "the low byte of the value, so the high byte and bank are dropped (truncated)",
    "w": "the .w suffix forces asar to use a 2-byte (absolute) operand; asar keeps only the "
         "low 16 bits, so the bank byte is dropped (truncated) and DBR supplies the bank",
    "l": "the .l suffix forces asar to use long addressing with a 3-byte (24-bit) operand, "
         "whatever the size of the value, so the bank is part of the instruction",
}
MODES = {
    Mode.DIRECT_INDIRECT_LONG_Y: "reads through the 24-bit pointer stored at the direct-page "
                                 "address (low, high, bank), indexed by Y: it can reach any "
                                 "bank",
    Mode.DIRECT_INDIRECT_LONG: "reads through the 24-bit pointer stored at the direct-page "
                               "address (low, high, bank): it can reach any bank",
    Mode.DIRECT_INDIRECT_Y: "reads through the 16-bit pointer stored at the direct-page "
                            "address, indexed by Y, in the data bank (DBR)",
    Mode.DIRECT_INDIRECT: "reads through the 16-bit pointer stored at the direct-page address, "
                          "in the data bank (DBR)",
    Mode.DIRECT_X_INDIRECT: "adds X to the direct-page address first, then reads through the "
                            "16-bit pointer found there (DBR bank)",
    Mode.ABSOLUTE_X: "adds X to the 16-bit address in the data bank; the sum may cross into "
                     "the next bank",
    Mode.ABSOLUTE_Y: "adds Y to the 16-bit address in the data bank; the sum may cross into "
                     "the next bank",
    Mode.ABSOLUTE_LONG_X: "adds X to the 24-bit address",
    Mode.STACK_RELATIVE: "addresses the stack: S plus the offset",
}
INDIRECT = frozenset({Mode.DIRECT_INDIRECT_LONG_Y, Mode.DIRECT_INDIRECT_LONG,
                      Mode.DIRECT_INDIRECT_Y, Mode.DIRECT_INDIRECT, Mode.DIRECT_X_INDIRECT,
                      Mode.STACK_RELATIVE_INDIRECT_Y})
_SUFFIX = re.compile(r"^\s*[A-Za-z]{3}\.([bwlBWL])\b")
_MISSING = re.compile(r"(?:anonymous )?label '([^']+)' not found")


def instruction_notes(ins: Instr) -> list[str]:
    """Addressing-mode and size-suffix notes for one instruction."""
    notes = []
    if ins.mode in MODES:
        notes.append(MODES[ins.mode])
    m = _SUFFIX.match(ins.text)
    if m:
        notes.append(SUFFIXES[m.group(1).lower()])
    return notes


def label_notes(code: str, labels: dict[str, str]) -> list[str]:
    """What anonymous labels and sublabels in `code` mean (`labels`: sublabel -> parent)."""
    notes = []
    if re.search(r"(?m)^\s*[-+]+\s*(?:;.*)?$", code):
        notes.append("`-` and `+` are anonymous (plus/minus) labels: a branch to `-` goes "
                     "backward to the nearest `-` above it, a branch to `+` goes forward to the "
                     "nearest `+` below it.")
    for sub, parent in labels.items():
        notes.append(f"`{sub}` is a sublabel of the parent label `{parent}`: its full name is "
                     f"`{parent}{sub}`, and within {parent}'s scope the short name reaches it.")
    return notes


def sublabels(code: str) -> dict[str, str]:
    """Each `.sublabel` defined in `code`, with the parent label it belongs to."""
    parent, found = "", {}
    for line in code.splitlines():
        m = re.match(r"^\s*(\.?[A-Za-z_][\w]*):?\s*(?:;.*)?$", line) or re.match(
            r"^\s*(\.?[A-Za-z_][\w]*):", line)
        if not m:
            continue
        name = m.group(1)
        if name.startswith("."):
            found[name] = parent or "(no parent)"
        elif line.strip().endswith(":") or ":" in line.split(";")[0]:
            parent = name
    return found


def data_notes(listing: list[Any]) -> list[str]:
    """The bytes each data directive emits, and how it orders them."""
    out = []
    for row in listing:
        if row.kind != "data":
            continue
        word = row.text.split(None, 1)[0].lower()
        data = " ".join(f"${b:02X}" for b in bytes(row.data))
        rule = DIRECTIVES.get(word, f"{word} emits data")
        out.append(f"- line {row.line}: `{row.text.strip()}` emits {len(row.data)} bytes: "
                   f"{data}. {rule[0].upper()}{rule[1:]}.")
    return out


def complete_snippet(code: str, error: str) -> tuple[str, str] | None:
    """`code` with a missing branch target placed after its last line, and the note saying
    so; None when the error is not a missing label."""
    m = _MISSING.search(error)
    if not m:
        return None
    name = m.group(1)
    if set(name) <= {"-"}:
        return f"{name}\n{code}", (f"The target `{name}` is not in the snippet; I placed it "
                                   f"before the first line to explain the rest.")
    line = name if set(name) <= {"+"} else f"{name}:"
    return f"{code}\n{line}", (f"The branch target `{name}` is not in the snippet; I placed it "
                               f"right after the last line to explain the rest.")
