"""Two-or-more-pass asar 1.91-compatible assembler: source text in, bytes, listing, symbols out.

Passes repeat until every label keeps its address (usually two); errors that depend on
labels (undefined label, branch out of range, warnpc) are raised only from the final pass.
Sizing follows asar 1.91, not the CPU's M/X flags (see `afs.asm.expressions` for widths and
`afs.asm.encoder` for the choice of addressing mode).
"""

from __future__ import annotations

import contextlib
import gc
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from afs.asm import mapping
from afs.asm.asar_warnings import (
    block_comments,
    feature_args,
    file_warning,
    in_asar_order,
    read_source,
)
from afs.asm.asar_warnings import finish as finish_warnings
from afs.asm.errors import AsmError
from afs.asm.expressions import Expr
from afs.asm.freespace import TAG, Freespace, end_block
from afs.asm.grammar import join_continued, may_continue
from afs.asm.isa import Mode
from afs.asm.parser import (
    Conditional,
    Instruction,
    Label,
    Statement,
    parse_conditional,
    parse_statement,
    strip_comment,
)
from afs.asm.passes import _may_be_constant, _Pass
from afs.asm.passstate import (
    DEFAULT_ORG,
    Segment,
    _BareLabel,
    _Encoded,
    _Line,
)
from afs.asm.tables import TableSet

__all__ = ["DEFAULT_ORG", "Assembly", "ListingLine", "Segment", "assemble", "assemble_file"]

MAX_PASSES = 8
_HASH_LABEL = re.compile(r"(#[A-Za-z_][A-Za-z0-9_]*):(?:[ \t]+|$)")
_CONDITIONAL_WORD = re.compile(r"\s*(?:if|elseif|else|endif)(?:\s|$)", re.IGNORECASE)


@dataclass(slots=True)
class ListingLine:
    """One source statement as assembled."""

    address: int
    data: bytes
    file: str
    line: int
    text: str
    kind: str                     # instruction, data, label, directive
    mnemonic: str | None = None
    mode: Mode | None = None
    opcode: int | None = None
    operand: int | None = None
    size_suffix: str | None = None
    offset: int | None = None     # ROM file offset of the first byte


@dataclass
class Assembly:
    """The result of `assemble`."""

    segments: list[Segment]
    symbols: dict[str, int]
    listing: list[ListingLine]
    mapper: str = "lorom"
    warnings: list[str] = field(default_factory=list)
    passes: int = 0
    prints: list[str] = field(default_factory=list)     # `print` output, one line each
    # with freespace: the patched ROM as asar leaves it before the code lands (RATS tags
    # written, old blocks freed, grown)
    image: bytes | None = None

    def binary(self, fill: int = 0) -> bytes:
        """Flat image from the lowest to the highest written SNES address."""
        segs = [s for s in self.segments if s.data]
        if not segs:
            return b""
        low = min(s.address for s in segs)
        high = max(s.address + len(s.data) for s in segs)
        out = bytearray([fill & 0xFF]) * (high - low)
        for s in segs:
            out[s.address - low:s.address - low + len(s.data)] = s.data
        return bytes(out)

    def rom(self, existing: bytes | None = None, *, fix_checksum: bool = True) -> bytes:
        """The file asar writes: `existing` (or an empty new file) patched at ROM offsets
        (with freespace: the image asar prepared from the ROM it was given instead).

        A new file is as long as the highest byte written (zero fill); the header checksum is
        written when the file reaches the internal header, as asar does by default.
        """
        rom = bytearray(existing or b"") if self.image is None else bytearray(self.image)
        for s in self.segments:
            if not s.data or s.offset is None:
                continue
            end = s.offset + len(s.data)
            if end > len(rom):
                # asar fills a gap with the `freespacebyte` of the time it writes past it
                rom.extend(bytes((s.fill,)) * max(0, s.offset - len(rom)))
                rom.extend(bytes(end - len(rom)))
            rom[s.offset:end] = s.data
        if fix_checksum:
            mapping.fix_checksum(rom, self.mapper)
        return bytes(rom)


def _texts(source: str) -> list[str]:
    """A file's lines as asar reads them: comments stripped, continuation lines (ending with
    `,` or a backslash) joined onto the first, which keeps its number (the others are left
    empty; see `afs.asm.grammar.join_continued`)."""
    texts = [strip_comment(raw) if ";" in raw else raw for raw in source.splitlines()]
    if may_continue(source):
        join_continued(texts)
    return texts


def _listing_line(row: tuple) -> ListingLine:
    address, data, file, line, text, kind, offset, info = row
    if info:
        return ListingLine(address, data, file, line, text, kind, *info, offset)
    return ListingLine(address, data, file, line, text, kind, None, None, None, None, None,
                       offset)



class _Assembler:
    def __init__(self, *, base: int | None, include_dirs: tuple[Path, ...],
                 defines: dict[str, str] | None, strict: bool, want_listing: bool,
                 rom: bytes | None = None) -> None:
        self.base = base
        self.rom = rom
        self.freespace = Freespace(rom)
        self.include_dirs = include_dirs
        self.initial_defines = {k: str(v) for k, v in (defines or {}).items()}
        self.strict = strict
        self.want_listing = want_listing
        self.labels: dict[str, int] = {}
        self.structs: dict[str, tuple[int, int, int]] = {}     # the last pass's
        self.plus: dict[str, list[int]] = {}
        self.minus: dict[str, list[int]] = {}
        self.cache: dict[tuple[str, int, str, int, bool, str], list[Statement]] = {}
        self.files: dict[str, list[_Line]] = {}
        self.newlines: dict[str, int] = {}      # file -> its "\n"s (asar's line count, less 1)
        self.encoded: dict[tuple, _Encoded] = {}
        # (mnemonic, suffix, operand kind, literal width) -> (opcode, operand size, mode):
        # how the encoder wrote a constant instruction of that shape (`_learn_shape`).
        self.shapes: dict[tuple, tuple[int, int, Mode | None]] = {}
        # (column, math pri, arch, math round off) -> statement text -> its bytes, for
        # constant statements; id -> (that dict, text, statement) for statements parsed that
        # may turn out constant. Both for one pass (later passes run most lines from their
        # kept parse).
        self.memo: dict[tuple[int, bool, str, bool], dict[str, _Encoded]] = {}
        # (a `function` body with its arguments put in, math pri) -> its parse
        self.function_bodies: dict[tuple[str, bool], Expr] = {}
        self.pending: dict[int, tuple[dict[str, _Encoded], str, Statement]] = {}
        # `'c'` literals are constant until a character table is set (`afs.asm.tables`);
        # whether one was kept so (then setting a table starts the assembly again)
        self.chars_fixed = True
        self.chars_kept = False
        self.reread: dict[str, list[str]] = {}
        # file -> the warnings (id, arguments) asar raises about it as a whole when it
        # reads it: a byte order mark, not UTF-8, `;[[` comments
        self.file_notes: dict[str, list[tuple[str, tuple]]] = {}
        self.main_file = "<input>"
        self.main_lines: list[_Line] = []

    def compact(self, statements: list[Statement], several: bool) -> tuple | None:
        """What a line keeps for later passes: its statements, `#` labels as their bare
        names, constant statements as their (shared) `_Encoded`. None: keep it all,
        for `rep N` (which runs the statement after it) and for a conditional among
        `several` statements (after which the others run apart)."""
        out: list[object] = []
        for st in statements:
            if type(st) is Instruction and st.mnemonic == "rep" and st.operand.kind not in (
                    "imm", "none"):
                return None
            if several and type(st) is Conditional:
                return None
            if type(st) is Label and st.name[0] == "#":
                # at the start of its line (most are), the name alone: less to keep
                out.append(st.name[1:] if st.column == 1 else _BareLabel(st.column, st.name[1:]))
            else:
                out.append(st)      # (an `_Encoded` is already the shared one: `remember`)
        return tuple(out)

    def source_line(self, ln: _Line) -> str:
        """The text of a line of an included file whose text was let go (see
        `_Pass.run_pieces`), read again: its pass now runs it another way."""
        lines = self.reread.get(ln.file)
        if lines is None:
            lines = self.reread[ln.file] = _texts(read_source(Path(ln.file).read_bytes())[0])
        return lines[ln.number - 1]

    def parse_cached(self, text: str, column: int, file: str, line: int,
                     precedence: bool, arch: str = "65816", exact: bool = False
                     ) -> list[Statement]:
        key = (text, column, file, line, precedence, arch, exact)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.parse(text, column, file, line, precedence, arch, exact)
            self.cache[key] = hit
        return hit

    def parse(self, text: str, column: int, file: str, line: int, precedence: bool,
              arch: str, exact: bool = False) -> list[Statement]:
        """`text`'s statements; `exact` (`math round off`) only keys the memo of constant
        statements' bytes, which that mode may refuse."""
        cond = parse_conditional(text, column, file, line, precedence) \
            if text[0] != "#" and _CONDITIONAL_WORD.match(text) else None
        if cond is not None:
            return [cond]
        out: list[Statement] = []
        if text[0] == "#":          # `#_008000: lda $12`: the label, then the statement
            m = _HASH_LABEL.match(text)
            if m is not None:
                out.append(Label(column, m.group(1)))
                column += m.end()
                text = text[m.end():]
                if not text:
                    return out
        # A statement met before that was constant: its bytes, without parsing it again.
        memo = self.memo.get((column, precedence, arch, exact))
        if memo is None:
            memo = self.memo[column, precedence, arch, exact] = {}
        hit = memo.get(text)
        if hit is not None:
            out.append(hit)
            return out
        parsed = parse_statement(text, column, file, line, precedence, arch)
        if len(parsed) == 1 and _may_be_constant(parsed[0], self):
            self.pending[id(parsed[0])] = (memo, text, parsed[0])
        out += parsed
        return out

    def shared(self, encoded: _Encoded) -> _Encoded:
        """The one `_Encoded` kept for these bytes at this column (lines share it)."""
        return self.encoded.setdefault((encoded.column, encoded.kind, encoded.data,
                                        encoded.info, encoded.raised), encoded)

    def remember(self, st: Statement, encoded: _Encoded) -> _Encoded:
        """`st` turned out constant: its text parses to `encoded` from now on (shared)."""
        encoded = self.shared(encoded)
        entry = self.pending.pop(id(st), None)
        if entry is not None and entry[2] is st:
            entry[0][entry[1]] = encoded
        return encoded

    def evaluate_text(self, state: _Pass, text: str, column: int,
                      static_in: str | None = None) -> int:
        """The value of expression `text`; `static_in`: where it stands, if asar refuses
        non-static labels there (`PassState.refuse_nonstatic`)."""
        from afs.asm.expressions import parse_expression
        expr = parse_expression(text, column=column, file=state.file, line=state.line,
                                precedence=state.precedence)
        value = expr.evaluate(state)
        if static_in is not None:
            state.refuse_nonstatic(expr, static_in)
        return value

    def lines_of(self, source: str | bytes, file: str) -> list[_Line]:
        """The lines of `file` (its text, or its bytes as read: `read_source`) that do
        something; what asar warns about the file as a whole goes to `file_notes`."""
        # Comments go at once: nothing reads them, and the text is kept once, not twice.
        # Blank lines do nothing anywhere (even in a macro or loop body): not kept.
        out = []
        if isinstance(source, bytes):
            source, notes = read_source(source)
        else:
            notes = []
            if source[:1] == "\ufeff":      # asar skips a UTF-8 byte order mark, with a warning
                source = source[1:]
                notes.append(("byte_order_mark_utf8", ()))
        if ";[[" in source:
            notes += [feature_args("block_comment")] * sum(
                block_comments(raw) for raw in source.splitlines() if ";[[" in raw)
        self.newlines[file] = source.count("\n")
        for i, text in enumerate(_texts(source), start=1):
            if text and not text.isspace():
                out.append(_Line(file, i, text))
        if notes:
            self.file_notes[file] = notes
        return out

    def run(self, lines: list[_Line]) -> Assembly:
        self.main_lines = lines
        for number in range(MAX_PASSES):
            state = _Pass(self, number)
            for name, args in self.file_notes.get(self.main_file, ()):
                file_warning(state, self.main_file, name, *args)
            state.run_lines(lines)
            end_block(state)
            finish_warnings(state, self.newlines.get(self.main_file, len(lines)))
            self.memo.clear()
            self.pending.clear()
            if state.collecting is not None:
                raise AsmError(f"macro '{state.collecting.name}' has no 'endmacro'",
                               *state.collect_site, state.collecting.column)
            if state.conds:
                raise AsmError("'if' without 'endif'", *state.cond_sites[-1], 1)
            if state.loop is not None:
                raise AsmError(f"'{state.loop.kind}' without 'end{state.loop.kind}'",
                               state.loop.file, state.loop.line, 1)
            stable = state.labels == self.labels and state.plus == self.plus
            final = ((number == 0 and state.unresolved == 0) or (number > 0 and stable)) \
                and self.freespace.settled(number)
            self.labels, self.plus, self.minus = state.labels, state.plus, state.minus
            self.structs = state.structs
            if final:
                if state.quirks:
                    # asar fails: its labels come from a pass where some SPC700 branches
                    # took no room (see `afs.asm.spc700`). The errors it prints come from a
                    # last pass with those labels; without any, the first such branch.
                    quirks = state.quirks
                    state = _Pass(self, number + 1, frozen=True)
                    state.run_lines(lines)
                    raise state.deferred[0] if state.deferred else quirks[0]
                if state.deferred:
                    raise state.deferred[0]
                return Assembly([Segment(s.address, bytes(s.data), s.offset, s.fill)
                                 for s in state.segments if s.data],
                                {k: v & 0xFFFFFF if v >= TAG else v
                                 for k, v in state.labels.items()},
                                [_listing_line(row) for row in state.listing],
                                state.mapper,
                                in_asar_order(state.warnings), number + 1, state.prints,
                                self.freespace.result())
        raise AsmError(f"label addresses did not settle after {MAX_PASSES} passes",
                       lines[0].file if lines else "<input>", 1, 1)


def assemble(source: str | bytes, *, filename: str = "<input>", base: int | None = None,
             include_dirs: tuple[str | Path, ...] | list[str | Path] = (),
             defines: dict[str, object] | None = None, strict: bool = False,
             listing: bool = True, rom: bytes | None = None) -> Assembly:
    """Assemble asar-syntax `source` (text, or a file's bytes, read as asar reads them: UTF-8,
    else byte by byte with asar's warning).

    `base`: SNES address where code starts when the source has no `org` (the snippet case);
    without it, asar's default ($008000, with a warning) applies. `strict=True` turns values
    that asar silently truncates (immediates, data) into errors. Relative `incsrc`/`incbin`
    paths resolve against the including file, then `include_dirs`. `rom`: the ROM being
    patched, which `read1()`..`read4()` and `canread()` read.
    """
    def assembler() -> _Assembler:
        asm = _Assembler(base=base, include_dirs=tuple(Path(d) for d in include_dirs),
                         defines={k: str(v) for k, v in (defines or {}).items()},
                         strict=strict, want_listing=listing, rom=rom)
        asm.main_file = filename
        return asm

    asm = assembler()
    with _collector_paused():
        try:
            result = asm.run(asm.lines_of(source, filename))
        except TableSet:
            # a table set after `'c'` literals were kept as constants: again, without
            asm = assembler()
            asm.chars_fixed = False
            result = asm.run(asm.lines_of(source, filename))
        # Freed now, by reference counting: the collector, resumed, would otherwise scan the
        # whole parse (every line's statements) once before it goes.
        del asm
        return result


_pause_lock = threading.Lock()
_pause_depth = 0
_collector_was_enabled = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while assembling.

    Assembling allocates hundreds of thousands of small acyclic objects (statements, closures,
    listing rows); the collector rescanning them cost about a fifth of the time. Reference
    counting frees them all the same. The pause is counted, so concurrent assemblies in
    several threads resume the collector only when the last one ends, and only if it ran.
    """
    global _pause_depth, _collector_was_enabled
    with _pause_lock:
        if _pause_depth == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pause_depth += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause_depth -= 1
            if _pause_depth == 0 and _collector_was_enabled:
                gc.enable()


def assemble_file(path: str | Path, **kwargs: object) -> Assembly:
    """Assemble the file at `path` (its directory anchors relative includes)."""
    p = Path(path)
    try:
        source = p.read_bytes()
    except FileNotFoundError:
        raise AsmError(f"file not found: {p}", str(p), 1, 1) from None
    return assemble(source, filename=str(p), **kwargs)  # type: ignore[arg-type]
