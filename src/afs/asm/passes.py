"""One pass of the assembler over the source: lines and statements executed in order
(`_Pass`, driven by `afs.asm.assembler`; its control flow, macros, conditionals and loops, in
`afs.asm.constructs`).

Most lines take a fast path: a whole line that is one plain instruction, one `db`..`dd` or
one label is recognised by one regex (`afs.asm.parser.PLAIN_RE`, `DATA_LINE_RE`,
`LABEL_LINE_RE`) and run without the statement splitter and the general statement parser;
a constant instruction whose operand is one number literal is written by the encoding learnt
for its shape (`_shape`). Every line keeps a compact parse that later passes run again.
"""

from __future__ import annotations

import re
from typing import Any

from afs.asm.asar_warnings import feature, replay
from afs.asm.constructs import _LOOP_WORD, _first_word, _Flow, _Loop, _substitute_args
from afs.asm.directives import _DATA_SIZE, data_bytes, run_directive
from afs.asm.encoder import REPEATABLE, encode_instruction
from afs.asm.expressions import literal_value
from afs.asm.freespace import forward_labels, label_tag
from afs.asm.functions import call as call_function
from afs.asm.grammar import quotes_closed
from afs.asm.isa import Mode
from afs.asm.parser import (
    ATOM_CHAR,
    ATOM_NUMBER,
    DATA_LINE_RE,
    LABEL_LINE_RE,
    PLAIN_RE,
    AnonLabel,
    Assign,
    CharAssign,
    Conditional,
    DefineSet,
    Directive,
    EndMacro,
    Instruction,
    Label,
    MacroCall,
    MacroDef,
    PlainForm,
    SpcInstruction,
    Statement,
    label_line,
    parse_directive,
    parse_line_construct,
    plain_form,
    plain_instruction,
    split_statements,
    strip_comment,
    substitute_defines,
)
from afs.asm.passstate import (
    _BareLabel,
    _BodyLine,
    _Encoded,
    _Line,
)
from afs.asm.tables import assign_char
from afs.asm.varargs import VariadicArgs

# `_first_word(text) in (...)` for the words checked on every line, without splitting it.
_MACRO_WORD = re.compile(r"\s*(?:end)?macro(?:\s|$)", re.IGNORECASE)
_IF_WORD = re.compile(r"if\s", re.IGNORECASE)
_END_WORD = re.compile(r"end(?:if|while|for)", re.IGNORECASE)
_BRANCH_WORD = re.compile(r"(?:elseif|else|endif|endwhile)(?:\s|$)", re.IGNORECASE)
_MATH_MODES = {(p, e): (p, e) for p in (False, True) for e in (False, True)}
_MASKS = (0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFF)
# `db`..`dd` arguments that are number literals only (`$hex`, `%binary`, decimal)
_LITERAL_LIST = re.compile(r"(?:\$[0-9A-Fa-f]+|%[01]+|[0-9]+)"
                           r"(?:,[ \t]*(?:\$[0-9A-Fa-f]+|%[01]+|[0-9]+))*")


class _Pass(_Flow):
    """One pass over the source (the assembler runs several): statements executed."""

    def __init__(self, asm: Any, number: int, *, frozen: bool = False) -> None:
        # `asm`: the `afs.asm.assembler._Assembler` running the pass (typed loosely: that
        # module imports this one)
        super().__init__(asm, number, frozen=frozen)
        # Constant statements keep their bytes for later passes; not under `strict`, whose
        # range errors each pass raises anew.
        self.cacheable = not asm.strict
        # `conds` depth -> "while"/"for": the loops met where code does not run (asar keeps
        # them on its stack of `if`s, and any terminator ends the innermost)
        self.skipped_loops: dict[int, str] = {}

    def call_function(self, name: str, args: list[int | str], column: int) -> int:
        return call_function(self, name, args, column)

    @property
    def math_mode(self) -> tuple[bool, bool]:
        """What a kept parse depends on besides the arch: `math pri`, `math round off`."""
        # One shared tuple per mode: every kept line holds it (a new one each would cost MBs).
        return _MATH_MODES[self.precedence, self.exact_math]

    # --- lines ---------------------------------------------------------------------------------
    def run_lines(self, lines: list[_Line], args: dict[str, str] | None = None) -> None:
        modes = _MATH_MODES
        listing = self.want_listing
        emit = self.emit
        for ln in lines:
            self.file = ln.file
            self.line = ln.number
            self.column = 1
            kept = ln.parsed
            if (kept.__class__ is tuple and self.collecting is None and self.loop is None
                    and not (self.conds and not self.conds[-1][0])
                    and ln.prec is modes[self.precedence, self.exact_math]
                    and ln.arch == self.arch):
                first = kept[0] if len(kept) == 1 else None  # type: ignore[arg-type]
                if first.__class__ is _Encoded and not listing \
                        and self.pc is not None:     # most lines: bytes written again
                    self.column = first.column
                    emit(first.data, first.kind, first.info)
                    if first.raised:
                        replay(self, first.raised)
                else:
                    self.run_compact(kept, ln)  # type: ignore[arg-type]
                continue
            inactive = self.conds and not self.conds[-1][0]    # in an `if` not taken
            raw = ln.raw
            if raw is None:
                raw = ln.raw = self.asm.source_line(ln)
            if args is not None and ("<" in raw or "?" in raw):
                # (the body's comments went when its file was read: a `;` an argument
                # brings is text, as in asar)
                text = raw = _substitute_args(raw, args, self.macro_ids[-1], self.macro_anons,
                                              self.macro_scopes)
            else:
                text = strip_comment(raw) if ";" in raw else raw
            if self.loop is not None:
                self.collect_loop_line(ln, raw, text)
                continue
            if ln.pieces is not None and self.collecting is None and not inactive:
                self.run_pieces(ln.pieces, ln)
                continue
            if self.collecting is not None:
                construct = parse_line_construct(text, ln.file, ln.number) \
                    if _first_word(text) in ("macro", "endmacro") else None
                if isinstance(construct, EndMacro):
                    self.finish_macro()
                elif isinstance(construct, MacroDef):
                    raise self.error("nested macro definitions are not allowed",
                                     construct.column)
                else:
                    self.collect_lines.append(_BodyLine(ln.file, ln.number, raw))
                continue
            if inactive:
                if " : " in text:       # `else : db 1 : endif`: each statement in turn
                    self.run_pieces(split_statements(text))
                else:
                    self.skip_inactive(text)
                continue
            if raw is ln.raw:
                plain = PLAIN_RE.match(text) if self.arch == "65816" else None
                if plain is not None and self.run_plain(plain, ln):
                    continue
                plain = DATA_LINE_RE.match(text)
                if plain is not None:
                    self.run_data_line(plain, ln)
                    continue
                plain = LABEL_LINE_RE.match(text)
                if plain is not None:
                    self.run_label_line(plain, ln)
                    continue
            loop = _LOOP_WORD.match(text)
            if loop is not None:
                word = loop.group(1).lower()
                if word in ("endwhile", "endfor"):
                    self.end_if_as_loop(word, text)
                    continue
                if " : " in text and len(split_statements(text)) > 1:
                    self.run_one_line_loop(word, text, ln, args)
                    continue
                self.loop = _Loop(word, text.strip(), ln.file, ln.number,
                                  args if type(args) is VariadicArgs else None)
                continue
            if "!" in text or "\\" in text or _MACRO_WORD.match(text):
                construct = parse_line_construct(text, ln.file, ln.number)
                if construct is not None:
                    self.run_construct(construct)
                    continue
                # (asar's escapes `\!` and `\\` too)
                text = substitute_defines(text, self.defines, ln.file, ln.number,
                                          self.define_set_block)
                if ('"' in text or "'" in text) and not quotes_closed(text):
                    raise self.error("mismatched quotes once the line's defines are put in "
                                     "(as asar checks them again)", 1)
                self.run_pieces(split_statements(text))
                continue
            pieces = split_statements(text)
            if raw is ln.raw:
                ln.pieces = pieces
                self.run_pieces(pieces, ln)
            else:
                self.run_pieces(pieces)

    def run_one_line_loop(self, word: str, text: str, ln: _Line,
                          args: dict[str, str] | None) -> None:
        """A loop and its body on one line, as asar runs it: the line's defines put in first
        (a `for` variable is no define there yet); a `for` runs the pieces up to its `endfor`
        for each value, a `while` them once if its condition holds (asar does not go back to
        the line). What follows the end runs once."""
        if "!" in text:
            text = substitute_defines(text, self.defines, ln.file, ln.number,
                                      self.define_set_block)
        pieces = split_statements(text)
        if word == "while":     # (as `if` ... `endif`)
            self.run_pieces([(re.sub(r"(?i)^(\s*)(end)?while\b", r"\1\2if", piece), col)
                             for piece, col in pieces])
            return
        self.loop = _Loop(word, pieces[0][0], ln.file, ln.number,
                          args if type(args) is VariadicArgs else None)
        for piece, _ in pieces[1:]:
            if self.loop is None:
                raise self.error("a one-line 'for' must end with its 'endfor' (asar: "
                                 "single-line for loop not allowed here)")
            self.collect_loop_line(ln, piece, piece)

    def define_set_block(self, block: str) -> bool:
        """Run `block` now if it sets a define (see `substitute_defines`); whether it did."""
        construct = parse_line_construct(block, self.file, self.line)
        if type(construct) is not DefineSet:
            return False
        self.run_construct(construct)
        return True

    def run_plain(self, m: re.Match[str], ln: _Line) -> bool:
        """Run a line that `PLAIN_RE` matched (one instruction, maybe after a `#label:`) and
        keep it compact, as `run_pieces` would; False: not such a line after all (the general
        path runs it)."""
        start = m.start("mn")
        text = m.string[start:].rstrip(" \t")        # the instruction
        column = start + 1
        asm = self.asm
        memo = self.line_memo(column)
        kept = memo.get(text)
        st = shape = None
        if kept is None:
            form = plain_form(m)
            if form is None:
                return False
            shape = _shape(form, asm) if self.cacheable else None
            if shape is None or shape[0] not in asm.shapes:
                # (parsed before the label runs, as in `_Assembler.parse`)
                st = plain_instruction(m, form, self.file, self.line, self.precedence)
        if m.group("hl") is None:
            self.text = text
            label = None
        else:
            label = self.hash_label(m, text)
        self.column = column
        if kept is not None:
            if self.pc is not None:
                self.emit(kept.data, kept.kind, kept.info)
                if kept.raised:
                    replay(self, kept.raised)
            else:
                self.write_kept(kept)
        elif st is None:
            assert shape is not None
            kept = memo[text] = self.run_shape(shape, column)
        else:
            mark = len(self.raised)
            data, info = self.asm_instruction(st)
            kept = st
            if self.cacheable and _constant_instruction(st, asm):
                raised = self.raised_since(mark)
                kept = memo[text] = asm.remember(st, _Encoded(column, data, "instruction",
                                                                info, raised))
                if shape is not None and not raised:
                    _learn_shape(asm.shapes, shape, data, info[1] if info else None)
        self.keep(ln, (kept,) if label is None else (label, kept), m)
        return True

    def run_data_line(self, m: re.Match[str], ln: _Line) -> None:
        """Run a line that `DATA_LINE_RE` matched (one `db`..`dd`, maybe after a `#label:`)
        and keep it compact."""
        start = m.start("dn")
        text = m.string[start:].rstrip(" \t")
        column = start + 1
        memo = self.line_memo(column)
        kept = memo.get(text)
        st = data = None
        if kept is None:
            name = m.group("dn").lower()
            if self.cacheable and _LITERAL_LIST.fullmatch(m.group("args")):
                # numbers only: their bytes, as `data_bytes` writes them
                size = _DATA_SIZE[name]
                data = b"".join((literal_value(item.strip())[0] & _MASKS[size]).to_bytes(
                    size, "little") for item in m.group("args").split(","))
            else:
                # (parsed first: a line in error defines no label, as in `_Assembler.parse`)
                st = parse_directive(name, m.group("args"), column, m.start("args") + 1,
                                     self.file, self.line, self.precedence)
        label = self.hash_label(m, text)
        self.column = column
        if data is not None:
            self.emit(data, "data")
            kept = memo[text] = self.asm.shared(_Encoded(column, data, "data", ()))
        elif st is None:
            self.write_kept(kept)
        elif self.cacheable and _constant_data(st, self.asm):
            mark = len(self.raised)
            data = data_bytes(self, st, _DATA_SIZE[st.name])
            self.emit(data, "data")
            kept = memo[text] = self.asm.remember(st, _Encoded(column, data, "data", (),
                                                               self.raised_since(mark)))
        else:
            self.execute(st)
            kept = st
        self.keep(ln, (kept,) if label is None else (label, kept), m)

    def hash_label(self, m: re.Match[str], text: str) -> str | _BareLabel | None:
        """Define the `#label:` before a line's statement (`_HASH_PREFIX` in the parser), and
        set the line's text; what the line keeps of the label (see `_Assembler.compact`)."""
        name = m.group("hl")
        if name is None:
            self.text = text
            return None
        self.text = m.string.strip(" \t")
        column = m.start("hl") + 1
        self.column = column
        # as `asm_label` defines a `#` label (its name has no leading `.` to resolve)
        self.define_label(self.namespace + name[1:], self.logical_pc + label_tag(self))
        if self.want_listing:
            self.emit(b"", "label")
        return name[1:] if column == 1 else _BareLabel(column, name[1:])

    def line_memo(self, column: int) -> dict[str, _Encoded]:
        """Statement text -> bytes of the constant statements met at `column` in this pass
        (see `_Assembler.parse`)."""
        key = (column, self.precedence, self.arch, self.exact_math)
        memo = self.asm.memo.get(key)
        if memo is None:
            memo = self.asm.memo[key] = {}
        return memo

    def write_kept(self, kept: _Encoded) -> None:
        """A kept statement's bytes written again, and its warnings raised again."""
        if self.pc is None:
            self.logical_pc  # noqa: B018 - sets the default org (with its warning)
        self.emit(kept.data, kept.kind, kept.info)
        if kept.raised:
            replay(self, kept.raised)

    def raised_since(self, mark: int) -> tuple[tuple[str, tuple], ...]:
        """The warnings a statement raised since `raised` was `mark` long: what its
        `_Encoded` raises again. Not a missing org, which is the pass's, not the statement's."""
        raised = self.raised
        if len(raised) == mark:
            return ()
        return tuple(w for w in raised[mark:] if w[0] != "missing_org")

    def run_shape(self, shape: tuple[tuple, int], column: int) -> _Encoded:
        """Write a constant instruction by the encoding learnt for its shape (see `_shape`),
        without parsing it."""
        key, value = shape
        code, size, mode = self.asm.shapes[key]
        data = (((value & _MASKS[size]) << 8) | code).to_bytes(size + 1, "little")
        info = (key[0].upper(), mode, code, value, key[1]) if self.want_listing else ()
        if self.pc is None:
            self.logical_pc  # noqa: B018 - sets the default org (with its warning)
        self.emit(data, "instruction", info)
        # (not `shared`: another text with these bytes at this column is rare)
        return _Encoded(column, data, "instruction", info)

    def run_label_line(self, m: re.Match[str], ln: _Line) -> None:
        """Run a line that is one label (`LABEL_LINE_RE`) and keep it compact."""
        st = label_line(m)
        self.column = st.column
        self.text = m.string.strip(" \t")
        if type(st) is Label:
            self.asm_label(st)
        else:
            self.execute(st)
        self.keep(ln, (st,), m)

    def keep(self, ln: _Line, kept: tuple, m: re.Match[str]) -> None:
        """What a line the fast path `m` matched keeps for later passes (see `run_pieces`)."""
        ln.parsed = kept
        ln.prec, ln.arch = _MATH_MODES[self.precedence, self.exact_math], self.arch
        if self.want_listing:
            text = m.string
            ln.pieces = [(self.text, len(text) - len(text.lstrip(" \t")) + 1)]
        else:
            ln.pieces = None
            if type(ln) is _Line and ln.file in self.asm.files:
                ln.raw = None

    def run_compact(self, statements: tuple, ln: _Line) -> None:
        """Run a line from the parse it kept (see `_Assembler.compact`)."""
        if self.want_listing:
            self.text = ln.pieces[0][0] if ln.pieces else ""
        for st in statements:
            kind = type(st)
            if kind is str:
                self.column = 1
                self.define_label(self.namespace + (st if st[0] != "." else
                                                    self.resolve_name(st)),
                                  self.logical_pc + label_tag(self))
                if self.want_listing:
                    self.emit(b"", "label")
                continue
            self.column = st.column
            if kind is _Encoded:
                self.write_kept(st)
            elif kind is _BareLabel:
                self.define_label(self.namespace + self.resolve_name(st.name),
                                  self.logical_pc + label_tag(self))
                if self.want_listing:
                    self.emit(b"", "label")
            elif kind is Label:
                self.asm_label(st)
            elif kind is Instruction:
                self.asm_instruction(st)
            else:
                self.execute(st)
            if self.conds and not self.conds[-1][0]:
                break

    def run_pieces(self, pieces: list[tuple[str, int]], ln: _Line | None = None) -> None:
        """Run a line's statements; `ln`: the source line, which keeps their parse."""
        parsed = None
        if ln is not None:
            cache = ln.parsed
            if cache.__class__ is list and cache[0] == self.math_mode and cache[1] == self.arch:
                parsed = cache[2]
            else:
                ln.parsed = [self.math_mode, self.arch, []]
        self.run_statements(pieces, ln, parsed)
        # Kept compact: a line whose statements all ran (not after `rep N`), with one
        # statement (several: not when listing, which shows each one's text).
        if ln is not None and (len(pieces) <= 1 or not self.want_listing):
            cache = ln.parsed
            assert cache.__class__ is list
            if len(cache[2]) != len(pieces):
                return
            compact = self.asm.compact([st for part in cache[2] for st in part],
                                       len(pieces) > 1)
            if compact is not None:
                ln.prec, ln.arch = cache[0], cache[1]
                ln.parsed = compact
                if not self.want_listing:
                    ln.pieces = None    # split again only if ever run another way
                    if type(ln) is _Line and ln.file in self.asm.files:
                        ln.raw = None   # read again only if ever run another way

    def run_statements(self, pieces: list[tuple[str, int]], ln: _Line | None,
                       parsed: list | None) -> None:
        parse_cached = self.asm.parse_cached
        inline_ifs = 0      # `if`s with statements after them on the line, not closed on it
        # asar: after an `if` not taken, the rest of the line runs only its `elseif`, `else`,
        # `endif` (the statements after that `endif` too), until an `else` or a branch taken
        rest_off = False
        last = len(pieces) - 1
        for index, (piece, col) in enumerate(pieces):
            self.column = col
            self.text = piece
            if last:
                if _IF_WORD.match(piece) and index < last:
                    inline_ifs += 1
                elif inline_ifs and _END_WORD.fullmatch(piece):
                    inline_ifs -= 1
                if rest_off and not _BRANCH_WORD.match(piece):
                    ln = None
                    continue
            if self.conds and not self.conds[-1][0]:
                # after an `if` not taken on this line: only the conditionals run; the
                # line's parse is kept no further (it may run otherwise in another pass)
                self.skip_inactive(piece)
                if rest_off:
                    word = _first_word(piece)
                    rest_off = not (word == "else" or (word == "elseif" and self.conds[-1][0]))
                ln = None
                continue
            if parsed is not None and index < len(parsed):
                statements = parsed[index]
            elif ln is not None and ln.parsed is not None:
                statements = self.asm.parse(piece, col, self.file, self.line, self.precedence,
                                            self.arch, self.exact_math)
                ln.parsed[2].append(statements)
            else:
                statements = parse_cached(piece, col, self.file, self.line, self.precedence,
                                          self.arch, self.exact_math)
            for position, st in enumerate(statements):
                self.column = st.column
                # Instructions are most statements: straight to them, past `execute`.
                kind = type(st)
                if kind is _Encoded:
                    self.write_kept(st)
                elif kind is Label:
                    self.asm_label(st)
                elif kind is Instruction:
                    if st.mnemonic == "rep" and st.operand.kind not in ("imm", "none"):
                        self.repeat(st, pieces[index + 1:index + 2])
                        self.run_pieces(pieces[index + 2:])
                        return
                    mark = len(self.raised)
                    info = self.asm_instruction(st)
                    if self.cacheable and _constant_instruction(st, self.asm):
                        encoded = self.asm.remember(st, _Encoded(
                            st.column, info[0], "instruction", info[1], self.raised_since(mark)))
                        if ln is not None:
                            statements[position] = encoded
                elif (kind is Directive and st.name in _DATA_SIZE and self.cacheable
                      and _constant_data(st, self.asm)):
                    mark = len(self.raised)
                    data = data_bytes(self, st, _DATA_SIZE[st.name])
                    self.emit(data, "data")
                    encoded = self.asm.remember(st, _Encoded(st.column, data, "data", (),
                                                             self.raised_since(mark)))
                    if ln is not None:
                        statements[position] = encoded
                else:
                    self.execute(st)
                if self.conds and not self.conds[-1][0]:
                    break
            if last and statements and type(statements[-1]) is Conditional:
                keyword = statements[-1].keyword
                if keyword == "else" or (keyword == "elseif" and self.conds[-1][0]):
                    rest_off = False
                elif keyword == "if" and index < last and not self.conds[-1][0]:
                    rest_off = True
        if inline_ifs:
            # asar closes it at the end of the line, with a warning
            self.text = pieces[0][0]
            feature(self, "inline_if")
            self.conds.pop()
            self.cond_sites.pop()

    # --- statements ----------------------------------------------------------------------------
    def execute(self, st: Statement) -> None:
        if isinstance(st, Instruction):
            self.asm_instruction(st)
        elif isinstance(st, Label):
            self.asm_label(st)
        elif isinstance(st, Directive):
            run_directive(self, st)
        elif isinstance(st, AnonLabel):
            value = self.logical_pc
            (self.minus if st.name[0] == "-" else self.plus).setdefault(st.name, []).append(value)
            if self.want_listing:
                self.emit(b"", "label")
        elif isinstance(st, Assign):
            if st.name[0] == ".":
                raise self.error(f"invalid label name '{st.name}': asar 1.91 sets no sublabel "
                                 "with 'name = value'")
            name = self.namespace + st.name     # (asar: the sublabel scope stays as it was)
            value = st.expr.evaluate(self) & 0xFFFFFFFF
            self.refuse_nonstatic(st.expr, "'name = value'")
            # asar 1.91 keeps the value as a 32-bit int, where -1 means "none given": the
            # label is then the current address. Labels are read back as 24 bits.
            self.define_label(name, self.logical_pc + label_tag(self)
                              if value == 0xFFFFFFFF else value & 0xFFFFFF)
            self.assigned.add(name)
            self.found_label = st.expr.has_labels
        elif isinstance(st, Conditional):
            self.asm_conditional(st)
        elif isinstance(st, CharAssign):
            assign_char(self, st)
        elif isinstance(st, MacroCall):
            self.call_macro(st)
        elif isinstance(st, SpcInstruction):
            if self.arch == "superfx":
                from afs.asm.superfx import encode_superfx  # only for `arch superfx` sources

                self.emit(encode_superfx(self, st), "instruction")
            else:
                from afs.asm.spc700 import encode_spc  # only for `arch spc700` sources

                self.emit(encode_spc(self, st), "instruction")
        else:
            raise self.error(f"unexpected statement {type(st).__name__}")

    def label_name(self, name: str) -> str:
        if self.struct is not None and name.startswith(".") and not name.startswith(".."):
            return f"{self.namespace}{self.struct[0]}.{name[1:]}"     # `struct S`: S.field
        if name.startswith("."):
            depth = len(name) - len(name.lstrip("."))
            if depth > len(self.scope):
                raise self.error(f"sublabel '{name}' has no parent label")
            self.scope = [*self.scope[:depth], name[depth:]]
            return self.namespace + "_".join(self.scope)
        self.scope = [name]
        return self.namespace + name

    def asm_label(self, st: Label) -> None:
        value = self.logical_pc + label_tag(self)
        if st.name[0] == "#":       # asar: a `#` label does not open a sublabel scope
            name = self.namespace + self.resolve_name(st.name[1:])
        else:
            name = self.label_name(st.name)
        self.define_label(name, value)
        if self.struct is not None and self.struct_static:
            self.assigned.add(name)
        if self.want_listing:
            self.emit(b"", "label")

    def asm_instruction(self, st: Instruction) -> tuple[bytes, tuple]:
        """Encode and write `st`; its bytes and listing info (none without a listing)."""
        if self.fs.ident and not self.number:
            forward_labels(self, st)
        # (sized and valued before a missing org defaults, as asar: see `PassState.unplaced`)
        data, mode, opcode, value = encode_instruction(self, st)
        if not self.want_listing:
            self.emit(data, "instruction")
            return data, ()
        info = (st.mnemonic.upper(), mode, opcode, value, st.suffix)
        self.emit(data, "instruction", info)
        return data, info

def _may_be_constant(st: Statement, asm: Any) -> bool:
    """Could `st`'s bytes be the same wherever it is (in the assembly `asm`)?"""
    if type(st) is Instruction:
        return _constant_instruction(st, asm) and st.mnemonic != "rep"
    return type(st) is Directive and st.name in _DATA_SIZE and _constant_data(st, asm)


def _constant_instruction(st: Instruction, asm: Any) -> bool:
    op = st.operand
    if op.kind == "anon":
        return False
    expr, expr2 = op.expr, op.expr2
    return (expr is None or expr.constant or _fixed_chars(expr, asm)) and \
        (expr2 is None or expr2.constant or _fixed_chars(expr2, asm))


def _constant_data(d: Directive, asm: Any) -> bool:
    # Not a string: the table may map it otherwise (even on the same line, in a macro).
    return all(item.expr is not None and (item.expr.constant or _fixed_chars(item.expr, asm))
               for item in d.items)


def _fixed_chars(expr: Any, asm: Any) -> bool:
    """Whether `expr`, constant but for its `'c'` literals, is constant in `asm`: while no
    table was set there, and then `afs.asm.tables.table_set` starts it again if one is."""
    if expr.chars and asm.chars_fixed:
        asm.chars_kept = True
        return True
    return False


def _shape(form: PlainForm, asm: Any) -> tuple[tuple, int] | None:
    """A plain instruction whose operand is one number literal (or `'c'` literal, while
    `_fixed_chars`): ((mnemonic, suffix, operand kind, literal width), value). Its bytes are
    the opcode and the value at the size that the shape alone decides (not `asl #n`, whose
    count repeats the opcode)."""
    word, suffix, kind, text, _, atom = form
    if not atom or (kind == "imm" and word in REPEATABLE):
        return None
    assert text is not None
    if atom == ATOM_NUMBER:
        value, width = literal_value(text)
    elif atom == ATOM_CHAR and asm.chars_fixed and text[1] < "\x80":
        asm.chars_kept = True
        value, width = ord(text[1]), 1
    else:
        return None
    return (word, suffix, kind, width), value


def _learn_shape(shapes: dict[tuple, tuple[int, int, Mode | None]], shape: tuple[tuple, int],
                 data: bytes, mode: Mode | None) -> None:
    """Keep how the encoder wrote an instruction of `shape`, if it is the opcode and the
    value truncated to the rest of the bytes (what `_Pass.run_shape` writes); `mode`: its
    addressing mode (None without a listing, which alone shows it)."""
    key, value = shape
    size = len(data) - 1
    if size >= 1 and data[1:] == (value & _MASKS[size]).to_bytes(size, "little"):
        shapes[key] = (data[0], size, mode)


