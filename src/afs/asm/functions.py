"""asar's built-in functions (`read1()`, `defined()`, `bank()`, `pc()`...) and `function`s.

Integer arithmetic, as the rest of AFS's math: asar computes in doubles, but its default
`math round` truncates every intermediate result, so `sqrt`, `sin`, `log`... give the
truncated value asar gives.
Names and arguments follow asar's manual (RPGHacker/asar, docs/src/functions.md).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from afs.asm import mapping
from afs.asm.asar_warnings import feature, warn
from afs.asm.errors import AsmError
from afs.asm.expressions import parse_expression

if TYPE_CHECKING:
    from afs.asm.passstate import PassState

# asar computes these in floating point, but under its default `math round` every result
# is truncated toward zero (and the arguments are whole numbers): the same in integers.
_FLOAT = {"sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan,
          "asin": math.asin, "acos": math.acos, "atan": math.atan, "arcsin": math.asin,
          "arccos": math.acos, "arctan": math.atan, "log": math.log, "log10": math.log10,
          "log2": math.log2}


def _div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _ints(name: str, args: list[int | str], low: int, high: int, state: PassState,
          column: int) -> list[int]:
    if not low <= len(args) <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise AsmError(f"{name}() takes {want} argument{'s' * (high != 1)}, got {len(args)}",
                       state.file, state.line, column)
    if any(isinstance(a, str) for a in args):
        raise AsmError(f"{name}() takes numbers, not strings", state.file, state.line, column)
    return [int(a) for a in args]


def _strings(name: str, args: list[int | str], count: int, state: PassState,
             column: int) -> list[str]:
    if len(args) < count or not all(isinstance(a, str) for a in args[:count]):
        raise AsmError(f"{name}() takes {count} quoted string argument{'s' * (count > 1)}",
                       state.file, state.line, column)
    return [str(a) for a in args[:count]]


_SIMPLE = {
    "bank": (1, 1, lambda a: a[0] >> 16),
    "min": (2, 2, lambda a: min(a)),
    "max": (2, 2, lambda a: max(a)),
    "clamp": (3, 3, lambda a: min(max(a[0], a[1]), a[2])),
    "select": (3, 3, lambda a: a[1] if a[0] else a[2]),
    "not": (1, 1, lambda a: int(not a[0])),
    "equal": (2, 2, lambda a: int(a[0] == a[1])),
    "notequal": (2, 2, lambda a: int(a[0] != a[1])),
    "less": (2, 2, lambda a: int(a[0] < a[1])),
    "lessequal": (2, 2, lambda a: int(a[0] <= a[1])),
    "greater": (2, 2, lambda a: int(a[0] > a[1])),
    "greaterequal": (2, 2, lambda a: int(a[0] >= a[1])),
    "and": (2, 2, lambda a: int(bool(a[0]) and bool(a[1]))),
    "or": (2, 2, lambda a: int(bool(a[0]) or bool(a[1]))),
    "nand": (2, 2, lambda a: int(not (a[0] and a[1]))),
    "nor": (2, 2, lambda a: int(not (a[0] or a[1]))),
    "xor": (2, 2, lambda a: int(bool(a[0]) != bool(a[1]))),
    "floor": (1, 1, lambda a: a[0]),
    "ceil": (1, 1, lambda a: a[0]),
    "round": (2, 2, lambda a: a[0]),
}


def call(state: PassState, name: str, args: list[int | str], column: int) -> int:
    """Evaluate built-in or user function `name` (lower case) with evaluated `args`."""
    user = state.functions.get(name)
    if user is not None:
        return _call_user(state, name, user, args, column)  # type: ignore[arg-type]
    simple = _SIMPLE.get(name)
    if simple is not None:
        low, high, fn = simple
        return fn(_ints(name, args, low, high, state, column))
    # (asar reads its addresses without setting a default org: see `PassState.unplaced`)
    if name == "pc":
        return state.unplaced[0] if state.pc is None else state.logical_pc + state.item_offset
    if name == "realbase":
        return state.unplaced[1] if state.pc is None else state.pc + state.item_offset
    if name == "safediv":
        a, b, fallback = _ints(name, args, 3, 3, state, column)
        return fallback if b == 0 else _div(a, b)
    if name in ("sizeof", "objectsize"):
        struct = _strings(name, args, 1, state, column)[0]
        sizes = state.structs.get(struct) or state.prev_structs.get(struct)
        if sizes is None:     # not yet: defined later, as a label may be
            state.unresolved += 1
            if state.number:
                state.defer(AsmError(f"{name}(): struct '{struct}' not found", state.file,
                                     state.line, column))
            return 0
        return sizes[0 if name == "sizeof" else 1]
    if name == "datasize":
        return _datasize(state, _strings(name, args, 1, state, column)[0], column)
    if name == "defined":
        return int(_strings(name, args, 1, state, column)[0] in state.defines)
    if name in ("stringsequal", "stringsequalnocase"):
        a, b = _strings(name, args, 2, state, column)
        return int(a == b if name == "stringsequal" else a.lower() == b.lower())
    if name == "snestopc":      # as asar: -1 for an address no ROM byte is at
        (value,) = _ints(name, args, 1, 1, state, column)
        out = mapping.snes_to_pc(value, state.mapper)
        return -1 if out is None else out
    if name == "pctosnes":
        (value,) = _ints(name, args, 1, 1, state, column)
        return mapping.asar_pc_to_snes(value, state.mapper)
    if name[:4] == "read" and name[4:] in ("1", "2", "3", "4"):
        nums = _ints(name, args, 1, 2, state, column)
        data = _read_rom(state, nums[0], int(name[4]))
        if data is None:
            if len(nums) == 2:
                return nums[1]
            raise AsmError(f"{name}(${nums[0]:06X}): address is not in the ROM being "
                           "patched", state.file, state.line, column)
        return int.from_bytes(data, "little")
    if name[:7] == "canread" and name[7:] in ("1", "2", "3", "4"):
        (pos,) = _ints(name, args, 1, 1, state, column)
        return int(_read_rom(state, pos, int(name[7])) is not None)
    if name == "canread":
        count, pos = _ints(name, args, 2, 2, state, column)
        return int(_read_rom(state, pos, count) is not None)
    if name in ("filesize", "getfilestatus"):
        path = find_file(state, _strings(name, args, 1, state, column)[0])
        if name == "getfilestatus":
            return 0 if path is not None else 1
        if path is None:
            raise AsmError(f"filesize(): file not found: {args[0]}", state.file, state.line,
                           column)
        return path.stat().st_size
    if name[:8] == "readfile" and name[8:] in ("1", "2", "3", "4"):
        return _readfile(state, name, args, column, int(name[8]))
    if name[:11] == "canreadfile" and name[11:] in ("", "1", "2", "3", "4"):
        # `canreadfile(file, pos, length)`, `canreadfileN(file, pos)`: 1 when those bytes are
        # in the file, 0 otherwise (a missing file too)
        if len(args) != (3 if name == "canreadfile" else 2) or not isinstance(args[0], str):
            raise AsmError(f"{name}() takes a quoted file name, a position"
                           f"{', a length' if name == 'canreadfile' else ''}", state.file,
                           state.line, column)
        nums = _ints(name, args[1:], len(args) - 1, len(args) - 1, state, column)
        length = nums[1] if name == "canreadfile" else int(name[11])
        path = find_file(state, args[0])
        return int(path is not None and nums[0] >= 0 and nums[0] + length <= path.stat().st_size)
    if name in _FLOAT:
        (value,) = _ints(name, args, 1, 1, state, column)
        try:
            result = _FLOAT[name](value)
        except (ValueError, OverflowError):
            result = math.nan
        if not math.isfinite(result):
            raise AsmError(f"{name}({value}) is not a number (outside the function's domain)",
                           state.file, state.line, column)
        if state.exact_math and result != math.trunc(result):
            raise AsmError(f"{name}({value}) is a fraction, which asar keeps under 'asar 1.90'/"
                           "'math round off' and AFS's integer math cannot (floor() it)",
                           state.file, state.line, column)
        return math.trunc(result)
    raise AsmError(f"unknown function '{name}'", state.file, state.line, column)


def _datasize(state: PassState, label: str, column: int) -> int:
    """`datasize(Label)`: from the label to the next label up (any label, `+`/`-` ones and
    `=` constants too, as asar keeps them all alike; the 24-bit addresses of the last pass),
    with asar's warnings where none is (it counts to $FFFFFF) or it is $10000 or more."""
    here = state.labels.get(label)
    if here is None:
        here = state.prev_labels.get(label)
    if here is None:
        state.unresolved += 1
        if state.number:
            state.defer(AsmError(f"datasize(): label '{label}' not found", state.file,
                                 state.line, column))
        return 0
    here &= 0xFFFFFF
    end = 0xFFFFFF
    anons = (*state.prev_plus.values(), *state.prev_minus.values(), *state.plus.values(),
             *state.minus.values())
    for values in (state.prev_labels.values(), state.labels.values(), *anons):
        for value in values:
            value &= 0xFFFFFF
            if here < value < end:
                end = value
    if end == 0xFFFFFF:
        warn(state, "datasize_last_label", label)
    if end - here > 0xFFFF:
        warn(state, "datasize_exceeds_size", label)
    return end - here


def _read_rom(state: PassState, address: int, count: int) -> bytes | None:
    rom = state.asm.rom
    offset = mapping.snes_to_pc(address, state.mapper)
    if rom is None or offset is None or offset + count > len(rom):
        return None
    return bytes(rom[offset:offset + count])


def find_file(state: PassState, name: str) -> Path | None:
    """The file a source names: beside the including file, in the include folders, then
    from the working folder, as asar looks. asar reads a Windows `\\` as `/` (its Linux
    build silently, as here; its Windows build warns)."""
    name = name.replace("\\", "/")
    here = Path(state.file).parent if not state.file.startswith("<") else Path.cwd()
    for folder in (here, *state.asm.include_dirs, Path()):
        if (folder / name).is_file():
            return folder / name
    return None


def _readfile(state: PassState, name: str, args: list[int | str], column: int,
              count: int) -> int:
    if len(args) not in (2, 3) or not isinstance(args[0], str):
        raise AsmError(f"{name}() takes a quoted file name, a position and an optional "
                       "default", state.file, state.line, column)
    nums = _ints(name, args[1:], 1, 2, state, column)
    path = find_file(state, args[0])
    data = path.read_bytes()[nums[0]:nums[0] + count] if path is not None else b""
    if path is None or nums[0] < 0 or len(data) < count:
        if len(nums) == 2:
            return nums[1]
        raise AsmError(f"{name}(): cannot read {count} byte(s) at {nums[0]} of {args[0]}",
                       state.file, state.line, column)
    return int.from_bytes(data, "little")


def define_function(state: PassState, name: str, params: list[str], body: str) -> None:
    """`function name(params) = body` (`body`: its text, which calls fill in)."""
    key = name.lower()
    if key in state.functions:      # asar: the new definition, with a warning
        feature(state, "function_again")
    state.functions[key] = (params, body)


# asar gives up on a `function` that calls itself without end; so does AFS, at this depth.
_MAX_FUNCTION_DEPTH = 64


def _call_user(state: PassState, name: str, user: tuple[list[str], str],
               args: list[str], column: int) -> int:
    """A `function` called with its arguments' text (see `expressions._Parser.parse_call`):
    as asar, the body with each parameter replaced by its argument's text, evaluated here
    (errors name the call)."""
    params, body = user
    if len(args) != len(params):
        raise AsmError(f"function {name}() takes {len(params)} argument"
                       f"{'s' * (len(params) != 1)}, got {len(args)}", state.file, state.line,
                       column)
    if state.function_depth >= _MAX_FUNCTION_DEPTH:
        raise AsmError(f"function {name}() calls itself without end", state.file, state.line,
                       column)
    text = substitute_parameters(body, params, args)
    cache = state.asm.function_bodies
    key = (text, state.precedence)
    expr = cache.get(key)
    if expr is None:
        expr = cache[key] = parse_expression(text, column=column, file=state.file,
                                             line=state.line, precedence=state.precedence)
    state.function_depth += 1
    try:
        return expr.evaluate(state)
    finally:
        state.function_depth -= 1


def substitute_parameters(body: str, params: list[str], args: list[str]) -> str:
    """`body` with its parameters replaced by `args`, scanned as asar 1.91 scans it
    (asar_math.cpp `asar_call_user_function`): at each character that may start a name, a
    parameter matches case-insensitively when no name character follows it; other names
    are copied whole with the character after them. Quotes are not skipped: a parameter's
    name inside a string in the body is replaced too, as in asar."""
    out: list[str] = []
    i = 0
    n = len(body)
    lowered = [p.lower() for p in params]
    while i < n:
        ch = body[i]
        if not (ch.isascii() and (ch.isalpha() or ch == "_")):
            out.append(ch)
            i += 1
            continue
        found = False
        for param, arg in zip(lowered, args, strict=True):
            # (every parameter is tried in turn, from where the last match left off)
            end = i + len(param)
            if body[i:end].lower() == param and not (end < n and _name_char(body[end])):
                out.append(arg)
                i = end - 1
                found = True
        if not found:
            while i < n and _name_char(body[i]):
                out.append(body[i])
                i += 1
            if i < n:
                out.append(body[i])
        i += 1
    return "".join(out)


def _name_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")
