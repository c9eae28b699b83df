"""Instruction encoding: operand syntax + size -> addressing mode, opcode and bytes, as asar 1.91.

Rules checked against the binary:

- The operand size is the `.b/.w/.l` suffix, else the expression's width (see
  `afs.asm.expressions`). Without a suffix, a size the mnemonic lacks is widened to the next
  size it has (`jmp $12` is `4C 12 00`, `pea $12` three bytes); never narrowed (`jsr $123456`
  is an error). With a suffix the size is exact, except that `$xx,y` widens to `$xxxx,y`
  where only the absolute form exists (asar warns). Values are truncated to the size.
- Immediates are 1 or 2 bytes (`.l` means 2); REP/SEP/BRK/COP/WDM always 1.
- Branches (and BRL/PER) whose operand involves a label are relative; a bare number is
  written as the raw offset (`bra $8004` is `80 04`), as asar does.
- `asl #3` (and LSR ROL ROR INC DEC INX INY DEX DEY NOP) repeats the one-byte form 3 times.
- `jmp [addr]` is JML's `[addr]` opcode ($DC). MVN/MVP take `dest, src` or one 16-bit value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from afs.asm.asar_warnings import warn
from afs.asm.isa import OPCODES, Mode
from afs.asm.parser import BRANCHES, LONG_BRANCHES, Instruction, balanced

if TYPE_CHECKING:
    from afs.asm.passstate import PassState

_CANDIDATES: dict[str, tuple[tuple[int, Mode], ...]] = {
    "addr": ((1, Mode.DIRECT), (2, Mode.ABSOLUTE), (3, Mode.ABSOLUTE_LONG)),
    "anon": ((1, Mode.DIRECT), (2, Mode.ABSOLUTE), (3, Mode.ABSOLUTE_LONG)),
    "x": ((1, Mode.DIRECT_X), (2, Mode.ABSOLUTE_X), (3, Mode.ABSOLUTE_LONG_X)),
    "y": ((1, Mode.DIRECT_Y), (2, Mode.ABSOLUTE_Y)),
    "s": ((1, Mode.STACK_RELATIVE),),
    "ind": ((1, Mode.DIRECT_INDIRECT), (2, Mode.ABSOLUTE_INDIRECT)),
    "ind_x": ((1, Mode.DIRECT_X_INDIRECT), (2, Mode.ABSOLUTE_X_INDIRECT)),
    "ind_y": ((1, Mode.DIRECT_INDIRECT_Y),),
    "sr_ind_y": ((1, Mode.STACK_RELATIVE_INDIRECT_Y),),
    "long_ind": ((1, Mode.DIRECT_INDIRECT_LONG), (2, Mode.ABSOLUTE_INDIRECT_LONG)),
    "long_ind_y": ((1, Mode.DIRECT_INDIRECT_LONG_Y),),
}
REPEATABLE = frozenset(["asl", "lsr", "rol", "ror", "inc", "dec", "inx", "iny", "dex", "dey",
                        "nop"])
_SUFFIX_SIZE = {"b": 1, "w": 2, "l": 3}
_SYNTAX = {
    "addr": "addr", "anon": "addr", "x": "addr,x", "y": "addr,y", "s": "sr,s",
    "ind": "(addr)", "ind_x": "(addr,x)", "ind_y": "(dp),y", "sr_ind_y": "(sr,s),y",
    "long_ind": "[addr]", "long_ind_y": "[dp],y", "imm": "#imm", "acc": "A", "none": "",
    "move": "dest,src",
}
_cache: dict[tuple[str, str], tuple[tuple[int, Mode, int], ...]] = {}
_NO_OPERAND: dict[tuple[str, str], tuple[bytes, Mode, int, None]] = {}
# Exact names only: asar 1.91 rejects `isa`'s alternate spellings (`jmp $123456`, `bge`, `tad`).
_EXACT: dict[tuple[str, Mode], int] = {(i.mnemonic, i.mode): i.opcode for i in OPCODES}


def opcode_for(mnemonic: str, mode: Mode) -> int | None:
    """The opcode asar 1.91 uses for `mnemonic` (upper case) in `mode`, or None."""
    if mnemonic == "JMP" and mode is Mode.ABSOLUTE_INDIRECT_LONG:
        mnemonic = "JML"
    return _EXACT.get((mnemonic, mode))


def candidates(mnemonic: str, kind: str) -> tuple[tuple[int, Mode, int], ...]:
    """(size, mode, opcode) choices for a mnemonic (upper case) and operand kind."""
    key = (mnemonic, kind)
    hit = _cache.get(key)
    if hit is None:
        hit = tuple((size, mode, op) for size, mode in _CANDIDATES.get(kind, ())
                    if (op := opcode_for(mnemonic, mode)) is not None)
        _cache[key] = hit
    return hit


def _le(value: int, size: int) -> bytes:
    return (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def _plan(mnemonic: str, kind: str, suffix: str | None) -> tuple | None:
    """For an operand whose size picks the form: the (size, mode, opcode) picked for each
    operand width 0..3 (all alike with a suffix, which alone decides); None for the rest."""
    if mnemonic in BRANCHES or mnemonic in LONG_BRANCHES or kind not in _CANDIDATES:
        return None
    choices = candidates(mnemonic.upper(), kind)
    if not choices:
        return None
    if suffix is None:
        return tuple(next((c for c in choices if c[0] >= width), None) for width in range(4))
    width = _SUFFIX_SIZE[suffix]
    picked = next((c for c in choices if c[0] == width), None)
    if picked is None and kind == "y" and width == 1:
        picked = next((c for c in choices if c[0] == 2), None)
    return (picked,) * 4


_PLANS: dict[tuple[str, str, str | None], tuple | None] = {}
_MASKS = (0, 0xFF, 0xFFFF, 0xFFFFFF)


def encode_instruction(state: PassState, st: Instruction) -> tuple[bytes, Mode, int, int | None]:
    """Encode one instruction at the pass's current address."""
    op = st.operand
    kind = op.kind
    key = (st.mnemonic, kind, st.suffix)
    plan = _PLANS[key] if key in _PLANS else _PLANS.setdefault(key, _plan(*key))
    if plan is not None:        # the common case, straight to the form picked
        value, width = _value_and_width(state, st)
        picked = plan[0] if st.suffix is not None else plan[width] if width < 4 else None
        if picked is None:
            raise _size_error(state, st, width)
        if kind == "y" or kind == "x":
            _index_warnings(state, st, width)
        # (those settings only narrow an operand: one byte stays one byte)
        if picked[0] > 1 and st.suffix is None and kind != "anon" \
                and op.expr.labels and len(state.fs.optimize_set) < 2:  # type: ignore[union-attr]
            _settings_warning(state, st, plan, picked[0])
        size, mode, code = picked
        return (((value & _MASKS[size]) << 8) | code).to_bytes(size + 1, "little"), mode, \
            code, value
    mnem = st.mnemonic.upper()
    if st.mnemonic in BRANCHES or st.mnemonic in LONG_BRANCHES:
        return _branch(state, st, mnem)
    if kind == "none" or kind == "acc":
        if st.suffix is not None:
            raise state.error(f"'{st.mnemonic}.{st.suffix}' takes no size suffix without an "
                              "operand")
        hit = _NO_OPERAND.get((mnem, kind))
        if hit is not None:
            return hit
        for mode in ((Mode.ACCUMULATOR, Mode.IMPLIED) if kind == "none"
                     else (Mode.ACCUMULATOR,)):
            code = opcode_for(mnem, mode)
            if code is not None:
                hit = _NO_OPERAND[mnem, kind] = (bytes((code,)), mode, code, None)
                return hit
        code = opcode_for(mnem, Mode.IMMEDIATE_8)
        if code is not None and kind == "none" and mnem in ("BRK", "COP", "WDM"):
            return bytes((code, 0)), Mode.IMMEDIATE_8, code, 0
        raise state.error(f"'{st.mnemonic}' needs an operand")
    if kind == "imm" and st.mnemonic in REPEATABLE:
        return _repeat(state, st, mnem)
    if kind == "imm":
        return _immediate(state, st, mnem)
    if kind == "move":
        code = opcode_for(mnem, Mode.BLOCK_MOVE)
        assert op.expr is not None
        if code is None or st.suffix not in (None, "w") or (st.suffix and op.expr2 is not None):
            raise state.error(f"'{st.mnemonic}{_sfx(st)}' takes 'destination, source' or one "
                              "16-bit value (suffix .w only with the 16-bit form)")
        if op.expr2 is None:
            if op.expr.text.startswith("(") or (st.suffix is None and op.expr.width(state) != 2):
                raise state.error(f"'{st.mnemonic}' with one operand takes a 16-bit value "
                                  "($ddss) or the suffix .w", op.expr.column)
            value = op.expr.evaluate(state)
            state.check_range(value, 2, op.expr.column, "value")
            return bytes((code,)) + _le(value, 2), Mode.BLOCK_MOVE, code, value & 0xFFFF
        dest, src = op.expr.evaluate(state), op.expr2.evaluate(state)
        state.check_range(dest, 1, op.expr.column, "bank")
        state.check_range(src, 1, op.expr2.column, "bank")
        return (bytes((code, dest & 0xFF, src & 0xFF)), Mode.BLOCK_MOVE, code,
                ((dest & 0xFF) << 8) | (src & 0xFF))
    choices = candidates(mnem, kind)
    if not choices:
        raise state.error(f"'{st.mnemonic}' has no {_SYNTAX[kind]} addressing mode")
    value, width = _value_and_width(state, st)
    if st.suffix is not None:
        width = _SUFFIX_SIZE[st.suffix]
        picked = next((c for c in choices if c[0] == width), None)
        if picked is None and kind == "y" and width == 1:
            picked = next((c for c in choices if c[0] == 2), None)
    else:
        picked = next((c for c in choices if c[0] >= width), None)
    if picked is None:
        raise _size_error(state, st, width)
    size, mode, code = picked
    return bytes((code,)) + _le(value, size), mode, code, value


def _value_and_width(state: PassState, st: Instruction) -> tuple[int, int]:
    """The operand's value in this pass and the width asar infers for it (1..3)."""
    op = st.operand
    if op.kind == "anon":
        assert op.anon is not None
        value = state.anon_value(op.anon, st.column)
        return value, state.anon_width(op.anon, value)
    assert op.expr is not None
    return op.expr.evaluate(state), op.expr.width(state)


# asar widens `$xx,y` to `$xxxx,y` for these (no `dp,y` form), with a warning
_WIDENED_Y = frozenset(["ora", "and", "eor", "adc", "sta", "lda", "cmp", "sbc"])


def _index_warnings(state: PassState, st: Instruction, width: int) -> None:
    """asar's warnings for `lda $12,y` (widened to 16 bits) and `lda ($12),x` (read as
    `$12,x`)."""
    if st.operand.kind == "y":
        if st.mnemonic in _WIDENED_Y and (width if st.suffix is None else
                                          _SUFFIX_SIZE[st.suffix]) <= 1:
            # the mnemonic as written, without its suffix
            written = st.text[:len(st.mnemonic)] if st.text else st.mnemonic.upper()
            warn(state, "65816_xx_y_assume_16_bit", written)
        return
    expr = st.operand.expr
    assert expr is not None
    text = expr.text.strip()
    if text[:1] == "(" and text[-1:] == ")" and balanced(text[1:-1]):
        warn(state, "65816_yy_x_does_not_exist")


# the operand size of an immediate by its expression's width (0..3), as `_immediate` picks it
_IMMEDIATE_SIZES = ((0,), (1,), (2,), (2,))


def _settings_warning(state: PassState, st: Instruction, plan: tuple, size: int) -> None:
    # `plan`: the form picked for each operand width (`_plan`), its size first
    """asar sizes the operand again as if `optimize dp always` and `optimize address
    mirrors` were set (those not set explicitly) and warns where the size differs."""
    expr = st.operand.expr
    assert expr is not None
    saved = state.optimize_dp, state.optimize_address
    if "dp" not in state.fs.optimize_set:
        state.optimize_dp = "always"
    if "address" not in state.fs.optimize_set:
        state.optimize_address = "mirrors"
    try:
        width = expr.width(state)
    finally:
        state.optimize_dp, state.optimize_address = saved
    other = plan[width] if width < 4 else None
    if other is not None and other[0] != size:
        warn(state, "optimization_settings", size, other[0])


def _size_error(state: PassState, st: Instruction, width: int) -> Exception:
    if st.suffix is not None:
        width = _SUFFIX_SIZE[st.suffix]
    kind = st.operand.kind
    sizes = "/".join(f"{s}" for s, _, _ in candidates(st.mnemonic.upper(), kind))
    return state.error(f"'{st.mnemonic}{_sfx(st)} {_SYNTAX[kind]}' cannot take a "
                       f"{width}-byte operand (has {sizes}-byte forms)")


def _repeat(state: PassState, st: Instruction, mnem: str) -> tuple[bytes, Mode, int, int]:
    assert st.operand.expr is not None
    count = st.operand.expr.evaluate(state)
    mode = Mode.ACCUMULATOR if opcode_for(mnem, Mode.ACCUMULATOR) is not None else Mode.IMPLIED
    code = opcode_for(mnem, mode)
    assert code is not None
    if count > 0x10000:
        raise state.error(f"repeat count {count} too large for '{st.mnemonic} #n'",
                          st.operand.expr.column)
    return bytes((code,)) * max(0, count), mode, code, count


def _sfx(st: Instruction) -> str:
    return f".{st.suffix}" if st.suffix else ""


def _immediate(state: PassState, st: Instruction, mnem: str) -> tuple[bytes, Mode, int, int]:
    expr = st.operand.expr
    assert expr is not None
    code = opcode_for(mnem, Mode.IMMEDIATE_8)
    if code is not None:
        if st.suffix in ("w", "l"):
            raise state.error(f"'{st.mnemonic}' takes a one-byte immediate, not "
                              f"'.{st.suffix}'")
        value = expr.evaluate(state)
        if st.suffix is None and expr.width(state) > 1:
            raise state.error(f"'{st.mnemonic}' takes a one-byte immediate; "
                              f"'{expr.text}' is {expr.width(state)} bytes wide", expr.column)
        state.check_range(value, 1, expr.column, "immediate")
        return bytes((code, value & 0xFF)), Mode.IMMEDIATE_8, code, value
    mode = Mode.IMMEDIATE_M
    code = opcode_for(mnem, mode)
    if code is None:
        mode = Mode.IMMEDIATE_X
        code = opcode_for(mnem, mode)
    if code is None:
        raise state.error(f"'{st.mnemonic}' has no immediate addressing mode")
    value = expr.evaluate(state)
    size = 2 if st.suffix in ("w", "l") else 1 if st.suffix == "b" else min(2, expr.width(state))
    if size > 1 and st.suffix is None and expr.labels and len(state.fs.optimize_set) < 2:
        _settings_warning(state, st, _IMMEDIATE_SIZES, size)
    state.check_range(value, size, expr.column, "immediate")
    return bytes((code,)) + _le(value, size), mode, code, value


_BRANCH_FORMS: dict[str, tuple[Mode, int, int]] = {}


def _branch(state: PassState, st: Instruction, mnem: str) -> tuple[bytes, Mode, int, int]:
    op = st.operand
    form = _BRANCH_FORMS.get(mnem)
    if form is None:
        long = st.mnemonic in LONG_BRANCHES
        mode = Mode.RELATIVE16 if long else Mode.RELATIVE8
        code = opcode_for(mnem, mode)
        assert code is not None
        form = _BRANCH_FORMS[mnem] = (mode, code, 2 if long else 1)
    mode, code, size = form
    if op.kind == "anon":
        assert op.anon is not None
        target = state.anon_value(op.anon, st.column)
        relative = True
    elif op.kind == "addr":
        assert op.expr is not None
        target = op.expr.evaluate(state)
        relative = op.expr.has_labels
    else:
        raise state.error(f"'{st.mnemonic}' takes a branch target, not {_SYNTAX[op.kind]!r}"
                          if op.kind != "none" else f"'{st.mnemonic}' needs a branch target")
    if not relative:
        return bytes((code,)) + _le(target, size), mode, code, target
    # (before any org, asar branches from its address -1, read as $FFFFFF: out of range)
    here = state.unplaced[0] & 0xFFFFFF if state.pc is None else state.logical_pc
    origin = here + 1 + size
    distance = target - origin
    limit = 1 << (8 * size - 1)
    if not -limit <= distance < limit:
        if state.errors_kept:
            state.defer(state.error(
                f"relative branch out of range: distance {distance} (target "
                f"${target & 0xFFFFFF:06X} from ${origin:06X}; allowed {-limit}..{limit - 1})"))
        distance = 0
    return (((distance & _MASKS[size]) << 8) | code).to_bytes(size + 1, "little"), mode, code, \
        target
