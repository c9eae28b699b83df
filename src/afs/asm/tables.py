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
  AFS refuses to write one instead (see `char_value`).
- `pushtable`/`pulltable` save and restore the whole table.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from afs.asm.asar_warnings import feature_args

if TYPE_CHECKING:
    from afs.asm.parser import CharAssign, Directive
    from afs.asm.passstate import PassState

# an entry a `table` file left out (asar: a garbage value)
UNSET = -1
_NON_UTF8 = feature_args("non_utf8")
_STRTOL16 = re.compile(r"[ \t\n\v\f\r]*([-+]?)(?:0[xX](?=[0-9A-Fa-f]))?([0-9A-Fa-f]*)")


def char_value(state: PassState, code: int, column: int) -> int:
    """The value of the char literal of character `code` in `state` (its table in force)."""
    if code >= 0x80 and (code > 0xFF or not _latin1(state)):
        raise state.error(f"invalid character literal '{chr(code)}': asar takes one byte "
                          "(an ASCII character) between single quotes", column)
    return _lookup(state, code, column)


def _lookup(state: PassState, code: int, column: int) -> int:
    table = state.table
    if table is None:
        return code
    value = table[code]
    if value == UNSET:
        shown = chr(code) if 0x20 <= code < 0x7F else f"${code:02X}"
        raise state.error(f"character '{shown}' is not in the table file (asar writes a "
                          "garbage value for it: map it there, or with 'c' = value)", column)
    return value


def string_bytes(state: PassState, text: bytes, size: int, column: int) -> bytes:
    """The bytes `db`..`dd` (`size` bytes per value) write for a string whose text is
    `text` (UTF-8): each byte through the table."""
    if not text.isascii() and _latin1(state):
        text = text.decode("utf-8").encode("latin-1")   # (the file's own bytes)
    table = state.table
    if table is None and size == 1:
        return text
    mask = (1 << (8 * size)) - 1
    out = bytearray()
    for byte in text:
        value = byte if table is None else _lookup(state, byte, column)
        out += (value & mask).to_bytes(size, "little")
    return bytes(out)


def _latin1(state: PassState) -> bool:
    """Whether the file running is not UTF-8 (asar reads it byte by byte, and so does
    `afs.asm.asar_warnings.read_source`: one character per byte)."""
    return _NON_UTF8 in state.asm.file_notes.get(state.file, ())


def assign_char(state: PassState, st: CharAssign) -> None:
    """`'c' = value`."""
    if st.code >= 0x80 and not _latin1(state):
        raise state.error(f"invalid character assignment '{chr(st.code)}': expected one "
                          "ASCII character in quotes ('c' = value)")
    value = st.expr.evaluate(state)
    for name in st.expr.labels:
        if state.namespace + name not in state.assigned and name not in state.assigned:
            raise state.error(f"'{chr(st.code)}' = ...: a character's value may only use "
                              f"labels set by 'name = value' before it, not '{name}'",
                              st.expr.column)
    table = state.table
    if table is None:
        table = state.table = list(range(256))
    table[st.code] = value & 0xFFFFFFFF


def load_table(state: PassState, d: Directive, path_of: object) -> None:
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
    path = path_of(state, d, d.args[0])  # type: ignore[operator]
    table = [UNSET] * 256
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
