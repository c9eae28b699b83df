"""Veran: explains 65816 code line by line from the analysis, not from canned text.

For each instruction: what it does (`instruction_notes`), the widths in force there (tracked
through REP/SEP/PLP), the flags it changes and its cycle count (`afs.asm.isa`), and what its
address operand reaches (direct page, WRAM, a hardware register, ROM). A summary names the
routine's calls, loops, returns and stack use.
"""

from __future__ import annotations

import re

from afs.asm.analysis import CALLS, CONDITIONAL, RETURNS, Instr, State, analyze_source, is_io, m8
from afs.asm.errors import AsmError
from afs.asm.isa import Mode
from afs.models.classical_experts.common import extract_code
from afs.models.classical_experts.instruction_notes import NOTES

_IMMEDIATES = (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X, Mode.IMMEDIATE_8)


def _width_text(st: State | None) -> str:
    if st is None:
        return ""
    a = {8: "8-bit A", 16: "16-bit A"}.get(st.m, "A width from the caller")
    x = {8: "8-bit X/Y", 16: "16-bit X/Y"}.get(st.x, "X/Y width from the caller")
    if st.m_inferred:
        a += " (implied by an immediate's size)"
    if st.x_inferred:
        x += " (implied by an immediate's size)"
    return f"{a}, {x}"


def _address_text(ins: Instr) -> str:
    key = ins.data_address()
    if key is None:
        return ""
    space, value = key
    if space == "dp":
        return (f"direct page ${value:02X} (D+${value:02X}; with D=0 that is WRAM "
                f"$7E{value:04X})")
    if space == "abs":
        if is_io(value):
            return f"hardware register ${value:04X} (in banks $00-$3F/$80-$BF)"
        if value < 0x2000:
            return f"low WRAM ${value:04X} (= $7E{value:04X} from any system bank)"
        return f"${value:04X} in the data bank (DBR)"
    bank, off = value >> 16, value & 0xFFFF
    if bank in (0x7E, 0x7F):
        return f"WRAM ${value:06X}"
    if (bank <= 0x3F or 0x80 <= bank <= 0xBF) and is_io(off):
        return f"hardware register ${off:04X}"
    if (bank <= 0x3F or 0x80 <= bank <= 0xBF) and off < 0x2000:
        return f"low WRAM (mirror of $7E{off:04X})"
    return f"long address ${value:06X}"


def _cycles(ins: Instr, st: State | None) -> str:
    info = ins.info
    w = m8(st) if st is not None else None
    n = info.cycles(m8=w is not False, x8=True)
    extra = []
    if info.m16_cycles and w is None:
        extra.append(f"+{info.m16_cycles} if A is 16-bit")
    if info.x16_cycles:
        extra.append(f"+{info.x16_cycles} if X/Y are 16-bit")
    if info.dl_cycle:
        extra.append("+1 if D's low byte is not 0")
    if info.index_cycle:
        extra.append("+1 on a page crossing")
    if info.branch_cycles:
        extra.append("+1 if taken")
    if info.per_byte_cycles:
        return f"{info.per_byte_cycles} cycles per byte moved"
    return f"{n} cycles" + (f" ({', '.join(extra)})" if extra else "")


def explain_code(code: str) -> str:
    """The line-by-line explanation of `code` (raises AsmError if it does not assemble)."""
    assembly, an = analyze_source(code)
    out = []
    for ins in an.instrs:
        st = an.before[ins.index]
        name = ins.mnemonic
        parts = [NOTES.get(name, name)]
        if ins.mode in _IMMEDIATES:
            parts.append(f"value ${int(ins.operand):0{2 * ins.imm_bytes}X}")
        addr = _address_text(ins)
        if addr:
            parts.append(addr)
        target = ins.target()
        if target is not None and (name in CONDITIONAL or name in CALLS or name in (
                "BRA", "BRL", "JMP", "JML")):
            labels = [n for n, a in assembly.symbols.items() if a == target]
            parts.append(f"target {labels[0] if labels else f'${target:06X}'}")
        flags = ins.info.flags
        if name in ("REP", "SEP"):
            flags = "".join(f for f, bit in zip("NVMXDIZC", (128, 64, 32, 16, 8, 4, 2, 1),
                                                strict=True) if int(ins.operand) & bit)
        flag_text = f"sets {', '.join(flags)}" if flags else "flags unchanged"
        width = _width_text(st) if _width_matters(ins) else ""
        detail = "; ".join(p for p in (flag_text, _cycles(ins, st), width) if p)
        out.append(f"- line {ins.line}: `{ins.text}` {'; '.join(parts)}. ({detail})")
    out.append("")
    out.append(_summary(an, assembly))
    return "\n".join(out)


def _width_matters(ins: Instr) -> bool:
    return ins.info.m16_cycles > 0 or ins.info.x16_cycles > 0 or ins.mode in (
        Mode.IMMEDIATE_M, Mode.IMMEDIATE_X) or ins.mnemonic in ("TAX", "TAY", "TXA", "TYA")


def _summary(an, assembly) -> str:
    instrs = an.instrs
    size = sum(i.size for i in instrs)
    calls = sorted({i.text.split(None, 1)[1] for i in instrs if i.mnemonic in CALLS
                    and " " in i.text})
    loops = [i for i in instrs for t in an.cfg.succ[i.index] if t <= i.index]
    returns = sorted({i.mnemonic for i in instrs if i.mnemonic in RETURNS})
    pushes = sum(1 for i in instrs if re.match(r"PH[ABDKPXY]|PE[AIR]", i.mnemonic))
    text = [f"Summary: {len(instrs)} instructions, {size} bytes."]
    if calls:
        text.append(f"It calls {', '.join(calls)}.")
    if loops:
        text.append("It loops: " + ", ".join(f"line {i.line} branches back to line "
                                               f"{instrs[t].line}" for i in loops
                                               for t in an.cfg.succ[i.index] if t <= i.index)
                    + ".")
    if returns:
        text.append(f"It returns with {'/'.join(returns)}.")
    else:
        text.append("It has no return instruction (a fragment that falls through).")
    if pushes:
        text.append(f"It pushes {pushes} time(s); the analysis tracks every push against its "
                    f"pull.")
    return " ".join(text)


def answer(request: str) -> str:
    code = extract_code(request)
    if code is None:
        words = set(re.findall(r"\b[A-Z]{3}\b", request.upper()))
        known = sorted(words & set(NOTES))
        if known:
            return "\n".join(f"{n}: {NOTES[n]}." for n in known)
        return ("Veran (offline explainer) explains 65816 code line by line or single "
                "instructions; this request contains neither, so I cannot answer it.")
    try:
        return explain_code(code)
    except AsmError as exc:
        return f"Veran cannot explain this code: it does not assemble ({exc})."
