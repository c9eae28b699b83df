"""asar's `struct`/`endstruct`: labels laid out from an address, without writing bytes.

`struct Name [address]` (without an address: from the current one) opens one; its
`.field:` labels become `Name.field`. `struct Child extends Parent` continues where
`Parent` ended, as `Parent.Child`, and makes `Parent`'s object size cover both.
`endstruct [align n]` rounds the size up to a multiple of n. `Name[i].field` in an
expression (`afs.asm.expressions`) adds i times the object size; `sizeof(Name)` is the
struct's own size, `objectsize(Name)` the size with its extensions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from afs.asm.expressions import parse_expression

if TYPE_CHECKING:
    from afs.asm.parser import Directive
    from afs.asm.passstate import PassState

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def open_struct(state: PassState, d: Directive) -> None:
    """`struct Name [address]` or `struct Name extends Parent`."""
    text = d.args[0] if len(d.args) == 1 else ""
    words = text.split()
    if not 1 <= len(words) <= 3 or not _NAME.fullmatch(words[0]):
        raise state.error("expected 'struct Name [address]' or 'struct Name extends Parent'")
    if state.struct is not None:
        raise state.error("nested struct")
    name = words[0]
    if len(words) == 3:
        if words[1].lower() != "extends":
            raise state.error(f"expected 'extends', not {words[1]!r}", d.arg_columns[0])
        parent = words[2]
        if parent not in state.structs:
            raise state.error(f"struct '{parent}' not found", d.arg_columns[0])
        start = state.structs[parent][2]
        static = parent in state.static_structs
        name = f"{parent}.{name}"
    elif len(words) == 2:
        column = d.arg_columns[0] + text.index(words[1], len(words[0]))
        base = parse_expression(" ".join(words[1:]), column=column, file=state.file,
                                line=state.line, precedence=state.precedence)
        start = base.evaluate(state) & 0xFFFFFF
        static = state.nonstatic_label(base) is None
    else:
        start = state.logical_pc
        static = False
    # asar: a struct at an address without labels set by position lays out static labels
    state.struct_static = static
    state.define_label(state.namespace + name, start)
    if static:
        state.assigned.add(state.namespace + name)
    state.struct = (name, start, state.pc, state.base_delta)
    state.pc, state.base_delta = start, 0


def close_struct(state: PassState, d: Directive) -> None:
    """`endstruct [align n]`."""
    if state.struct is None:
        raise state.error("'endstruct' without 'struct'")
    align = 1
    if d.args:
        words = d.args[0].split(None, 1)
        if len(d.args) != 1 or len(words) != 2 or words[0].lower() != "align":
            raise state.error("expected 'endstruct [align n]'")
        column = d.arg_columns[0] + d.args[0].index(words[1], len(words[0]))
        align = parse_expression(words[1], column=column, file=state.file, line=state.line,
                                 precedence=state.precedence).evaluate(state)
        if align < 1:
            raise state.error(f"struct alignment {align} is below 1", column)
    name, start, saved_pc, saved_delta = state.struct
    end = state.pc or 0
    size = align * ((end - start + align - 1) // align)
    state.structs[name] = (size, size, end)
    if state.struct_static:
        state.static_structs.add(name)
    if "." in name:
        parent = name.split(".", 1)[0]
        p_size, p_object, p_end = state.structs[parent]
        state.structs[parent] = (p_size, max(p_object, p_size + size), p_end)
    state.pc, state.base_delta = saved_pc, saved_delta
    state.struct = None
