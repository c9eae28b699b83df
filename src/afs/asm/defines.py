r"""asar's define substitution: `!name` and `!{name}` in a line replaced by their values,
and its escapes, `\!` (a `!` that is no define) and `\\` (one backslash), as the asar 1.91
binary reads them (anywhere on a line, strings too).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from afs.asm.errors import AsmError
from afs.asm.grammar import quoted_mask

# asar 1.91's built-in defines (main.cpp `parse_std_defines`; the version as the binary prints
# it): a source may read or undefine them, not set them; they win over a `-D` of that name.
BUILTIN_DEFINES = {"assembler": "asar", "assembler_ver": "10901"}

if TYPE_CHECKING:
    from collections.abc import Callable

    from afs.asm.statements import DefineSet

__all__ = ["define_set_name", "substitute_defines"]

# a define's use (`!name`, `!{` starting `!{name}`) or one of asar's escapes, `\!` `\\`
_DEFINE_SCAN = re.compile(r"\\[\\!]|!(?:\{([A-Za-z0-9_]+)\}|\{|([A-Za-z0-9_]+))?")
# `!{...}` with more than a name inside (`!{!n}`): braces read in order
_NESTED_BRACES = re.compile(r"!\{(?![A-Za-z0-9_]+\})")
_DEFINE_NAME = re.compile(r"[A-Za-z0-9_]+")


def substitute_defines(text: str, defines: dict[str, str], file: str, line: int,
                       define_set: Callable[[str], bool] | None = None) -> str:
    r"""`text` with its `!name` and `!{name}` replaced by their values, each resolved in turn
    (asar defines are lazy text; what a value becomes is not read again), and asar's escapes:
    `\!` is a `!` that is no define, `\\` one backslash.

    `define_set`, for a whole line: runs a statement that sets a define (`!n #= !n+1`) and
    says whether it was one. As asar 1.91 (main.cpp `resolvedefines`), a block of the line
    (` : ` apart), or a define's value, that starts with one is run as it is met, leaving
    nothing: `db !n : !n #= !n+1 : db !n` writes 0 then 1."""
    if "!" not in text and "\\" not in text:
        return text
    return _resolve_defines(text, defines, file, line, 0, define_set)


def _block_end(text: str, start: int) -> int:
    """Where the block (` : ` apart, quotes aside) that starts at `start` ends."""
    mask = quoted_mask(text)
    i = text.find(" : ", start)
    while i >= 0 and mask[i + 1]:
        i = text.find(" : ", i + 1)
    return len(text) if i < 0 else i


def _resolve_defines(text: str, defines: dict[str, str], file: str, line: int,
                     depth: int, define_set: Callable[[str], bool] | None = None) -> str:
    if depth > 64:
        raise AsmError("define substitution does not terminate (recursive define?)", file,
                       line, 1)
    sets = define_set is not None and (text[:1] == "!" or " : !" in text)
    if not sets and ("!{" not in text or not _NESTED_BRACES.search(text)):   # (most)
        def replace(m: re.Match[str]) -> str:
            token = m.group(0)
            if token[0] == "\\":
                return token[1]
            name = m.group(1) or m.group(2)
            if name is None:
                return "!"      # (`!=`, `!(`: no define)
            value = defines.get(name)
            if value is None:
                raise AsmError(f"define '!{name}' not found", file, line, m.start() + 1)
            if "!" in value or "\\" in value:
                return _resolve_defines(value, defines, file, line, depth + 1, define_set)
            return value

        return _DEFINE_SCAN.sub(replace, text)
    out = []
    pos = 0
    search = _DEFINE_SCAN.search
    while (m := search(text, pos)) is not None:
        out.append(text[pos:m.start()])
        pos = m.end()
        token = m.group(0)
        if token[0] == "\\":
            out.append(token[1])
            continue
        if sets and (m.start() == 0 or text.startswith(" : ", m.start() - 3)):
            end = _block_end(text, m.start())
            if define_set(text[m.start():end]):  # type: ignore[misc]
                pos = end
                continue
        name = m.group(1) or m.group(2)
        if token == "!{":
            close = _closing_brace(text, pos)
            if close < 0:
                raise AsmError("mismatched braces in '!{...}'", file, line, m.start() + 1)
            name = _resolve_defines(text[pos:close], defines, file, line, depth + 1)
            if not _DEFINE_NAME.fullmatch(name):
                raise AsmError(f"invalid define name {name!r}", file, line, m.start() + 1)
            pos = close + 1
        elif name is None:
            out.append("!")     # (`!=`, `!(`: no define)
            continue
        if name not in defines:
            raise AsmError(f"define '!{name}' not found", file, line, m.start() + 1)
        out.append(_resolve_defines(defines[name], defines, file, line, depth + 1, define_set))
    out.append(text[pos:])
    return "".join(out)


def _closing_brace(text: str, pos: int) -> int:
    """Where the `}` closing a `{` just before `pos` is; -1 if none."""
    depth = 1
    for i in range(pos, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


def define_set_name(st: DefineSet, defines: dict[str, str], file: str, line: int) -> str:
    """The name a `DefineSet` sets: `!{...}` resolves its braces first, as asar does."""
    if st.name[0] != "{":
        return st.name
    name = substitute_defines(st.name[1:-1], defines, file, line)
    if not _DEFINE_NAME.fullmatch(name):
        raise AsmError(f"invalid define name {name!r}", file, line, st.column)
    return name
