"""A cycle-exact WDC 65C816 core: all 256 opcodes, native and emulation mode.

Behaviour follows the W65C816S datasheet; the details it leaves open (which instructions wrap
the emulation-mode stack in page 1, direct-page wrap when D's low byte is zero) follow the
SingleStepTests vectors and bsnes, against which `tests/asm` checks this core. Where bsnes v094
(the local oracle) and hardware tests disagree (emulation-mode PEI and `[d]` pointers at the
page edge, PLB at S=$01FF), this core follows the hardware.

How it is fast enough in pure Python:

- Cycle counts are data (`afs.asm.isa.OpcodeInfo.cycles`): every (opcode, M, X, E) gets its
  static count once; a handler returns only the dynamic extras (D low byte, page crossing,
  branch taken).
- Memory-operand instructions (loads, stores, ALU, read-modify-write) are generated from the
  opcode table as one specialised function per opcode and register-width mode, so the address
  computation, the access width and the flag update are straight-line code. The other opcodes
  are small hand-written handlers, one per mnemonic, registered with `@_implements`.
- Instructions fetched from memory that cannot change (ROM) are decoded once and cached.

The core talks to memory through three callables the memory object provides: `rd(addr)`,
`wr(addr, value)` (data accesses, which the machine may log) and `fetch(addr)` (instruction
bytes), plus `cacheable(bank, pc, length)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from afs.asm.cpu_ops import generate_memory_ops
from afs.asm.isa import OPCODES, Mode, operand_length
from afs.errors import AfsError

#: Register-width modes: tables are indexed by (M << 1 | X) in native mode, 4 in emulation.
EMULATION_MODE = 4
_MODES = tuple(range(5))

NZ8 = tuple((v & 0x80) | (0 if v else 2) for v in range(0x100))
NZ16 = tuple(((v >> 8) & 0x80) | (0 if v else 2) for v in range(0x10000))

# Vectors in bank 0 (datasheet table 7-1): (native, emulation).
VECTORS = {"cop": (0xFFE4, 0xFFF4), "brk": (0xFFE6, 0xFFFE), "abort": (0xFFE8, 0xFFF8),
           "nmi": (0xFFEA, 0xFFFA), "irq": (0xFFEE, 0xFFFE)}


class ExecutionBudgetExceeded(AfsError):
    """The code ran more instructions than allowed (an endless loop, or a budget too small)."""


class Halt(Exception):
    """Raised inside the run loop to stop it; `executed` says whether the instruction ran."""

    def __init__(self, reason: str, executed: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.executed = executed


@dataclass(slots=True)
class CpuState:
    """The programmer-visible registers; `a`, `x`, `y`, `s`, `d` are full 16-bit values."""

    a: int = 0
    x: int = 0
    y: int = 0
    s: int = 0x01FF
    d: int = 0
    dbr: int = 0
    pbr: int = 0
    pc: int = 0x8000
    p: int = 0x34
    e: int = 0

    def copy(self) -> CpuState:
        """An independent copy (cheap)."""
        return CpuState(self.a, self.x, self.y, self.s, self.d, self.dbr, self.pbr, self.pc,
                        self.p, self.e)

    def as_dict(self) -> dict[str, int]:
        return {"a": self.a, "x": self.x, "y": self.y, "s": self.s, "d": self.d,
                "dbr": self.dbr, "pbr": self.pbr, "pc": self.pc, "p": self.p, "e": self.e}


# --- hand-written handlers ---------------------------------------------------------------------
# Signature: handler(cpu, operand) -> extra cycles. The run loop has already advanced PC past the
# instruction. `operand` is the little-endian operand (signed for relative modes).
_HANDLERS: dict[str, Callable[[Cpu, int], int]] = {}


def _implements(*mnemonics: str):
    def register(fn):
        for name in mnemonics:
            _HANDLERS[name] = fn
        return fn
    return register


def _push(c: Cpu, v: int) -> None:
    """Push as the 6502-era instructions do: in emulation mode S wraps inside page 1."""
    s = c.s
    c.wr(s, v)
    c.s = (0x100 | (s - 1) & 0xFF) if c.e else (s - 1) & 0xFFFF


def _pull(c: Cpu) -> int:
    s = (0x100 | (c.s + 1) & 0xFF) if c.e else (c.s + 1) & 0xFFFF
    c.s = s
    return c.rd(s)


def _push_n(c: Cpu, v: int) -> None:
    """Push as the 65816-only instructions do: no page-1 wrap until the instruction ends."""
    s = c.s
    c.wr(s, v)
    c.s = (s - 1) & 0xFFFF


def _pull_n(c: Cpu) -> int:
    s = (c.s + 1) & 0xFFFF
    c.s = s
    return c.rd(s)


def _set_bank(c: Cpu, bank: int) -> None:
    """Change PBR; `kb` (the code cache's key prefix) must follow it."""
    c.pbr = bank
    c.kb = bank << 16 | c.mode << 24


def _end_new_stack_op(c: Cpu) -> None:
    if c.e:
        c.s = 0x100 | (c.s & 0xFF)


def _flag_op(mask: int, set_it: bool):
    if set_it:
        def handler(c: Cpu, o: int) -> int:
            c.p |= mask
            return 0
    else:
        def handler(c: Cpu, o: int) -> int:
            c.p &= ~mask
            return 0
    return handler


for _name, _mask, _set in (("CLC", 0x01, False), ("SEC", 0x01, True), ("CLI", 0x04, False),
                           ("SEI", 0x04, True), ("CLV", 0x40, False), ("CLD", 0x08, False),
                           ("SED", 0x08, True)):
    _HANDLERS[_name] = _flag_op(_mask, _set)


@_implements("NOP", "WDM")
def _nop(c: Cpu, o: int) -> int:
    return 0


def _step_index(reg: str, delta: int):
    def handler(c: Cpu, o: int) -> int:
        if c.p & 0x10:
            v = (getattr(c, reg) + delta) & 0xFF
            c.p = (c.p & 0x7D) | NZ8[v]
        else:
            v = (getattr(c, reg) + delta) & 0xFFFF
            c.p = (c.p & 0x7D) | NZ16[v]
        setattr(c, reg, v)
        return 0
    return handler


# INX/DEX are in most loops: spelled out rather than built with getattr.
@_implements("INX")
def _inx(c: Cpu, o: int) -> int:
    if c.p & 0x10:
        v = c.x = (c.x + 1) & 0xFF
        c.p = (c.p & 0x7D) | NZ8[v]
    else:
        v = c.x = (c.x + 1) & 0xFFFF
        c.p = (c.p & 0x7D) | NZ16[v]
    return 0


@_implements("DEX")
def _dex(c: Cpu, o: int) -> int:
    if c.p & 0x10:
        v = c.x = (c.x - 1) & 0xFF
        c.p = (c.p & 0x7D) | NZ8[v]
    else:
        v = c.x = (c.x - 1) & 0xFFFF
        c.p = (c.p & 0x7D) | NZ16[v]
    return 0


_HANDLERS["INY"] = _step_index("y", 1)
_HANDLERS["DEY"] = _step_index("y", -1)


def _transfer(src: str, dst: str, width_flag: int):
    """Register to register; the destination's width flag (M or X) picks 8 or 16 bits."""
    def handler(c: Cpu, o: int) -> int:
        v = getattr(c, src)
        if c.p & width_flag:
            v &= 0xFF
            setattr(c, dst, (getattr(c, dst) & 0xFF00) | v if dst == "a" else v)
            c.p = (c.p & 0x7D) | NZ8[v]
        else:
            setattr(c, dst, v)
            c.p = (c.p & 0x7D) | NZ16[v]
        return 0
    return handler


for _name, _src, _dst, _flag in (("TAX", "a", "x", 0x10), ("TAY", "a", "y", 0x10),
                                 ("TXA", "x", "a", 0x20), ("TYA", "y", "a", 0x20),
                                 ("TXY", "x", "y", 0x10), ("TYX", "y", "x", 0x10),
                                 ("TSX", "s", "x", 0x10)):
    _HANDLERS[_name] = _transfer(_src, _dst, _flag)


def _transfer16(src: str, dst: str):
    def handler(c: Cpu, o: int) -> int:
        v = getattr(c, src)
        setattr(c, dst, v)
        c.p = (c.p & 0x7D) | NZ16[v]
        return 0
    return handler


for _name, _src, _dst in (("TSC", "s", "a"), ("TCD", "a", "d"), ("TDC", "d", "a")):
    _HANDLERS[_name] = _transfer16(_src, _dst)


@_implements("TCS")
def _tcs(c: Cpu, o: int) -> int:
    c.s = (0x100 | c.a & 0xFF) if c.e else c.a
    return 0


@_implements("TXS")
def _txs(c: Cpu, o: int) -> int:
    c.s = (0x100 | c.x & 0xFF) if c.e else c.x
    return 0


@_implements("XBA")
def _xba(c: Cpu, o: int) -> int:
    a = c.a
    c.a = ((a >> 8) | (a << 8)) & 0xFFFF
    c.p = (c.p & 0x7D) | NZ8[a >> 8]
    return 0


@_implements("XCE")
def _xce(c: Cpu, o: int) -> int:
    carry = c.p & 1
    c.p = (c.p & 0xFE) | c.e
    c.e = carry
    if carry:
        c.s = 0x100 | (c.s & 0xFF)
    c.set_p(c.p | 0x30 if carry else c.p)
    return 0


@_implements("REP")
def _rep(c: Cpu, o: int) -> int:
    c.set_p(c.p & ~o)
    return 0


@_implements("SEP")
def _sep(c: Cpu, o: int) -> int:
    c.set_p(c.p | o)
    return 0


def _push_register(reg: str, width_flag: int):
    def handler(c: Cpu, o: int) -> int:
        v = getattr(c, reg)
        if not c.p & width_flag:
            _push(c, v >> 8)
        _push(c, v & 0xFF)
        return 0
    return handler


def _pull_register(reg: str, width_flag: int):
    def handler(c: Cpu, o: int) -> int:
        if c.p & width_flag:
            v = _pull(c)
            setattr(c, reg, (c.a & 0xFF00) | v if reg == "a" else v)
            c.p = (c.p & 0x7D) | NZ8[v]
        else:
            v = _pull(c)
            v |= _pull(c) << 8
            setattr(c, reg, v)
            c.p = (c.p & 0x7D) | NZ16[v]
        return 0
    return handler


for _name, _reg, _flag in (("A", "a", 0x20), ("X", "x", 0x10), ("Y", "y", 0x10)):
    _HANDLERS["PH" + _name] = _push_register(_reg, _flag)
    _HANDLERS["PL" + _name] = _pull_register(_reg, _flag)


@_implements("PHP")
def _php(c: Cpu, o: int) -> int:
    _push(c, c.p)
    return 0


@_implements("PHB")
def _phb(c: Cpu, o: int) -> int:
    _push(c, c.dbr)
    return 0


@_implements("PHK")
def _phk(c: Cpu, o: int) -> int:
    _push(c, c.pbr)
    return 0


@_implements("PLP")
def _plp(c: Cpu, o: int) -> int:
    c.set_p(_pull(c))
    return 0


@_implements("PLB")
def _plb(c: Cpu, o: int) -> int:
    # Hardware reads $0200 when S=$01FF in emulation mode (gilyon/snes-tests, SingleStepTests
    # after ProcessorTests#79); bsnes-mercury, the local oracle, wraps to $0100 instead.
    v = c.dbr = _pull_n(c)
    _end_new_stack_op(c)
    c.p = (c.p & 0x7D) | NZ8[v]
    return 0


@_implements("PHD")
def _phd(c: Cpu, o: int) -> int:
    _push_n(c, c.d >> 8)
    _push_n(c, c.d & 0xFF)
    _end_new_stack_op(c)
    return 0


@_implements("PLD")
def _pld(c: Cpu, o: int) -> int:
    v = _pull_n(c)
    v = c.d = v | _pull_n(c) << 8
    c.p = (c.p & 0x7D) | NZ16[v]
    _end_new_stack_op(c)
    return 0


def _push_word_n(c: Cpu, v: int) -> None:
    _push_n(c, v >> 8)
    _push_n(c, v & 0xFF)
    _end_new_stack_op(c)


@_implements("PEA")
def _pea(c: Cpu, o: int) -> int:
    _push_word_n(c, o)
    return 0


@_implements("PEI")
def _pei(c: Cpu, o: int) -> int:
    d = c.d
    p0 = (d + o) & 0xFFFF
    _push_word_n(c, c.rd(p0) | c.rd((p0 + 1) & 0xFFFF) << 8)
    return 1 if d & 0xFF else 0


@_implements("PER")
def _per(c: Cpu, o: int) -> int:
    _push_word_n(c, (c.pc + o) & 0xFFFF)
    return 0


def _branch(mask: int, when_set: bool):
    if when_set:
        def handler(c: Cpu, o: int) -> int:
            if not c.p & mask:
                return 0
            pc = c.pc
            target = c.pc = (pc + o) & 0xFFFF
            return 2 if c.e and (target ^ pc) & 0xFF00 else 1
    else:
        def handler(c: Cpu, o: int) -> int:
            if c.p & mask:
                return 0
            pc = c.pc
            target = c.pc = (pc + o) & 0xFFFF
            return 2 if c.e and (target ^ pc) & 0xFF00 else 1
    return handler


for _name, _mask, _set in (("BPL", 0x80, False), ("BMI", 0x80, True), ("BVC", 0x40, False),
                           ("BVS", 0x40, True), ("BCC", 0x01, False), ("BCS", 0x01, True),
                           ("BNE", 0x02, False), ("BEQ", 0x02, True)):
    _HANDLERS[_name] = _branch(_mask, _set)


@_implements("BRA")
def _bra(c: Cpu, o: int) -> int:
    pc = c.pc
    target = c.pc = (pc + o) & 0xFFFF
    return 1 if c.e and (target ^ pc) & 0xFF00 else 0


@_implements("BRL")
def _brl(c: Cpu, o: int) -> int:
    c.pc = (c.pc + o) & 0xFFFF
    return 0


def _jmp(c: Cpu, o: int) -> int:
    c.pc = o
    return 0


def _jml(c: Cpu, o: int) -> int:
    _set_bank(c, o >> 16)
    c.pc = o & 0xFFFF
    return 0


def _jmp_indirect(c: Cpu, o: int) -> int:
    rd = c.rd
    c.pc = rd(o) | rd((o + 1) & 0xFFFF) << 8
    return 0


def _jml_indirect(c: Cpu, o: int) -> int:
    rd = c.rd
    c.pc = rd(o) | rd((o + 1) & 0xFFFF) << 8
    _set_bank(c, rd((o + 2) & 0xFFFF))
    return 0


def _read_program_pointer(c: Cpu, o: int) -> int:
    """(a,x) reads its pointer from the program bank, wrapping inside it."""
    bank = c.pbr << 16
    t = (o + c.x) & 0xFFFF
    return c.rd(bank | t) | c.rd(bank | (t + 1) & 0xFFFF) << 8


def _jmp_indexed_indirect(c: Cpu, o: int) -> int:
    c.pc = _read_program_pointer(c, o)
    return 0


def _jsr(c: Cpu, o: int) -> int:
    ret = (c.pc - 1) & 0xFFFF
    _push(c, ret >> 8)
    _push(c, ret & 0xFF)
    c.pc = o
    c.depth += 1
    return 0


def _jsr_indexed_indirect(c: Cpu, o: int) -> int:
    ret = (c.pc - 1) & 0xFFFF
    _push_n(c, ret >> 8)
    _push_n(c, ret & 0xFF)
    c.pc = _read_program_pointer(c, o)
    _end_new_stack_op(c)
    c.depth += 1
    return 0


@_implements("JSL")
def _jsl(c: Cpu, o: int) -> int:
    _push_n(c, c.pbr)
    ret = (c.pc - 1) & 0xFFFF
    _push_n(c, ret >> 8)
    _push_n(c, ret & 0xFF)
    _end_new_stack_op(c)
    _set_bank(c, o >> 16)
    c.pc = o & 0xFFFF
    c.depth += 1
    return 0


@_implements("RTS")
def _rts(c: Cpu, o: int) -> int:
    if not c.depth:
        if c.stop_rts:
            c.pc = (c.pc - 1) & 0xFFFF
            raise Halt("rts", False)
    else:
        c.depth -= 1
    v = _pull(c)
    c.pc = ((v | _pull(c) << 8) + 1) & 0xFFFF
    return 0


@_implements("RTL")
def _rtl(c: Cpu, o: int) -> int:
    if not c.depth:
        if c.stop_rtl:
            c.pc = (c.pc - 1) & 0xFFFF
            raise Halt("rtl", False)
    else:
        c.depth -= 1
    v = _pull_n(c)
    v |= _pull_n(c) << 8
    _set_bank(c, _pull_n(c))
    _end_new_stack_op(c)
    c.pc = (v + 1) & 0xFFFF
    return 0


@_implements("RTI")
def _rti(c: Cpu, o: int) -> int:
    c.set_p(_pull(c))
    v = _pull(c)
    c.pc = v | _pull(c) << 8
    if not c.e:
        _set_bank(c, _pull(c))
    return 0


def _software_interrupt(kind: str):
    def handler(c: Cpu, o: int) -> int:
        c.enter_interrupt(kind, c.p)
        if c.stop_on_interrupt:
            raise Halt(kind, True)
        return 0
    return handler


_HANDLERS["BRK"] = _software_interrupt("brk")
_HANDLERS["COP"] = _software_interrupt("cop")


@_implements("WAI")
def _wai(c: Cpu, o: int) -> int:
    raise Halt("wai", True)


@_implements("STP")
def _stp(c: Cpu, o: int) -> int:
    raise Halt("stp", True)


def _block_move(step: int):
    """MVN (+1) / MVP (-1): one byte per execution; PC stays on the opcode until A wraps."""
    def handler(c: Cpu, o: int) -> int:
        dest = c.dbr = o & 0xFF
        c.wr(dest << 16 | c.y, c.rd((o >> 8) << 16 | c.x))
        mask = 0xFF if c.p & 0x10 else 0xFFFF
        c.x = (c.x + step) & mask
        c.y = (c.y + step) & mask
        a = c.a
        c.a = (a - 1) & 0xFFFF
        if a:
            c.pc = (c.pc - 3) & 0xFFFF
        return 0
    return handler


_HANDLERS["MVN"] = _block_move(1)
_HANDLERS["MVP"] = _block_move(-1)

_BY_OPCODE_MODE: dict[tuple[str, Mode], Callable[[Cpu, int], int]] = {
    ("JMP", Mode.ABSOLUTE): _jmp, ("JML", Mode.ABSOLUTE_LONG): _jml,
    ("JMP", Mode.ABSOLUTE_INDIRECT): _jmp_indirect,
    ("JML", Mode.ABSOLUTE_INDIRECT_LONG): _jml_indirect,
    ("JMP", Mode.ABSOLUTE_X_INDIRECT): _jmp_indexed_indirect,
    ("JSR", Mode.ABSOLUTE): _jsr, ("JSR", Mode.ABSOLUTE_X_INDIRECT): _jsr_indexed_indirect,
}


def _stop_handler(reason: str) -> Callable[[Cpu, int], int]:
    def handler(c: Cpu, o: int) -> int:
        raise Halt(reason, False)
    _STOP_HANDLERS.add(handler)
    return handler


# --- dispatch tables ---------------------------------------------------------------------------
def _mode_flags(mode: int) -> tuple[bool, bool, bool]:
    """(m8, x8, emulation) of a table index."""
    if mode == EMULATION_MODE:
        return True, True, True
    return bool(mode & 2), bool(mode & 1), False


def _build_tables():
    generated = generate_memory_ops({"NZ8": NZ8, "NZ16": NZ16})
    handlers, lengths, cycles = [], [], []
    for mode in _MODES:
        m8, x8, emulation = _mode_flags(mode)
        row_h, row_l, row_c = [], [], []
        for info in OPCODES:
            fn = generated.get((info.opcode, mode)) or _BY_OPCODE_MODE.get(
                (info.mnemonic, info.mode)) or _HANDLERS.get(info.mnemonic)
            if fn is None:
                raise RuntimeError(f"no handler for {info.mnemonic} {info.mode.name}")
            row_h.append(fn)
            row_l.append(operand_length(info.mode, m8=m8, x8=x8))
            row_c.append(info.cycles(m8=m8, x8=x8, emulation=emulation))
        handlers.append(tuple(row_h))
        lengths.append(tuple(row_l))
        cycles.append(tuple(row_c))
    return tuple(handlers), tuple(lengths), tuple(cycles)


HANDLERS, LENGTHS, STATIC_CYCLES = _build_tables()
_SIGNED = {i.opcode: (0x80 if i.mode is Mode.RELATIVE8 else 0x8000)
           for i in OPCODES if i.mode in (Mode.RELATIVE8, Mode.RELATIVE16)}
_STOPS: dict[str, Callable[[Cpu, int], int]] = {}
_STOP_HANDLERS: set[Callable[[Cpu, int], int]] = set()


class Cpu:
    """Registers plus the run loop. Memory is attached with `attach(memory)`."""

    __slots__ = ("a", "cacheable", "code_cache", "cycles", "d", "dbr", "depth", "e", "fetch",
                 "kb", "mode", "p", "pbr", "pc", "rd", "s", "stop_on_interrupt", "stop_rtl",
                 "stop_rts", "stops", "wr", "x", "y")

    def __init__(self, memory=None, state: CpuState | None = None) -> None:
        self.cycles = 0
        self.depth = 0
        self.stops: dict[int, str] = {}
        self.stop_rts = self.stop_rtl = False
        self.stop_on_interrupt = True
        self.code_cache: dict[int, tuple] = {}
        self.load_state(state or CpuState())
        if memory is not None:
            self.attach(memory)

    def attach(self, memory) -> None:
        """Use `memory`'s rd/wr/fetch/cacheable; drops decoded instructions of the old one."""
        self.rd, self.wr, self.fetch = memory.rd, memory.wr, memory.fetch
        self.cacheable = memory.cacheable
        self.code_cache.clear()

    # --- state ---------------------------------------------------------------------------------
    def load_state(self, st: CpuState) -> None:
        """Set every register; emulation mode forces S into page 1 and 8-bit registers."""
        self.a, self.x, self.y = st.a & 0xFFFF, st.x & 0xFFFF, st.y & 0xFFFF
        self.s, self.d = st.s & 0xFFFF, st.d & 0xFFFF
        self.dbr, self.pbr, self.pc = st.dbr & 0xFF, st.pbr & 0xFF, st.pc & 0xFFFF
        self.e = 1 if st.e else 0
        if self.e:
            self.s = 0x100 | (self.s & 0xFF)
        self.set_p(st.p)

    def state(self) -> CpuState:
        return CpuState(self.a, self.x, self.y, self.s, self.d, self.dbr, self.pbr, self.pc,
                        self.p, self.e)

    def set_p(self, p: int) -> None:
        """Write P as PLP/REP/SEP/RTI do: X=1 clears the index high bytes."""
        if self.e:
            p |= 0x30
        p &= 0xFF
        self.p = p
        if p & 0x10:
            self.x &= 0xFF
            self.y &= 0xFF
        self.mode = EMULATION_MODE if self.e else (p >> 4) & 3
        self.kb = self.pbr << 16 | self.mode << 24

    def set_stops(self, addresses: dict[int, str], *, rts: bool = False, rtl: bool = False,
                  on_interrupt: bool = True) -> None:
        """Stop before executing at these 24-bit addresses (reason per address), at RTS/RTL
        executed at call depth 0, and after BRK/COP when `on_interrupt`."""
        self.stops = {a & 0xFFFFFF: r for a, r in addresses.items()}
        self.stop_rts, self.stop_rtl = rts, rtl
        self.stop_on_interrupt = on_interrupt
        self.code_cache.clear()

    def enter_interrupt(self, kind: str, pushed_p: int) -> None:
        """The interrupt sequence: push (PBR,) PC, P; set I, clear D; jump through the vector."""
        if not self.e:
            _push(self, self.pbr)
        _push(self, self.pc >> 8)
        _push(self, self.pc & 0xFF)
        _push(self, pushed_p)
        self.p = (self.p | 0x04) & 0xF7
        _set_bank(self, 0)
        vector = VECTORS[kind][self.e]
        self.pc = self.rd(vector) | self.rd(vector + 1) << 8

    def interrupt(self, kind: str) -> int:
        """A hardware interrupt ("irq", "nmi", "abort") taken between instructions.

        The emulation-mode frame has B (bit 4) clear, as on hardware; returns the cycles spent
        (7, 8 in native mode), which are also added to `cycles`.
        """
        if kind not in ("irq", "nmi", "abort"):
            raise ValueError(f"unknown interrupt {kind!r}")
        self.enter_interrupt(kind, self.p & ~0x10 if self.e else self.p)
        spent = 7 if self.e else 8
        self.cycles += spent
        return spent

    # --- execution -----------------------------------------------------------------------------
    def _decode(self) -> tuple:
        """Decode the instruction at PBR:PC (or the stop there) into a run-loop entry."""
        bank = self.pbr << 16
        pc = self.pc
        stop = self.stops.get(bank | pc)
        if stop is not None:
            fn = _STOPS.get(stop)
            if fn is None:
                fn = _STOPS[stop] = _stop_handler(stop)
            entry = (fn, 0, pc, 0)
            self.code_cache[bank | pc | self.mode << 24] = entry
            return entry
        mode = self.mode
        fetch = self.fetch
        op = fetch(bank | pc)
        n = LENGTHS[mode][op]
        o = 0
        for i in range(n):
            o |= fetch(bank | (pc + 1 + i) & 0xFFFF) << (8 * i)
        sign = _SIGNED.get(op)
        if sign is not None and o & sign:
            o -= sign << 1
        entry = (HANDLERS[mode][op], o, (pc + 1 + n) & 0xFFFF, STATIC_CYCLES[mode][op])
        if self.cacheable(bank, pc, n + 1):
            self.code_cache[bank | pc | mode << 24] = entry
        return entry

    def step(self) -> tuple[int, str | None]:
        """Execute one instruction; returns (cycles spent, halt reason or None)."""
        before = self.cycles
        fn, o, npc, cyc = self._decode()
        self.pc = npc
        try:
            self.cycles += cyc + fn(self, o)
        except Halt as halt:
            if halt.executed:
                self.cycles += cyc
            return self.cycles - before, halt.reason
        return self.cycles - before, None

    def run(self, max_instructions: int,
            trace: Callable[[Cpu], None] | None = None) -> tuple[int, str]:
        """Run until a stop; returns (instructions executed, stop reason).

        Raises ExecutionBudgetExceeded when `max_instructions` run out first. `trace`, if given,
        is called before each instruction (slower).
        """
        cache = self.code_cache
        decode = self._decode
        n = 0
        cyc = 0
        # `kb` is PBR and the width mode, pre-shifted: handlers that change either update it.
        self.kb = self.pbr << 16 | self.mode << 24
        try:
            if trace is None:
                for n in range(max_instructions):  # noqa: B007 - n is read after the loop
                    try:
                        fn, o, self.pc, cyc = cache[self.kb | self.pc]
                    except KeyError:
                        fn, o, self.pc, cyc = decode()
                    self.cycles += cyc + fn(self, o)
            else:
                for n in range(max_instructions):  # noqa: B007
                    fn, o, npc, cyc = decode()
                    if fn not in _STOP_HANDLERS:
                        trace(self)
                    self.pc = npc
                    self.cycles += cyc + fn(self, o)
            n = max_instructions
            fn, o, _, cyc = decode()
            if fn in _STOP_HANDLERS:
                fn(self, o)
        except Halt as halt:
            if halt.executed:
                self.cycles += cyc
                n += 1
            return n, halt.reason
        pc24 = self.pbr << 16 | self.pc
        raise ExecutionBudgetExceeded(
            f"execution budget of {max_instructions} instructions exhausted at "
            f"${pc24:06X} without reaching a stop (endless loop? raise max_instructions)")
