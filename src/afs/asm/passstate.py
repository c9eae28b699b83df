"""The state of one assembler pass, shared by the assembler, directives and encoders.

`PassState` holds what a pass knows (labels, defines, the program counter, segments) and
the helpers every statement needs (label lookup, `emit`); `afs.asm.passes._Pass` adds
the execution of statements. Directives and encoders see only this module, so every import
between them and the assembler points one way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from afs.asm import mapping
from afs.asm.asar_warnings import feature, feature_args, warn
from afs.asm.defines import BUILTIN_DEFINES
from afs.asm.errors import AsmError
from afs.asm.expressions import Expr
from afs.asm.parser import MacroDef

DEFAULT_ORG = 0x008000
UNPLACED = (-1, -1, -1, -1)
# A label defined inside freespace block n holds its address + n * FREESPACE_TAG
# (`afs.asm.freespace`); the tag is masked off when the value is read.
FREESPACE_TAG = 1 << 40


@dataclass
class Segment:
    """Bytes written contiguously at a SNES address (`offset`: where they land in a ROM file)."""

    address: int
    data: bytes
    offset: int | None = None
    fill: int = 0       # what fills the file up to `offset` if it ends before (freespacebyte)


@dataclass(slots=True)
class _Line:
    file: str
    number: int
    raw: str | None              # comment already stripped for files; None: let go (see
                                 # `_Pass.run_pieces`), read again from the file if needed
    pieces: list[tuple[str, int]] | None = None       # statements, when no define/macro text
    # the pieces parsed, for (math pri, arch): kept on the line, not in a dict keyed by text;
    # once they have all run, the statements alone (a tuple, see `_Assembler.compact`),
    # parsed under `prec` and `arch`
    parsed: list | tuple | None = None
    prec: tuple[bool, bool] = (False, False)     # `_Pass.math_mode` it was parsed under
    arch: str = ""


class _BodyLine(_Line):
    """A line of a macro or loop body: its text (which may hold macro arguments already
    replaced) is the only copy, always kept."""

    __slots__ = ()


class _Encoded:
    """A statement whose bytes are the same wherever it runs (an instruction, or `db`..`dd`
    numbers, without labels or function calls), kept in place of its parse: it is only
    written again."""

    __slots__ = ("column", "data", "info", "kind", "raised")

    def __init__(self, column: int, data: bytes, kind: str, info: tuple,
                 raised: tuple = ()) -> None:
        self.column = column
        self.data = data
        self.kind = kind
        self.info = info
        self.raised = raised    # the warnings it raised (`asar_warnings.replay`)


class _BareLabel:
    """A `#name:` label (which leaves the sublabel scope alone), by its name without `#`."""

    __slots__ = ("column", "name")

    def __init__(self, column: int, name: str) -> None:
        self.column = column
        self.name = name


# a character table's entry that a `table` file left out (asar: a garbage value)
TABLE_UNSET = -1
_NOT_UTF8 = feature_args("non_utf8")


class PassState:
    """State of one pass over the source (the assembler runs several)."""

    def __init__(self, asm: Any, number: int, *, frozen: bool = False) -> None:
        self.asm = asm
        self.number = number
        self.want_listing = asm.want_listing
        # `frozen`: asar's final pass, which writes with the labels of the pass before it
        # (they may differ from where this pass puts them; see `afs.asm.spc700`).
        self.frozen = frozen
        # asar's `foundlabel`: did the last expression asar evaluated use a label?
        self.found_label = False
        self.quirks: list[AsmError] = []
        self.prints: list[str] = []
        # `function`s: name (lower case) -> (parameters, body text)
        self.functions: dict[str, tuple[list[str], str]] = {}
        self.function_depth = 0     # `function` calls running, one inside another
        self.item_offset = 0        # bytes of the data directive before the item evaluated
        self.prev_labels = asm.labels
        self.labels: dict[str, int] = {}
        self.prev_plus = asm.plus
        self.prev_minus = asm.minus     # (for `datasize()`, which sees every label)
        self.plus: dict[str, list[int]] = {}
        self.minus: dict[str, list[int]] = {}
        self.unresolved = 0
        self.deferred: list[AsmError] = []
        # (asar's built-in defines win over a `-D` of the same name)
        self.defines: dict[str, str] = {**asm.initial_defines, **BUILTIN_DEFINES}
        self.macros: dict[str, MacroDef] = {}
        self.macro_lines: dict[str, list[_Line]] = {}
        self.collecting: MacroDef | None = None
        self.collect_lines: list[_Line] = []
        self.conds: list[list[bool]] = []   # [active, taken]
        self.cond_sites: list[tuple[str, int]] = []   # where each open `if` is
        self.collect_site = ("<input>", 0)
        # A snippet assembled at `base` is not a ROM: its offsets are its addresses.
        self.mapper = "lorom" if asm.base is None else "norom"
        self.pc: int | None = asm.base
        self.base_delta = 0
        # While `pc` is None (before any org, after `pushpc`) asar's logical and real
        # addresses are -1, which `base` and `skip` still move and `pc()`, `realbase()` and
        # `print pc` read; the first byte or label replaces them with the default org.
        # (logical, real, and where each started, for the bank crossing check)
        self.unplaced = UNPLACED
        self.pc_stack: list[tuple[int | None, int, tuple[int, int, int, int]]] = []
        self.scope: list[str] = []
        self.namespace = ""
        self.fillbyte = b"\x00"          # the fill/pad pattern (fillword: two bytes...)
        self.padbyte = b"\x00"
        self.namespaces: list[str] = []     # `namespace`s in force (several: `nested on`)
        self.nested_namespaces = False
        self.ns_stack: list[tuple[list[str], bool]] = []
        # `struct`: (name, start address, saved pc, saved base delta) while inside one
        self.struct: tuple[str, int, int | None, int] | None = None
        # struct name -> (size, object size with extensions, end address): afs.asm.structs
        self.structs: dict[str, tuple[int, int, int]] = {}
        self.prev_structs = asm.structs     # (`sizeof()` before a struct: the pass before's)
        # `spcblock`: (segment, header position, target, arch before, `startpos` address or
        # None) while inside one
        self.spcblock: tuple[Segment, int, int, str, int | None] | None = None
        # the character table (`afs.asm.tables`): byte -> value, None for the identity
        self.table: list[int] | None = None
        self.table_stack: list[list[int] | None] = []      # `pushtable`
        self.include_once: set[str] = set()       # resolved paths of `includeonce` files
        self.base_stack: list[int] = []
        self.optimize_bank: int | None = None     # `bank`: None auto, 0x100 noassume
        self.optimize_dp = "none"
        self.optimize_address = "default"
        self.dp_base = 0
        self.precedence = False
        self.bytes_reset = 0            # `reset bytes`
        self.exact_math = False         # `math round off` / `asar 1.90`: no fractions allowed
        self.asar_version = (0, 0)      # `asar 1.90`+: asar's later math
        self.arch = "65816"
        self.bankcross = True
        self.half_banks = False     # `check bankcross half`: a $xx8000 border counts too
        self.segments: list[Segment] = []
        self.listing: list[tuple] = []
        self.warnings: list[str] = []     # `afs.asm.asar_warnings.AsarWarning`s
        # every warning raised, even turned off: (id, template arguments), see `replay`
        self.raised: list[tuple[str, tuple]] = []
        # asar's static labels: set by `name = value`, or in a struct at a fixed address
        self.assigned: set[str] = set()
        self.struct_static = False          # the struct open now lays out static labels
        self.static_structs: set[str] = set()
        self.macro_site: tuple[str, int] | None = None   # the outermost macro call running
        self.mapper_set = False         # a mapper command ran (asar warns at another)
        self.terminator_warned = False  # asar warns at the first `while ... endfor` only
        self.bom_warned: set[str] = set()   # included files whose `file_notes` warned
        self.warnings_off: set[str] = set()          # `warnings disable` (afs.asm.asar_warnings)
        self.warnings_stack: list[set[str]] = []
        self.file = "<input>"
        self.line = 0
        self.column = 1
        self.text = ""
        self.macro_depth = 0
        self.macro_calls = 0            # numbers each macro call, for its `?labels`
        self.macro_ids: list[int] = [0]
        self.macro_anons: dict[tuple[int, str], int] = {}   # `?+` labels defined per call
        self.macro_scopes: dict[int, list[str]] = {}    # per call: its `?label`, `?.sub`...
        self.fs = asm.freespace.new_pass(number)     # `freespace` blocks (afs.asm.freespace)
        # the 32 KB chunk `emit` last wrote to, under which mapper, and its file offset
        self._map_chunk = -1
        self._map_mapper = ""
        self._map_base: int | None = None

    # --- EvalContext ---------------------------------------------------------------------------
    def old_equals_used(self) -> None:
        """A condition compared with asar's older `a = b`."""
        feature(self, "if_equals")

    def old_negation_used(self) -> None:
        """A condition negated with asar's older `!condition`."""
        feature(self, "if_not")

    def quoted_symbol_used(self) -> None:
        """`sizeof("Name")`: a name given to a function in quotes."""
        feature(self, "quoted_symbol")

    def label_a_used(self) -> None:
        """An instruction's operand is a label named A (`lda A`)."""
        feature(self, "a_label")

    def math_order_differs(self) -> None:
        """An expression evaluated left to right has another value under C precedence."""
        feature(self, "left_to_right")

    def char_value(self, code: int, column: int) -> int:
        """A `'c'` literal's value: its character through the table in force. One byte: an
        ASCII character, or any in a file that is not UTF-8 (asar reads it byte by byte)."""
        if self.table is None and code < 0x80:
            return code
        if code >= 0x80 and (code > 0xFF or not self.not_utf8):
            raise self.error(f"invalid character literal '{chr(code)}': asar takes one byte "
                             "(an ASCII character) between single quotes", column)
        return self.table_value(code, column)

    def table_value(self, byte: int, column: int) -> int:
        """What the table in force maps `byte` to (`afs.asm.tables`)."""
        table = self.table
        if table is None:
            return byte
        value = table[byte]
        if value == TABLE_UNSET:
            shown = chr(byte) if 0x20 <= byte < 0x7F else f"${byte:02X}"
            raise self.error(f"character '{shown}' is not in the table file (asar writes a "
                             "garbage value for it: map it there, or with 'c' = value)", column)
        return value

    @property
    def not_utf8(self) -> bool:
        """Whether the file running is not UTF-8: asar reads it byte by byte, and so does
        `afs.asm.asar_warnings.read_source` (one character per byte)."""
        return _NOT_UTF8 in self.asm.file_notes.get(self.file, ())

    def resolve_name(self, name: str) -> str:
        if name.startswith("."):
            if self.struct is not None and name[1:2] != ".":
                return f"{self.struct[0]}.{name[1:]}"    # in a struct, its `.field` (asar)
            depth = len(name) - len(name.lstrip("."))
            if depth > len(self.scope):
                raise AsmError(f"sublabel '{name}' has no parent label", self.file, self.line,
                               self.column)
            return "_".join([*self.scope[:depth], name[depth:]])
        return name

    def lookup(self, name: str) -> int | None:
        if not self.namespace and name[0] != ".":       # most names: no scope to resolve
            if not self.frozen:
                value = self.labels.get(name)
                if value is not None:
                    return value
            return self.prev_labels.get(name)
        full = self.resolve_name(name)
        candidates = (f"{self.namespace}{full}", full) if self.namespace else (full,)
        # (the namespace's name first, even when only the pass before defined it: asar's
        # one label table holds the pass before's labels until they are defined again)
        for cand in candidates:
            if not self.frozen and cand in self.labels:
                value = self.labels[cand]
            elif cand in self.prev_labels:
                value = self.prev_labels[cand]
            else:
                continue
            if cand is not candidates[0] and not self.number:
                # the namespace's name may yet be defined further on: another pass decides
                self.unresolved += 1
            return value
        return None

    def label_value(self, name: str, column: int) -> int:
        value = self.lookup(name)
        if value is None:
            self.unresolved += 1
            if self.number:     # (see `defer`)
                self.defer(AsmError(f"label '{name}' not found", self.file, self.line, column))
            return 0
        if value >= FREESPACE_TAG:
            return value & 0xFFFFFF
        return value

    def label_width(self, name: str) -> int:
        value = self.lookup(name)
        if value is None:
            return 2
        if self.pc is None:
            # before any org asar's address is -1, read as one in a freespace block of its
            # own (main.cpp getlenforlabel): no label is in its bank
            return 3 if value >= FREESPACE_TAG else self._optimized_width(value, None)
        here = (self.pc + self.base_delta) >> 16
        if self.fs.ident or value >= FREESPACE_TAG:
            return self.asm.freespace.width(self, value, here)
        if (self.optimize_bank is None and self.optimize_dp == "none"
                and self.optimize_address == "default"):
            return 2 if (value >> 16) == here else 3
        return self._optimized_width(value, here)

    def _optimized_width(self, value: int, here: int | None) -> int:
        """asar's label width under `bank`, `optimize dp/address` and `dpbase` (`here`: the
        bank assembled in; None before any org)."""
        bank, word = value >> 16, value & 0xFFFF
        if self.optimize_bank is not None:
            relaxed = self.optimize_bank
        elif here is None:
            relaxed = 0 if self.fs.freecode else 0x40
        else:
            relaxed = here
        in_dp = 0 <= word - self.dp_base < 0x100
        if self.optimize_dp == "ram" and bank == 0x7E and in_dp:
            return 1
        if self.optimize_dp == "always" and (bank == 0x7E or not bank & 0x40) and in_dp:
            return 1
        if (self.optimize_address != "default" and not relaxed & 0x40 and bank == 0x7E
                and word < 0x2000):
            return 2
        if (self.optimize_address == "mirrors" and not relaxed & 0x40 and not bank & 0x40
                and word < 0x8000):
            return 2
        if self.optimize_bank is not None:
            return 2 if bank == self.optimize_bank else 3
        return 2 if bank == here else 3

    def nonstatic_label(self, expr: Expr) -> str | None:
        """The first label in `expr` that asar calls non-static (one set by its position, or
        not defined yet), which asar refuses in conditions, `name = value`, `!d #= ...` and
        the amounts of some commands; None when there is none."""
        for name in expr.labels + expr.named:
            full = self.resolve_name(name) if name[0] == "." else name
            if full not in self.assigned and self.namespace + full not in self.assigned:
                return name
        return None

    def refuse_nonstatic(self, expr: Expr, where: str) -> None:
        """Raise asar's error when `expr` holds a non-static label (`nonstatic_label`);
        `where`: what refuses it (e.g. "an 'if' condition")."""
        name = self.nonstatic_label(expr)
        if name is not None:
            raise self.error(f"'{name}' is a label set by its position (or not defined yet); "
                             f"asar 1.91 refuses it in {where} (a label set by 'name = value' "
                             "is allowed)", expr.column)

    @property
    def errors_kept(self) -> bool:
        """False while no error can matter: a first pass with a label not found yet is never
        the last, and its errors are never raised (forward references make thousands)."""
        return self.number != 0 or not self.unresolved

    def defer(self, error: AsmError) -> None:
        if self.errors_kept:
            self.deferred.append(error)

    def anon_value(self, anon: str, column: int) -> int:
        if anon[0] == "-":
            seen = self.minus.get(anon)
            if seen:
                return seen[-1]
            self.defer(AsmError(f"anonymous label '{anon}' not found (no earlier '{anon}')",
                                self.file, self.line, column))
            return 0
        index = len(self.plus.get(anon, ()))
        later = self.prev_plus.get(anon, [])
        if index < len(later):
            return later[index]
        self.unresolved += 1
        if self.number:     # (see `errors_kept`)
            self.defer(AsmError(f"anonymous label '{anon}' not found (no later '{anon}')",
                                self.file, self.line, column))
        return 0

    def anon_width(self, anon: str, value: int) -> int:
        # asar: 2 in its first pass and for a label not found (`jmp ++ : ++` on one line)
        if not self.number:
            return 2
        if anon[0] == "+" and len(self.plus.get(anon, ())) >= len(self.prev_plus.get(anon, ())):
            return 2
        if self.pc is None:     # (as `label_width`)
            return 3
        return 2 if (value >> 16) == ((self.pc + self.base_delta) >> 16) else 3

    # --- helpers ------------------------------------------------------------------------------
    def error(self, message: str, column: int | None = None) -> AsmError:
        return AsmError(message, self.file, self.line, self.column if column is None else column)

    @property
    def logical_pc(self) -> int:
        if self.pc is None:
            warn(self, "missing_org")
            self.pc = DEFAULT_ORG
        return (self.pc + self.base_delta) & 0xFFFFFF

    def define_label(self, name: str, value: int) -> None:
        if name in self.labels:
            raise self.error(f"label '{name}' redefined")
        # The address the pass before found, when the same: one int object for both passes.
        before = self.prev_labels.get(name)
        self.labels[name] = before if before == value else value

    def emit(self, data: bytes, kind: str, info: tuple = ()) -> None:
        """Write `data` at the current address; `info`: (mnemonic, mode, opcode, operand,
        suffix) for instructions. Listing rows stay tuples until the final pass is known."""
        real = self.pc
        if real is None:
            self.logical_pc  # noqa: B018 - sets the default org, with its warning
            real = self.pc
            assert real is not None
        delta = self.base_delta         # (a bank crossed under `base` changes it)
        offset = None
        if data:
            if self.struct is not None:
                raise self.error(f"a struct ('{self.struct[0]}') holds no data; use 'skip'")
            # Every mapper maps each 32 KB-aligned chunk as a whole, linearly: the chunk's
            # offset is looked up once, not at every write.
            chunk = real >> 15
            if chunk != self._map_chunk or self.mapper is not self._map_mapper:
                self._map_chunk, self._map_mapper = chunk, self.mapper
                self._map_base = mapping.snes_to_pc(chunk << 15, self.mapper)
            if self._map_base is None:
                raise self.error(f"SNES address ${real:06X} does not map to ROM "
                                 f"({self.mapper})")
            offset = self._map_base + (real & 0x7FFF)
            end = real + len(data)
            if end >> 16 != real >> 16 or (self.half_banks and (end - 1) >> 15 != real >> 15):
                end = self._bank_crossed(real, end, offset, len(data))
            segments = self.segments
            if (segments and (last := segments[-1]).offset is not None
                    and last.address + (size := len(last.data)) == real
                    and last.offset + size == offset):
                last.data += data  # type: ignore[operator]
            else:
                segments.append(Segment(real, bytearray(data), offset,  # type: ignore[arg-type]
                                        self.fs.default_byte))
            self.pc = end
        if self.want_listing:
            self.listing.append(((real + delta) & 0xFFFFFF, data, self.file, self.line,
                                 self.text, kind, offset, info))

    def _bank_crossed(self, real: int, end: int, offset: int, size: int) -> int:
        """Where the pc goes after `size` bytes written at `real` run past its bank's end."""
        if self.bankcross:
            shift = 15 if self.half_banks else 16
            if (end - 1) >> shift != real >> shift:
                raise self.error(f"a bank border was crossed, SNES address ${end:06X}")
            return end
        # `check bankcross off`: asar writes on in the file; the address is the file
        # position's again, but under `base` the logical address runs on linearly.
        after = mapping.pc_to_snes(offset + size, self.mapper)
        if after is None:
            return end
        after |= real & 0x800000
        if self.base_delta:
            self.base_delta += end - after
        return after

    def check_range(self, value: int, size: int, column: int, what: str) -> None:
        """asar 1.91 truncates silently; `strict` makes a value that does not fit an error."""
        if not self.asm.strict:
            return
        low = -(1 << (8 * size - 1))
        high = (1 << (8 * size)) - 1
        if not low <= value <= high:
            self.defer(AsmError(f"{what} {_fmt(value)} does not fit in {size} byte"
                                f"{'s' if size > 1 else ''} ({_fmt(low)}..${high:X})",
                                self.file, self.line, column))

    def run_lines(self, lines: list[_Line], args: dict[str, str] | None = None) -> None:
        """Assemble `lines` (with macro arguments `args`); the assembler's pass does it."""
        raise NotImplementedError


def _fmt(value: int) -> str:
    return f"-${-value:X}" if value < 0 else f"${value:X}"
