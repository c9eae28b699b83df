"""asar-syntax source into a typed AST, with file, line and column on every statement.

A source line is: comment stripped at the first `;` outside quotes (a line then ending with
`,` or `\\` joined with the next, `afs.asm.grammar`), then split into statements at ` : `
(a colon with whitespace on both sides, as asar 1.91 requires).
Line-level constructs (defines, `macro`/`endmacro`, `if`/`elseif`/`else`/`endif`) are
statements too, so `parse()` shows a file's whole structure; the assembler executes them.
`parse()` substitutes `!defines` in order of appearance (no macro expansion, no conditions).
"""

from __future__ import annotations

import re
from dataclasses import replace

from afs.asm.conditions import parse_condition
from afs.asm.defines import BUILTIN_DEFINES, define_set_name, substitute_defines
from afs.asm.errors import AsmError
from afs.asm.expressions import (
    LABEL_NAME,
    SUBLABEL_NAME,
    Expr,
    atom_expr,
    parse_expression,
    reported,
)
from afs.asm.grammar import (
    check_arguments,
    check_assignment,
    check_function,
    check_operand,
    clean,
    join_continued,
    quoted_mask,
    spaced,
    squeeze,
    words,
)
from afs.asm.statements import (
    AnonLabel,
    Assign,
    CharAssign,
    Conditional,
    DataItem,
    DefineSet,
    Directive,
    EndMacro,
    Instruction,
    Label,
    MacroCall,
    MacroDef,
    Operand,
    ParsedLine,
    Program,
    SpcInstruction,
    Statement,
)

# Mnemonics asar 1.91 accepts (WDC names; JML/JSL for long jumps).
MNEMONICS = frozenset([
    "adc", "and", "asl", "bcc", "bcs", "beq", "bit", "bmi", "bne", "bpl", "bra", "brk", "brl",
    "bvc", "bvs", "clc", "cld", "cli", "clv", "cmp", "cop", "cpx", "cpy", "dec", "dex", "dey",
    "eor", "inc", "inx", "iny", "jml", "jmp", "jsl", "jsr", "lda", "ldx", "ldy", "lsr", "mvn",
    "mvp", "nop", "ora", "pea", "pei", "per", "pha", "phb", "phd", "phk", "php", "phx", "phy",
    "pla", "plb", "pld", "plp", "plx", "ply", "rep", "rol", "ror", "rti", "rtl", "rts", "sbc",
    "sec", "sed", "sei", "sep", "sta", "stp", "stx", "sty", "stz", "tax", "tay", "tcd", "tcs",
    "tdc", "trb", "tsb", "tsc", "tsx", "txa", "txs", "txy", "tya", "tyx", "wai", "wdm", "xba",
    "xce",
])
BRANCHES = frozenset(["bcc", "bcs", "beq", "bmi", "bne", "bpl", "bra", "bvc", "bvs"])
LONG_BRANCHES = frozenset({"brl", "per"})
ACCUMULATOR_OPS = frozenset({"asl", "lsr", "rol", "ror", "inc", "dec"})

DIRECTIVES = frozenset([
    "org", "base", "lorom", "hirom", "exlorom", "exhirom", "norom", "sa1rom", "fullsa1rom",
    "sfxrom", "db", "dw", "dl", "dd",
    "incsrc", "incbin", "pushpc", "pullpc", "fillbyte", "fill", "skip", "warnpc", "namespace",
    "math", "print", "padbyte", "pad", "error", "warn", "arch", "check", "assert",
    "undef", "global", "includeonce", "includefrom", "fillword", "filllong", "filldword",
    "padword", "padlong", "paddword", "pushns", "pullns", "pushbase", "pullbase", "bank",
    "optimize", "dpbase", "table", "cleartable", "struct", "endstruct", "spcblock",
    "endspcblock", "freespace", "freecode", "freedata", "autoclean", "autoclear", "prot",
    "freespacebyte", "pushtable", "pulltable", "warnings", "asar", "reset", "header",
    "fastrom", "startpos",
])
# asar commands AFS does not implement: a clear error instead of a misparse.
UNSUPPORTED = frozenset([
    "bankcross", "rep", "align",
    "incsrcs", "loadpc", "savepc",
])

# `#name:` is asar's label that leaves the sublabel scope alone.
_LABEL_RE = re.compile(rf"(#?{LABEL_NAME}):(?=\s|$)")
_SUBLABEL_RE = re.compile(rf"(?:#{LABEL_NAME}|{SUBLABEL_NAME})$")
# asar: a sublabel needs no colon before a statement (`.row0 dw 1`), unless one of `=`.
_BARE_SUBLABEL_RE = re.compile(rf"({SUBLABEL_NAME})(?=\s+(?!=\s))")
_ANON_RE = re.compile(r"(\++|-+)$")
_ANON_DEF_RE = re.compile(r"(\++|-+):?(?=\s|$)")
# asar 1.91 wants spaces around `=` (`X=$10` is an unknown command, `!a=1` uses define !a).
_ASSIGN_RE = re.compile(r"(\.*[A-Za-z_][A-Za-z0-9_]*)\s+=\s+(.*)$")
# `'c' = value` (a value with a space, `' '` aside, is more words: not one)
_CHAR_ASSIGN_RE = re.compile(r"('{3}|'[^']*')[ \t]+=[ \t]+((?:'[^']*'|[^\s'])+)$")
# `!name = value` (`:=`, `#=`, `+=`, `?=`); the name may be `{...}` holding defines, which
# may hold braces in turn (three deep: `!{my!{a}!{b!{c}}}`)
_BRACED = r"\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
_DEFINE_SET_RE = re.compile(r"\s*!([A-Za-z0-9_]+|" + _BRACED
                            + r")\s+(=|:=|#=|\+=|\?=)(?:\s+(.*))?$")
_WORD_RE = re.compile(r"([A-Za-z_%][A-Za-z0-9_]*)(?:\.([A-Za-z]+))?")
_FUNCTION_RE = re.compile(r"function\s+([A-Za-z_][A-Za-z0-9_]*)\(([^)]*)\)\s+=\s+(.+)$",
                          re.IGNORECASE)
_MACRO_DEF_RE = re.compile(r"macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.IGNORECASE)
_MACRO_CALL_RE = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$")
_INDEX_RE = re.compile(r"(.*?)\s*,\s*([xXyYsS])$")
_SR_IND_Y_RE = re.compile(r"\((.*),\s*[sS]\s*\)\s*,\s*[yY]$")
_IND_X_RE = re.compile(r"\((.*),\s*[xX]\s*\)$")
_IND_Y_RE = re.compile(r"\((.*)\)\s*,\s*[yY]$")
_LONG_Y_RE = re.compile(r"\[(.*)\]\s*,\s*[yY]$")


# A whole line that is one instruction whose operand is one expression without spaces in
# any addressing-mode syntax (most lines): one match, past the statement splitter and the
# general statement parser (`plain_instruction`); a lone literal or label (`at`, `pt`, `bt`)
# also past the expression parser. No `!` (defines come first), no `\` (nor asar's escapes)
# and no quotes.
_ATOM = (r"\$[0-9A-Fa-f]+|%[01]+|[0-9]+|'[^'\s,]'"
         rf"|{LABEL_NAME}")
_EXPR = r"""[^\s!"=,()\[\]#\\]+"""
# usdasm's `#_008000: ` before the statement: a `#` label (see `afs.asm.assembler`'s parse)
_HASH_PREFIX = r"(?:(?P<hl>\#[A-Za-z_][A-Za-z0-9_]*):[ \t]+)?"
PLAIN_RE = re.compile(rf"""[ \t]*{_HASH_PREFIX}(?P<mn>[A-Za-z]{{3}})(?:\.(?P<sfx>[bwlBWL]))?
    (?:[ \t]+(?P<op>
        (?P<anon>\++|-+)
      | \#(?P<i>(?P<it>{_ATOM})|[^\s!"=\\]+)
      | (?P<a>(?P<at>{_ATOM})|{_EXPR})(?:,(?P<ix>[xXyYsS]))?
      | \((?P<p>(?P<pt>{_ATOM})|{_EXPR})(?:,(?P<pi>[xXsS]))?\)(?:,(?P<py>[yY]))?
      | \[(?P<b>(?P<bt>{_ATOM})|{_EXPR})\](?:,(?P<by>[yY]))?
    ))?[ \t]*$""", re.VERBOSE)
# A whole line that is one `db`/`dw`/`dl`/`dd` without defines, `\`, `:` or `=` (strings too).
DATA_LINE_RE = re.compile(r"[ \t]*" + _HASH_PREFIX + r"(?P<dn>[dD][bBwWlLdD])[ \t]+"
                          r"(?P<args>[^\s!:=\\][^!:=\\]*?)[ \t]*$")
# A whole line that is one label: `name:`, `.sub`, `+`, `--:` (`label_line`).
LABEL_LINE_RE = re.compile(rf"[ \t]*(?:(?P<name>{LABEL_NAME}):|"
                           rf"(?P<sub>{SUBLABEL_NAME})|(?P<anon>\++|-+):?)[ \t]*$")
_PAREN_KIND = {(None, None): "ind", ("x", None): "ind_x", ("X", None): "ind_x",
               (None, "y"): "ind_y", (None, "Y"): "ind_y"}


# --- text helpers --------------------------------------------------------------------------------
def strip_comment(text: str) -> str:
    """`text` up to its first `;` outside quotes (asar runs what follows a `;@`, as a
    statement with asar's older `@` prefix)."""
    if ";" not in text:
        return text
    if '"' not in text and "'" not in text:
        if ";@" in text:
            text = text.replace(";@", " @")
        return text[:text.index(";")] if ";" in text else text
    mask = quoted_mask(text)
    out = text
    for i, ch in enumerate(text):
        if ch == ";" and not mask[i]:
            if text[i + 1:i + 2] == "@":
                out = out[:i] + " @" + out[i + 2:]
                continue
            return out[:i]
    return out


def split_statements(text: str) -> list[tuple[str, int]]:
    """Split a comment-free line at ` : ` separators; returns (text, 1-based column) pairs."""
    if ":" not in text:
        stripped = text.strip()
        return [(stripped, len(text) - len(text.lstrip()) + 1)] if stripped else []
    parts: list[tuple[str, int]] = []
    start = 0
    n = len(text)
    if '"' not in text and "'" not in text:
        # No quotes: only the colons with whitespace on both sides matter.
        i = text.find(":", 1)
        while 0 < i < n - 1:
            if text[i - 1] in " \t" and text[i + 1] in " \t":
                parts.append((text[start:i], start))
                start = i + 1
            i = text.find(":", i + 1)
    else:
        mask = quoted_mask(text)
        for i, ch in enumerate(text):
            if mask[i]:
                continue
            if ch == ":" and 0 < i < n - 1 and text[i - 1] in " \t" and text[i + 1] in " \t":
                parts.append((text[start:i], start))
                start = i + 1
    parts.append((text[start:], start))
    out = []
    for piece, offset in parts:
        stripped = piece.strip()
        if stripped:
            out.append((stripped, offset + len(piece) - len(piece.lstrip()) + 1))
    return out


def split_args(text: str, column: int) -> list[tuple[str, int]]:
    """Split at top-level commas (outside quotes, parentheses and brackets)."""
    if '"' not in text and "'" not in text and "(" not in text and "[" not in text:
        result = []
        start = 0
        for piece in text.split(","):
            lead = len(piece) - len(piece.lstrip())
            result.append((piece.strip(), column + start + lead))
            start += len(piece) + 1
        return result
    out: list[tuple[str, int]] = []
    depth = 0
    start = 0
    mask = quoted_mask(text)
    for i, ch in enumerate(text):
        if mask[i]:
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append((text[start:i], start))
            start = i + 1
    out.append((text[start:], start))
    result = []
    for piece, offset in out:
        lead = len(piece) - len(piece.lstrip())
        result.append((piece.strip(), column + offset + lead))
    return result


def parse_string(text: str, file: str, line: int, column: int) -> bytes:
    """A `"..."` literal (`""` inside is one quote) to bytes."""
    body = text[1:-1]
    if '"' in body.replace('""', ""):
        raise AsmError(f"malformed string {text}", file, line, column)
    try:
        return body.replace('""', '"').encode("utf-8")
    except UnicodeEncodeError as exc:
        raise AsmError(f"string cannot be encoded: {exc}", file, line, column) from None


# --- statements ----------------------------------------------------------------------------------
def parse_line_construct(text: str, file: str, line: int) -> Statement | None:
    """Line-level constructs that must be seen before define substitution or splitting."""
    m = _DEFINE_SET_RE.match(text)
    if m:
        col = text.index("!") + 1
        value, rest = _define_value((m.group(3) or "").strip())
        if rest is None:
            raise AsmError("broken define declaration (a value with spaces needs quotes)",
                           file, line, col)
        if " " in value or "\t" in value:
            value = clean(value)    # as asar stores it (`"a, b"` is `a,b`)
        return DefineSet(col, m.group(1), m.group(2), value, rest)
    stripped = text.strip()
    if not stripped:
        return None
    col = len(text) - len(text.lstrip()) + 1
    word = stripped.split(None, 1)[0].lower()
    if word == "macro":
        m = _MACRO_DEF_RE.match(stripped)
        if not m:
            raise AsmError("expected 'macro name(param, ...)'", file, line, col)
        params = [p.strip() for p in m.group(2).split(",")] if m.group(2).strip() else []
        for i, p in enumerate(params):
            if p == "..." and i == len(params) - 1:     # variadic (afs.asm.varargs)
                continue
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p):
                raise AsmError(f"invalid macro parameter name {p!r}", file, line, col)
        return MacroDef(col, m.group(1), params)
    if word == "endmacro":
        return EndMacro(col)
    return None


def _define_value(text: str) -> tuple[str, str | None]:
    """asar's define value and what follows it on the line (a ` : ` statement, or None when
    the declaration is broken): a quoted value is its text (`!n = "a b"` is `a b`; `""` is a
    quote), else the value ends at the first space."""
    if text.startswith('"'):
        i = 1
        out = []
        while i < len(text):
            if text[i] == '"':
                if text.startswith('""', i):
                    out.append('"')
                    i += 2
                    continue
                break
            out.append(text[i])
            i += 1
        else:
            return "", None
        value, after = "".join(out), text[i + 1:]
    else:
        value, _, after = text.partition(" ")
        after = " " + after if after else ""
    after = after.strip()
    if not after:
        return value, ""
    return (value, after[1:].strip()) if after.startswith(":") else (value, None)


def parse_conditional(text: str, column: int, file: str, line: int,
                      precedence: bool) -> Conditional | None:
    """`if`/`elseif`/`else`/`endif` statements (after define substitution)."""
    parts = text.split(None, 1)
    word = parts[0].lower()
    if word not in ("if", "elseif", "else", "endif"):
        return None
    if word in ("else", "endif"):
        if len(parts) > 1:
            raise AsmError(f"unexpected text after '{word}'", file, line, column + len(word) + 1)
        return Conditional(column, word)
    if len(parts) < 2:
        raise AsmError(f"'{word}' needs a condition", file, line, column + len(word))
    rest = text[len(parts[0]):]
    lead = len(rest) - len(rest.lstrip())
    return Conditional(column, word, parse_condition(word, rest.strip(), column + len(parts[0])
                                                     + lead, file, line, precedence))


def parse_statement(text: str, column: int, file: str, line: int,
                    precedence: bool = False, arch: str = "65816") -> list[Statement]:
    """Parse one statement (`text` starts at `column`); a leading `label:` adds a Label.
    `arch`: "65816" or "spc700" (whose mnemonics are SPC700 instructions)."""
    if arch == "65816":
        fast = _fast_instruction(text, column, file, line, precedence)
        if fast is not None:
            return [fast]
    if text[:1] == "@":
        # asar's older `@command` (and `;@command`): the command, after an `@` statement
        # that only warns
        rest = text[1:].lstrip()
        at: list[Statement] = [Directive(column, "@")]
        if not rest:
            return at
        where = column + len(text) - len(rest)
        try:
            return at + parse_statement(rest, where, file, line, precedence, arch)
        except AsmError as exc:
            if not exc.message.startswith("unknown command"):
                raise
            return [*at, Directive(where, "@?")]       # asar only warns
    out: list[Statement] = []
    while True:
        m = _LABEL_RE.match(text)
        if m is None and text[:1] == ".":
            m = _BARE_SUBLABEL_RE.match(text)
        if m is None and out and arch == "65816":
            # After `label:` prefixes (usdasm's `#_008000:` lines), the common case again.
            fast = _fast_instruction(text, column, file, line, precedence)
            if fast is not None:
                out.append(fast)
                return out
        anon = None if m else _ANON_DEF_RE.match(text)
        if not m and not anon:
            break
        if m:
            out.append(Label(column, m.group(1)))
        else:
            m = anon
            out.append(AnonLabel(column, m.group(1)))
        rest = text[m.end():]
        lead = len(rest) - len(rest.lstrip())
        column += m.end() + lead
        text = rest.strip()
        if not text:
            return out
    if text in ("{", "}"):          # asar: braces only group lines for the reader
        return out
    if _SUBLABEL_RE.fullmatch(text):
        out.append(Label(column, text))
        return out
    if text.startswith("%"):
        mc = _MACRO_CALL_RE.match(text)
        if not mc:
            raise AsmError("expected '%name(args)'", file, line, column)
        args_text = mc.group(2)
        # asar drops whitespace outside quotes from a macro call (`%m(1 + 2)` passes `1+2`)
        args = [squeeze(a) for a, _ in split_args(args_text, column)] \
            if args_text.strip() else []
        out.append(MacroCall(column, mc.group(1), args))
        return out
    if text[:1] == "'":
        out.append(_parse_char_assign(text, column, file, line, precedence))
        return out
    m = _ASSIGN_RE.match(text)
    # (asar reads `name = value` before its commands: `fillbyte = $EE` is a label, but for
    # the words it reads as conditions or checks first)
    if m and m.group(1).lower() not in ("check", "assert"):
        expr_col = column + m.start(2)
        if not m.group(2).strip():
            raise AsmError(f"expected a value after '{m.group(1)} ='", file, line, expr_col)
        if spaced(m.group(2).strip()):
            check_assignment(m.group(1), m.group(2).strip(), expr_col, file, line)
        out.append(Assign(column, m.group(1),
                          parse_expression(m.group(2), column=expr_col, file=file, line=line,
                                           precedence=precedence)))
        return out
    if text[:9].lower() == "function ":
        out.append(_parse_function(text, column, file, line))
        return out
    w = _WORD_RE.match(text)
    if not w or (w.end() < len(text) and not text[w.end()].isspace()):
        raise AsmError(f"unknown command {text.split()[0]!r}", file, line, column)
    word = w.group(1).lower()
    suffix = w.group(2).lower() if w.group(2) else None
    rest = text[w.end():]
    lead = len(rest) - len(rest.lstrip())
    operand_text = rest.strip()
    operand_col = column + w.end() + lead
    if arch != "65816":
        # `afs.asm.spc700` / `afs.asm.superfx` know the mnemonics (and reject unknown ones)
        # when assembling.
        if word not in DIRECTIVES and word not in UNSUPPORTED:
            if suffix is not None and suffix not in ("b", "w"):
                raise AsmError(f"invalid size suffix '.{w.group(2)}' (expected .b or .w)",
                               file, line, column + len(w.group(1)))
            if spaced(operand_text):
                check_operand(text[:w.end()], operand_text, operand_col, file, line)
            out.append(SpcInstruction(column, word, suffix, operand_text, operand_col))
            return out
    elif word in MNEMONICS:
        if suffix is not None and suffix not in ("b", "w", "l"):
            raise AsmError(f"invalid size suffix '.{w.group(2)}' (expected .b, .w or .l)",
                           file, line, column + len(w.group(1)))
        operand = parse_operand(word, operand_text, operand_col, file, line, precedence,
                                suffix)
        out.append(Instruction(column, word, suffix, operand, text))
        return out
    if suffix is not None:
        raise AsmError(f"unknown command '{w.group(0)}'", file, line, column)
    if word in DIRECTIVES:
        out.append(parse_directive(word, operand_text, column, operand_col, file, line,
                                   precedence))
        return out
    if word in UNSUPPORTED or word in ("macro", "endmacro", "if", "elseif", "else", "endif",
                                       "while", "endwhile", "for", "endfor"):
        if word in UNSUPPORTED:
            raise AsmError(f"unsupported directive '{word}'", file, line, column)
        raise AsmError(f"'{word}' must be on a line of its own", file, line, column)
    if word == "xkas" and not operand_text:
        raise AsmError("'xkas' (asar's xkas compatibility mode, deprecated since asar 1.40) is "
                       "not supported: assemble the patch as asar code", file, line, column)
    if word == "pool":
        raise AsmError("'pool' is a command of asarmon (usdasm's asar fork), not of asar 1.91 "
                       "(scripts/asar_corpus.py rewrites it into labels)", file, line, column)
    raise AsmError(f"unknown command '{w.group(0)}'", file, line, column)


def _parse_function(text: str, column: int, file: str, line: int) -> Directive:
    """`function name(a, b) = expr`: a Directive with args [name, body text, *params]."""
    m = _FUNCTION_RE.match(text)
    if not m:
        raise AsmError("expected 'function name(param, ...) = expression'", file, line, column)
    check_function(text, column, file, line)
    params = [p.strip() for p in m.group(2).split(",")]
    for p in params:
        if not p:       # (asar reads `f()` as one parameter with an empty name)
            raise AsmError(f"function {m.group(1)}() needs a parameter: asar 1.91 takes none "
                           "without one", file, line, column)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p):
            raise AsmError(f"invalid function parameter name {p!r}", file, line, column)
    if len({p.lower() for p in params}) != len(params):
        raise AsmError(f"function {m.group(1)}(): a parameter name is given twice", file, line,
                       column)
    # The body is text until a call puts the arguments' text into it (as asar does); only its
    # parentheses are checked now. (asar's cleaned body: whitespace after commas dropped.)
    body, body_column = words(text)[3]
    if not balanced("".join(ch for ch, quoted in zip(body, quoted_mask(body), strict=True)
                            if not quoted)):
        raise AsmError(f"function {m.group(1)}(): unbalanced parentheses in its body", file,
                       line, column + body_column)
    return Directive(column, "function", [m.group(1), body, *params])


def _parse_char_assign(text: str, column: int, file: str, line: int,
                       precedence: bool) -> CharAssign:
    """`'c' = value`: asar's three words (the value one word, any math); `'c'` one ASCII
    character (anything else quoted is asar's invalid label name)."""
    m = _CHAR_ASSIGN_RE.match(text)
    if m is None:
        raise AsmError(f"unknown command {text.split()[0]!r}", file, line, column)
    quoted = m.group(1)
    if len(quoted) != 3 or ord(quoted[1]) > 0xFF:   # (0x80..0xFF: `afs.asm.tables` checks)
        raise AsmError(f"invalid character assignment {quoted}: expected one ASCII character "
                       "in quotes ('c' = value)", file, line, column)
    return CharAssign(column, ord(quoted[1]), parse_expression(
        m.group(2), column=column + m.start(2), file=file, line=line, precedence=precedence))


def _fast_instruction(text: str, column: int, file: str, line: int,
                      precedence: bool) -> Instruction | None:
    """The common case, a plain `mnemonic[.b/.w/.l] [operand]`, without the label, macro and
    assignment checks; None when `text` may be anything else (the general path decides)."""
    w = _WORD_RE.match(text)
    if w is None:
        return None
    word = w.group(1).lower()
    end = w.end()
    if word not in MNEMONICS or (end < len(text) and not text[end].isspace()):
        return None
    suffix = w.group(2)
    if suffix is not None:
        suffix = suffix.lower()
        if suffix not in ("b", "w", "l"):
            return None
    rest = text[end:]
    operand_text = rest.strip()
    if operand_text.startswith("="):    # `name = value` with a mnemonic's name
        return None
    operand_col = column + end + len(rest) - len(rest.lstrip())
    operand = parse_operand(word, operand_text, operand_col, file, line, precedence, suffix)
    return Instruction(column, word, suffix, operand, text)


# What `plain_form` gives: mnemonic, suffix, operand kind, the operand's expression text
# (the anonymous label's name for "anon") and column, and ATOM_* for that text.
PlainForm = tuple[str, "str | None", str, "str | None", int, int]
ATOM_NONE, ATOM_LABEL, ATOM_NUMBER, ATOM_CHAR = 0, 1, 2, 3


def plain_form(m: re.Match[str]) -> PlainForm | None:
    """What a line `PLAIN_RE` matched holds, classified as `parse_statement` classifies it;
    None where the general path must decide (`rep N`, MVN/MVP, forms that are errors)."""
    (_, mnemonic, suffix, op, anon, imm, imm_atom, addr, addr_atom, index, par, par_atom,
     inner, outer, bracket, bracket_atom, bracket_y) = m.groups()
    word = mnemonic.lower()
    if word not in MNEMONICS or word in ("mvn", "mvp"):
        return None
    if suffix is not None:
        suffix = suffix.lower()
    if op is None:
        return word, suffix, "none", None, 0, ATOM_NONE
    if word == "rep" and imm is None:   # asar's `rep N : statement` (the assembler runs it)
        return None
    if anon is not None:
        return word, suffix, "anon", anon, 0, ATOM_NONE
    if imm is not None:
        kind, text, atom, group = "imm", imm, imm_atom, "i"
    elif addr is not None:
        if index is not None:
            kind = index.lower()
        elif addr in ("a", "A"):
            if word not in ACCUMULATOR_OPS:
                return None     # `lda A`, a label A: `parse_operand` (asar warns)
            return word, suffix, "acc", None, 0, ATOM_NONE
        else:
            kind = "addr"
        text, atom, group = addr, addr_atom, "a"
    elif par is not None:
        found = "sr_ind_y" if inner in ("s", "S") and outer is not None else \
            _PAREN_KIND.get((inner, outer))
        if found is None:
            return None
        kind, text, atom, group = found, par, par_atom, "p"
    else:
        kind = "long_ind_y" if bracket_y is not None else "long_ind"
        text, atom, group = bracket, bracket_atom, "b"
    # (an atom alternative that matched less than the whole operand was backtracked over)
    if atom != text:
        found_atom = ATOM_NONE
    elif text[0] == "'":
        found_atom = ATOM_CHAR      # (not constant: its value is the table's)
    elif text[0] in "$%" or "0" <= text[0] <= "9":
        found_atom = ATOM_NUMBER
    else:
        found_atom = ATOM_LABEL
    return word, suffix, kind, text, m.start(group) + 1, found_atom


def plain_instruction(m: re.Match[str], form: PlainForm, file: str, line: int,
                      precedence: bool) -> Instruction:
    """The statement of a line `PLAIN_RE` matched (at column 1) with its `plain_form`,
    exactly as `parse_statement` parses it."""
    word, suffix, kind, text, column, atom = form
    if kind == "anon":
        operand = Operand("anon", anon=text)
    elif text is None:
        operand = Operand(kind)
    elif atom:
        operand = Operand(kind, atom_expr(text, column))
    else:
        operand = Operand(kind, parse_expression(text, column=column, file=file, line=line,
                                                 precedence=precedence,
                                                 fractions=suffix is not None))
    start = m.start("mn")
    return Instruction(start + 1, word, suffix, operand, m.string[start:].rstrip(" \t"))


def label_line(m: re.Match[str]) -> Label | AnonLabel:
    """The statement of a line `LABEL_LINE_RE` matched (at column 1), as `parse_statement`
    parses it."""
    anon = m.group("anon")
    if anon is not None:
        return AnonLabel(m.start("anon") + 1, anon)
    if m.group("name") is not None:
        return Label(m.start("name") + 1, m.group("name"))
    return Label(m.start("sub") + 1, m.group("sub"))


def parse_operand(mnemonic: str, text: str, column: int, file: str, line: int,
                  precedence: bool, suffix: str | None = None) -> Operand:
    """Classify an instruction operand by its syntax (sizes are decided when assembling).
    `suffix`: the instruction's size suffix (asar takes `2.5` only with one)."""
    fractions = suffix is not None

    def expr(sub: str, offset: int) -> Expr:
        return parse_expression(sub, column=column + offset, file=file, line=line,
                                precedence=precedence, fractions=fractions)

    if not text:
        return Operand("none")
    if spaced(text):
        check_operand(mnemonic + ("." + suffix if suffix else ""), text, column, file, line)
    if mnemonic in ("mvn", "mvp"):
        args = split_args(text, column)
        if len(args) == 1:
            return Operand("move", expr(text, 0))
        if len(args) != 2 or not args[0][0] or not args[1][0]:
            raise AsmError(f"{mnemonic} expects 'destination, source'", file, line, column)
        return Operand("move", parse_expression(args[0][0], column=args[0][1], file=file,
                                                line=line, precedence=precedence,
                                                fractions=fractions),
                       parse_expression(args[1][0], column=args[1][1], file=file, line=line,
                                        precedence=precedence, fractions=fractions))
    if _ANON_RE.fullmatch(text):
        return Operand("anon", anon=text)
    if text in ("a", "A"):
        if mnemonic in ACCUMULATOR_OPS:
            return Operand("acc")
        return Operand("addr", _label_a(expr(text, 0)))
    if text.startswith("#"):
        return Operand("imm", expr(text[1:], 1))
    if text.startswith("("):
        for regex, kind in ((_SR_IND_Y_RE, "sr_ind_y"), (_IND_X_RE, "ind_x"),
                            (_IND_Y_RE, "ind_y")):
            m = regex.fullmatch(text)
            if m and balanced(m.group(1)):
                return Operand(kind, expr(m.group(1), 1))
        if text.endswith(")") and _closing_paren(text) == len(text) - 1:
            return Operand("ind", expr(text[1:-1], 1))
    if text.startswith("["):
        m = _LONG_Y_RE.fullmatch(text)
        if m and balanced(m.group(1)):
            return Operand("long_ind_y", expr(m.group(1), 1))
        if text.endswith("]"):
            return Operand("long_ind", expr(text[1:-1], 1))
    m = _INDEX_RE.fullmatch(text)
    if m:
        return Operand(m.group(2).lower(), expr(m.group(1), 0))
    return Operand("addr", expr(text, 0))


def _label_a(label: Expr) -> Expr:
    """`lda A`: the label A, telling the context (its `label_a_used`) each time it is
    evaluated (asar warns then: the name is deprecated)."""
    return replace(label, evaluate=reported(label.evaluate, "label_a_used"))


def balanced(text: str) -> bool:
    """Whether `text`'s parentheses pair up."""
    depth = 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _closing_paren(text: str) -> int:
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def parse_directive(name: str, text: str, column: int, args_col: int, file: str, line: int,
                    precedence: bool) -> Directive:
    """Parse a directive's arguments (data items are parsed to expressions here)."""
    d = Directive(column, name)
    if not text:
        return d
    if spaced(text) and name != "assert":   # (a condition is read as `afs.asm.conditions` says)
        check_arguments(name, text, args_col, file, line)
    for arg, col in split_args(text, args_col):
        d.args.append(arg)
        d.arg_columns.append(col)
    if name == "assert":    # (its message's commas and spaces are in its condition's words)
        d.exprs.append(parse_condition(name, text, args_col, file, line, precedence))
    elif name in ("db", "dw", "dl", "dd"):
        for arg, col in zip(d.args, d.arg_columns, strict=True):
            if not arg:
                raise AsmError("empty value in data list", file, line, col)
            if arg.startswith('"'):
                if len(arg) < 2 or not arg.endswith('"'):
                    raise AsmError(f"unterminated string {arg}", file, line, col)
                d.items.append(DataItem(col, string=parse_string(arg, file, line, col)))
            elif _ANON_RE.fullmatch(arg):
                d.items.append(DataItem(col, anon=arg))
            elif arg.startswith("#"):       # asar (deprecated): `db #$12` is `db $12`
                d.items.append(DataItem(col + 1, expr=parse_expression(
                    arg[1:], column=col + 1, file=file, line=line, precedence=precedence),
                    hashed=True))
            else:
                d.items.append(DataItem(col, expr=parse_expression(
                    arg, column=col, file=file, line=line, precedence=precedence)))
    return d


def parse(source: str, *, filename: str = "<input>") -> Program:
    """Parse a whole source text into a `Program` (see the module docstring)."""
    lines: list[ParsedLine] = []
    defines = dict(BUILTIN_DEFINES)
    macro: MacroDef | None = None
    raws = source.splitlines()
    texts = [strip_comment(raw) for raw in raws]
    join_continued(texts)       # asar's continuation lines (ending with `,` or `\`)
    for number, (raw, text) in enumerate(zip(raws, texts, strict=True), start=1):
        statements: list[Statement] = []
        if macro is not None:
            construct = parse_line_construct(text, filename, number)
            if isinstance(construct, EndMacro):
                macro = None
                statements.append(construct)
            else:
                macro.body.append((number, raw))
            lines.append(ParsedLine(filename, number, raw, statements))
            continue
        construct = parse_line_construct(text, filename, number)
        if construct is not None:
            if isinstance(construct, DefineSet):
                value = construct.value
                if construct.op != "=":
                    value = substitute_defines(value, defines, filename, number)
                defines[define_set_name(construct, defines, filename, number)] = value
            elif isinstance(construct, MacroDef):
                macro = construct
            statements.append(construct)
            lines.append(ParsedLine(filename, number, raw, statements))
            continue
        text = substitute_defines(text, defines, filename, number)
        for piece, col in split_statements(text):
            cond = parse_conditional(piece, col, filename, number, False)
            if cond is not None:
                statements.append(cond)
            else:
                statements.extend(parse_statement(piece, col, filename, number))
        lines.append(ParsedLine(filename, number, raw, statements))
    return Program(filename, lines)
