"""asar 1.91's character table: what `'c'` literals and `db "..."` strings write.

Behaviour checked against the asar 1.91 binary:

- The table maps each *byte* (0..255) to a 32-bit value; each pass starts with the identity
  (`cleartable`). A string writes each byte of its UTF-8 text through it (`db "éa"` is
  C3 A9 61, `dw "éa"` is C3 00 A9 00 61 00); a `'c'` literal in any math (instruction
  operands, data, `if`, `dec()`, `!x #= ...`, functions) is its character's value, and
  always sizes an operand as one byte. A char literal must be one ASCII character
  (`'é'` is two bytes: asar's "invalid character"), except in a file that is not UTF-8,
  which asar reads byte by byte.
- `'c' = value` (spaces around `=`; the value one word, any math) sets one entry, from the
  line on; the value may use labels set by `name = value` only. It is the only table syntax
  asar 2.0 keeps.
- `table "file"[,ltr|,rtl]` (deprecated) replaces the whole table: each non-empty line of 4
  to 10 characters, an even count, is `c=hex` (ltr: the value is C `strtol` of what follows
  the second character, so `A= 1` and `AB12` both set A) or `hex=c` (rtl). asar fills every
  entry the file leaves out with a garbage value, "so people will notice" (its source says):
  AFS refuses to write one instead (`PassState.table_value`).
- `pushtable`/`pulltable` save and restore the whole table.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from afs.asm.passstate import TABLE_UNSET

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from afs.asm.parser import CharAssign, Directive
    from afs.asm.passstate import PassState

_STRTOL16 = re.compile(r"[ \t\n\v\f\r]*([-+]?)(?:0[xX](?=[0-9A-Fa-f]))?([0-9A-Fa-f]*)")


class TableSet(Exception):
    """A table was set in an assembly that kept `'c'` literals as constants (as it does until
    one is set): `afs.asm.assembler.assemble` starts it again without."""


def table_set(state: PassState) -> None:
    """A table other than the identity may be in force from here on (see `TableSet`)."""
    asm = state.asm
    if asm.chars_fixed:
        asm.chars_fixed = False
        if asm.chars_kept:
            raise TableSet


def string_bytes(state: PassState, text: bytes, size: int, column: int) -> bytes:
    """The bytes `db`..`dd` (`size` bytes per value) write for a string whose text is
    `text` (UTF-8): each byte through the table."""
    if not text.isascii() and state.not_utf8:
        text = text.decode("utf-8").encode("latin-1")   # (the file's own bytes)
    table = state.table
    if table is None and size == 1:
        return text
    mask = (1 << (8 * size)) - 1
    out = bytearray()
    for byte in text:
        value = byte if table is None else state.table_value(byte, column)
        out += (value & mask).to_bytes(size, "little")
    return bytes(out)


def assign_char(state: PassState, st: CharAssign) -> None:
    """`'c' = value`."""
    if st.code >= 0x80 and not state.not_utf8:
        raise state.error(f"invalid character assignment '{chr(st.code)}': expected one "
                          "ASCII character in quotes ('c' = value)")
    value = st.expr.evaluate(state)
    for name in st.expr.labels:
        if state.namespace + name not in state.assigned and name not in state.assigned:
            raise state.error(f"'{chr(st.code)}' = ...: a character's value may only use "
                              f"labels set by 'name = value' before it, not '{name}'",
                              st.expr.column)
    table_set(state)
    table = state.table
    if table is None:
        table = state.table = list(range(256))
    table[st.code] = value & 0xFFFFFFFF


def load_table(state: PassState, d: Directive,
               path_of: Callable[[PassState, Directive, str], Path]) -> None:
    """`table "file"[,ltr|,rtl]`; `path_of(state, d, text)` finds the file."""
    if not d.args or len(d.args) > 2:
        raise state.error("expected 'table \"file\"[,ltr|,rtl]'")
    rtl = False
    if len(d.args) == 2:
        direction = d.args[1].strip().lower()
        if direction not in ("ltr", "rtl"):
            raise state.error(f"table direction {d.args[1]!r}: expected ltr or rtl",
                              d.arg_columns[1])
        rtl = direction == "rtl"
    path = path_of(state, d, d.args[0])
    table = [TABLE_UNSET] * 256
    for number, entry in enumerate(path.read_bytes().split(b"\n"), 1):
        entry = entry.removesuffix(b"\r")
        if not entry:
            continue
        parsed = _entry(entry, rtl) if 4 <= len(entry) <= 10 and not len(entry) & 1 else None
        if parsed is None:
            raise state.error(f"invalid table file {path}: line {number} is not "
                              f"{'hex=c' if rtl else 'c=hex'} ({entry.decode('latin-1')!r})",
                              d.arg_columns[0])
        table[parsed[0]] = parsed[1] & 0xFFFFFFFF
    table_set(state)
    state.table = table


def _entry(entry: bytes, rtl: bool) -> tuple[int, int] | None:
    """(byte, value) of one table file line (length already checked), as asar reads it."""
    text = entry.decode("latin-1")
    if rtl:
        if text[1] in "xX":
            return None
        value, rest = _strtol16(text)
        if rest[:1] != "=" or len(rest) != 2:
            return None
        return ord(rest[1]), value
    if text[3] in "xX":
        return None
    value, rest = _strtol16(text[2:])
    return (ord(text[0]), value) if not rest else None


def _strtol16(text: str) -> tuple[int, str]:
    """C `strtol(text, &end, 16)`: the value and the text from `end` on."""
    m = _STRTOL16.match(text)
    assert m is not None
    if not m.group(2):
        return 0, text
    value = int(m.group(2), 16)
    return (-value if m.group(1) == "-" else value), text[m.end():]
