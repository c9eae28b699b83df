"""validate_output: each finding type fires on the mistake and stays quiet on correct code."""

from __future__ import annotations

import pytest

from afs.knowledge.adapters import ALTTPKnowledgeGraph
from afs.knowledge.adapters.alttp_validation import Finding


@pytest.fixture(scope="module")
def graph() -> ALTTPKnowledgeGraph:
    return ALTTPKnowledgeGraph()


def kinds(graph: ALTTPKnowledgeGraph, text: str) -> list[tuple[int, str]]:
    return [(f.line, f.kind) for f in graph.validate_output(text)]


def test_unknown_address_in_a_documented_region(graph) -> None:
    found = graph.validate_output("LDA #$01\nSTA $7EF358\n")
    assert [(f.line, f.kind, f.severity) for f in found] == [
        (2, "unknown_address", "warning")]
    assert "wram_save_block" in found[0].message
    assert kinds(graph, "STA $2184") == [(1, "unknown_address")]
    assert kinds(graph, "The flag lives at $7EF358.") == [(1, "unknown_address")]
    # Known addresses, ROM and short prose numbers are not reported.
    assert kinds(graph, "LDA #$01\nSTA $7EF359\nJSL $0DBA71\nset it to $18 hearts") == []
    assert kinds(graph, "LDA $2145") == []  # APU port mirror


def test_unknown_wram_outside_a_mapped_block_is_info(graph) -> None:
    (finding,) = graph.validate_output("LDA $7E0B50")
    assert finding.severity == "info" and finding.kind == "unknown_address"


def test_write_to_read_only_register(graph) -> None:
    assert kinds(graph, "STA $4212") == [(1, "write_to_read_only")]
    assert kinds(graph, "STZ $804214") == [(1, "write_to_read_only")]
    assert kinds(graph, "INC $4210") == [(1, "write_to_read_only")]
    assert kinds(graph, "LDA $4212") == []
    assert kinds(graph, "STA $4200") == []


def test_read_of_write_only_register(graph) -> None:
    assert kinds(graph, "LDA $2100") == [(1, "read_of_write_only")]
    assert kinds(graph, "BIT $420B") == [(1, "read_of_write_only")]
    assert kinds(graph, "STA $2100") == []
    assert kinds(graph, "LDA $2140") == []  # APU ports read back
    assert kinds(graph, "LDA $4300,X") == []


def test_width_clobber_on_16_bit_stores(graph) -> None:
    code = "REP #$20\nLDA #$0018\nSTA $7EF36D\n"
    (finding,) = graph.validate_output(code)
    assert (finding.line, finding.kind, finding.severity) == (3, "width_clobber", "error")
    assert "magic_power" in finding.message
    assert kinds(graph, "REP #$30\nSTX $10") == [(2, "width_clobber")]
    assert kinds(graph, "REP #$20\nSTA $0E50,X") == [(2, "width_clobber")]
    assert kinds(graph, "REP #$20\nSTA $210D") == [(2, "width_clobber")]
    assert kinds(graph, "REP #$20\nSTA $2100") == [(2, "width_clobber")]


def test_width_is_tracked_through_rep_and_sep(graph) -> None:
    assert kinds(graph, "REP #$20\nSEP #$20\nSTA $7EF36D") == []
    assert kinds(graph, "SEP #$30\nSTA $7EF36D") == []
    assert kinds(graph, "REP #$20\nSTA $7EF360") == []  # a 16-bit variable
    assert kinds(graph, "REP #$20\nSTA $2116\nSTA $4302\nSTA $4300") == []  # register pairs
    assert kinds(graph, "REP #$10\nSTA $7EF36D") == []  # X is 16-bit, A is not
    assert kinds(graph, "STA $7EF36D") == []  # width unknown: no guess
    assert kinds(graph, "LDA.w #$1234\nSTA $7EF36D") == [(2, "width_clobber")]


def test_table_without_index(graph) -> None:
    (finding,) = graph.validate_output("LDA #$00\nSTA $0DD0")
    assert finding.kind == "table_without_index" and "slot 0" in finding.message
    assert kinds(graph, "LDA $0E53") == [(1, "table_without_index")]
    assert kinds(graph, "STZ $0DD0,X") == []
    assert kinds(graph, "LDA $0C4A,X") == []
    assert kinds(graph, "LDA ($00),Y") == []
    assert kinds(graph, "LDA $7EF37C") == []  # per-dungeon save table: direct use is normal


def test_value_out_of_range(graph) -> None:
    assert kinds(graph, "LDA #$A8\nSTA $7EF36C") == [(2, "value_out_of_range")]
    assert kinds(graph, "LDA #$A0\nSTA $7EF36C") == []
    assert kinds(graph, "LDA #$FF\nCLC\nSTA $7EF36E") == [(3, "value_out_of_range")]
    assert kinds(graph, "LDA #$FF\nINC\nSTA $7EF36E") == []  # A no longer known


def test_role_confusion(graph) -> None:
    assert kinds(graph, "STA $7EF36C ; set current health") == [(1, "role_confusion")]
    assert kinds(graph, "Current health is stored at $7EF36C.") == [(1, "role_confusion")]
    assert kinds(graph, "Write the HUD rupee display at $7EF360") == [(1, "role_confusion")]
    assert kinds(graph, "$7EF36C is the maximum and $7EF36D the current health.") == []
    assert kinds(graph, "STA $7EF36D ; set current health") == []
    assert kinds(graph, "STA $7EF36C ; raise the maximum health") == []


def test_defines_and_long_operands(graph) -> None:
    code = "!hp = $7EF36D\nREP #$20\nSTA !hp\nSEP #$20\nSTA.l !hp"
    assert kinds(graph, code) == [(3, "width_clobber")]


def test_findings_are_ordered_and_printable(graph) -> None:
    found = graph.validate_output("LDA $2100\nSTA $4212")
    assert [f.line for f in found] == [1, 2]
    assert str(found[0]).startswith("1:1: error: read_of_write_only")
    assert Finding(**found[0].to_dict()) == found[0]


def test_subclass_adds_a_check() -> None:
    class Strict(ALTTPKnowledgeGraph):
        @property
        def output_checks(self):
            def no_cheats(graph, lines):
                for line in lines:
                    for access in line.accesses:
                        if graph.resolve(access.address).node.name == "cheat_walk_through_walls":
                            yield Finding(line.number, access.column, "cheat", "error", "no")
            return [*super().output_checks, no_cheats]

    assert kinds(Strict(), "LDA #$01\nSTA $037F") == [(2, "cheat")]


@pytest.mark.parametrize(("code", "line", "kind"), [
    ("STA $7EF362 ; give the player 999 rupees", 1, "role_misuse"),
    ("; heal link\nLDA #$18\nSTA $7EF36C", 3, "role_misuse"),
    ("; current health\nSTA $7EF36C", 2, "role_confusion"),
    ("; current health\nLDA #$18\nSTA $7EF36C", 3, "role_confusion"),
])
def test_role_misuse_from_the_code_intent_and_neighbouring_comments(code, line, kind):
    findings = ALTTPKnowledgeGraph().validate_output(code)
    assert [(f.kind, f.line, f.severity) for f in findings] == [(kind, line, "error")]


@pytest.mark.parametrize("code", [
    "; give 999 rupees\nLDA #$E7\nSTA $7EF360\nSTA $7EF362",   # real count, then the HUD
    "; give a heart container\nLDA #$18\nSTA $7EF36C",
    "; set current and max health\nLDA #$18\nSTA $7EF36C\nSTA $7EF36D",
    "STA $7EF362 ; keep the HUD display in step",
    "; current health\nSTA $7EF36D\n\nSTA $7EF36C",             # the comment heads another block
])
def test_intended_writes_are_not_role_misuse(code):
    findings = ALTTPKnowledgeGraph().validate_output(code)
    assert not [f for f in findings if f.kind.startswith("role")]
