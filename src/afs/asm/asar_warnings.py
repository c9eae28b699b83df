"""asar's `warnings push|pull|enable|disable`: which of asar's warnings a source turns off.

AFS prints the warnings asar prints where they apply to it (`missing_org`,
`freespace_leaked`, `warn_command`); each is silenced as asar silences it. The names are
asar 1.91's (`src/asar/warnings.cpp`), with or without the leading `W`; a number (asar's
older spelling) counts from 1001 in the same order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from afs.asm.errors import AsmError

if TYPE_CHECKING:
    from afs.asm.parser import Directive
    from afs.asm.passstate import PassState

NAMES = (
    "relative_path_used", "rom_too_short", "rom_title_incorrect", "65816_yy_x_does_not_exist",
    "65816_xx_y_assume_16_bit", "spc700_assuming_8_bit", "cross_platform_path", "missing_org",
    "set_middle_byte", "unrecognized_special_command", "freespace_leaked", "warn_command",
    "implicitly_sized_immediate", "xkas_deprecated", "xkas_eat_parentheses",
    "xkas_label_access", "xkas_warnpc_relaxed", "xkas_style_conditional", "xkas_patch",
    "xkas_incsrc_relative", "convert_to_asar", "fixed_deprecated", "autoclear_deprecated",
    "check_memory_file", "if_not_condition_deprecated", "function_redefined",
    "datasize_last_label", "datasize_exceeds_size", "mapper_already_set",
    "feature_deprecated", "byte_order_mark_utf8", "optimization_settings",
)
_FIRST_NUMBER = 1001


def warning_name(text: str) -> str | None:
    """asar's warning id `text` names (`Wmissing_org`, `missing_org`, `1008`), or None."""
    word = text[1:] if text[:1] in ("w", "W") else text
    low = word.lower()
    if low in NAMES:
        return low
    if word.isdigit() and 0 <= int(word) - _FIRST_NUMBER < len(NAMES):
        return NAMES[int(word) - _FIRST_NUMBER]
    return None


def run(state: PassState, d: Directive) -> None:
    """`warnings push`, `warnings pull`, `warnings enable|disable ID`."""
    words = d.args[0].split() if len(d.args) == 1 else []
    if len(words) == 1:
        verb = words[0].lower()
        if verb == "push":
            state.warnings_stack.append(set(state.warnings_off))
        elif verb == "pull":
            if not state.warnings_stack:
                raise state.error("'warnings pull' without 'warnings push'")
            state.warnings_off = state.warnings_stack.pop()
        return          # asar ignores any other single word
    if len(words) == 2 and words[0].lower() in ("enable", "disable"):
        name = warning_name(words[1])
        if name is None:
            raise state.error(f"warnings {words[0].lower()}: unknown warning id {words[1]!r} "
                              f"(asar's names, e.g. Wmissing_org or Wfreespace_leaked)",
                              d.arg_columns[0] + d.args[0].index(words[1], len(words[0])))
        if words[0].lower() == "enable":
            state.warnings_off.discard(name)
        else:
            state.warnings_off.add(name)
        return
    if len(words) != 2:
        raise state.error("expected 'warnings push|pull' or 'warnings enable|disable ID'")


def warn(state: PassState, name: str, message: str) -> None:
    """Add warning `name` at the current line unless the source turned it off."""
    if name not in state.warnings_off:
        state.warnings.append(f"{state.file}:{state.line}: {message}")


def finish(state: PassState, main_lines: int) -> None:
    """The end of a pass: every `warnings push` must have had its `warnings pull`. asar
    names the main file, two lines past its end (`main_lines` long)."""
    if state.warnings_stack:
        raise AsmError("'warnings push' without 'warnings pull' (at the end of the main file)",
                       state.asm.main_file, main_lines + 2, 1)
