"""Veran: explains 65816 code line by line from the analysis, not from canned text.

First one sentence of purpose where a rule of `veran_purpose` can tell (else it says it
cannot). Then for each instruction: what it does (`instruction_notes`), the widths in force
there (tracked through REP/SEP/PLP), the flags it changes and its cycle count
(`afs.asm.isa`), what its address operand reaches (direct page, WRAM, a hardware register,
ROM) and what that address means in the ALTTP knowledge graph (name, role, description,
register access, table slot), or that the map does not know it. Asar syntax notes come from
`veran_syntax`. A summary names the routine's calls, loops, returns and stack use. Questions
about a run of the code ("with A = $05, what is at $7E0010?") are answered by running it
(`veran_predict`).
"""

from __future__ import annotations

import re

from afs.asm.analysis import CALLS, CONDITIONAL, RETURNS, Instr, State, analyze_source, is_io, m8
from afs.asm.errors import AsmError
from afs.asm.isa import Mode
from afs.knowledge.adapters.alttp_vocab import ROLES
from afs.knowledge.addresses import canonical, format_address
from afs.models.classical_experts.common import knowledge_graph, parse_request
from afs.models.classical_experts.instruction_notes import NOTES
from afs.models.classical_experts.veran_predict import answer_questions
from afs.models.classical_experts.veran_purpose import purpose
from afs.models.classical_experts.veran_syntax import (
    INDIRECT,
    complete_snippet,
    data_notes,
    instruction_notes,
    label_notes,
    sublabels,
)

_IMMEDIATES = (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X, Mode.IMMEDIATE_8)
ACCESS = {"wo": "write-only", "ro": "read-only", "rw": "read/write"}
MAX_COMPLETIONS = 3


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


def bus_address(ins: Instr, st: State | None) -> int | None:
    """The canonical 24-bit address an operand reaches, when the code tells (direct page
    with D = 0, ALTTP's convention; absolute $2000-$FFFF only with a known DBR)."""
    key = ins.data_address()
    if key is None:
        return None
    space, value = key
    if space == "dp":
        dp = st.dp if st is not None and isinstance(st.dp, int) else 0
        return canonical(0x7E0000 | ((dp + value) & 0xFFFF)) if dp + value < 0x2000 else None
    if space == "abs":
        if is_io(value) or value < 0x2000:
            return canonical(value)
        dbr = st.dbr if st is not None and isinstance(st.dbr, int) else None
        return None if dbr is None else canonical(dbr << 16 | value)
    return canonical(value)


def meaning(address: int, *, indexed: str | None = None) -> str:
    """What the knowledge graph knows of `address` (a name, a role, a description), or a
    plain statement that it is not in the map."""
    match = knowledge_graph().resolve(address)
    node = match.node
    if node is None:
        region = f" (inside {match.region.name})" if match.region is not None else ""
        return f"{format_address(address)} is not in the ALTTP map{region}: its meaning is unknown"
    props = node.properties
    if node.node_type == "register":
        return (f"{node.name} ({props['display']}, {ACCESS[props['access']]} register): "
                f"{_clause(props['description'])}")
    role = ROLES.get(node.name, ("",))[0].split(", not ")[0]
    owner = "Link's " if node.name.startswith("link_") else ""
    head = f"{node.name} ({props['display']})" + (f", {owner}{role}" if role else "")
    layout = props.get("layout", {})
    if layout.get("kind") == "table":
        kind = layout["slot_kind"].replace("_", " ")
        where = (f"the {layout['slots']}-slot {kind} table, indexed by {indexed} (slot "
                 f"{indexed})" if indexed else f"slot {match.slot} of the {layout['slots']}-slot "
                 f"{kind} table")
        if layout["slot_size"] > 1 and match.offset % layout["slot_size"]:
            where += f", byte {match.offset % layout['slot_size']} of the slot"
        return f"{head}, {where}: {_clause(props['description'])}"
    if match.offset:
        part = "high byte" if layout.get("kind") == "word" else f"byte {match.offset}"
        return f"the {part} of {head}: {_clause(props['description'])}"
    return f"{head}: {_clause(props['description'])}"


def _clause(text: str) -> str:
    return text.strip().rstrip(".")


def short_name(ins: Instr, st: State | None) -> str:
    """A short name for an operand: `link_health_max ($7EF36C, Link's MAXIMUM health)`,
    `INIDISP ($2100)`, `slot 3 of sprite_hp ($7E0E50)`, else the address as written."""
    address = bus_address(ins, st)
    match = knowledge_graph().resolve(address) if address is not None else None
    if match is None or match.node is None:
        written = ins.text.split(None, 1)[1] if " " in ins.text else ins.text
        return f"{format_address(address)}" if address is not None else written
    node, props = match.node, match.node.properties
    if node.node_type == "register":
        return f"{node.name} ({props['display']})"
    role = ROLES.get(node.name, ("",))[0].split(", not ")[0]
    owner = "Link's " if node.name.startswith("link_") else ""
    text = f"{node.name} ({props['display']}{', ' + owner + role if role else ''})"
    layout = props.get("layout", {})
    if layout.get("kind") == "table":
        if ins.mode in (Mode.ABSOLUTE_X, Mode.ABSOLUTE_LONG_X, Mode.DIRECT_X):
            return f"the {text} table of {layout['slots']} slots, slot X"
        return f"slot {match.slot} of {text}"
    if match.offset:
        return f"byte {match.offset} of {text}"
    return text


def _meaning_text(ins: Instr, st: State | None) -> str:
    address = bus_address(ins, st)
    if address is None:
        key = ins.data_address()
        if key is not None and key[0] == "abs":
            return "its meaning depends on DBR, which this code does not set"
        return ""
    if ins.mode in INDIRECT:
        return f"the pointer is stored at {meaning(address)}"
    indexed = {Mode.ABSOLUTE_X: "X", Mode.ABSOLUTE_LONG_X: "X", Mode.DIRECT_X: "X",
               Mode.ABSOLUTE_Y: "Y", Mode.DIRECT_Y: "Y"}.get(ins.mode)
    return meaning(address, indexed=indexed)


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
    sentence = purpose(an, short_name)
    out = [f"Purpose: {sentence}" if sentence else
           "Purpose: my rules cannot tell what this code is for as a whole; the lines below "
           "say what each instruction does.", ""]
    for ins in an.instrs:
        st = an.before[ins.index]
        name = ins.mnemonic
        parts = [NOTES.get(name, name)]
        if ins.mode in _IMMEDIATES:
            parts.append(f"value ${int(ins.operand):0{2 * ins.imm_bytes}X}")
        addr = _address_text(ins)
        if addr:
            parts.append(addr)
        known = _meaning_text(ins, st)
        if known:
            parts.append(known)
        parts += instruction_notes(ins)
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
    out += data_notes(assembly.listing)
    notes = label_notes(code, sublabels(code))
    if notes:
        out += ["", *notes]
    if an.instrs:
        out += ["", _summary(an, assembly)]
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
    req = parse_request(request)
    code = req.code
    if code is None:
        words = set(re.findall(r"\b[A-Z]{3}\b", req.ask.upper()))
        known = sorted(words & set(NOTES))
        if known:
            return "\n".join(f"{n}: {NOTES[n]}." for n in known)
        return ("Veran (offline explainer) explains 65816 code line by line or single "
                "instructions; this request contains neither, so I cannot answer it.")
    # The answers go right after the purpose, before the line-by-line notes, so that a length
    # limit on the reply cuts notes, not answers.
    answers = "\n".join(answer_questions(code, req.ask))
    notes: list[str] = []
    for _ in range(MAX_COMPLETIONS):
        try:
            purpose_line, _, lines = explain_code(code).partition("\n\n")
            return "\n".join([*notes, purpose_line, *(["", answers] if answers else []), "",
                              lines])
        except AsmError as exc:
            completed = complete_snippet(code, str(exc))
            if completed is None:
                return f"Veran cannot explain this code: it does not assemble ({exc})."
            code, note = completed
            notes.append(note)
    return "Veran cannot explain this code: too many branch targets lie outside it."
