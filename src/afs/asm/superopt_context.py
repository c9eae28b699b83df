"""What Din's whole-routine transformations share (`afs.asm.superopt_routine`,
`afs.asm.superopt_loops`): the routine as assembled instructions, the edit that turns a
proposal into source, and the 8-bit byte steps that width planning pairs up."""

from __future__ import annotations

from dataclasses import dataclass

from afs.asm.isa import Mode

_STACK = frozenset({"PHA", "PHX", "PHY", "PHP", "PHB", "PHD", "PHK", "PLA", "PLX", "PLY",
                    "PLP", "PLB", "PLD", "PEA", "PEI", "PER", "TSC", "TSX", "TXS", "TCS",
                    "RTI", "RTL", "RTS", "BRK", "COP"})


_BRANCHES = frozenset({"BPL", "BMI", "BVC", "BVS", "BCC", "BCS", "BNE", "BEQ", "BRA", "BRL",
                       "JMP", "JML"})


_WRITES = {"X": frozenset({"LDX", "TAX", "TYX", "TSX", "INX", "DEX", "PLX"}),
           "Y": frozenset({"LDY", "TAY", "TXY", "INY", "DEY", "PLY"}),
           "A": frozenset({"LDA", "ADC", "SBC", "AND", "ORA", "EOR", "PLA", "TXA", "TYA",
                           "TDC", "TSC", "XBA", "ASL", "LSR", "ROL", "ROR", "INC", "DEC"}),
           "B": frozenset({"PLB", "MVN", "MVP"}), "D": frozenset({"PLD", "TCD"}),
           "P": frozenset({"PLP", "REP", "SEP", "XCE", "RTI"})}


@dataclass
class _Ctx:
    source: str
    filename: str
    assembly: object
    instrs: list
    lines: list[str]
    editable: set[int]


def _context(source: str, filename: str) -> _Ctx:
    from afs.asm.assembler import assemble
    from afs.asm.optimizer import locatable
    from afs.asm.superopt import CODE_BASE, _instrs

    assembly = assemble(source, filename=filename, base=CODE_BASE)
    instrs = _instrs(assembly)
    lines = source.split("\n")
    count: dict[int, int] = {}
    for ins in instrs:
        count[ins.line] = count.get(ins.line, 0) + 1
    editable = {ins.index for ins in instrs if ins.file == filename and count[ins.line] == 1
                and locatable(lines, ins)}
    return _Ctx(source, filename, assembly, instrs, lines, editable)


#: A key of a proposal's changes that is no instruction: lines appended after the code (data
#: tables; only proposed when the code ends in a return or jump, so nothing runs into them).
APPEND = -1


def _edit(ctx: _Ctx, changes: dict[int, tuple[str, ...]]) -> str | None:
    """The source with instruction index -> replacement statements (empty: deleted)."""
    from afs.asm.optimizer import _apply, _Edit

    tail = changes.get(APPEND, ())
    changes = {k: v for k, v in changes.items() if k != APPEND}
    if not set(changes) <= ctx.editable:
        return None
    edits = [_Edit("routine", k, (k,), texts, "") for k, texts in changes.items()]
    source = _apply(ctx.source, ctx.assembly, edits)
    return "\n".join([source.rstrip("\n"), *tail]) if tail else source


def _operand(ins: object) -> str:
    from afs.asm.optimizer import _operand_text

    return _operand_text(ins) or ""  # type: ignore[arg-type]


def _imm(ins: object, mnemonic: str) -> int | None:
    if ins.mnemonic != mnemonic or ins.mode not in (  # type: ignore[attr-defined]
            Mode.IMMEDIATE_M, Mode.IMMEDIATE_X):
        return None
    return int(ins.operand)  # type: ignore[attr-defined]


def _index_at(ctx: _Ctx, address: int | None) -> int | None:
    return next((ins.index for ins in ctx.instrs if ins.address == address), None)


def _labelled(ctx: _Ctx, ins: object) -> bool:
    symbols: dict[str, int] = ctx.assembly.symbols  # type: ignore[attr-defined]
    return any(a == ins.address for a in symbols.values())  # type: ignore[attr-defined]


_PLAIN = (Mode.DIRECT, Mode.ABSOLUTE, Mode.ABSOLUTE_LONG)


@dataclass
class _Byte:
    """One 8-bit step on one byte: its kind, the address operand, the value, where it is."""

    kind: str              # "const", "add", "sub", "copy"
    store: object          # the instruction that writes the byte
    value: int | None      # the constant stored or added; for "copy" None
    source: object | None  # for "copy": the load; for "add"/"sub": the load of the byte
    indices: tuple[int, ...]
    bare: bool = False     # a STA that stores the constant A already held


def _bytes(ctx: _Ctx, pre: dict[str, int]) -> list[list[_Byte]]:
    """Runs of 8-bit byte steps in straight-line code, in program order."""
    from afs.asm.analysis import analyze, m8
    from afs.asm.superopt import _entry_state

    instrs = ctx.instrs
    an = analyze(instrs, entry=_entry_state(pre))  # type: ignore[arg-type]
    runs: list[list[_Byte]] = []
    run: list[_Byte] = []
    held: int | None = None
    i = 0

    def plain(ins: object, name: str) -> bool:
        return ins.mnemonic == name and ins.mode in _PLAIN  # type: ignore[attr-defined]

    def at(k: int) -> object | None:
        return instrs[k] if k < len(instrs) and (k == i or not _labelled(ctx, instrs[k])) \
            else None

    while i < len(instrs):
        st = an.before[i]
        step: _Byte | None = None
        a, b, c, d = (at(i + k) for k in range(4))
        if st is not None and m8(st) is True:
            if a is not None and _imm(a, "LDA") is not None and b is not None and \
                    plain(b, "STA"):
                held = _imm(a, "LDA")
                step = _Byte("const", b, held, None, (i, i + 1))
            elif a is not None and plain(a, "STZ"):
                step = _Byte("const", a, 0, None, (i,))
            elif a is not None and plain(a, "STA") and held is not None and run:
                step = _Byte("const", a, held, None, (i,), bare=True)
            elif a is not None and plain(a, "LDA") and b is not None and b.mnemonic in (
                    "CLC", "SEC") and c is not None and d is not None and plain(d, "STA") \
                    and c.mnemonic == ("ADC" if b.mnemonic == "CLC" else "SBC") and \
                    _imm(c, c.mnemonic) is not None:
                step = _Byte("add" if b.mnemonic == "CLC" else "sub", d, _imm(c, c.mnemonic), a,
                             (i, i + 1, i + 2, i + 3))
            elif a is not None and plain(a, "LDA") and b is not None and c is not None and \
                    b.mnemonic in ("ADC", "SBC") and _imm(b, b.mnemonic) is not None and \
                    plain(c, "STA"):
                step = _Byte("carry-" + ("add" if b.mnemonic == "ADC" else "sub"), c,
                             _imm(b, b.mnemonic), a, (i, i + 1, i + 2))
            elif a is not None and plain(a, "LDA") and b is not None and plain(b, "STA"):
                step = _Byte("copy", b, None, a, (i, i + 1))
                held = None
        if step is None:
            if len(run) > 1:
                runs.append(run)
            run, held = [], None
            i += 1
            continue
        if step.kind not in ("const",):
            held = None
        run.append(step)
        i += len(step.indices)
    if len(run) > 1:
        runs.append(run)
    return runs


def _pairs(first: _Byte, second: _Byte) -> tuple[str, ...] | None:
    """The 16-bit steps doing `first` (low byte) then `second` (high byte), or None."""
    from afs.asm.optimizer import _same_operand

    low, high = first.store, second.store
    if low.mode is not high.mode or int(high.operand) != int(low.operand) + 1:  # type: ignore[attr-defined]
        return None
    store = _same_operand("sta", low)  # type: ignore[arg-type]
    if first.kind == "const" and second.kind == "const":
        word = (second.value or 0) << 8 | (first.value or 0)
        if word == 0 and low.mode is not Mode.ABSOLUTE_LONG:  # type: ignore[attr-defined]
            return (_same_operand("stz", low),)  # type: ignore[arg-type, return-value]
        return (f"lda #${word:04X}", store)  # type: ignore[return-value]
    if (first.kind, second.kind) in (("add", "carry-add"), ("sub", "carry-sub")):
        src_low, src_high = first.source, second.source
        if src_low.mode is not src_high.mode or int(src_high.operand) != int(  # type: ignore[attr-defined]
                src_low.operand) + 1:  # type: ignore[attr-defined]
            return None
        word = (second.value or 0) << 8 | (first.value or 0)
        op = "adc" if first.kind == "add" else "sbc"
        return (_same_operand("lda", src_low), "clc" if op == "adc" else "sec",  # type: ignore[return-value, arg-type]
                f"{op} #${word:04X}", store)
    if first.kind == second.kind == "copy":
        src_low, src_high = first.source, second.source
        if src_low.mode is not src_high.mode or int(src_high.operand) != int(  # type: ignore[attr-defined]
                src_low.operand) + 1:  # type: ignore[attr-defined]
            return None
        return (_same_operand("lda", src_low), store)  # type: ignore[return-value, arg-type]
    return None


_STORES = frozenset({"STA", "STZ", "STX", "STY"})


_NO_MEMORY = frozenset({Mode.IMPLIED, Mode.ACCUMULATOR, Mode.IMMEDIATE_M, Mode.IMMEDIATE_X,
                        Mode.IMMEDIATE_8})
