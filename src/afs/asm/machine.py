"""Memory for the 65816 core: the SNES bus (WRAM, ROM, logged I/O) and a plain 24-bit RAM.

`Memory` models what code sees on a SNES:

- WRAM at $7E0000-$7FFFFF, mirrored at $0000-$1FFF of banks $00-$3F and $80-$BF;
- ROM from an assembled program, placed by its mapper (LoROM/HiROM and their Ex variants;
  addresses via `afs.asm.mapping`); writes to ROM are ignored and listed in `rom_writes`;
- I/O registers $2100-$21FF and $4200-$43FF (banks $00-$3F/$80-$BF): logged, not emulated;
  reads return `io_value` (0);
- SRAM ($70-$7D:$0000-$7FFF for LoROM, $20-$3F:$6000-$7FFF for HiROM, and their mirrors) is
  plain sparse memory; bytes never written read as `fill`;
- nothing else answers: a read of an unmapped address (expansion $6000-$7FFF in LoROM system
  banks, $2000-$20FF, $2200-$3FFF, $4000-$41FF but the joypad ports, $4400-$5FFF, the low half
  of LoROM banks $40-$6F) returns *open bus*, the last value on the data bus, as the console
  and bsnes do: the last byte this instruction moved (a pointer byte, a 16-bit access's first
  byte), else the instruction's last byte (`LDA $1000` in bank $E4 reads $10). Such reads are
  listed in `open_bus_reads`: reading unmapped memory is a bug in real code.

Every address the machine reports is *canonical*: a WRAM mirror is reported as $7Exxxx, a ROM
mirror as its first mapping, an I/O register as $00xxxx, so `STA $10` (D=0) and
`STA $7E0010` log the same byte. Data reads land in `reads`; the first read of a byte nobody wrote
or initialised lands in `uninitialized_reads` (and calls `on_uninitialized_read`, if set).

`PlainMemory` is the flat 16 MiB RAM that SingleStepTests assume (no map, no mirrors).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from afs.asm import mapping
from afs.asm.cpu import Cpu, CpuState
from afs.asm.isa import decode, format_instruction

IO_RANGES = ((0x2100, 0x2200), (0x4200, 0x4400))
_ROM = -2     # write base of a ROM chunk: writes are ignored
_IO = -1      # base of a chunk that holds I/O registers: slow path
_OPEN = -3    # a chunk nothing answers: reads return open bus
_CHUNK = 13   # 8 KiB chunks: the granularity of the SNES map


@lru_cache(maxsize=8)
def _chunk_tables(mapper: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per 8 KiB chunk: (canonical base for reads, canonical base for writes or _ROM/_IO)."""
    if mapper == "norom":
        mapper = "lorom"
    reads, writes = [], []
    for chunk in range(1 << (24 - _CHUNK)):
        start = chunk << _CHUNK
        bank, low = start >> 16, start & 0xFFFF
        system = (bank & 0x7F) < 0x40
        if bank in (0x7E, 0x7F):
            base = write = start
        elif system and low < 0x2000:
            base = write = 0x7E0000
        elif system and low < 0x6000:
            base = write = _IO
        elif _unmapped(bank, low, mapper):
            base = write = _OPEN
        elif low >= 0x8000 or (mapper in ("hirom", "exhirom") and not system):
            offset = mapping.snes_to_pc(start, mapper)
            canonical = mapping.pc_to_snes(offset, mapper) if offset is not None else None
            if canonical is not None and canonical >> 17 == 0x7E >> 1:
                canonical |= 0x800000   # LoROM $7E/$7F:8000 are WRAM: use the $FE/$FF mirror
            base, write = (canonical, _ROM) if canonical is not None else (start, start)
        else:
            base = write = start & 0x7FFFFF if system else start
        reads.append(base)
        writes.append(write)
    return tuple(reads), tuple(writes)


def _unmapped(bank: int, low: int, mapper: str) -> bool:
    """Is this 8 KiB chunk (outside WRAM, ROM and the I/O chunks) backed by nothing?"""
    hirom = mapper in ("hirom", "exhirom")
    system = (bank & 0x7F) < 0x40
    if bank in (0x7E, 0x7F) or low >= 0x8000:
        return False
    if system:
        # $6000-$7FFF: expansion in LoROM; SRAM in HiROM banks $20-$3F.
        return low >= 0x6000 and not (hirom and (bank & 0x7F) >= 0x20)
    # Banks $40-$7D/$C0-$FF below $8000: ROM in HiROM; SRAM at $70-$7D in LoROM.
    return not hirom and not 0x70 <= (bank & 0x7F) <= 0x7D


# Inside the I/O chunks, the addresses something answers at (the rest is open bus).
_ANSWERED = ((0x2100, 0x2200), (0x4016, 0x4018), (0x4200, 0x4400))


def is_io(address: int) -> bool:
    """True for the logged hardware-register ranges (in banks $00-$3F/$80-$BF)."""
    if (address >> 16) & 0x7F >= 0x40:
        return False
    low = address & 0xFFFF
    return any(lo <= low < hi for lo, hi in IO_RANGES)


class _NoClock:
    cycles = 0


class Memory:
    """The SNES bus seen by `afs.asm.cpu.Cpu` (see the module docstring)."""

    def __init__(self, *, mapper: str = "lorom", fill: int = 0) -> None:
        self.mapper = mapper
        self.fill = fill & 0xFF
        self.io_value = 0
        self._rbase, self._wbase = _chunk_tables(mapper)
        self.ram: dict[int, int] = {}
        self.rom: dict[int, int] = {}
        self.writes: list[tuple[int, int, int]] = []
        self.io_writes: list[tuple[int, int, int]] = []
        self.io_reads: list[tuple[int, int]] = []
        self.rom_writes: list[tuple[int, int, int]] = []
        self.reads: set[int] = set()
        self.uninitialized_reads: set[int] = set()
        self.open_bus_reads: list[tuple[int, int, int]] = []  # (address, value read, cycle)
        self.on_uninitialized_read: Callable[[int], None] | None = None
        # The data bus: [last value, the cycle count of the instruction that moved it].
        self._bus = [0, -1]
        # Anything with a `cycles` attribute (the CPU); stamps the write and I/O logs.
        self.clock: Any = _NoClock()
        self.rd, self.wr, self.fetch = self._accessors()

    def canonical(self, address: int) -> int:
        """The one address the machine uses for `address` (mirrors folded)."""
        address &= 0xFFFFFF
        base = self._rbase[address >> _CHUNK]
        if base == _IO:
            return address & 0xFFFF
        if base == _OPEN:
            return address
        return base | (address & 0x1FFF)

    def is_rom(self, address: int) -> bool:
        return self._wbase[(address & 0xFFFFFF) >> _CHUNK] == _ROM

    def _accessors(self):
        rbase, wbase = self._rbase, self._wbase
        ram, rom = self.ram, self.rom
        ram_get, rom_get = ram.get, rom.get
        reads_add = self.reads.add
        writes_append = self.writes.append
        bus = self._bus

        def uninitialized(ca: int) -> int:
            # Remember the fill value so the next read of this byte takes the fast path; the
            # byte still counts as never written (`writes` and `written()` say what was).
            self.uninitialized_reads.add(ca)
            ram[ca] = self.fill
            if self.on_uninitialized_read is not None:
                self.on_uninitialized_read(ca)
            return self.fill

        def rd(a: int) -> int:
            base = rbase[a >> 13]
            if base < 0:
                return self._slow_read(a)
            ca = base | (a & 0x1FFF)
            reads_add(ca)
            v = ram_get(ca)
            if v is None:
                v = rom_get(ca)
                if v is None:
                    v = uninitialized(ca)
            bus[0] = v
            bus[1] = self.clock.cycles
            return v

        def wr(a: int, v: int) -> None:
            base = wbase[a >> 13]
            bus[0] = v
            bus[1] = cycles = self.clock.cycles
            if base >= 0:
                ca = base | (a & 0x1FFF)
                ram[ca] = v
                writes_append((ca, v, cycles))
            else:
                self._slow_write(a, v)

        def fetch(a: int) -> int:
            base = rbase[a >> 13]
            ca = (a & 0xFFFF) if base < 0 else base | (a & 0x1FFF)
            v = ram_get(ca)
            if v is None:
                v = rom_get(ca, self.fill)
            return v

        return rd, wr, fetch

    def _slow_read(self, a: int) -> int:
        low = a & 0xFFFF
        if self._rbase[a >> _CHUNK] == _OPEN or not any(lo <= low < hi for lo, hi in _ANSWERED):
            return self._open_bus(a)
        if is_io(a):
            self.io_reads.append((low, self.clock.cycles))
            v = self.io_value
        else:  # the joypad ports $4016/$4017
            self.reads.add(low)
            v = self.ram.get(low)
            if v is None:
                self.uninitialized_reads.add(low)
                v = self.fill
        self._bus[:] = [v, self.clock.cycles]
        return v

    def _open_bus(self, a: int) -> int:
        """What a read of unmapped `a` returns: the last value on the data bus."""
        bus, clock = self._bus, self.clock
        if bus[1] == clock.cycles or not hasattr(clock, "pbr"):
            value = bus[0]
        else:
            # Nothing moved yet in this instruction: its own last byte was the last transfer
            # (the CPU has already advanced PC past it).
            value = self.fetch(clock.pbr << 16 | (clock.pc - 1) & 0xFFFF)
        self.open_bus_reads.append((a & 0xFFFFFF, value, clock.cycles))
        bus[:] = [value, clock.cycles]
        return value

    def _slow_write(self, a: int, v: int) -> None:
        if self._wbase[a >> _CHUNK] == _ROM:
            self.rom_writes.append((self.canonical(a), v, self.clock.cycles))
            return
        ca = self.canonical(a)
        if is_io(a):
            self.io_writes.append((ca, v, self.clock.cycles))
            return
        # An unmapped address keeps nothing (a read gives open bus); the write is still logged.
        self.ram[ca] = v
        self.writes.append((ca, v, self.clock.cycles))

    def cacheable(self, bank: int, pc: int, length: int) -> bool:
        """True when an instruction's bytes are all ROM, so its decoding cannot go stale."""
        wbase = self._wbase
        return (wbase[(bank | pc) >> _CHUNK] == _ROM
                and wbase[(bank | (pc + length - 1) & 0xFFFF) >> _CHUNK] == _ROM)

    # --- loading and inspecting ----------------------------------------------------------------
    def load(self, address: int, data: bytes) -> None:
        """Place bytes at a SNES address: into ROM where the map says ROM, else as initial RAM."""
        for i, byte in enumerate(data):
            a = (address + i) & 0xFFFFFF
            target = self.rom if self.is_rom(a) else self.ram
            target[self.canonical(a)] = byte

    def poke(self, address: int, value: int) -> None:
        """Set a byte (ROM included) without logging it."""
        a = address & 0xFFFFFF
        ca = self.canonical(a)
        (self.rom if self._wbase[a >> _CHUNK] == _ROM else self.ram)[ca] = value & 0xFF

    def peek(self, address: int) -> int:
        """A byte's value without logging the read."""
        ca = self.canonical(address)
        v = self.ram.get(ca)
        if v is None:
            v = self.rom.get(ca, self.fill)
        return v

    def clear_logs(self) -> None:
        for log in (self.writes, self.io_writes, self.io_reads, self.rom_writes, self.reads,
                    self.uninitialized_reads, self.open_bus_reads):
            log.clear()
        self._bus[:] = [0, -1]


class PlainMemory:
    """16 MiB of plain RAM, no map and no logging: what SingleStepTests vectors assume."""

    def __init__(self) -> None:
        self.data = bytearray(1 << 24)
        self.rd = self.fetch = self.data.__getitem__
        self.wr = self.data.__setitem__

    @staticmethod
    def cacheable(bank: int, pc: int, length: int) -> bool:
        return False


# --- machine and runner -------------------------------------------------------------------------
@dataclass
class RunResult:
    """What one run did. Addresses are canonical (see the module docstring)."""

    state: CpuState
    cycles: int
    instructions: int
    writes: list[tuple[int, int, int]]       # (address, value, cycle the instruction began)
    io_writes: list[tuple[int, int, int]]
    reads: set[int]
    stop_reason: str                         # end, rts, rtl, address, brk, cop, wai, stp
    uninitialized_reads: set[int] = field(default_factory=set)
    io_reads: list[tuple[int, int]] = field(default_factory=list)
    rom_writes: list[tuple[int, int, int]] = field(default_factory=list)   # ignored writes
    open_bus_reads: list[tuple[int, int, int]] = field(default_factory=list)  # (addr, value, cycle)
    trace: list[dict[str, int | str]] | None = None
    _ram: dict[int, int] = field(default_factory=dict, repr=False)
    _memory: Memory | None = field(default=None, repr=False)

    def final_memory(self, address: int) -> int:
        """The byte at `address` when the run stopped (mirrors folded; fill if never set)."""
        mem = self._memory
        if mem is None:
            raise ValueError("this result carries no memory")
        ca = mem.canonical(address)
        v = self._ram.get(ca)
        if v is None:
            v = mem.rom.get(ca, mem.fill)
        return v

    def written(self) -> dict[int, int]:
        """Every byte written during the run -> its final value, in address order."""
        return {a: self._ram[a] for a in sorted({a for a, _, _ in self.writes})}


@dataclass
class Snapshot:
    state: CpuState
    ram: dict[int, int]


class Machine:
    """A CPU on the SNES bus, with a loaded program and the stops that end a run."""

    def __init__(self, *, mapper: str = "lorom", fill: int = 0) -> None:
        self.memory = Memory(mapper=mapper, fill=fill)
        self.cpu = Cpu(self.memory)
        self.memory.clock = self.cpu
        self.code_ends: set[int] = set()
        self.entry: int | None = None

    def load_program(self, segments: list[tuple[int, bytes]]) -> None:
        """Load (address, bytes) segments; the first is the entry, segment ends stop a run."""
        starts = {a for a, data in segments if data}
        for address, data in segments:
            if not data:
                continue
            self.memory.load(address, data)
            if self.entry is None:
                self.entry = address
            end = (address + len(data)) & 0xFFFFFF
            if end not in starts:
                self.code_ends.add(end)
        self.cpu.code_cache.clear()

    def set_memory(self, values: Mapping[int, int]) -> None:
        """Initial bytes (through mirrors; ROM addresses patch the ROM)."""
        poke = self.memory.poke
        for address, value in values.items():
            if not 0 <= address <= 0xFFFFFF or not 0 <= value <= 0xFF:
                raise ValueError(f"memory ${address:X} = {value}: need a 24-bit address "
                                 "and a byte value")
            poke(address, value)
        self.cpu.code_cache.clear()

    def snapshot(self) -> Snapshot:
        """CPU registers and RAM contents (ROM never changes), for `restore`."""
        return Snapshot(self.cpu.state(), dict(self.memory.ram))

    def restore(self, snap: Snapshot) -> None:
        self.cpu.load_state(snap.state)
        self.memory.ram.clear()
        self.memory.ram.update(snap.ram)   # decoded code is cached only for ROM: still valid

    def run(self, *, max_instructions: int = 100_000, stop_at: str | int | None = None,
            trace: bool | Callable[[Cpu], None] = False) -> RunResult:
        """Run from the current PC until a stop; raises ExecutionBudgetExceeded on overrun.

        Always stops at the end of a loaded segment ("end"), after BRK/COP, at WAI/STP.
        `stop_at`: None = also at RTS or RTL executed at call depth 0 (not executed);
        "rts"/"rtl" = only that one; "end" = neither; an int = before executing that 24-bit
        address. `trace=True` records a per-instruction trace in the result; a callable is
        instead called with the CPU before each instruction.
        """
        stops = dict.fromkeys(self.code_ends, "end")
        rts = stop_at in (None, "rts")
        rtl = stop_at in (None, "rtl")
        if isinstance(stop_at, int):
            stops[stop_at & 0xFFFFFF] = "address"
        elif stop_at not in (None, "rts", "rtl", "end"):
            raise ValueError(f"stop_at must be 'rts', 'rtl', 'end', an address or None, "
                             f"not {stop_at!r}")
        cpu, mem = self.cpu, self.memory
        if stops != cpu.stops or (rts, rtl) != (cpu.stop_rts, cpu.stop_rtl):
            cpu.set_stops(stops, rts=rts, rtl=rtl)
        mem.clear_logs()
        cpu.cycles = 0
        cpu.depth = 0
        steps: list[dict[str, int | str]] | None = [] if trace is True else None
        hook = trace if callable(trace) else None
        if steps is not None:
            def hook(c: Cpu) -> None:
                steps.append(self._trace_step(c))
        count, reason = cpu.run(max_instructions, trace=hook)
        return RunResult(
            state=cpu.state(), cycles=cpu.cycles, instructions=count,
            writes=list(mem.writes), io_writes=list(mem.io_writes), reads=set(mem.reads),
            stop_reason=reason, uninitialized_reads=set(mem.uninitialized_reads),
            io_reads=list(mem.io_reads), rom_writes=list(mem.rom_writes), trace=steps,
            open_bus_reads=list(mem.open_bus_reads),
            _ram=dict(mem.ram), _memory=mem)

    def _trace_step(self, c: Cpu) -> dict[str, int | str]:
        pc24 = c.pbr << 16 | c.pc
        raw = bytes(self.memory.fetch(c.pbr << 16 | (c.pc + i) & 0xFFFF) for i in range(4))
        decoded = decode(raw, m8=bool(c.p & 0x20), x8=bool(c.p & 0x10))
        return {"pc": pc24, "text": format_instruction(decoded, pc24),
                "bytes": raw[:decoded.length].hex(), **c.state().as_dict(), "cycles": c.cycles}


SNIPPET_BASE = 0x008000


@lru_cache(maxsize=256)
def _assemble_snippet(source: str) -> tuple[str, tuple[tuple[int, bytes], ...]]:
    from afs.asm.assembler import assemble

    asm = assemble(source, base=SNIPPET_BASE)
    return asm.mapper, tuple((s.address, bytes(s.data)) for s in asm.segments)


def run_snippet(code_or_bytes: str | bytes | Any, init: CpuState | None = None,
                memory: Mapping[int, int] | None = None, max_instructions: int = 100_000,
                stop_at: str | int | None = None, fill: int = 0, *, entry: int | None = None,
                trace: bool | Callable[[Cpu], None] = False) -> RunResult:
    """Run a snippet: asar source (assembled at $008000 unless it sets an org), raw bytes
    (placed at $008000, LoROM) or an `Assembly`. Starts at the first byte of code (or `entry`);
    `init` gives the other registers; `memory` initial bytes; see `Machine.run` for stops."""
    if isinstance(code_or_bytes, str):
        mapper, segments = _assemble_snippet(code_or_bytes)
    elif isinstance(code_or_bytes, bytes | bytearray):
        mapper, segments = "lorom", ((SNIPPET_BASE, bytes(code_or_bytes)),)
    else:
        mapper = getattr(code_or_bytes, "mapper", "lorom")
        segments = tuple((s.address, bytes(s.data)) for s in code_or_bytes.segments)
    machine = Machine(mapper=mapper, fill=fill)
    machine.load_program(list(segments))
    start = entry if entry is not None else machine.entry
    if start is None:
        raise ValueError("the snippet holds no code")
    state = init.copy() if init is not None else CpuState()
    state.pbr, state.pc = (start >> 16) & 0xFF, start & 0xFFFF
    machine.cpu.load_state(state)
    if memory:
        machine.set_memory(memory)
    return machine.run(max_instructions=max_instructions, stop_at=stop_at, trace=trace)
