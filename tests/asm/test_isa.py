"""The opcode table against figures from the WDC W65C816S datasheet."""

from __future__ import annotations

import pytest

from afs.asm.isa import (
    MNEMONICS,
    OPCODES,
    Mode,
    branch_target,
    decode,
    format_instruction,
    modes_for,
    opcode_for,
    operand_length,
)


def test_table_has_every_opcode_once_and_in_order() -> None:
    assert len(OPCODES) == 256
    assert [info.opcode for info in OPCODES] == list(range(256))
    assert len({(i.mnemonic, i.mode) for i in OPCODES}) == 256
    assert len(MNEMONICS) == 92


@pytest.mark.parametrize(("opcode", "mnemonic", "mode"), [
    (0x00, "BRK", Mode.IMMEDIATE_8), (0x01, "ORA", Mode.DIRECT_X_INDIRECT),
    (0x13, "ORA", Mode.STACK_RELATIVE_INDIRECT_Y), (0x22, "JSL", Mode.ABSOLUTE_LONG),
    (0x44, "MVP", Mode.BLOCK_MOVE), (0x54, "MVN", Mode.BLOCK_MOVE),
    (0x5C, "JML", Mode.ABSOLUTE_LONG), (0x62, "PER", Mode.RELATIVE16),
    (0x7C, "JMP", Mode.ABSOLUTE_X_INDIRECT), (0x89, "BIT", Mode.IMMEDIATE_M),
    (0x96, "STX", Mode.DIRECT_Y), (0xA2, "LDX", Mode.IMMEDIATE_X),
    (0xB7, "LDA", Mode.DIRECT_INDIRECT_LONG_Y), (0xBF, "LDA", Mode.ABSOLUTE_LONG_X),
    (0xC2, "REP", Mode.IMMEDIATE_8), (0xD4, "PEI", Mode.DIRECT_INDIRECT),
    (0xDC, "JML", Mode.ABSOLUTE_INDIRECT_LONG), (0xEB, "XBA", Mode.IMPLIED),
    (0xF4, "PEA", Mode.ABSOLUTE), (0xFC, "JSR", Mode.ABSOLUTE_X_INDIRECT),
])
def test_mnemonic_and_mode(opcode: int, mnemonic: str, mode: Mode) -> None:
    assert (OPCODES[opcode].mnemonic, OPCODES[opcode].mode) == (mnemonic, mode)
    assert opcode_for(mnemonic, mode) == opcode
    assert opcode_for(mnemonic.lower(), mode) == opcode


def test_opcode_for_aliases_and_missing_combinations() -> None:
    assert opcode_for("JMP", Mode.ABSOLUTE_LONG) == 0x5C
    assert opcode_for("JSR", Mode.ABSOLUTE_LONG) == 0x22
    assert opcode_for("STA", Mode.IMMEDIATE_M) is None
    assert opcode_for("LDX", Mode.DIRECT_X) is None
    assert set(modes_for("STX")) == {Mode.DIRECT, Mode.DIRECT_Y, Mode.ABSOLUTE}


# (opcode, conditions, expected cycles) — datasheet table 5-7 with its notes applied.
@pytest.mark.parametrize(("opcode", "conditions", "cycles"), [
    (0xA9, {}, 2), (0xA9, {"m8": False}, 3),                      # LDA #
    (0xA5, {"dl_zero": False}, 4), (0xA5, {"m8": False, "dl_zero": False}, 5),
    (0xBD, {}, 4), (0xBD, {"page_crossed": True}, 5), (0xBD, {"x8": False}, 5),  # LDA a,x
    (0x9D, {}, 5), (0x9D, {"page_crossed": True}, 5),             # STA a,x: always 5
    (0x91, {}, 6), (0xB1, {"page_crossed": True, "m8": False}, 7),
    (0xB3, {}, 7), (0x93, {"m8": False}, 8),                      # (d,s),y
    (0xBF, {"x8": False}, 5),                                     # al,x: no index cycle
    (0x0E, {}, 6), (0x0E, {"m8": False}, 8), (0x1E, {"page_crossed": True}, 7),  # RMW
    (0x06, {"m8": False, "dl_zero": False}, 8),
    (0xA2, {"x8": False}, 3), (0x86, {"x8": False, "dl_zero": False}, 5),
    (0xBE, {"page_crossed": True}, 5), (0xDA, {"x8": False}, 4),
    (0x48, {"m8": False}, 4), (0x68, {"m8": False}, 5), (0x2B, {}, 5), (0x0B, {}, 4),
    (0xD0, {}, 2), (0xD0, {"taken": True}, 3),
    (0xD0, {"taken": True, "page_crossed": True, "emulation": True}, 4),
    (0xD0, {"taken": True, "page_crossed": True, "emulation": False}, 3),
    (0xD0, {"taken": False, "page_crossed": True, "emulation": True}, 2),
    (0x80, {}, 3), (0x80, {"page_crossed": True, "emulation": True}, 4), (0x82, {}, 4),
    (0x00, {"emulation": True}, 7), (0x00, {"emulation": False}, 8),
    (0x02, {"emulation": False}, 8),
    (0x40, {"emulation": True}, 6), (0x40, {"emulation": False}, 7),
    (0x20, {}, 6), (0x22, {}, 8), (0xFC, {}, 8), (0x60, {}, 6), (0x6B, {}, 6),
    (0x4C, {}, 3), (0x5C, {}, 4), (0x6C, {}, 5), (0x7C, {}, 6), (0xDC, {}, 6),
    (0xF4, {}, 5), (0xD4, {"dl_zero": False}, 7), (0x62, {}, 6),
    (0xC2, {}, 3), (0xEB, {}, 3), (0xFB, {}, 2), (0x42, {}, 2), (0xCB, {}, 3), (0xDB, {}, 3),
    (0x54, {}, 7), (0x44, {"m8": False, "x8": False}, 7),
])
def test_cycles(opcode: int, conditions: dict, cycles: int) -> None:
    assert OPCODES[opcode].cycles(**conditions) == cycles


def test_cycle_declarations_are_consistent() -> None:
    for info in OPCODES:
        assert 2 <= info.base_cycles <= 8, info
        if info.index_cycle:
            assert info.access == "read" and info.mode in (
                Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y, Mode.DIRECT_INDIRECT_Y), info
        if info.access == "rmw":
            assert info.m16_cycles == 2
    assert [i.opcode for i in OPCODES if i.per_byte_cycles] == [0x44, 0x54]
    assert sorted(i.mnemonic for i in OPCODES if i.native_cycle) == ["BRK", "COP", "RTI"]


def test_operand_length_and_decode() -> None:
    assert operand_length(Mode.IMMEDIATE_M, m8=True, x8=False) == 1
    assert operand_length(Mode.IMMEDIATE_M, m8=False, x8=True) == 2
    assert operand_length(Mode.IMMEDIATE_X, m8=True, x8=False) == 2
    assert operand_length(Mode.BLOCK_MOVE, m8=True, x8=True) == 2
    d = decode(bytes([0xEA, 0xA9, 0x34, 0x12]), 1, m8=False)
    assert (d.opcode, d.operand, d.length) == (0xA9, 0x1234, 3)
    assert decode(bytes([0xA9, 0x34, 0x12])).length == 2
    assert decode(bytes([0x54, 0x7E, 0x7F])).operand == (0x7E, 0x7F)
    assert decode(bytes([0xEA])).operand is None
    with pytest.raises(ValueError, match="needs 3"):
        decode(bytes([0xAF, 0x00]))


@pytest.mark.parametrize(("data", "flags", "address", "text"), [
    (b"\xb5\x10", {}, None, "LDA $10,X"),
    (b"\xa9\x34\x12", {"m8": False}, None, "LDA #$1234"),
    (b"\xa2\x05", {}, None, "LDX #$05"),
    (b"\xb7\x20", {}, None, "LDA [$20],Y"),
    (b"\x93\x03", {}, None, "STA ($03,S),Y"),
    (b"\xbf\x56\x34\x12", {}, None, "LDA $123456,X"),
    (b"\x7c\x00\x90", {}, None, "JMP ($9000,X)"),
    (b"\xdc\x00\x90", {}, None, "JML [$9000]"),
    (b"\x0a", {}, None, "ASL A"),
    (b"\xc2\x30", {}, None, "REP #$30"),
    (b"\x54\x7e\x7f", {}, None, "MVN $7E,$7F"),
    (b"\xd0\xfe", {}, 0x008010, "BNE $8010"),
    (b"\x80\x02", {}, 0x008010, "BRA $8014"),
    (b"\x82\x00\x80", {}, 0x00FFF0, "BRL $7FF3"),
    (b"\xd0\x03", {}, None, "BNE $+5"),
])
def test_format_instruction(data: bytes, flags: dict, address: int | None, text: str) -> None:
    assert format_instruction(decode(data, **flags), address) == text


def test_branch_target_wraps_in_bank() -> None:
    assert branch_target(decode(b"\x80\x10"), 0x01FFF8) == 0x01000A
    with pytest.raises(ValueError):
        branch_target(decode(b"\xea"), 0)
