"""Control flow of a pass: `if`/`elseif`/`else`/`endif`, `while`/`for` loops, `rep`,
macros (definitions and calls, with their arguments, `?label`s and `?+`/`?-` labels) and
the line-level constructs (`!define = value`, `macro`, `'c' = value`), as asar 1.91 runs
them. `afs.asm.passes._Pass` (lines and statements) builds on `_Flow`, whose methods call
its `run_lines`, `run_pieces` and `execute`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from afs.asm.asar_warnings import feature
from afs.asm.conditions import parse_condition
from afs.asm.defines import BUILTIN_DEFINES, define_set_name
from afs.asm.grammar import check_for
from afs.asm.parser import (
    Conditional,
    DefineSet,
    EndMacro,
    Instruction,
    MacroCall,
    MacroDef,
    Statement,
    parse_conditional,
    split_statements,
    substitute_defines,
)
from afs.asm.passstate import (
    PassState,
    _BodyLine,
    _Line,
)
from afs.asm.varargs import SIZEOF_VARARGS, VariadicArgs, unquoted

_LOOP_WORD = re.compile(r"\s*(while|for|endwhile|endfor)(?:\s|$)", re.IGNORECASE)
# a line of a loop body that may open or close an `if` (`_if_balance` says)
_IF_OR_ENDIF = re.compile(r"(?:^|\s)(?:end)?if(?:\s|$)", re.IGNORECASE)
_FOR_RE = re.compile(r"for\s+([A-Za-z0-9_]+)\s*=\s*(.+?)\.\.(.+)$", re.IGNORECASE)
_MAX_LOOP = 100_000
# `?name`: a label local to one macro call.
_MACRO_LOCAL = re.compile(r"(?<![\w?!])\?(\.*)([A-Za-z_][A-Za-z0-9_]*)")
_MACRO_ANON = re.compile(r"(?<![\w?!])\?(\++|-+)(?![\w+-])")


@dataclass
class _Loop:
    kind: str                  # "while" or "for"
    header: str
    file: str
    line: int
    # a variadic macro's arguments, which the body reads as it runs (`afs.asm.varargs`)
    args: VariadicArgs | None = None
    depth: int = 0             # loops and `if`s open inside the body
    lines: list[_Line] = field(default_factory=list)
    end_site: tuple[str, int] = ("", 0)        # where its `endwhile`/`endfor` is


class _Flow(PassState):
    """A pass's control flow (see the module docstring)."""

    loop: _Loop | None = None  # a `while`/`for` body being collected

    def collect_loop_line(self, ln: _Line, raw: str, text: str) -> None:
        """A line of a `while`/`for` body; its `endwhile`/`endfor` runs the loop."""
        loop = self.loop
        assert loop is not None
        m = _LOOP_WORD.match(text)
        word = m.group(1).lower() if m else ""
        if word in ("while", "for") and " : " in text:
            # a loop on one line, `for i = 0..3 : db !i : endfor`, opens and closes here
            words = [_LOOP_WORD.match(piece) for piece, _ in split_statements(text)]
            loop.depth += sum(1 if w.group(1).lower() in ("while", "for") else -1
                              for w in words if w)
            loop.lines.append(_BodyLine(ln.file, ln.number, raw))
            return
        if word in ("while", "for"):
            loop.depth += 1
        elif word in ("endwhile", "endfor") or (
                _IF_OR_ENDIF.search(text) and (word := _if_balance(text))):
            # asar keeps one stack of `if`s and loops: any terminator ends the innermost
            if word == "if":
                loop.depth += 1
            elif loop.depth == 0:
                loop.end_site = (ln.file, ln.number)
                self.loop = None
                self.run_loop(loop, word)
                return
            else:
                loop.depth -= 1
        loop.lines.append(_BodyLine(ln.file, ln.number, raw))

    def end_if_as_loop(self, word: str, text: str) -> None:
        """`endwhile`/`endfor` where no loop is open: asar ends the innermost `if` with it
        (warning at the pass's first mismatched terminator)."""
        if not self.conds:
            raise self.error(f"'{word}' without '{word[3:]}'")
        if text.split()[1:]:
            raise self.error(f"unexpected text after '{word}'")
        if not self.terminator_warned:
            self.terminator_warned = True
            feature(self, "if_end")
        self.conds.pop()
        self.cond_sites.pop()

    def run_loop(self, loop: _Loop, end: str) -> None:
        """`while cond` ... `endwhile` and `for name = a..b` ... `endfor`, as asar runs them:
        the body while the condition holds, then once more where code does not run (asar
        reads on to the end; its inline `if`s warn there too)."""
        self.file, self.line = loop.file, loop.line
        saved = (self.file, self.line, self.text)
        # asar ends the loop with any terminator, warning when it first reaches one not its
        # own (and only at the first such terminator of the pass)
        mismatched = end[3:] != loop.kind
        if loop.kind == "for":
            check_for(loop.header, 1, self.file, self.line)
            m = _FOR_RE.match(loop.header)
            if m is None:
                raise self.error("expected 'for name = start..end'")
            start, stop = (self.asm.evaluate_text(self, substitute_defines(
                t, self.defines, self.file, self.line), 1, "a 'for' range")
                for t in (m.group(2), m.group(3)))
            name = m.group(1)
            before = self.defines.get(name)
            for value in range(start, stop):
                self.defines[name] = str(value)
                self.run_lines(loop.lines, loop.args)
                self.file, self.line, self.text = saved
                mismatched = mismatched and self.loop_end_warning(loop)
            # as asar: the variable's define as it was before the loop (or none)
            if before is None:
                self.defines.pop(name, None)
            else:
                self.defines[name] = before
        else:
            condition = loop.header[len("while"):].strip()
            if not condition:
                raise self.error("'while' needs a condition")
            for _ in range(_MAX_LOOP):
                text = substitute_defines(condition, self.defines, self.file, self.line)
                expr = parse_condition("while", text, len("while ") + 1, self.file, self.line,
                                       self.precedence)
                if not expr.evaluate(self):
                    break
                self.run_lines(loop.lines, loop.args)
                self.file, self.line, self.text = saved
                mismatched = mismatched and self.loop_end_warning(loop)
            else:
                raise self.error(f"'while' loop ran {_MAX_LOOP} times (endless?)")
        self.conds.append([False, True])
        self.cond_sites.append((loop.file, loop.line))
        self.run_lines(loop.lines, loop.args)
        self.conds.pop()
        self.cond_sites.pop()
        self.file, self.line, self.text = saved
        if mismatched:
            self.loop_end_warning(loop)

    def loop_end_warning(self, loop: _Loop) -> bool:
        """At a loop's end not its own terminator: asar's warning, if none warned yet in the
        pass. False: the loop's end has been reached."""
        if not self.terminator_warned:
            self.terminator_warned = True
            self.file, self.line = loop.end_site
            feature(self, f"{loop.kind}_end")
            self.file, self.line = loop.file, loop.line
        return False

    def repeat(self, st: Instruction, rest: list[tuple[str, int]]) -> None:
        """asar's deprecated `rep N : statement`: run the next statement N times."""
        expr = st.operand.expr
        if expr is None or st.operand.kind not in ("addr", "ind"):
            raise self.error("'rep' needs a repeat count or an immediate '#value'")
        count = expr.evaluate(self)
        if count < 0:
            feature(self, "rep_below_zero")
        feature(self, "rep_command")
        if not rest:
            return
        if count > 0x10000:
            raise self.error(f"repeat count {count} too large", expr.column)
        for _ in range(max(0, count)):
            self.run_pieces(rest)

    def skip_inactive(self, text: str) -> None:
        word = _first_word(text)
        if word in ("if", "while", "for"):
            self.conds.append([False, True])
            self.cond_sites.append((self.file, self.line))
            if word != "if":
                self.skipped_loops[len(self.conds)] = word
        elif word in ("endwhile", "endfor") or (word == "endif"
                                                and len(self.conds) in self.skipped_loops):
            kind = self.skipped_loops.pop(len(self.conds), "if")
            if word[3:] != kind and not self.terminator_warned:
                self.terminator_warned = True
                feature(self, f"{kind}_end")
            self.conds.pop()
            self.cond_sites.pop()
        elif word in ("elseif", "else", "endif"):
            col = len(text) - len(text.lstrip()) + 1
            parent_active = len(self.conds) < 2 or self.conds[-2][0]
            if not parent_active:
                if word == "endif":
                    self.conds.pop()
                    self.cond_sites.pop()
                return
            if "!" in text:
                text = substitute_defines(text, self.defines, self.file, self.line)
            cond = parse_conditional(text.strip(), col, self.file, self.line, self.precedence)
            assert cond is not None
            self.column = col
            self.execute(cond)

    def run_construct(self, st: Statement) -> None:
        self.column = st.column
        if isinstance(st, DefineSet):
            value = st.value
            name = define_set_name(st, self.defines, self.file, self.line)
            if name in BUILTIN_DEFINES:
                raise self.error(f"'!{name}' is a built-in define: asar refuses to set it")
            if st.op == "?=":
                if name not in self.defines:
                    self.defines[name] = value
            elif st.op == "=":
                self.defines[name] = value
            elif st.op == "+=":
                if name not in self.defines:
                    raise self.error(f"define '!{name}' not found")
                self.defines[name] += value
            else:
                value = substitute_defines(value, self.defines, self.file, self.line)
                if st.op == "#=":
                    value = str(self.asm.evaluate_text(self, value, st.column,
                                                       "'!define #= value'"))
                self.defines[name] = value
            if st.rest:     # `!a = 1 : db !a`
                rest = st.rest
                if "!" in rest:
                    rest = substitute_defines(rest, self.defines, self.file, self.line)
                self.run_pieces(split_statements(rest))
        elif isinstance(st, MacroDef):
            if st.name in self.macros:
                raise self.error(f"macro '{st.name}' redefined")
            self.collecting = st
            self.collect_lines = []
            self.collect_site = (self.file, self.line)
        elif isinstance(st, EndMacro):
            raise self.error("'endmacro' without 'macro'")

    def finish_macro(self) -> None:
        assert self.collecting is not None
        self.macros[self.collecting.name] = self.collecting
        self.macro_lines[self.collecting.name] = self.collect_lines
        self.collecting = None

    def asm_conditional(self, st: Conditional) -> None:
        if st.keyword == "if":
            assert st.expr is not None
            taken = bool(st.expr.evaluate(self))
            self.conds.append([taken, taken])
            self.cond_sites.append((self.file, self.line))
            return
        if not self.conds:
            raise self.error(f"'{st.keyword}' without 'if'")
        top = self.conds[-1]
        if st.keyword == "endif":
            self.conds.pop()
            self.cond_sites.pop()
        elif st.keyword == "else":
            top[0] = not top[1]
            top[1] = True
        else:
            assert st.expr is not None
            # (asar reads it even after a branch was taken: its warnings and errors)
            taken = bool(st.expr.evaluate(self))
            if top[1]:
                top[0] = False
            else:
                top[0] = taken
                top[1] = taken

    def call_macro(self, st: MacroCall) -> None:
        macro = self.macros.get(st.name)
        if macro is None:
            raise self.error(f"macro '{st.name}' not defined")
        variadic = macro.params[-1:] == ["..."]
        named = macro.params[:-1] if variadic else macro.params
        if len(st.args) < len(named) or (len(st.args) != len(named) and not variadic):
            raise self.error(f"macro '{st.name}' takes {len(named)} argument"
                             f"{'s' if len(named) != 1 else ''}"
                             f"{' or more' if variadic else ''}, got {len(st.args)}")
        if self.macro_depth >= 64:
            raise self.error("macro recursion deeper than 64 levels")
        saved = (self.file, self.line, self.text)
        site = self.macro_site
        if site is None:
            self.macro_site = (self.file, self.line)
        depth = len(self.conds)
        self.macro_depth += 1
        self.macro_calls += 1
        self.macro_ids.append(self.macro_calls)
        try:
            # asar substitutes a quoted argument without its quotes (`"<t>"` with "AB")
            args = {p: unquoted(a) for p, a in zip(named, st.args, strict=False)}
            lines = self.macro_lines[st.name]
            if variadic:
                rest = [unquoted(a) for a in st.args[len(named):]]
                args = VariadicArgs(args, rest, self)
                lines = [ln if SIZEOF_VARARGS not in ln.raw else _BodyLine(
                    ln.file, ln.number, ln.raw.replace(SIZEOF_VARARGS, str(len(rest))))
                    for ln in lines]    # type: ignore[operator]
            self.run_lines(lines, args)
        finally:
            self.macro_depth -= 1
            self.macro_ids.pop()
            self.macro_site = site
        if len(self.conds) != depth:
            raise self.error(f"unbalanced if/endif in macro '{st.name}'")
        self.file, self.line, self.text = saved


def _if_balance(text: str) -> str:
    """What a loop body's line does to the `if`s open: "if" (it opens one), "endif" (it
    ends one), "" (neither, or both). An `if` with statements after it on its line
    ends at the line's end (asar's inline `if`)."""
    inline = balance = 0
    pieces = split_statements(text)
    for i, (piece, _) in enumerate(pieces):
        word = piece.split(None, 1)[0].lower()
        if word == "if":
            if i == len(pieces) - 1:
                balance += 1
            else:
                inline += 1
        elif word == "endif":
            if inline:
                inline -= 1
            else:
                balance -= 1
    return "if" if balance > 0 else "endif" if balance < 0 else ""


def _substitute_args(raw: str, args: dict[str, str], call_id: int,
                     anons: dict[tuple[int, str], int], scopes: dict[int, list[str]]) -> str:
    """A macro line with its `<param>`s replaced, and its `?label`s (`?.sub` under the
    call's last `?label:`, as asar's macro sublabels) and `?+`/`?-` labels made this call's
    own."""
    if type(args) is VariadicArgs:
        out = args.expand(raw)
    else:
        out = raw
        for name, value in args.items():
            out = out.replace(f"<{name}>", value)
    if "?" in out:
        out = _MACRO_LOCAL.sub(lambda m: _macro_local(m, call_id, scopes), out)
        if "?+" in out or "?-" in out:
            out = _MACRO_ANON.sub(lambda m: _macro_anon(m, call_id, anons), out)
    return out


def _statement_start(m: re.Match[str]) -> bool:
    before = m.string[:m.start()]
    return not before[before.rfind(" : ") + 1:].strip(": \t")


def _macro_local(m: re.Match[str], call_id: int, scopes: dict[int, list[str]]) -> str:
    dots, name = m.group(1), m.group(2)
    scope = scopes.setdefault(call_id, [])
    if dots:
        if len(dots) > len(scope):
            return m.group(0)       # (no parent: the line is refused as it stands)
        name = f"{scope[len(dots) - 1]}_{name}"
    after = m.string[m.end():].lstrip(" \t")
    defined = _statement_start(m) and not after.startswith("=")
    if defined:
        del scope[len(dots):]
        scope.append(name)
    # a definition is a `#` label: asar's `?name:` leaves the sublabel scope alone (and
    # `?name = value` is a plain assignment)
    return f"{'#' if defined else ''}__macro{call_id}_{name}"


def _macro_anon(m: re.Match[str], call_id: int, anons: dict[tuple[int, str], int]) -> str:
    """`?++` in a macro: the call's own anonymous label, as a `#` label (which leaves the
    sublabel scope alone) numbered by the definitions of that name so far in the call."""
    name = m.group(1)
    key = (call_id, name)
    seen = anons.get(key, 0)
    kind = "p" if name[0] == "+" else "m"
    if _statement_start(m):
        anons[key] = seen + 1
        colon = "" if m.string[m.end():m.end() + 1] == ":" else ":"   # (`?-:` has its own)
        return f"#__macro{call_id}_{kind}{len(name)}_{seen}{colon}"
    index = seen if kind == "p" else seen - 1
    return f"__macro{call_id}_{kind}{len(name)}_{index}"


def _first_word(text: str) -> str:
    parts = text.split(None, 1)
    return parts[0].lower() if parts else ""
