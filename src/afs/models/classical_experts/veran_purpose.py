"""One sentence of what a routine is for, where a simple rule over the analysis can tell.

Each rule matches one shape of code (a copy, a constant store, a guarded decrement, a
countdown loop over a table, a polling loop, a block move, a DMA setup) and reads its
addresses and constants from the analysis; none matches on text. `purpose` returns None when
no rule applies, and Veran then says it cannot tell.
"""

from __future__ import annotations

from collections.abc import Callable

from afs.asm.analysis import Analysis, Instr, State, is_io, m8
from afs.asm.isa import Mode
from afs.models.classical_experts.veran_syntax import INDIRECT

# Instructions that set up or restore state around the work; the rules look past them.
FRAME = frozenset({"PHP", "PLP", "REP", "SEP", "PHB", "PLB", "PHK", "RTS", "RTL", "NOP"})
_IMM = (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X)
_PAIRS = {"LDA": "STA", "LDX": "STX", "LDY": "STY"}
DMA_TARGETS = {0x18: "VRAM (VMDATA $2118/$2119)", 0x22: "CGRAM (CGDATA $2122)",
               0x04: "OAM (OAMDATA $2104)", 0x80: "WRAM (WMDATA $2180)"}

Namer = Callable[[Instr, State | None], str]


def _value(ins: Instr) -> int:
    return int(ins.operand)


def _stored(ins: Instr, st: State | None) -> tuple[int, int] | None:
    """(value, byte count) a store writes, when the analysis knows it."""
    if st is None:
        return None
    name = ins.mnemonic
    if name == "STZ":
        return 0, 1 if m8(st) else 2
    if name == "STA":
        if st.a is None:
            return None
        if m8(st):
            return st.a, 1
        return (None if st.b is None else (st.b << 8 | st.a, 2))
    if name in ("STX", "STY"):
        value = st.xv if name == "STX" else st.yv
        return None if value is None else (value, 1 if st.x == 8 else 2)
    return None


def _same_target(a: Instr, b: Instr) -> bool:
    return a.data_address() is not None and a.data_address() == b.data_address()


def _copy(core: list[Instr], an: Analysis, name: Namer) -> str | None:
    if len(core) != 2:
        return None
    load, store = core
    if _PAIRS.get(load.mnemonic) != store.mnemonic or load.mode in _IMM or \
            load.data_address() is None or store.data_address() is None or \
            load.mode in INDIRECT or store.mode in INDIRECT:
        return None
    return (f"It copies {name(load, an.before[load.index])} into "
            f"{name(store, an.before[store.index])}.")


def _constants(core: list[Instr], an: Analysis, name: Namer) -> str | None:
    stores = []
    for ins in core:
        if ins.mnemonic in _PAIRS and ins.mode in _IMM:
            continue
        written = _stored(ins, an.before[ins.index])
        if written is None or ins.data_address() is None or ins.mode in INDIRECT:
            return None
        value, size = written
        stores.append(f"{name(ins, an.before[ins.index])} to ${value:0{2 * size}X}")
    if not stores:
        return None
    return f"It sets {', '.join(stores)}."


def _add_constant(core: list[Instr], an: Analysis, name: Namer) -> str | None:
    if [i.mnemonic for i in core] not in (["LDA", "CLC", "ADC", "STA"],
                                          ["LDA", "SEC", "SBC", "STA"]):
        return None
    load, _, op, store = core
    if op.mode is not Mode.IMMEDIATE_M or not _same_target(load, store):
        return None
    st = an.before[op.index]
    width = "" if st is None or st.m is None or isinstance(st.m, str) else f" ({st.m}-bit)"
    target = name(store, an.before[store.index])
    if op.mnemonic == "ADC":
        return f"It adds {_value(op)} to {target}{width}, wrapping around on overflow."
    return f"It subtracts {_value(op)} from {target}{width}, wrapping around below zero."


def _negate(core: list[Instr], an: Analysis, name: Namer) -> str | None:
    names = [i.mnemonic for i in core]
    if names[-2:] != ["EOR", "INC"] or core[-2].mode is not Mode.IMMEDIATE_M or \
            core[-1].mode is not Mode.ACCUMULATOR or _value(core[-2]) not in (0xFF, 0xFFFF):
        return None
    source = f" {name(core[0], an.before[core[0].index])}" if names[:1] == ["LDA"] and \
        len(core) == 3 else " A"
    return (f"It negates{source} in two's complement: EOR #${_value(core[-2]):X} inverts all "
            f"bits and INC A adds one, giving the negative value (-x).")


def _guarded_step(core: list[Instr], an: Analysis, name: Namer) -> str | None:
    names = [i.mnemonic for i in core]
    if names == ["LDA", "BEQ", "DEC", "STA"] and core[2].mode is Mode.ACCUMULATOR:
        load, branch, _, store = core
    elif names == ["LDA", "BEQ", "DEC"] and core[2].mode is not Mode.ACCUMULATOR:
        load, branch, store = core
    else:
        return None
    if not _same_target(load, store) or branch.target() != store.end:
        return None
    return (f"It decrements {name(store, an.before[store.index])} by one unless it is already "
            f"zero: the BEQ skips the decrement at zero, so the value never wraps around.")


def _table_loop(core: list[Instr], an: Analysis, name: Namer) -> str | None:
    names = [i.mnemonic for i in core]
    if names[:1] != ["LDX"] or names[-2:] != ["DEX", "BPL"] or core[0].mode not in _IMM:
        return None
    stores = [i for i in core if i.mnemonic in ("STA", "STZ") and i.mode in (
        Mode.ABSOLUTE_X, Mode.ABSOLUTE_LONG_X, Mode.DIRECT_X)]
    body = [i for i in core[1:-2] if i not in stores]
    if len(stores) != 1 or any(not (i.mnemonic == "LDA" and i.mode in _IMM) for i in body):
        return None
    start = _value(core[0])
    if start > 0x7F or core[-1].target() not in {i.address for i in core[1:]}:
        return None
    store = stores[0]
    written = _stored(store, an.before[store.index])
    what = f"${written[0]:02X}" if written else "A"
    return (f"It stores {what} into {name(store, an.before[store.index])} for X = {start} "
            f"down to 0, {start + 1} entries: X counts down and BPL stops after entry 0.")


def _poll(core: list[Instr], an: Analysis, name: Namer) -> str | None:
    for i, ins in enumerate(core):
        target = ins.target()
        if ins.mnemonic not in ("BEQ", "BNE", "BPL", "BMI") or target is None or \
                target > ins.address:
            continue
        body = [b for b in core[:i] if b.address >= target]
        reads = [b for b in body if b.mnemonic in ("LDA", "BIT") and b.data_address()
                 and b.data_address()[0] == "abs" and is_io(b.data_address()[1])]
        if not reads or any(b.mnemonic.startswith("ST") for b in body):
            continue
        test = body[-1] if body else None
        if test is not None and test.mnemonic == "AND" and test.mode is Mode.IMMEDIATE_M:
            mask = f"bit mask ${_value(test):02X}"
            until = "is set" if ins.mnemonic == "BEQ" else "is clear" if \
                ins.mnemonic == "BNE" else "changes"
        else:
            mask = "bit 7"
            until = "is set" if ins.mnemonic == "BPL" else "is clear" if \
                ins.mnemonic == "BMI" else "changes"
        register = name(reads[0], an.before[reads[0].index])
        return f"It busy-waits in a loop, polling {register}, until its {mask} {until}."
    return None


def _block_move(core: list[Instr], an: Analysis, name: Namer) -> str | None:
    moves = [i for i in core if i.mode is Mode.BLOCK_MOVE]
    if len(moves) != 1:
        return None
    ins = moves[0]
    st = an.before[ins.index]
    dst_bank, src_bank = ins.operand
    if st is None or None in (st.a, st.b, st.xv, st.yv):
        return (f"It block-moves bytes with {ins.mnemonic} from bank ${int(src_bank):02X} to "
                f"bank ${int(dst_bank):02X}; the count and addresses are not constants here.")
    count = (st.b << 8 | st.a) + 1
    step = "up" if ins.mnemonic == "MVN" else "down"
    return (f"It copies {count} bytes (A + 1) from ${int(src_bank):02X}:{st.xv:04X} to "
            f"${int(dst_bank):02X}:{st.yv:04X} with {ins.mnemonic}, a block move: X and Y step "
            f"{step} after each byte until A wraps to $FFFF. asar writes its operands "
            f"destination bank, source bank. It costs 7 cycles per byte.")


def _dma(core: list[Instr], an: Analysis, name: Namer) -> str | None:
    io: dict[int, list[int]] = {}
    for ins in core:
        key = ins.data_address()
        written = _stored(ins, an.before[ins.index])
        if key is None or written is None or key[0] != "abs" or not is_io(key[1]):
            continue
        value, size = written
        for k in range(size):
            io.setdefault(key[1] + k, []).append(value >> (8 * k) & 0xFF)
    if 0x420B not in io:
        return None
    enabled = io[0x420B][-1]
    parts = []
    if io.get(0x2100) and io[0x2100][0] & 0x80:
        parts.append("It turns on forced blank (INIDISP $2100 bit 7)")
    for ch in range(8):
        if not enabled & 1 << ch:
            continue
        reg = {r: io.get(0x4300 + ch * 16 + r, [None])[-1] for r in range(7)}
        target = DMA_TARGETS.get(reg[1], f"B-bus register $21{reg[1]:02X}" if reg[1] is not
                                 None else "an unset B-bus register")
        text = f"runs DMA channel {ch} to {target}"
        if None not in (reg[2], reg[3], reg[4]):
            text += f" from ${reg[4]:02X}:{reg[3]:02X}{reg[2]:02X}"
        if None not in (reg[5], reg[6]):
            size = reg[6] << 8 | reg[5]
            text += f", {size or 65536} bytes (${size:04X})"
        if reg[1] == 0x18 and io.get(0x2116) and io.get(0x2117):
            text += f" at VRAM word address ${io[0x2117][-1]:02X}{io[0x2116][-1]:02X}"
        parts.append(text)
    sentence = ", then ".join(parts) if parts else "It writes MDMAEN ($420B) with no channel set"
    sentence += "; writing MDMAEN ($420B) starts the transfer"
    last = io.get(0x2100, [])
    if len(last) > 1 and not last[-1] & 0x80:
        sentence += f", and it turns the screen back on at brightness {last[-1] & 0x0F}"
    return sentence[0].upper() + sentence[1:] + "."


RULES = (_negate, _guarded_step, _add_constant, _copy, _dma, _constants, _table_loop, _poll,
         _block_move)


def purpose(an: Analysis, name: Namer) -> str | None:
    """The first rule's sentence for this code, or None when no rule can tell."""
    core = [i for i in an.instrs if i.mnemonic not in FRAME]
    if not core:
        return None
    for rule in RULES:
        sentence = rule(core, an, name)
        if sentence:
            return sentence
    return None
