"""The one 65816 opcode table: mnemonic, addressing mode, cycles and flags for all 256 opcodes.

Source: WDC W65C816S datasheet (Western Design Center, "W65C816S 8/16-bit Microprocessor",
table 5-7 "Instruction Set" / the opcode matrix, and the cycle notes of table 6-4 /
section 7 "Caveats"). Cycle counts are bus cycles, counted the way SingleStepTests count them
(one per bus cycle, dummy reads included).

`base_cycles` is the count with M=1, X=1, D low byte = 0, no page crossing and a branch not
taken. The extras are data on each entry, so the emulator, assembler, analyser and cycle
metrics all read the same declaration:

- `m16_cycles`: added when M=0 (1 for reads/writes, 2 for read-modify-write, datasheet note 1);
- `x16_cycles`: added when X=0 (index-register loads/stores/compares/pushes, note 9 (10 in
  some editions));
- `dl_cycle`: +1 when the low byte of D is not zero (direct-page modes, note 2);
- `index_cycle`: +1 when adding the index crosses a page, or always when X=0 (reads only; for
  writes and read-modify-writes the cycle is already in `base_cycles`, note 3);
- `branch_cycles`: conditional branches, +1 when taken (note 6);
- `branch_page_cycle`: +1 when a taken branch crosses a page in emulation mode (note 7);
- `native_cycle`: +1 in native mode (BRK, COP, RTI push/pull PBR, note 8);
- `per_byte_cycles`: MVN/MVP take this many cycles per byte moved (note 13).

Mode choices where the contract left them open: PEA uses ABSOLUTE (`PEA $1234`, the operand is
the value pushed), PEI uses DIRECT_INDIRECT (`PEI ($12)`), PER uses RELATIVE16. BRK, COP,
WDM, REP and SEP take IMMEDIATE_8 (a signature or mask byte). JMP $123456 / JMP [$1234] are
spelled JML and the long JSR is JSL, as asar and the datasheet's alternate mnemonics do.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Mode(enum.Enum):
    """Addressing modes (operand syntax in asar form)."""

    IMPLIED = "implied"                          # NOP
    ACCUMULATOR = "accumulator"                  # ASL A
    IMMEDIATE_M = "immediate_m"                  # LDA #$12 / #$1234 (width from M)
    IMMEDIATE_X = "immediate_x"                  # LDX #$12 / #$1234 (width from X)
    IMMEDIATE_8 = "immediate_8"                  # REP #$30, BRK #$00 (always one byte)
    DIRECT = "direct"                            # $12
    DIRECT_X = "direct_x"                        # $12,X
    DIRECT_Y = "direct_y"                        # $12,Y
    DIRECT_INDIRECT = "direct_indirect"          # ($12)
    DIRECT_INDIRECT_LONG = "direct_indirect_long"  # [$12]
    DIRECT_X_INDIRECT = "direct_x_indirect"      # ($12,X)
    DIRECT_INDIRECT_Y = "direct_indirect_y"      # ($12),Y
    DIRECT_INDIRECT_LONG_Y = "direct_indirect_long_y"  # [$12],Y
    ABSOLUTE = "absolute"                        # $1234
    ABSOLUTE_X = "absolute_x"                    # $1234,X
    ABSOLUTE_Y = "absolute_y"                    # $1234,Y
    ABSOLUTE_LONG = "absolute_long"              # $123456
    ABSOLUTE_LONG_X = "absolute_long_x"          # $123456,X
    ABSOLUTE_INDIRECT = "absolute_indirect"      # ($1234)
    ABSOLUTE_INDIRECT_LONG = "absolute_indirect_long"  # [$1234]
    ABSOLUTE_X_INDIRECT = "absolute_x_indirect"  # ($1234,X)
    STACK_RELATIVE = "stack_relative"            # $12,S
    STACK_RELATIVE_INDIRECT_Y = "stack_relative_indirect_y"  # ($12,S),Y
    RELATIVE8 = "relative8"                      # BNE label
    RELATIVE16 = "relative16"                    # BRL label, PER label
    BLOCK_MOVE = "block_move"                    # MVN $7E,$7F (asar: destination, source)


_FIXED_LENGTH: dict[Mode, int] = {
    Mode.IMPLIED: 0, Mode.ACCUMULATOR: 0, Mode.IMMEDIATE_8: 1,
    Mode.DIRECT: 1, Mode.DIRECT_X: 1, Mode.DIRECT_Y: 1, Mode.DIRECT_INDIRECT: 1,
    Mode.DIRECT_INDIRECT_LONG: 1, Mode.DIRECT_X_INDIRECT: 1, Mode.DIRECT_INDIRECT_Y: 1,
    Mode.DIRECT_INDIRECT_LONG_Y: 1, Mode.STACK_RELATIVE: 1, Mode.STACK_RELATIVE_INDIRECT_Y: 1,
    Mode.RELATIVE8: 1,
    Mode.ABSOLUTE: 2, Mode.ABSOLUTE_X: 2, Mode.ABSOLUTE_Y: 2, Mode.ABSOLUTE_INDIRECT: 2,
    Mode.ABSOLUTE_INDIRECT_LONG: 2, Mode.ABSOLUTE_X_INDIRECT: 2, Mode.RELATIVE16: 2,
    Mode.BLOCK_MOVE: 2,
    Mode.ABSOLUTE_LONG: 3, Mode.ABSOLUTE_LONG_X: 3,
}

#: Modes whose effective address is in direct page (pay the D-low-byte cycle).
DIRECT_MODES = frozenset({
    Mode.DIRECT, Mode.DIRECT_X, Mode.DIRECT_Y, Mode.DIRECT_INDIRECT, Mode.DIRECT_INDIRECT_LONG,
    Mode.DIRECT_X_INDIRECT, Mode.DIRECT_INDIRECT_Y, Mode.DIRECT_INDIRECT_LONG_Y,
})

#: Indexed modes where a read pays one cycle for a page crossing (or always when X=0).
_PAGE_INDEXED = frozenset({Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y, Mode.DIRECT_INDIRECT_Y})


def operand_length(mode: Mode, *, m8: bool, x8: bool) -> int:
    """Bytes after the opcode for `mode` with the given accumulator/index widths."""
    if mode is Mode.IMMEDIATE_M:
        return 1 if m8 else 2
    if mode is Mode.IMMEDIATE_X:
        return 1 if x8 else 2
    return _FIXED_LENGTH[mode]


@dataclass(frozen=True)
class OpcodeInfo:
    """One opcode's declaration. See the module docstring for the cycle fields."""

    opcode: int
    mnemonic: str
    mode: Mode
    base_cycles: int
    m16_cycles: int = 0
    x16_cycles: int = 0
    dl_cycle: bool = False
    index_cycle: bool = False
    branch_cycles: bool = False
    branch_page_cycle: bool = False
    native_cycle: bool = False
    per_byte_cycles: int = 0
    access: str = ""   # "read", "write", "rmw" or "" (what the instruction does to its operand)
    flags: str = ""    # P bits it can change, e.g. "NZC" ("NVMXDIZC" for PLP/RTI/REP/SEP)

    def cycles(self, *, m8: bool = True, x8: bool = True, dl_zero: bool = True,
               page_crossed: bool = False, taken: bool = False, emulation: bool = True) -> int:
        """Cycle count under the given conditions (MVN/MVP: per byte moved)."""
        n = self.base_cycles
        if not m8:
            n += self.m16_cycles
        if not x8:
            n += self.x16_cycles
        if self.dl_cycle and not dl_zero:
            n += 1
        if self.index_cycle and (page_crossed or not x8):
            n += 1
        if self.branch_cycles and taken:
            n += 1
        if self.branch_page_cycle and emulation and page_crossed and (
                taken or not self.branch_cycles):
            n += 1
        if self.native_cycle and not emulation:
            n += 1
        return n


# --- the table --------------------------------------------------------------------------------
# Standard ALU group (ORA AND EOR ADC STA LDA CMP SBC): opcode low 5 bits -> mode, base cycles.
_ALU_MODES: dict[int, tuple[Mode, int]] = {
    0x01: (Mode.DIRECT_X_INDIRECT, 6), 0x03: (Mode.STACK_RELATIVE, 4),
    0x05: (Mode.DIRECT, 3), 0x07: (Mode.DIRECT_INDIRECT_LONG, 6),
    0x09: (Mode.IMMEDIATE_M, 2), 0x0D: (Mode.ABSOLUTE, 4), 0x0F: (Mode.ABSOLUTE_LONG, 5),
    0x11: (Mode.DIRECT_INDIRECT_Y, 5), 0x12: (Mode.DIRECT_INDIRECT, 5),
    0x13: (Mode.STACK_RELATIVE_INDIRECT_Y, 7), 0x15: (Mode.DIRECT_X, 4),
    0x17: (Mode.DIRECT_INDIRECT_LONG_Y, 6), 0x19: (Mode.ABSOLUTE_Y, 4),
    0x1D: (Mode.ABSOLUTE_X, 4), 0x1F: (Mode.ABSOLUTE_LONG_X, 5),
}
_ALU_OPS = {0x00: ("ORA", "NZ"), 0x20: ("AND", "NZ"), 0x40: ("EOR", "NZ"),
            0x60: ("ADC", "NVZC"), 0x80: ("STA", ""), 0xA0: ("LDA", "NZ"),
            0xC0: ("CMP", "NZC"), 0xE0: ("SBC", "NVZC")}

# Everything else: opcode -> (mnemonic, mode, base cycles).
_OTHER: dict[int, tuple[str, Mode, int]] = {
    0x00: ("BRK", Mode.IMMEDIATE_8, 7), 0x02: ("COP", Mode.IMMEDIATE_8, 7),
    0x04: ("TSB", Mode.DIRECT, 5), 0x06: ("ASL", Mode.DIRECT, 5),
    0x08: ("PHP", Mode.IMPLIED, 3), 0x0A: ("ASL", Mode.ACCUMULATOR, 2),
    0x0B: ("PHD", Mode.IMPLIED, 4), 0x0C: ("TSB", Mode.ABSOLUTE, 6),
    0x0E: ("ASL", Mode.ABSOLUTE, 6),
    0x10: ("BPL", Mode.RELATIVE8, 2), 0x14: ("TRB", Mode.DIRECT, 5),
    0x16: ("ASL", Mode.DIRECT_X, 6), 0x18: ("CLC", Mode.IMPLIED, 2),
    0x1A: ("INC", Mode.ACCUMULATOR, 2), 0x1B: ("TCS", Mode.IMPLIED, 2),
    0x1C: ("TRB", Mode.ABSOLUTE, 6), 0x1E: ("ASL", Mode.ABSOLUTE_X, 7),
    0x20: ("JSR", Mode.ABSOLUTE, 6), 0x22: ("JSL", Mode.ABSOLUTE_LONG, 8),
    0x24: ("BIT", Mode.DIRECT, 3), 0x26: ("ROL", Mode.DIRECT, 5),
    0x28: ("PLP", Mode.IMPLIED, 4), 0x2A: ("ROL", Mode.ACCUMULATOR, 2),
    0x2B: ("PLD", Mode.IMPLIED, 5), 0x2C: ("BIT", Mode.ABSOLUTE, 4),
    0x2E: ("ROL", Mode.ABSOLUTE, 6),
    0x30: ("BMI", Mode.RELATIVE8, 2), 0x34: ("BIT", Mode.DIRECT_X, 4),
    0x36: ("ROL", Mode.DIRECT_X, 6), 0x38: ("SEC", Mode.IMPLIED, 2),
    0x3A: ("DEC", Mode.ACCUMULATOR, 2), 0x3B: ("TSC", Mode.IMPLIED, 2),
    0x3C: ("BIT", Mode.ABSOLUTE_X, 4), 0x3E: ("ROL", Mode.ABSOLUTE_X, 7),
    0x40: ("RTI", Mode.IMPLIED, 6), 0x42: ("WDM", Mode.IMMEDIATE_8, 2),
    0x44: ("MVP", Mode.BLOCK_MOVE, 7), 0x46: ("LSR", Mode.DIRECT, 5),
    0x48: ("PHA", Mode.IMPLIED, 3), 0x4A: ("LSR", Mode.ACCUMULATOR, 2),
    0x4B: ("PHK", Mode.IMPLIED, 3), 0x4C: ("JMP", Mode.ABSOLUTE, 3),
    0x4E: ("LSR", Mode.ABSOLUTE, 6),
    0x50: ("BVC", Mode.RELATIVE8, 2), 0x54: ("MVN", Mode.BLOCK_MOVE, 7),
    0x56: ("LSR", Mode.DIRECT_X, 6), 0x58: ("CLI", Mode.IMPLIED, 2),
    0x5A: ("PHY", Mode.IMPLIED, 3), 0x5B: ("TCD", Mode.IMPLIED, 2),
    0x5C: ("JML", Mode.ABSOLUTE_LONG, 4), 0x5E: ("LSR", Mode.ABSOLUTE_X, 7),
    0x60: ("RTS", Mode.IMPLIED, 6), 0x62: ("PER", Mode.RELATIVE16, 6),
    0x64: ("STZ", Mode.DIRECT, 3), 0x66: ("ROR", Mode.DIRECT, 5),
    0x68: ("PLA", Mode.IMPLIED, 4), 0x6A: ("ROR", Mode.ACCUMULATOR, 2),
    0x6B: ("RTL", Mode.IMPLIED, 6), 0x6C: ("JMP", Mode.ABSOLUTE_INDIRECT, 5),
    0x6E: ("ROR", Mode.ABSOLUTE, 6),
    0x70: ("BVS", Mode.RELATIVE8, 2), 0x74: ("STZ", Mode.DIRECT_X, 4),
    0x76: ("ROR", Mode.DIRECT_X, 6), 0x78: ("SEI", Mode.IMPLIED, 2),
    0x7A: ("PLY", Mode.IMPLIED, 4), 0x7B: ("TDC", Mode.IMPLIED, 2),
    0x7C: ("JMP", Mode.ABSOLUTE_X_INDIRECT, 6), 0x7E: ("ROR", Mode.ABSOLUTE_X, 7),
    0x80: ("BRA", Mode.RELATIVE8, 3), 0x82: ("BRL", Mode.RELATIVE16, 4),
    0x84: ("STY", Mode.DIRECT, 3), 0x86: ("STX", Mode.DIRECT, 3),
    0x88: ("DEY", Mode.IMPLIED, 2), 0x89: ("BIT", Mode.IMMEDIATE_M, 2),
    0x8A: ("TXA", Mode.IMPLIED, 2), 0x8B: ("PHB", Mode.IMPLIED, 3),
    0x8C: ("STY", Mode.ABSOLUTE, 4), 0x8E: ("STX", Mode.ABSOLUTE, 4),
    0x90: ("BCC", Mode.RELATIVE8, 2), 0x94: ("STY", Mode.DIRECT_X, 4),
    0x96: ("STX", Mode.DIRECT_Y, 4), 0x98: ("TYA", Mode.IMPLIED, 2),
    0x9A: ("TXS", Mode.IMPLIED, 2), 0x9B: ("TXY", Mode.IMPLIED, 2),
    0x9C: ("STZ", Mode.ABSOLUTE, 4), 0x9E: ("STZ", Mode.ABSOLUTE_X, 5),
    0xA0: ("LDY", Mode.IMMEDIATE_X, 2), 0xA2: ("LDX", Mode.IMMEDIATE_X, 2),
    0xA4: ("LDY", Mode.DIRECT, 3), 0xA6: ("LDX", Mode.DIRECT, 3),
    0xA8: ("TAY", Mode.IMPLIED, 2), 0xAA: ("TAX", Mode.IMPLIED, 2),
    0xAB: ("PLB", Mode.IMPLIED, 4), 0xAC: ("LDY", Mode.ABSOLUTE, 4),
    0xAE: ("LDX", Mode.ABSOLUTE, 4),
    0xB0: ("BCS", Mode.RELATIVE8, 2), 0xB4: ("LDY", Mode.DIRECT_X, 4),
    0xB6: ("LDX", Mode.DIRECT_Y, 4), 0xB8: ("CLV", Mode.IMPLIED, 2),
    0xBA: ("TSX", Mode.IMPLIED, 2), 0xBB: ("TYX", Mode.IMPLIED, 2),
    0xBC: ("LDY", Mode.ABSOLUTE_X, 4), 0xBE: ("LDX", Mode.ABSOLUTE_Y, 4),
    0xC0: ("CPY", Mode.IMMEDIATE_X, 2), 0xC2: ("REP", Mode.IMMEDIATE_8, 3),
    0xC4: ("CPY", Mode.DIRECT, 3), 0xC6: ("DEC", Mode.DIRECT, 5),
    0xC8: ("INY", Mode.IMPLIED, 2), 0xCA: ("DEX", Mode.IMPLIED, 2),
    0xCB: ("WAI", Mode.IMPLIED, 3), 0xCC: ("CPY", Mode.ABSOLUTE, 4),
    0xCE: ("DEC", Mode.ABSOLUTE, 6),
    0xD0: ("BNE", Mode.RELATIVE8, 2), 0xD4: ("PEI", Mode.DIRECT_INDIRECT, 6),
    0xD6: ("DEC", Mode.DIRECT_X, 6), 0xD8: ("CLD", Mode.IMPLIED, 2),
    0xDA: ("PHX", Mode.IMPLIED, 3), 0xDB: ("STP", Mode.IMPLIED, 3),
    0xDC: ("JML", Mode.ABSOLUTE_INDIRECT_LONG, 6), 0xDE: ("DEC", Mode.ABSOLUTE_X, 7),
    0xE0: ("CPX", Mode.IMMEDIATE_X, 2), 0xE2: ("SEP", Mode.IMMEDIATE_8, 3),
    0xE4: ("CPX", Mode.DIRECT, 3), 0xE6: ("INC", Mode.DIRECT, 5),
    0xE8: ("INX", Mode.IMPLIED, 2), 0xEA: ("NOP", Mode.IMPLIED, 2),
    0xEB: ("XBA", Mode.IMPLIED, 3), 0xEC: ("CPX", Mode.ABSOLUTE, 4),
    0xEE: ("INC", Mode.ABSOLUTE, 6),
    0xF0: ("BEQ", Mode.RELATIVE8, 2), 0xF4: ("PEA", Mode.ABSOLUTE, 5),
    0xF6: ("INC", Mode.DIRECT_X, 6), 0xF8: ("SED", Mode.IMPLIED, 2),
    0xFA: ("PLX", Mode.IMPLIED, 4), 0xFB: ("XCE", Mode.IMPLIED, 2),
    0xFC: ("JSR", Mode.ABSOLUTE_X_INDIRECT, 8), 0xFE: ("INC", Mode.ABSOLUTE_X, 7),
}

_RMW = frozenset({"ASL", "LSR", "ROL", "ROR", "INC", "DEC", "TSB", "TRB"})
_M_READ = frozenset({"ORA", "AND", "EOR", "ADC", "LDA", "CMP", "SBC", "BIT"})
_M_WRITE = frozenset({"STA", "STZ"})
_X_READ = frozenset({"LDX", "LDY", "CPX", "CPY"})
_X_WRITE = frozenset({"STX", "STY"})
_CONDITIONAL_BRANCHES = frozenset({"BPL", "BMI", "BVC", "BVS", "BCC", "BCS", "BNE", "BEQ"})
_FLAGS = {
    "ASL": "NZC", "LSR": "NZC", "ROL": "NZC", "ROR": "NZC", "INC": "NZ", "DEC": "NZ",
    "TSB": "Z", "TRB": "Z", "BIT": "NVZ", "LDX": "NZ", "LDY": "NZ", "CPX": "NZC", "CPY": "NZC",
    "INX": "NZ", "INY": "NZ", "DEX": "NZ", "DEY": "NZ", "TAX": "NZ", "TAY": "NZ", "TXA": "NZ",
    "TYA": "NZ", "TSX": "NZ", "TXY": "NZ", "TYX": "NZ", "TCD": "NZ", "TDC": "NZ", "TSC": "NZ",
    "XBA": "NZ", "PLA": "NZ", "PLX": "NZ", "PLY": "NZ", "PLB": "NZ", "PLD": "NZ",
    "PLP": "NVMXDIZC", "RTI": "NVMXDIZC", "REP": "NVMXDIZC", "SEP": "NVMXDIZC",
    "XCE": "MXC", "CLC": "C", "SEC": "C", "CLI": "I", "SEI": "I", "CLV": "V", "CLD": "D",
    "SED": "D", "BRK": "DI", "COP": "DI",
}


def _declare(opcode: int, mnemonic: str, mode: Mode, base: int, flags: str) -> OpcodeInfo:
    """Attach the extra-cycle conditions that follow from the mnemonic's class and the mode."""
    m16 = x16 = 0
    access = ""
    memory_operand = mode not in (Mode.IMPLIED, Mode.ACCUMULATOR, Mode.IMMEDIATE_8,
                                  Mode.RELATIVE8, Mode.RELATIVE16, Mode.BLOCK_MOVE)
    if mnemonic in _RMW:
        m16 = 2 if mode is not Mode.ACCUMULATOR else 0
        access = "rmw" if mode is not Mode.ACCUMULATOR else ""
    elif mnemonic in _M_READ:
        m16, access = 1, "read"
    elif mnemonic in _M_WRITE:
        m16, access = 1, "write"
    elif mnemonic in _X_READ:
        x16, access = 1, "read"
    elif mnemonic in _X_WRITE:
        x16, access = 1, "write"
    elif mnemonic in ("PHA", "PLA"):
        m16 = 1
    elif mnemonic in ("PHX", "PHY", "PLX", "PLY"):
        x16 = 1
    if mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X):
        access = ""
    if not memory_operand:
        access = ""
    return OpcodeInfo(
        opcode=opcode, mnemonic=mnemonic, mode=mode, base_cycles=base,
        m16_cycles=m16, x16_cycles=x16,
        # PEI reads its pointer from direct page too; JMP/JSR/PEA never touch direct page.
        dl_cycle=mode in DIRECT_MODES,
        index_cycle=access == "read" and mode in _PAGE_INDEXED,
        branch_cycles=mnemonic in _CONDITIONAL_BRANCHES,
        branch_page_cycle=mode is Mode.RELATIVE8,
        native_cycle=mnemonic in ("BRK", "COP", "RTI"),
        per_byte_cycles=base if mode is Mode.BLOCK_MOVE else 0,
        access=access, flags=flags,
    )


def _build() -> tuple[OpcodeInfo, ...]:
    table: list[OpcodeInfo | None] = [None] * 256
    for group, (mnemonic, flags) in _ALU_OPS.items():
        for low, (mode, base) in _ALU_MODES.items():
            opcode = group | low
            if opcode == 0x89:          # STA #imm does not exist; $89 is BIT #imm
                continue
            cycles = base
            if mnemonic == "STA" and mode in _PAGE_INDEXED:
                cycles += 1             # writes always spend the index-fixup cycle
            table[opcode] = _declare(opcode, mnemonic, mode, cycles, flags)
    for opcode, (mnemonic, mode, base) in _OTHER.items():
        flags = "Z" if opcode == 0x89 else _FLAGS.get(mnemonic, "")  # BIT # sets only Z
        table[opcode] = _declare(opcode, mnemonic, mode, base, flags)
    missing = [i for i, entry in enumerate(table) if entry is None]
    if missing:
        raise RuntimeError(f"opcode table incomplete: {missing}")
    return tuple(e for e in table if e is not None)


OPCODES: tuple[OpcodeInfo, ...] = _build()

# asar and the datasheet accept these alternate spellings for the same encodings.
_ALIASES: dict[tuple[str, Mode], str] = {
    ("JMP", Mode.ABSOLUTE_LONG): "JML", ("JMP", Mode.ABSOLUTE_INDIRECT_LONG): "JML",
    ("JSR", Mode.ABSOLUTE_LONG): "JSL", ("BLT", Mode.RELATIVE8): "BCC",
    ("BGE", Mode.RELATIVE8): "BCS", ("TAS", Mode.IMPLIED): "TCS", ("TSA", Mode.IMPLIED): "TSC",
    ("TAD", Mode.IMPLIED): "TCD", ("TDA", Mode.IMPLIED): "TDC", ("SWA", Mode.IMPLIED): "XBA",
}
_BY_NAME: dict[tuple[str, Mode], int] = {(i.mnemonic, i.mode): i.opcode for i in OPCODES}

#: Every mnemonic the table knows (upper case), aliases excluded.
MNEMONICS: frozenset[str] = frozenset(i.mnemonic for i in OPCODES)


def opcode_for(mnemonic: str, mode: Mode) -> int | None:
    """The opcode byte for `mnemonic` in `mode`, or None when that combination does not exist."""
    name = mnemonic.upper()
    found = _BY_NAME.get((name, mode))
    if found is None and (name, mode) in _ALIASES:
        found = _BY_NAME.get((_ALIASES[name, mode], mode))
    return found


def modes_for(mnemonic: str) -> tuple[Mode, ...]:
    """All addressing modes that `mnemonic` has (aliases resolved)."""
    name = mnemonic.upper()
    return tuple(m for m in Mode if opcode_for(name, m) is not None)


@dataclass(frozen=True)
class Decoded:
    """One decoded instruction. For BLOCK_MOVE `operand` is (dest_bank, src_bank)."""

    opcode: int
    info: OpcodeInfo
    operand: int | tuple[int, int] | None
    length: int


def decode(data: bytes, offset: int = 0, *, m8: bool = True, x8: bool = True) -> Decoded:
    """Decode the instruction at `data[offset]` (raises ValueError if the bytes run out)."""
    if offset >= len(data):
        raise ValueError(f"no opcode at offset {offset} (only {len(data)} bytes)")
    info = OPCODES[data[offset]]
    n = operand_length(info.mode, m8=m8, x8=x8)
    raw = data[offset + 1: offset + 1 + n]
    if len(raw) < n:
        raise ValueError(f"{info.mnemonic} at offset {offset} needs {n} operand byte(s), "
                         f"{len(raw)} left")
    operand: int | tuple[int, int] | None
    if n == 0:
        operand = None
    elif info.mode is Mode.BLOCK_MOVE:
        operand = (raw[0], raw[1])
    else:
        operand = int.from_bytes(raw, "little")
    return Decoded(data[offset], info, operand, 1 + n)


def branch_target(decoded: Decoded, address: int) -> int:
    """Destination of a RELATIVE8/RELATIVE16 instruction at `address` (stays in its bank)."""
    value = decoded.operand
    if not isinstance(value, int):
        raise ValueError(f"{decoded.info.mnemonic} has no relative operand")
    if decoded.info.mode is Mode.RELATIVE8:
        disp = value - 0x100 if value & 0x80 else value
    elif decoded.info.mode is Mode.RELATIVE16:
        disp = value - 0x10000 if value & 0x8000 else value
    else:
        raise ValueError(f"{decoded.info.mnemonic} is not a relative instruction")
    return (address & 0xFF0000) | ((address + decoded.length + disp) & 0xFFFF)


_TEMPLATES: dict[Mode, str] = {
    Mode.DIRECT: "{}", Mode.DIRECT_X: "{},X", Mode.DIRECT_Y: "{},Y",
    Mode.DIRECT_INDIRECT: "({})", Mode.DIRECT_INDIRECT_LONG: "[{}]",
    Mode.DIRECT_X_INDIRECT: "({},X)", Mode.DIRECT_INDIRECT_Y: "({}),Y",
    Mode.DIRECT_INDIRECT_LONG_Y: "[{}],Y", Mode.ABSOLUTE: "{}", Mode.ABSOLUTE_X: "{},X",
    Mode.ABSOLUTE_Y: "{},Y", Mode.ABSOLUTE_LONG: "{}", Mode.ABSOLUTE_LONG_X: "{},X",
    Mode.ABSOLUTE_INDIRECT: "({})", Mode.ABSOLUTE_INDIRECT_LONG: "[{}]",
    Mode.ABSOLUTE_X_INDIRECT: "({},X)", Mode.STACK_RELATIVE: "{},S",
    Mode.STACK_RELATIVE_INDIRECT_Y: "({},S),Y",
}


def format_instruction(decoded: Decoded, address: int | None = None) -> str:
    """asar syntax, e.g. `LDA $10,X`; hex digit count gives the operand size as asar reads it.

    Branch targets need `address` (the instruction's SNES address); without it they print as a
    signed displacement (`BNE $+5`), which is for humans, not for asar.
    """
    info = decoded.info
    mode, value = info.mode, decoded.operand
    if value is None:
        return f"{info.mnemonic} A" if mode is Mode.ACCUMULATOR else info.mnemonic
    if isinstance(value, tuple):
        return f"{info.mnemonic} ${value[0]:02X},${value[1]:02X}"
    digits = 2 * (decoded.length - 1)
    if mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X, Mode.IMMEDIATE_8):
        return f"{info.mnemonic} #${value:0{digits}X}"
    if mode in (Mode.RELATIVE8, Mode.RELATIVE16):
        if address is None:
            bits = 8 * (decoded.length - 1)
            disp = value - (1 << bits) if value >> (bits - 1) else value
            return f"{info.mnemonic} ${disp + decoded.length:+d}"
        target = branch_target(decoded, address)
        return f"{info.mnemonic} ${target & 0xFFFF:04X}"
    return f"{info.mnemonic} " + _TEMPLATES[mode].format(f"${value:0{digits}X}")
