"""asar directives (`org`, `db`, `incsrc`, ...) executed during an assembler pass."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from afs.asm import asar_warnings, freespace, mapping
from afs.asm.errors import AsmError
from afs.asm.expressions import parse_expression
from afs.asm.functions import define_function, find_file
from afs.asm.grammar import top_level
from afs.asm.parser import Directive, split_args
from afs.asm.passstate import UNPLACED
from afs.asm.structs import close_struct, open_struct
from afs.asm.tables import load_table, string_bytes

if TYPE_CHECKING:
    from afs.asm.passstate import PassState

_DATA_SIZE = {"db": 1, "dw": 2, "dl": 3, "dd": 4}
_FREESPACE = frozenset(["freespace", "freecode", "freedata", "autoclean", "autoclear", "prot",
                        "freespacebyte"])


def _args(state: PassState, d: Directive, low: int, high: int) -> None:
    n = len(d.args)
    if not low <= n <= high:
        want = str(low) if low == high else f"{low} to {high}"
        raise state.error(f"'{d.name}' takes {want} argument{'s' if high != 1 else ''}, "
                          f"got {n}")


def _value(state: PassState, d: Directive, index: int, static: bool = False) -> int:
    """Argument `index` of `d`, evaluated; `static`: asar refuses non-static labels in it."""
    text, col = d.args[index], d.arg_columns[index]
    if not text:
        raise state.error(f"'{d.name}' needs a value", col)
    expr = parse_expression(text, column=col, file=state.file, line=state.line,
                            precedence=state.precedence)
    state.found_label = expr.has_labels
    value = expr.evaluate(state)
    if static:
        state.refuse_nonstatic(expr, f"'{d.name}'")
    return value


def _fill_value(state: PassState, d: Directive, kind: str) -> int:
    """The value of `fillbyte`..`paddword`: asar warns when it uses a label that is not
    static (one not set by `name = value`)."""
    value = _value(state, d, 0)
    if state.found_label:
        expr = parse_expression(d.args[0], column=d.arg_columns[0], file=state.file,
                                line=state.line, precedence=state.precedence)
        if any(state.namespace + name not in state.assigned and name not in state.assigned
               for name in expr.labels):
            asar_warnings.feature(state, kind + "byte_label")
    return value


_RANGE = re.compile(r'^(".*")\s*:(.*)$')      # an incbin's file and its range
# a bound of asar's older incbin range: hex digits, as C's strtoul reads them
_OLD_BOUND = re.compile(r"\s*[+-]?(?:0[xX](?=[0-9A-Fa-f]))?[0-9A-Fa-f]+")


def _incbin_range(state: PassState, text: str, column: int, size: int) -> tuple[int, int]:
    """`start..end` (end excluded) after an incbin's file (`text`, at `column`), or asar's
    older `start-end`, whose bounds are hex digits or expressions in parentheses. An end of
    0 is the file's end (`size`), as in asar."""
    if ".." in text:
        first, _, second = text.partition("..")
        start, end = (state.asm.evaluate_text(state, t, col, "an 'incbin' range") for t, col
                      in ((first, column), (second, column + len(first) + 2)))
    else:
        asar_warnings.feature(state, "old_incbin_range")

        def broken() -> AsmError:
            return state.error(f"broken incbin range {text!r}: write \"file\":start..end (or "
                               "asar's older start-end: hex digits, or expressions in "
                               "parentheses)", column)

        if '"' in text:
            raise broken()
        start, rest = _old_bound(state, text, column, last=False)
        if rest[:1] != "-":
            raise broken()
        end, rest = _old_bound(state, rest[1:], column + len(text) - len(rest) + 1, last=True)
        if rest:
            raise broken()
    if end == 0:
        end = size
    if not 0 <= start <= end <= size:
        raise state.error(f"incbin range {start}..{end} is outside the file ({size} bytes)",
                          column)
    return start, end


def _old_bound(state: PassState, text: str, column: int, *, last: bool) -> tuple[int, str]:
    """A bound of asar's older incbin range, and the text after it: an expression in
    parentheses (the start's ends at the first `-` outside them, which must follow `)`;
    the end's at the last `)`), else hex digits (none: 0)."""
    if text[:1] == "(":
        stop = len(text) if last else top_level(text, "-")
        if stop < 1 or text[stop - 1] != ")":
            raise state.error(f"broken incbin range: expected ')' in {text!r}", column)
        return state.asm.evaluate_text(state, text[1:stop - 1], column + 1,
                                       "an 'incbin' range"), text[stop:]
    m = _OLD_BOUND.match(text)
    if m is None:
        return 0, text
    return int(m.group(0), 16), text[m.end():]


def _path(state: PassState, d: Directive, text: str | None = None) -> Path:
    if text is None:
        _args(state, d, 1, 1)
        text = d.args[0]
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]
    if not text:
        raise state.error(f"'{d.name}' needs a file name", d.arg_columns[0])
    found = find_file(state, text)
    if found is None:
        raise state.error(f"{d.name}: file not found: {text}", d.arg_columns[0])
    return found


def run_directive(state: PassState, d: Directive) -> None:
    """Execute directive `d` in `state`."""
    name = d.name
    if name in _DATA_SIZE:
        _data(state, d, _DATA_SIZE[name])
    elif name == "asar":
        _asar_version(state, d)
    elif name == "reset":
        _args(state, d, 1, 1)
        what = d.args[0].lower()
        if what == "bytes":
            state.bytes_reset = _bytes(state)
        elif what == "freespaceuse":
            state.fs.use = 0
        else:
            raise state.error(f"expected 'reset bytes' or 'reset freespaceuse', not "
                              f"{d.args[0]!r}", d.arg_columns[0])
    elif name == "warnings":
        asar_warnings.run(state, d)
    elif name == "@":
        asar_warnings.feature(state, "at_prefix")
    elif name == "@?":          # `@word` asar does not know: a warning, not an error
        asar_warnings.warn(state, "unrecognized_special_command")
    elif name in _FREESPACE:
        freespace.run(state, d)
    elif name == "org":
        _args(state, d, 1, 1)
        freespace.end_block(state)
        state.pc = _value(state, d, 0) & 0xFFFFFF
        if (state.mapper in ("lorom", "exlorom") and state.pc & 0x408000 == 0x400000
                and state.pc & 0x700000 != 0x700000):
            asar_warnings.warn(state, "set_middle_byte")
        state.base_delta = 0
        state.emit(b"", "directive")
    elif name == "base":
        _args(state, d, 1, 1)
        off = d.args[0].lower() == "off"
        value = None if off else _value(state, d, 0) & 0xFFFFFF
        if state.pc is not None:
            state.base_delta = 0 if value is None else value - state.pc
            state.emit(b"", "directive")
        else:   # no address yet: asar moves its -1, lost when a byte or label sets the org
            _, real, _, real_start = state.unplaced
            state.unplaced = (real, real, real_start, real_start) if value is None \
                else (value, real, value, real_start)
    elif name in mapping.MAPPERS:
        if name == "sa1rom" and d.args:
            # (asar takes four digits, `sa1rom 0,1,4,6`: the banks the registers map in)
            if len(d.args) != 4 or not all(len(a) == 1 and a.isdigit() for a in d.args):
                raise state.error("expected 'sa1rom' or 'sa1rom a,b,c,d' (four digits: the "
                                  "banks the SA-1 maps in)", d.arg_columns[0])
            mapper = mapping.sa1rom_mapper(",".join(d.args))
        else:
            _args(state, d, 0, 0)
            mapper = name
        if state.mapper_set and state.mapper.split()[0] != name:
            asar_warnings.warn(state, "mapper_already_set")
        state.mapper = mapper
        state.mapper_set = True
    elif name in ("header", "fastrom"):       # asar ignores them, with a warning
        _args(state, d, 0, 0)
        asar_warnings.feature(state, name)
    elif name == "incsrc":
        path = _path(state, d)
        if state.include_once and str(path.resolve()) in state.include_once:
            return
        lines = state.asm.files.get(str(path))
        if lines is None:
            try:
                source = path.read_bytes()
            except OSError as exc:
                raise state.error(f"incsrc: cannot read {path}: {exc}") from None
            lines = state.asm.lines_of(source, str(path))
            state.asm.files[str(path)] = lines
        notes = state.asm.file_notes.get(str(path))
        if notes and str(path) not in state.bom_warned:
            state.bom_warned.add(str(path))     # asar reads a file once
            for note, args in notes:
                asar_warnings.file_warning(state, str(path), note, *args)
        if state.macro_depth >= 64:
            raise state.error("incsrc nested more than 64 deep")
        saved = (state.file, state.line, state.text)
        state.macro_depth += 1
        try:
            state.run_lines(lines)
        finally:
            state.macro_depth -= 1
        state.file, state.line, state.text = saved
    elif name == "incbin":
        _args(state, d, 1, 1)
        text, target = d.args[0], None
        head, quote, tail = text.rpartition('"')
        if "->" in tail:
            # asar's deprecated `incbin "file" -> target`: to an address, or to freespace
            asar_warnings.feature(state, "incbin_target")
            before, _, target = tail.partition("->")
            text, target = head + quote + before.rstrip(), target.strip()
        m = _RANGE.match(text)
        if m is None:
            data = _path(state, d, text).read_bytes()
        else:
            data = _path(state, d, m.group(1)).read_bytes()
            start, end = _incbin_range(state, m.group(2), d.arg_columns[0] + m.start(2),
                                       len(data))
            data = data[start:end]
        if target is None:
            state.emit(data, "data")
        else:
            freespace.incbin_to(state, data, target,
                                d.arg_columns[0] + len(d.args[0]) - len(target))
    elif name in ("fillword", "filllong", "filldword", "padword", "padlong", "paddword"):
        _args(state, d, 1, 1)
        kind = "fill" if name.startswith("fill") else "pad"
        size = {"word": 2, "long": 3, "dword": 4}[name.removeprefix(kind)]
        value = _fill_value(state, d, kind) & ((1 << 8 * size) - 1)
        setattr(state, kind + "byte", value.to_bytes(size, "little"))
    elif name == "table":
        asar_warnings.feature(state, "table")
        load_table(state, d, _path)
    elif name == "struct":
        open_struct(state, d)
    elif name == "endstruct":
        close_struct(state, d)
    elif name == "spcblock":
        # asar's N-SPC upload block: dw length, dw target, the SPC700 code, [dw 0, dw exec].
        if not 1 <= len(d.args) <= 1 or state.spcblock is not None:
            raise state.error("expected 'spcblock target [nspc]' (not nested)")
        parts = d.args[0].split()
        if len(parts) == 2 and parts[1].lower() != "nspc":
            raise state.error(f"unsupported spcblock engine {parts[1]!r} (supported: nspc)",
                              d.arg_columns[0])
        target = parse_expression(parts[0], column=d.arg_columns[0], file=state.file,
                                  line=state.line, precedence=state.precedence
                                  ).evaluate(state) & 0xFFFF
        state.emit(b"\x00\x00" + target.to_bytes(2, "little"), "data")
        segment = state.segments[-1]
        state.spcblock = (segment, len(segment.data) - 4, target, state.arch, None)
        state.arch = "spc700"
        assert state.pc is not None
        state.base_delta = target - state.pc
    elif name == "endspcblock":
        if state.spcblock is None:
            raise state.error("'endspcblock' without 'spcblock'")
        segment, position, target, arch, startpos = state.spcblock
        length = state.logical_pc - target
        segment.data[position:position + 2] = (length & 0xFFFF).to_bytes(2, "little")  # type: ignore[index]
        state.spcblock = None
        state.arch = arch
        if d.args:
            words = d.args[0].split(None, 1)
            if len(words) != 2 or words[0].lower() != "execute":
                raise state.error("expected 'endspcblock [execute address]'")
            start = parse_expression(words[1], column=d.arg_columns[0] + len(words[0]) + 1,
                                     file=state.file, line=state.line,
                                     precedence=state.precedence).evaluate(state)
            state.emit(b"\x00\x00" + (start & 0xFFFF).to_bytes(2, "little"), "data")
        elif startpos is not None:      # asar's older `startpos`
            state.emit(b"\x00\x00" + (startpos & 0xFFFF).to_bytes(2, "little"), "data")
    elif name == "startpos":
        # the execute address an `endspcblock` without one writes (deprecated)
        asar_warnings.feature(state, "startpos")
        _args(state, d, 1, 1)
        if state.spcblock is None:
            raise state.error("'startpos' outside an spcblock")
        state.spcblock = (*state.spcblock[:4], _value(state, d, 0))
    elif name == "pushtable":
        _args(state, d, 0, 0)
        state.table_stack.append(list(state.table) if state.table is not None else None)
    elif name == "pulltable":
        _args(state, d, 0, 0)
        if not state.table_stack:
            raise state.error("'pulltable' without 'pushtable'")
        state.table = state.table_stack.pop()
    elif name == "cleartable":
        _args(state, d, 0, 0)
        state.table = None
    elif name == "undef":
        _args(state, d, 1, 1)
        key = d.args[0].strip('"')
        if key not in state.defines:
            raise state.error(f"define '!{key}' not found", d.arg_columns[0])
        del state.defines[key]
    elif name == "global":
        _args(state, d, 1, 1)
        label = d.args[0].rstrip(":")
        hashed = label[:1] == "#"       # (`global #Label:` leaves the sublabel scope alone)
        label = label[hashed:]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", label) or label.startswith("__macro"):
            # (`__macro`: a macro's `?label`, which asar refuses here)
            raise state.error(f"expected 'global Label:', not {d.args[0]!r}", d.arg_columns[0])
        if not hashed:
            state.scope = [label]
        state.define_label(label, state.logical_pc + freespace.label_tag(state))
    elif name == "includeonce":
        _args(state, d, 0, 0)
        state.include_once.add(str(Path(state.file).resolve()))
    elif name == "includefrom":
        if state.macro_depth == 0 and state.file == state.asm.main_file:
            raise state.error("this file may not be used as the main file (it has "
                              "'includefrom')")
    elif name in ("pushns", "pullns"):
        _args(state, d, 0, 0)
        if name == "pushns":        # as asar: saved, then no namespace (and not nested)
            state.ns_stack.append((state.namespaces, state.nested_namespaces))
            state.namespaces, state.nested_namespaces = [], False
        elif not state.ns_stack:
            raise state.error("'pullns' without 'pushns'")
        else:
            state.namespaces, state.nested_namespaces = state.ns_stack.pop()
        state.namespace = "".join(f"{ns}_" for ns in state.namespaces)
    elif name in ("pushbase", "pullbase"):
        _args(state, d, 0, 0)
        # asar keeps the logical address: `pullbase` makes it that again (a base from there).
        # Before any org (or after `pushpc`) there is none: kept as None, it makes the next
        # byte or label start over at the default org, as asar's address -1 does.
        if name == "pushbase":
            state.base_stack.append(None if state.pc is None else state.logical_pc)
        elif not state.base_stack:
            raise state.error("'pullbase' without 'pushbase'")
        else:
            address = state.base_stack.pop()
            if address is None or state.pc is None:
                state.pc, state.base_delta, state.unplaced = None, 0, UNPLACED
            else:
                state.base_delta = address - state.pc
    elif name == "bank":
        _args(state, d, 1, 1)
        word = d.args[0].lower()
        state.optimize_bank = (None if word == "auto" else 0x100 if word == "noassume"
                               else _value(state, d, 0) & 0xFF)
    elif name == "dpbase":
        _args(state, d, 1, 1)
        state.dp_base = _value(state, d, 0) & 0xFFFF
    elif name == "optimize":
        _args(state, d, 1, 1)
        parts = d.args[0].lower().split()
        choices = {"dp": ("none", "ram", "always"), "address": ("default", "ram", "mirrors")}
        if len(parts) != 2 or parts[1] not in choices.get(parts[0], ()):
            raise state.error(f"expected 'optimize dp none|ram|always' or 'optimize address "
                              f"default|ram|mirrors', not {d.args[0]!r}", d.arg_columns[0])
        setattr(state, f"optimize_{parts[0]}", parts[1])
        state.fs.optimize_set.add(parts[0])
    elif name == "pushpc":
        _args(state, d, 0, 0)
        state.pc_stack.append((state.pc, state.base_delta, state.unplaced))
        freespace.push(state)
        # as asar: no address until an org (a byte or label first sets the default one)
        state.pc, state.base_delta, state.unplaced = None, 0, UNPLACED
    elif name == "pullpc":
        _args(state, d, 0, 0)
        if not state.pc_stack:
            raise state.error("'pullpc' without 'pushpc'")
        freespace.pull(state)
        state.pc, state.base_delta, state.unplaced = state.pc_stack.pop()
    elif name in ("fillbyte", "padbyte"):
        _args(state, d, 1, 1)
        setattr(state, name, bytes((_fill_value(state, d, name[:-4]) & 0xFF,)))
    elif name == "fill":
        _args(state, d, 1, 1)
        count = _skip_amount(state, d)
        if count < 0:
            raise state.error(f"fill count {count} is negative", d.arg_columns[0])
        state.emit(_pattern(state.fillbyte, count), "data")
    elif name == "skip":
        _args(state, d, 1, 1)
        amount = _skip_amount(state, d)
        if state.pc is None:
            _skip_without_address(state, d, amount)
        else:
            state.pc = (state.pc + amount) & 0xFFFFFF
    elif name == "pad":
        _args(state, d, 1, 1)
        if state.fs.ident:
            raise state.error("pad does not make sense in freespace")
        target = _value(state, d, 0) & 0xFFFFFFFF
        if target & 0xFF000000:
            raise state.error(f"pad ${target:X}: not a SNES address", d.arg_columns[0])
        state.logical_pc  # noqa: B018 - a missing org defaults first
        real = state.pc
        assert real is not None
        if target > real:
            # as asar: up to the target's place in the file (in LoROM `pad $078000` from
            # $06FFF8 writes 8 bytes), from the real address, whatever the base
            end, start = (mapping.snes_to_pc(a, state.mapper) for a in (target, real))
            count = (-1 if end is None else end) - (-1 if start is None else start)
            if count > 0:
                state.emit(_pattern(state.padbyte, count), "data")
    elif name == "warnpc":
        asar_warnings.feature(state, "warnpc")
        _args(state, d, 1, 1)
        if state.fs.ident:
            raise state.error("warnpc used in freespace")
        if state.pc is not None:
            here = state.logical_pc
        elif state.unplaced[0] < 0:
            # (asar reads its address, -1 before any org, as one in freespace)
            raise state.error("warnpc before any org: asar refuses it there ('warnpc used "
                              "in freespace')")
        else:
            here = state.unplaced[0]
        limit = _value(state, d, 0) & 0xFFFFFF
        if here > limit:
            state.defer(state.error(f"warnpc failed: current position ${here:06X} is after "
                                    f"end position ${limit:06X}"))
    elif name == "namespace":
        _namespace(state, d)
    elif name == "math":
        _args(state, d, 1, 1)
        parts = d.args[0].lower().split()
        if (len(parts) != 2 or parts[0] not in ("pri", "round")
                or parts[1] not in ("on", "off")):
            raise state.error(f"unsupported math setting {d.args[0]!r} "
                              "(supported: 'math pri on|off', 'math round on|off')",
                              d.arg_columns[0])
        asar_warnings.feature(state, "math_" + parts[0])
        if parts[0] == "pri":
            state.precedence = parts[1] == "on" or state.asar_version >= (1, 90)
        else:
            state.exact_math = parts[1] == "off" or state.asar_version >= (1, 90)
    elif name == "arch":
        _args(state, d, 1, 1)
        arch = d.args[0].lower()
        if arch not in ("65816", "spc700", "superfx"):
            raise state.error(f"unsupported architecture {d.args[0]!r} (supported: 65816, "
                              "spc700, superfx)", d.arg_columns[0])
        state.arch = arch
    elif name == "check":
        _args(state, d, 1, 1)
        parts = d.args[0].lower().split()
        if len(parts) != 2 or parts[0] != "bankcross" or parts[1] not in ("on", "off", "full",
                                                                            "half"):
            raise state.error(f"unsupported check {d.args[0]!r} (supported: 'check bankcross "
                              "off|half|full')", d.arg_columns[0])
        if parts[1] == "on":     # (asar only warns: what `off` turned off stays off)
            asar_warnings.feature(state, "bankcheck_on")
        elif parts[1] == "off":
            state.bankcross = False
        else:
            state.bankcross, state.half_banks = True, parts[1] == "half"
    elif name == "function":
        define_function(state, d.args[0], d.args[2:], d.args[1])
    elif name == "print":
        state.prints.append(_text(state, d, 0))
    elif name == "warn":
        words = d.args[0].split() if len(d.args) == 1 else []
        if len(words) == 2 and words[0].lower() == "xkas":
            # `warn xkas on|off`: asar's warnings about xkas behaviour, which AFS does not
            # give (see the README); accepted as asar accepts it
            if words[1].lower() not in ("on", "off"):
                raise state.error("expected 'warn xkas on' or 'warn xkas off'", d.arg_columns[0])
            return
        asar_warnings.warn(state, "warn_command", f": {_text(state, d, 0)}" if d.args else ".")
    elif name == "error":
        raise state.error(f"error command: {_text(state, d, 0)}")
    elif name == "assert":
        if not d.args or not d.args[0]:
            raise state.error("'assert' needs a condition")
        if not d.exprs[0].evaluate(state):
            text = _text(state, d, 1)
            state.defer(state.error(f"assertion failed: {text}" if text
                                    else "assertion failed"))
    else:
        raise AsmError(f"unsupported directive '{name}'", state.file, state.line, d.column)


_VERSION = re.compile(r"(\d+)\.(\d\d)$|(\d+)\.(\d+)\.(\d+)$")


def _asar_version(state: PassState, d: Directive) -> None:
    """`asar 1.xx`: the version a file needs, first in its file. From 1.90 on, asar's math
    has C precedence and keeps fractions (AFS: an error where one would appear)."""
    lines = state.asm.files.get(state.file) or state.asm.main_lines
    for ln in lines:    # blank lines are not kept: any line before this one is a statement
        if ln.number >= state.line:
            break
        text = (ln.raw if ln.raw is not None else state.asm.source_line(ln)).strip()
        if text and not text.startswith("@"):
            raise state.error("'asar' may only be used at the start of a file")
    if not d.args:
        return
    m = _VERSION.match(d.args[0].strip())
    if m is None:
        raise state.error(f"invalid asar version {d.args[0]!r} (expected e.g. 1.91 or 1.9.1)",
                          d.arg_columns[0])
    if m.group(1):
        major, minor, bug = int(m.group(1)), int(m.group(2)) // 10, int(m.group(2)) % 10
    else:
        major, minor, bug = int(m.group(3)), int(m.group(4)), int(m.group(5))
    if (major, minor, bug) > (1, 9, 1) and major >= 1:
        raise state.error("this patch needs a newer asar than 1.91")
    if major == 1 and minor >= 9:
        state.asar_version = (1, 90)
        state.precedence = state.exact_math = True


def _data(state: PassState, d: Directive, size: int) -> None:
    state.emit(data_bytes(state, d, size), "data")


def _skip_without_address(state: PassState, d: Directive, amount: int) -> None:
    """`skip` before any org (or after `pushpc`), as asar steps its addresses on from -1
    (`PassState.unplaced`), and checks that neither crossed a bank from where it started;
    both at 0 or above, they are an address (with no default org). `check bankcross off`
    leaves them unplaced."""
    if not state.bankcross:
        return
    logical, real, logical_start, real_start = state.unplaced
    logical += amount
    real += amount
    for address, start in ((logical, logical_start), (real, real_start)):
        if (address ^ start) & 0x7FFF0000 and ((address - 1) ^ start) & 0x7FFF0000:
            raise state.error(f"skip before any org: asar steps from address -1 to "
                              f"${address & 0xFFFFFF:06X} and fails there (a bank border "
                              "crossed)", d.arg_columns[0])
    if logical >= 0 and real >= 0:
        state.pc, state.base_delta = real, logical - real
    else:
        state.unplaced = (logical, real, logical_start, real_start)


def _skip_amount(state: PassState, d: Directive) -> int:
    """The bytes `skip`/`fill` step over: a count, or `align N [offset M]` (to the next
    address that is M past a multiple of N, a power of two), as asar computes it."""
    words = d.args[0].split()
    if words[0].lower() != "align":
        return _value(state, d, 0, static=True)
    if len(words) not in (2, 4) or (len(words) == 4 and words[2].lower() != "offset"):
        raise state.error(f"expected '{d.name} align N' or '{d.name} align N offset M'",
                          d.arg_columns[0])
    alignment, offset = (state.asm.evaluate_text(state, word, d.arg_columns[0], f"'{d.name}'")
                         for word in (words[1], words[3] if len(words) == 4 else "0"))
    if not 1 <= alignment <= 0x800000 or alignment & (alignment - 1):
        raise state.error(f"{d.name} align {alignment}: the alignment must be a power of two "
                          "from 1 to $800000", d.arg_columns[0])
    here = state.unplaced[0] if state.pc is None else state.logical_pc
    return (alignment - ((here - offset) & (alignment - 1))) & (alignment - 1)


def _namespace(state: PassState, d: Directive) -> None:
    """`namespace NAME`, `namespace off` and `namespace nested on|off`: with nesting on, a
    namespace opens inside the one in force and `off` leaves only the innermost (asar)."""
    _args(state, d, 1, 1)
    words = d.args[0].split()
    if len(words) == 2 and words[0].lower() == "nested":
        if words[1].lower() in ("on", "off"):    # (asar ignores any other word there)
            state.nested_namespaces = words[1].lower() == "on"
        return
    word = words[0] if len(words) == 1 else ""
    if word.lower() == "off":
        if state.nested_namespaces:
            state.namespaces = state.namespaces[:-1]
        else:
            state.namespaces = []
    elif word.replace("_", "a").isalnum() and not word[0].isdigit():
        state.namespaces = [*state.namespaces, word] if state.nested_namespaces else [word]
    else:
        raise state.error(f"invalid namespace name {d.args[0]!r} (expected a name, 'off' or "
                          "'nested on|off')", d.arg_columns[0])
    state.namespace = "".join(f"{ns}_" for ns in state.namespaces)


def data_bytes(state: PassState, d: Directive, size: int) -> bytes:
    """The bytes of `db`/`dw`/`dl`/`dd` (`size` bytes per value) in this state."""
    if not d.items:
        raise state.error(f"'{d.name}' needs at least one value")
    out = bytearray()
    mask = (1 << (8 * size)) - 1
    for item in d.items:
        if item.hashed:
            asar_warnings.feature(state, "db_hash")
        if item.string is not None:
            out += string_bytes(state, item.string, size, item.column)
            continue
        if item.anon is not None:
            value = state.anon_value(item.anon, item.column)
        else:
            assert item.expr is not None
            state.item_offset = len(out)
            value = item.expr.evaluate(state)
            state.item_offset = 0
        state.check_range(value, size, item.column, "value")
        out += (value & mask).to_bytes(size, "little")
    return bytes(out)


def _text(state: PassState, d: Directive, start: int) -> str:
    """asar's print text from arguments `start`...: strings, `hex(x[, digits])`,
    `dec(x[, digits])`, `bin(x[, digits])`, `double(x[, digits])`, `pc` and `bytes`
    (`digits`: the least number of digits, 0..64)."""
    out = []
    for text, col in zip(d.args[start:], d.arg_columns[start:], strict=True):
        low = text.lower()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            out.append(text[1:-1].replace('""', '"'))
        elif low == "pc":
            here = state.unplaced[0] if state.pc is None else state.logical_pc
            out.append(f"{here & 0xFFFFFF:06X}")
        elif low == "bytes":
            out.append(str(_bytes(state) - state.bytes_reset))
        elif low == "freespaceuse":
            out.append(str(state.fs.use))
        elif (low.startswith(("hex(", "dec(", "bin(", "double(")) and text.endswith(")")):
            name = low[:low.index("(")]
            inner = split_args(text[len(name) + 1:-1], col + len(name) + 1)
            if not inner[0][0] or len(inner) > 2:
                raise state.error(f"expected {text[:len(name)]}(value[, digits])", col)
            value = parse_expression(inner[0][0], column=inner[0][1], file=state.file,
                                     line=state.line, precedence=state.precedence
                                     ).evaluate(state)
            if name == "double":
                # asar's digits after the point: none for AFS's whole numbers
                out.append(str(value))
                continue
            digits = 0
            if len(inner) == 2:
                digits = min(64, max(0, parse_expression(
                    inner[1][0], column=inner[1][1], file=state.file, line=state.line
                    ).evaluate(state)))
            if name == "hex":
                out.append(f"{value & 0xFFFFFFFFFFFFFFFF:0{digits}X}")
            elif name == "dec":
                out.append(f"{value:0{digits}d}")
            else:   # asar's own: a sign, then the digits of the magnitude (the sign counts)
                sign = "-" if value < 0 else ""
                out.append(f"{sign}{abs(value):0{max(0, digits - len(sign))}b}")
        else:
            raise state.error(f"print: expected a string, hex(...), dec(...), bin(...), "
                              f"double(...), pc or bytes, not {text!r}", col)
    return "".join(out)


def _bytes(state: PassState) -> int:
    """asar's `bytes`: what the patch wrote so far, each freespace block's RATS tag included."""
    return sum(len(s.data) for s in state.segments) + 8 * (state.fs.next_ident - 1)


def _pattern(unit: bytes, count: int) -> bytes:
    """`count` bytes of the fill pattern (`fillword $1234` repeats 34 12)."""
    return (unit * (count // len(unit) + 1))[:count]
