"""A database of verified window rewrites, in the manner of Souper's cache.

The window search (`afs.asm.superopt.search_window`) is run offline over a corpus of windows:
windows of the benchmark's din routines, of seeded random straight-line code, and of any
disassembly a user points at. Each rewrite it proves becomes an entry keyed by the window's
*shape*: its instructions with immediates kept and memory operands abstracted to symbols
(`@0`, `@1`, ... in order of first use, addressing mode kept). At optimisation time a window
is looked up by its shape in constant time and each stored replacement is instantiated with
the window's own addresses — and then proven again for this window, its entry state and its
live outputs, because an abstracted rewrite is only a candidate (two symbols may alias, a
register may be live here that was dead there). So the database can make the search faster,
never less sound.

The shipped database is package data (`afs/asm/data/rewrites.json`); `afs asm rewrite-db`
rebuilds it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from afs.asm.isa import OPCODES, Mode
from afs.asm.superopt import (
    MAX_WINDOW,
    Entry,
    Found,
    Op,
    Outputs,
    clock,
    prove,
    search_window,
    window_ok,
)

DB_VERSION = 1
_BY_OPCODE = {info.opcode: info for info in OPCODES}
_MEMORY_MODES = frozenset({Mode.DIRECT, Mode.ABSOLUTE, Mode.ABSOLUTE_LONG})
#: The liveness scenarios a corpus window is searched under: what stays live after it.
SCENARIOS: dict[str, Outputs] = {
    "memory": Outputs(a=0, x=0, y=0, flags=0),
    "memory+a": Outputs(a=0xFFFF, x=0, y=0, flags=0),
    "memory+a+flags": Outputs(a=0xFFFF, x=0, y=0, flags=0xC3),
    "memory+x+y": Outputs(a=0, x=0xFFFF, y=0xFFFF, flags=0),
}


def shape(ops: Iterable[Op]) -> tuple[tuple[str, ...], dict[tuple[Mode, int], str]]:
    """(the window's key, its memory operands' symbols)."""
    symbols: dict[tuple[Mode, int], str] = {}
    key = []
    for op in ops:
        if op.info.mode in _MEMORY_MODES and op.operand is not None:
            symbol = symbols.setdefault((op.info.mode, op.operand), f"@{len(symbols)}")
            key.append(f"{op.info.opcode:02X}:{symbol}")
        else:
            operand = "" if op.operand is None else f"{op.operand:X}"
            key.append(f"{op.info.opcode:02X}:{operand}")
    return tuple(key), symbols


def _encode(ops: Iterable[Op], symbols: dict[tuple[Mode, int], str]) -> list[str]:
    out = []
    for op in ops:
        if op.info.mode in _MEMORY_MODES and op.operand is not None:
            symbol = symbols.get((op.info.mode, op.operand))
            if symbol is None:
                raise ValueError("replacement uses an address the window does not name")
            out.append(f"{op.info.opcode:02X}:{symbol}")
        else:
            out.append(f"{op.info.opcode:02X}:" + ("" if op.operand is None
                                                     else f"{op.operand:X}"))
    return out


def _decode(parts: Iterable[str], values: dict[str, int]) -> list[Op]:
    ops = []
    for part in parts:
        opcode, _, operand = part.partition(":")
        info = _BY_OPCODE[int(opcode, 16)]
        if operand.startswith("@"):
            ops.append(Op(info, values[operand]))
        else:
            ops.append(Op(info, int(operand, 16) if operand else None))
    return ops


@dataclass
class StoredRewrite:
    """One stored rewrite: the window shape it replaces, under which widths and liveness."""

    key: tuple[str, ...]
    replacement: list[str]
    m8: bool
    x8: bool
    scenario: str
    proof: str
    assumptions: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"key": list(self.key), "replacement": self.replacement, "m8": self.m8,
                "x8": self.x8, "scenario": self.scenario, "proof": self.proof,
                "assumptions": self.assumptions}


class RewriteDatabase:
    """Verified rewrites by window shape; `lookup` proves each candidate for its window."""

    def __init__(self, entries: Iterable[StoredRewrite] = ()) -> None:
        self._by_key: dict[tuple[tuple[str, ...], bool, bool], list[StoredRewrite]] = {}
        for entry in entries:
            self.add(entry)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_key.values())

    def entries(self) -> list[StoredRewrite]:
        return [e for group in self._by_key.values() for e in group]

    def add(self, entry: StoredRewrite) -> bool:
        group = self._by_key.setdefault((entry.key, entry.m8, entry.x8), [])
        if any(e.replacement == entry.replacement for e in group):
            return False
        group.append(entry)
        return True

    def lookup(self, window: list[Op], entry: Entry, outputs: Outputs, *,
               objective: str = "cycles") -> Found | None:
        """The cheapest stored replacement that proves out for this window, or None."""
        from afs.asm.superopt import cost

        key, symbols = shape(window)
        group = self._by_key.get((key, entry.m8, entry.x8))
        if not group or not window_ok(window, entry):
            return None
        values = {symbol: value for (_, value), symbol in symbols.items()}
        limit = cost(window, objective, entry.m8, entry.x8)
        best: Found | None = None
        for stored in group:
            candidate = _decode(stored.replacement, values)
            if not all(_fits(op, entry) for op in candidate):
                continue
            price = cost(candidate, objective, entry.m8, entry.x8)
            if price >= limit:
                continue
            proven = prove(tuple(window), tuple(candidate), entry, outputs)
            if proven is not None:
                best, limit = proven, price
        return best

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        data = {"version": DB_VERSION, "entries": [e.to_dict() for e in self.entries()]}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=0, sort_keys=True) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> RewriteDatabase:
        """The database at `path`, or the shipped one."""
        if path is None:
            text = resources.files("afs.asm").joinpath("data/rewrites.json").read_text()
        else:
            text = Path(path).read_text()
        data = json.loads(text)
        if data.get("version") != DB_VERSION:
            return cls()
        return cls(StoredRewrite(tuple(e["key"]), e["replacement"], e["m8"], e["x8"], e["scenario"],
                          e["proof"], e["assumptions"]) for e in data["entries"])


def _fits(op: Op, entry: Entry) -> bool:
    """Does the operand fit the instruction's encoding (an entry whose symbol stood for a
    long address cannot instantiate a direct-page form)?"""
    if op.operand is None:
        return True
    return 0 <= op.operand < 1 << (8 * (op.size(entry.m8, entry.x8) - 1))


_SHIPPED: RewriteDatabase | None = None


def shipped() -> RewriteDatabase:
    """The database shipped with AFS (loaded once)."""
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = RewriteDatabase.load()
    return _SHIPPED


# --- building ------------------------------------------------------------------------------

def windows_of(source: str, pre: dict[str, int]) -> list[tuple[list[Op], Entry]]:
    """Every searchable window (1 to `MAX_WINDOW` instructions in one basic block)."""
    from afs.asm.analysis import analyze, m8, x8
    from afs.asm.assembler import assemble
    from afs.asm.superopt import CODE_BASE, _entry_state, _instrs, _known

    try:
        assembly = assemble(source, base=CODE_BASE)
    except Exception:  # corpus code AFS cannot assemble has no windows
        return []
    instrs = _instrs(assembly)
    an = analyze(instrs, entry=_entry_state(pre))  # type: ignore[arg-type]
    leaders = set(an.cfg.leaders)
    out = []
    for length in range(1, MAX_WINDOW + 1):
        for i in range(len(instrs) - length + 1):
            st = an.before[i]
            if st is None or m8(st) is None or x8(st) is None or st.e != 0 or any(
                    k in leaders for k in range(i + 1, i + length)):
                continue
            entry = Entry(m8=bool(m8(st)), x8=bool(x8(st)), decimal_clear=st.dec == 0,
                          dp=_known(st.dp), dbr=_known(st.dbr))
            ops = [Op(ins.info, None if ins.operand is None else int(ins.operand))
                   for ins in instrs[i:i + length]]
            if all(op.size(entry.m8, entry.x8) == ins.size
                   for op, ins in zip(ops, instrs[i:i + length], strict=True)) and \
                    window_ok(ops, entry):
                out.append((ops, entry))
    return out


_RANDOM_OPS = ("LDA", "STA", "STZ", "CLC", "SEC", "ADC", "SBC", "INC", "DEC", "ASL", "LSR",
               "AND", "ORA", "EOR", "TAX", "TXA", "LDX", "STX", "INX", "CMP", "BIT")


def random_windows(count: int, seed: int) -> list[tuple[list[Op], Entry]]:
    """Seeded random straight-line windows over a few direct-page bytes and constants."""
    from afs.asm.superopt import _INFO

    rng = random.Random(seed)
    out = []
    while len(out) < count:
        entry = Entry(m8=rng.random() < 0.75, x8=True, decimal_clear=True, dp=0, dbr=0x7E)
        ops = []
        for _ in range(rng.randrange(2, MAX_WINDOW + 1)):
            name = rng.choice(_RANDOM_OPS)
            for mode in (Mode.ACCUMULATOR, Mode.IMPLIED, Mode.IMMEDIATE_M, Mode.IMMEDIATE_X,
                         Mode.DIRECT):
                info = _INFO.get((name, mode))
                if info is None or (mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X, Mode.DIRECT)
                                    and rng.random() < 0.3):
                    continue
                operand = None
                if mode is Mode.DIRECT:
                    operand = rng.choice((0x10, 0x11, 0x12))
                elif mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X):
                    operand = rng.choice((0, 1, 2, 0x80, 0xFF))
                ops.append(Op(info, operand))
                break
        if window_ok(ops, entry):
            out.append((ops, entry))
    return out


def build(windows: Iterable[tuple[list[Op], Entry]], *, budget_per_window: float = 1.0,
          database: RewriteDatabase | None = None,
          on_window: Callable[[], None] | None = None) -> RewriteDatabase:
    """Search every distinct window under each liveness scenario; store what is proven."""
    database = database if database is not None else RewriteDatabase()
    seen: set[tuple[tuple[str, ...], bool, bool, bool]] = set()
    for ops, entry in windows:
        key, symbols = shape(ops)
        marker = (key, entry.m8, entry.x8, entry.dp is not None)
        if marker in seen:
            if on_window:
                on_window()
            continue
        seen.add(marker)
        for scenario, outputs in SCENARIOS.items():
            found = search_window(ops, entry, outputs,
                                  deadline=clock() + budget_per_window)
            if found is None:
                continue
            try:
                replacement = _encode(found.after, symbols)
            except ValueError:
                continue
            database.add(StoredRewrite(key, replacement, entry.m8, entry.x8, scenario, found.proof,
                                list(found.assumptions)))
        if on_window:
            on_window()
    return database


def recheck(database: RewriteDatabase, *, sample: int | None = None, seed: int = 0
            ) -> list[StoredRewrite]:
    """Re-prove stored entries (a seeded sample, or all): each is instantiated with distinct
    direct-page addresses and proven under its own scenario. Returns the entries that fail."""
    entries = database.entries()
    if sample is not None and sample < len(entries):
        entries = random.Random(seed).sample(entries, sample)
    failed = []
    for stored in entries:
        symbols = {part.partition(":")[2] for part in stored.key if ":@" in part}
        values = {symbol: 0x10 + 0x10 * int(symbol[1:]) for symbol in symbols}
        window = _decode(stored.key, values)
        replacement = _decode(stored.replacement, values)
        entry = Entry(m8=stored.m8, x8=stored.x8, decimal_clear=True, dp=0, dbr=0x7E)
        if prove(tuple(window), tuple(replacement), entry, SCENARIOS[stored.scenario]) is None:
            failed.append(stored)
    return failed
