"""asar's variadic macros: `macro name(a, ...)`, whose body reads the arguments past the
named ones as `<...[n]>` (or, deprecated, `<n>`: asar warns) and their count as
`sizeof(...)`.

The body's `<...>` are read as asar 1.91 reads them (`replace_macro_args`, src/asar/macro.cpp),
left to right in one scan, when each line runs: `n` is an expression (defines in it replaced
first), evaluated where the line runs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from afs.asm.asar_warnings import feature
from afs.asm.parser import substitute_defines

if TYPE_CHECKING:
    from afs.asm.passstate import PassState

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# `sizeof(...)`: the number of the call's variadic arguments
SIZEOF_VARARGS = "sizeof(...)"


def unquoted(arg: str) -> str:
    """A macro argument as the body reads it: a quoted one without its quotes."""
    return arg[1:-1].replace('""', '"') if len(arg) >= 2 and arg[0] == arg[-1] == '"' else arg


class VariadicArgs(dict[str, str]):
    """A variadic macro call's named arguments (name -> text), with the rest (`rest`) and the
    pass running the call (`state`)."""

    __slots__ = ("rest", "state")

    def __init__(self, named: dict[str, str], rest: list[str], state: PassState) -> None:
        super().__init__(named)
        self.rest = rest
        self.state = state

    def expand(self, raw: str) -> str:
        """`raw` (a body line) with its `<name>`, `<...[n]>` and `<n>` replaced."""
        if "<" not in raw:
            return raw
        out: list[str] = []
        i, n = 0, len(raw)
        while i < n:
            ch = raw[i]
            if ch != "<":
                out.append(ch)
                i += 1
                continue
            if raw[i + 1:i + 2] == "<" and raw[i + 2:i + 3] != ":":      # `<<`
                out.append("<<")
                i += 2
                continue
            end = i + 1
            if raw[end:end + 1] == " ":        # `a < b`
                out.append(ch)
                i += 1
                continue
            # (asar stops before `<` and before any `:`, which `<:` and conditions hold)
            while end < n and raw[end] not in "<>" and raw[end + 1:end + 2] != ":":
                end += 1
            if raw[end:end + 1] != ">":
                out.append(ch)
                i += 1
                continue
            out.append(self._argument(raw, i, end))
            i = end + 1
        return "".join(out)

    def _argument(self, raw: str, start: int, end: int) -> str:
        """The text of the `<...>` at raw[start:end + 1]."""
        state = self.state
        proper = raw.startswith("...[", start + 1)
        if proper:
            if raw[end - 1] != "]":
                raise state.error("expected ']>' to close '<...['")
            param = raw[start + 5:end - 1]
        else:
            param = raw[start + 1:end]
        # a line that does not run (asar reads no argument there), or a loop's body, which
        # reads it each time it runs: left as it is
        later = (state.conds and not state.conds[-1][0]) or getattr(state, "loop", None)
        if "!" in param:
            if later:
                return raw[start:end + 1]
            param = substitute_defines(param, state.defines, state.file, state.line)
        if not proper and param in self:
            return self[param]
        if later:
            return raw[start:end + 1]
        if _NAME.fullmatch(param) and state.lookup(param) is None:
            raise state.error(f"macro argument <{param}> not found (and no label of that name)")
        if not proper:
            feature(state, "variadic_math")         # `<n>`: asar wants `<...[n]>`
        unresolved = state.unresolved
        index = state.asm.evaluate_text(state, param, start + 1)
        if 0 <= index < len(self.rest):
            return self.rest[index]
        if state.unresolved != unresolved:      # a label not known yet: a later pass decides
            return "0"
        raise state.error(f"variadic argument {index} out of range (the call has "
                          f"{len(self.rest)})")
