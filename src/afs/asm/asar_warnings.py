"""asar's warnings: their ids and texts, and `warnings push|pull|enable|disable`.

A warning is asar's line, `file:line: warning: (Wname): message` (`AsarWarning`), the
message rendered from asar 1.91's template (`src/asar/warnings.cpp`, quoted in `MESSAGES`).
The names are asar 1.91's, with or without the leading `W`; a number (asar's older
spelling) counts from 1001 in the same order. Every warning raised in a pass is also kept
in `PassState.raised` (even when turned off), so that a statement whose bytes later passes
replay (`afs.asm.passstate._Encoded`) raises its warnings again (`replay`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from afs.asm.errors import AsmError

if TYPE_CHECKING:
    from afs.asm.parser import Directive


class _Warned(Protocol):
    """What the warnings need of a pass (`afs.asm.passstate.PassState`, which
    imports this module)."""

    file: str
    line: int
    warnings: list[str]
    warnings_off: set[str]
    raised: list[tuple[str, tuple]]
    macro_site: tuple[str, int] | None
    warnings_stack: list[set[str]]
    asm: Any

    def error(self, message: str, column: int | None = None) -> AsmError: ...

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
# asar 1.91's message templates (src/asar/warnings.cpp), for the warnings AFS raises
MESSAGES = {
    "65816_yy_x_does_not_exist": "($yy),x does not exist, assuming $yy,x.",
    "65816_xx_y_assume_16_bit": "%s $xx,y is not valid with 8-bit parameters, assuming 16-bit.",
    "spc700_assuming_8_bit": "This opcode does not exist with 16-bit parameters, assuming "
                             "8-bit.",
    "missing_org": "Missing org or freespace command.",
    "set_middle_byte": "It would be wise to set the 008000 bit of this address.",
    "unrecognized_special_command": "Unrecognized special command - your version of Asar "
                                    "might be outdated.",
    "freespace_leaked": "This freespace appears to be leaked.",
    "warn_command": "warn command%s",
    "autoclear_deprecated": "'autoclear' is deprecated - please use 'autoclean' instead.",
    "function_redefined": "Function '%s' redefined.",
    "mapper_already_set": "A mapper has already been selected.",
    "feature_deprecated": "DEPRECATION NOTIFICATION: Feature \"%s\" is deprecated and will be "
                          "REMOVED in the future. Please update your code to conform to newer "
                          "styles. Suggested work around: %s.",
    "datasize_last_label": "Datasize used on last detected label '%s'.",
    "datasize_exceeds_size": "Datasize exceeds 0xFFFF for label '%s'.",
    "byte_order_mark_utf8": "UTF-8 byte order mark detected and skipped.",
    "optimization_settings": "In Asar 2.0, the default optimization settings will change to "
                             "`optimize dp always` and `optimize address mirrors`, which "
                             "changes this instruction's argument from %d to %d bytes. Either "
                             "specify the desired settings manually or use explicit length "
                             "suffixes to silence this warning.",
}
# `feature_deprecated`'s (feature, work around) pairs, as asar's calls pass them
FEATURES = {
    "db_hash": ("# before numbers in db/dw/...", "remove the #"),
    "if_equals": ("if a = b", 'use "if a == b" instead'),
    "table": ("table command", "Use direct character assignments. For example: 'a' = $61"),
    "warnpc": ("warnpc", 'use "assert pc() <= $xxxxxx" instead'),
    "math_pri": ("math pri", "Rewrite your math statements using parentheses where needed "
                 "and put \"asar 1.90\" in your patch to enable the future behavior of always "
                 "enforcing math prioritization rules"),
    "math_round": ("math round", "Put \"asar 1.90\" in your patch to enable the future "
                   "behavior of never rounding intermediate results. Call the round(), floor() "
                   "or ceil() functions in places where intermediate rounding is required"),
    "at_prefix": ("prefixing Asar commands with @ or ;@", "remove the @ or ;@ prefix"),
    "fillbyte_label": ("labels in fillbyte", "just... don't"),
    "padbyte_label": ("labels in padbyte", "just... don't."),
    "left_to_right": ("xkas style left to right math ", "apply order of operations"),
    "header": ("header", "Remove command, unnecessary."),
    "fastrom": ("fastrom", "This feature has been disabled for years and is a lie. Sorry."),
    "fixed": ("freespace/code/data fixed", "freespace/code/data static"),
    "function_again": ("overwriting a previously defined function", "change the function name"),
    "while_end": ("mismatched terminators", "use endwhile to terminate a while statement"),
    "for_end": ("mismatched terminators", "use endfor to terminate a for statement"),
    "bankcheck_on": ("bankcheck on", "bankcheck full or bankcheck half"),
    "rep_below_zero": ("rep condition < 0", "You probably want conditionals"),
    "rep_command": ("rep X : {command}",
                    "Use while loops, unrolled loops, pseudo opcodes or for loops"),
    "inline_if": ("inline if statements without endif", 'Add an " : endif" at the end of the line'),
    "incbin_target": ("incbin with target location", "put an org before the incbin"),
    "old_incbin_range": ("old style incbin ranges", "use the :start..end syntax instead"),
    "numerical_ids": ("Numerical warnings", "Please transition to Wwarning_name"),
    "if_end": ("mismatched terminators", "use endif to terminate an if statement"),
    "a_label": ("using A as a label name", "rename your label to _a or something, or use a+0 "
                "to disambiguate the addressing mode"),
    "if_not": ("old style conditional negation (if !condition) ", "the not function"),
    "quoted_symbol": ("quoted symbolic arguments", "Remove the quotations"),
    "startpos": ("startpos", 'Use the optional argument to "endspcblock"'),
    "freespace_byte": ("specifying the freespacebyte in the freespace command",
                       "use the separate freespacebyte command"),
    "variadic_math": ("'<math>' syntax for variadic macro parameters",
                      "Use '<...[math]>' instead."),
    "block_comment": ("comments starting with ;[[", '";[[" marks the start of a block comments '
                      'in Asar 2.0 - either remove the "[[", or make sure the commented line '
                      'ends on "]]"'),
    "non_utf8": ("non-UTF-8 source files", "Re-save the file as UTF-8 in a text editor of "
                 "choice and avoid using non-ASCII characters in Asar versions < 2.0"),
}


# The pass asar 1.91 raises a warning on (`asar_throw_warning(N, ...)`; 0 if not listed): it
# prints a pass's warnings as it runs, so all of pass 0's come first, in source order.
_PASS = {"mapper_already_set": 1, "xkas_label_access": 1, "datasize_exceeds_size": 2,
         "datasize_last_label": 2, "freespace_leaked": 2, "optimization_settings": 2,
         "spc700_assuming_8_bit": 2, "warn_command": 2}
# ... and for `feature_deprecated`, by its feature
_FEATURE_PASS = {".d opcode suffix": 1, "labels in fillbyte": 1, "labels in padbyte": 1,
                 "overwriting a previously defined function": 1, "spc700-inline": 1,
                 "spc700-raw": 1, "using A as a label name": 1, "math pri": 2, "math round": 2,
                 "quoted symbolic arguments": 2, "xkas style left to right math ": 2,
                 "xkas style numbers ": 2}


def asar_pass(name: str, args: tuple) -> int:
    """The pass (0..2) asar raises warning `name` (with template `args`) on."""
    if name == "feature_deprecated":
        return _FEATURE_PASS.get(str(args[0]), 0)
    return _PASS.get(name, 0)


def in_asar_order(warnings: list[AsarWarning]) -> list[AsarWarning]:
    """`warnings` (one pass's, in source order) in the order asar prints them: pass 0's,
    then pass 1's, then pass 2's."""
    return sorted(warnings, key=lambda w: w.asar_pass)


class AsarWarning(str):
    """One warning, as asar prints it (`file:line: warning: (Wname): message`); `file`,
    `line` (the source line), `name` (asar's id without the `W`), `message` and
    `called_from` as attributes. In a macro, asar prints the line before the body line and
    the line outside any macro that called it: `file:line-1 (called from file:line)`."""

    file: str
    line: int
    name: str
    message: str
    called_from: tuple[str, int] | None
    asar_pass: int

    def __new__(cls, file: str, line: int, name: str, message: str,
                called_from: tuple[str, int] | None = None, asar_pass: int = 0
                ) -> AsarWarning:
        # line 0: the file as a whole
        where = f"{file}:{line}" if line else file
        if called_from is not None:
            where = f"{file}:{line - 1} (called from {called_from[0]}:{called_from[1]})"
        self = super().__new__(cls, f"{where}: warning: (W{name}): {message}")
        self.file, self.line, self.name, self.message = file, line, name, message
        self.called_from, self.asar_pass = called_from, asar_pass
        return self

    def __reduce__(self) -> tuple:
        # `str.__reduce__` would rebuild a plain str from the text alone
        return (AsarWarning, (self.file, self.line, self.name, self.message,
                              self.called_from, self.asar_pass))


def warning_name(text: str) -> str | None:
    """asar's warning id `text` names (`Wmissing_org`, `missing_org`, `1008`), or None."""
    word = text[1:] if text[:1] in ("w", "W") else text
    low = word.lower()
    if low in NAMES:
        return low
    if word.isdigit() and 0 <= int(word) - _FIRST_NUMBER < len(NAMES):
        return NAMES[int(word) - _FIRST_NUMBER]
    return None


def run(state: _Warned, d: Directive) -> None:
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
        if name is not None and words[1].isdigit():
            feature(state, "numerical_ids")
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


def warn(state: _Warned, name: str, *args: object) -> None:
    """Raise warning `name` (its template filled with `args`) at the current line: printed
    unless the source turned it off."""
    state.raised.append((name, args))
    if name not in state.warnings_off:
        template = MESSAGES[name]
        state.warnings.append(AsarWarning(state.file, state.line, name,
                                          template % args if args else template,
                                          state.macro_site, asar_pass(name, args)))


def file_warning(state: _Warned, file: str, name: str, *args: object) -> None:
    """Warning `name` about `file` as a whole (asar prints no line)."""
    saved = state.file, state.line, state.macro_site
    state.file, state.line, state.macro_site = file, 0, None
    try:
        warn(state, name, *args)
    finally:
        state.file, state.line, state.macro_site = saved


def read_source(data: bytes) -> tuple[str, list[tuple[str, tuple]]]:
    """A source file's text as asar 1.91 reads it, and the warnings (id, template
    arguments) asar raises about the file as a whole: a UTF-8 byte order mark (skipped);
    text that is not UTF-8, which asar reads byte by byte (here each byte the character
    of that code, so that strings keep their bytes)."""
    notes: list[tuple[str, tuple]] = []
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
        notes.append(("byte_order_mark_utf8", ()))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        notes.append(feature_args("non_utf8"))
    return text, notes


def block_comments(line: str) -> int:
    """How many comments on this source line asar 1.91 warns about as starting with `;[[`
    (Asar 2.0's block comments) without ending the line on `]]`."""
    count = 0
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == ";":
            if line.startswith(";[[", i) and not line.endswith("]]"):
                count += 1
            if line[i + 1:i + 2] != "@":    # (asar reads on after `;@`, its older prefix)
                break
        elif ch == "'" and line.startswith("'''", i):
            i += 2
        elif ch in "\"'":
            end = line.find(ch, i + 1)
            if end < 0:             # an unclosed quote: no comment
                break
            i = end
        i += 1
    return count


def feature(state: _Warned, key: str) -> None:
    """asar's `feature_deprecated` warning for the feature `FEATURES[key]`."""
    warn(state, "feature_deprecated", *FEATURES[key])


def feature_args(key: str) -> tuple[str, tuple[str, str]]:
    """`feature`'s warning as (id, template arguments), as `raised` keeps it."""
    return "feature_deprecated", FEATURES[key]


def replay(state: _Warned, raised: tuple[tuple[str, tuple], ...]) -> None:
    """The warnings a kept statement raised when it first ran, raised again here."""
    for name, args in raised:
        warn(state, name, *args)


def finish(state: _Warned, main_lines: int) -> None:
    """The end of a pass: every `warnings push` must have had its `warnings pull`. asar
    names the main file, at its count of newlines (`main_lines`) plus 2."""
    if state.warnings_stack:
        raise AsmError("'warnings push' without 'warnings pull' (at the end of the main file)",
                       state.asm.main_file, main_lines + 2, 1)
