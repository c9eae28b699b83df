"""Register and flag liveness for 65816 code: per-instruction use/def sets and a backward solve.

A register or flag is live after an instruction when some path reads it before writing it.
Widths come from the forward analysis (`afs.asm.analysis.State`): with 8-bit A only the low
byte is read or written; where the width is unknown, uses cover both bytes and definitions
only the low byte, which keeps the answer conservative. Calls read everything and define
nothing; returns and jumps out keep everything live; falling off the end keeps `live_out`.
"""

from __future__ import annotations

from afs.asm.flow import (
    ABSOLUTE_DATA,
    BRANCH_FLAG,
    CALLS,
    CONDITIONAL,
    CONTROL_MNEMONICS,
    DIRECT,
    INDIRECT_DP,
    RETURNS,
    X_INDEXED,
    Y_INDEXED,
    Cfg,
    Instr,
    State,
    m8,
    x8,
)
from afs.asm.isa import Mode

_PUSH = ("PHA", "PHX", "PHY", "PHP", "PHB", "PHD", "PHK", "PEA", "PEI", "PER")
_PULL = ("PLA", "PLX", "PLY", "PLP", "PLB", "PLD")

# --- liveness ------------------------------------------------------------------------------

REG_BITS = {name: 1 << i for i, name in enumerate(
    ("A", "B", "X", "Y", "S", "DP", "DBR", "N", "V", "Z", "C", "Dec", "I", "M", "XF", "E",
     "XH", "YH"))}
ALL = (1 << len(REG_BITS)) - 1
FLAG_BITS = {"N": REG_BITS["N"], "V": REG_BITS["V"], "Z": REG_BITS["Z"], "C": REG_BITS["C"],
             "D": REG_BITS["Dec"], "I": REG_BITS["I"], "M": REG_BITS["M"], "X": REG_BITS["XF"]}


def bits(*names: str) -> int:
    out = 0
    for n in names:
        out |= REG_BITS[n]
    return out


_A_USERS = frozenset({"STA", "ADC", "SBC", "AND", "ORA", "EOR", "CMP", "BIT", "PHA", "TSB",
                      "TRB"})
_A_DEFS = frozenset({"LDA", "PLA", "TXA", "TYA", "ADC", "SBC", "AND", "ORA", "EOR"})
_X_W = bits("X", "XH")
_Y_W = bits("Y", "YH")


def use_def(ins: Instr, st: State) -> tuple[int, int]:
    """(registers/flags read, registers/flags definitely written) as REG_BITS masks."""
    name, mode, info = ins.mnemonic, ins.mode, ins.info
    w_m = m8(st)
    w_x = x8(st)
    a_bits = bits("A") if w_m else bits("A", "B")          # unknown width: both
    a_def = bits("A") if w_m is not False else bits("A", "B")
    x_use = bits("X") if w_x else _X_W
    y_use = bits("Y") if w_x else _Y_W
    use = bits("M", "XF", "E")
    df = 0
    if name in CALLS or name in RETURNS or name in ("BRK", "COP", "STP", "WAI"):
        return ALL, 0  # a callee may read anything and need not write anything
    if mode in X_INDEXED:
        use |= x_use
    if mode in Y_INDEXED:
        use |= y_use
    if mode in DIRECT or mode in INDIRECT_DP or name == "PEI":
        use |= bits("DP")
    if mode in ABSOLUTE_DATA and name not in CONTROL_MNEMONICS:
        use |= bits("DBR")
    if mode in (Mode.DIRECT_INDIRECT, Mode.DIRECT_X_INDIRECT, Mode.DIRECT_INDIRECT_Y):
        use |= bits("DBR")
    if mode in (Mode.STACK_RELATIVE, Mode.STACK_RELATIVE_INDIRECT_Y):
        use |= bits("S") | (bits("DBR") if mode is Mode.STACK_RELATIVE_INDIRECT_Y else 0)
    if name in _A_USERS or mode is Mode.ACCUMULATOR:
        use |= a_bits
    if name in _A_DEFS or mode is Mode.ACCUMULATOR:
        df |= a_def
    if name in ("ADC", "SBC"):
        use |= bits("C", "Dec")
    if name in ("ROL", "ROR"):
        use |= bits("C")
    if name in ("STX", "CPX", "PHX", "TXA", "TXY", "TXS", "INX", "DEX"):
        use |= x_use
    if name in ("STY", "CPY", "PHY", "TYA", "TYX", "INY", "DEY"):
        use |= y_use
    if name in ("TXA", "TYA"):
        use |= (bits("XH") if name == "TXA" else bits("YH")) if w_m is not True else 0
    if name in ("LDX", "PLX", "TAX", "TYX", "TSX", "INX", "DEX"):
        df |= bits("X") | (bits("XH") if w_x is not None else 0)
    if name in ("LDY", "PLY", "TAY", "TXY", "INY", "DEY"):
        df |= bits("Y") | (bits("YH") if w_x is not None else 0)
    if name in ("TAX", "TAY"):
        use |= bits("A") if w_x else bits("A", "B")
    if name in ("TCD", "TCS", "XBA"):
        use |= bits("A", "B")
    if name == "XBA":
        df |= bits("A", "B")
    if name in ("TDC", "TSC"):
        df |= bits("A", "B")
        use |= bits("DP") if name == "TDC" else bits("S")
    if name == "TCD" or name == "PLD":
        df |= bits("DP")
    if name in ("TCS", "TXS"):
        df |= bits("S")
    if name == "PHD":
        use |= bits("DP")
    if name == "PHB":
        use |= bits("DBR")
    if name == "PLB":
        df |= bits("DBR")
    if name in _PUSH or name in _PULL:
        use |= bits("S")
        df |= bits("S")
    if name == "PHP":
        use |= bits("N", "V", "Z", "C", "Dec", "I")
    if name in ("MVN", "MVP"):
        use |= bits("A", "B", "X", "Y", "XH", "YH")
        df |= bits("A", "B", "X", "Y", "DBR")
    if name in CONDITIONAL:
        use |= FLAG_BITS[BRANCH_FLAG[name]]
    if name == "XCE":
        use |= bits("C", "E")
        df |= bits("C", "E")
    for flag in info.flags:
        if name in ("REP", "SEP"):
            break
        if flag in "NVZCDI":
            df |= FLAG_BITS[flag]
    if name in ("REP", "SEP"):
        mask = int(ins.operand)
        for bit, flag in ((0x80, "N"), (0x40, "V"), (0x08, "D"), (0x04, "I"), (0x02, "Z"),
                          (0x01, "C")):
            if mask & bit:
                df |= FLAG_BITS[flag]
        if name == "SEP" and mask & 0x10:
            df |= bits("XH", "YH")
    if name == "PLP":
        df |= bits("N", "V", "Z", "C", "Dec", "I")
    return use, df


def solve(instrs: list[Instr], cfg: Cfg, before: list[State | None], live_out: int | None,
          returns: int | None = None) -> list[int]:
    """Registers/flags live after each instruction (REG_BITS masks). `returns`, when given,
    is what an RTS/RTL hands back to the caller (instead of everything)."""
    if live_out is None:
        live_out = ALL
    n = len(instrs)
    uses = [0] * n
    defs = [0] * n
    for i, ins in enumerate(instrs):
        st = before[i] or State(m=None, x=None, e=None)
        uses[i], defs[i] = use_def(ins, st)
        if returns is not None and ins.mnemonic in ("RTS", "RTL"):
            uses[i] = returns | bits("S")
    live_in = [0] * n
    live_after = [0] * n
    changed = True
    while changed:
        changed = False
        for i in range(n - 1, -1, -1):
            out = 0
            if i in cfg.exits:
                kind = cfg.exits[i]
                out = live_out if kind == "end" else ALL
                if kind in ("rts", "rtl", "rti"):
                    out = returns if returns is not None and kind != "rti" else ALL
            for t in cfg.succ[i]:
                out |= live_in[t]
            new_in = uses[i] | (out & ~defs[i])
            if out != live_after[i] or new_in != live_in[i]:
                live_after[i] = out
                live_in[i] = new_in
                changed = True
    return live_after
