"""DisassemblyParser and ConversationParser: boundaries, labels, comments, tables, prose."""

from __future__ import annotations

from afs.pretraining import ConversationParser, DisassemblyParser
from afs.pretraining.parsers import LineKind, classify, split_comment

ASM = """\
; ==============================================
; Bank $08
lorom
org $088000

; Refills Link's health.
; Called from the item code.
RefillHealth:
{
    SEP #$20
    LDA.l $7EF36C : STA.l $7EF36D  ; max -> current
.wait
    DEC A : BNE .wait
    RTL
}

Alias:
SecondRoutine: LDA.b #$20 ; start
    STA.b $10
    RTS

Table:
""" + "".join(f"    db ${i:02X}, ${i + 1:02X}\n" for i in range(40)) + """\
AfterTable:
    RTS
"""


def test_classify_lines() -> None:
    assert classify("") is LineKind.BLANK
    assert classify("; a comment") is LineKind.COMMENT
    assert classify("; ======") is LineKind.SEPARATOR
    assert classify("Main:") is LineKind.LABEL
    assert classify("Main: LDA #$00") is LineKind.LABEL
    assert classify(".loop") is LineKind.LOCAL
    assert classify("-") is LineKind.LOCAL
    assert classify("@skip:") is LineKind.LOCAL
    assert classify("    db $00, $01") is LineKind.DATA
    assert classify("\t.byte $00") is LineKind.DATA
    assert classify("org $008000") is LineKind.BOUNDARY
    assert classify("    LDA.b #$20 ; note") is LineKind.CODE
    assert classify("!speed = $20") is LineKind.CODE


def test_split_comment_ignores_semicolons_in_strings() -> None:
    assert split_comment('    db "a;b" ; real') == ('    db "a;b" ', "; real")
    assert split_comment("LDA $10") == ("LDA $10", "")


def test_routines_start_at_global_labels_with_their_comment_block() -> None:
    result = DisassemblyParser().parse(ASM)
    names = [doc.name for doc in result.documents]
    assert names == ["", "RefillHealth", "Alias", "Table", "AfterTable"]
    refill = result.documents[1]
    assert refill.kind == "routine"
    # The `org` opened a section with no code yet, so the routine's document includes it.
    assert refill.text.startswith(
        "org $088000\n\n; Refills Link's health.\n; Called from the item code.\nRefillHealth:"
    )
    assert ".wait" in refill.text and refill.text.endswith("}")
    assert (refill.start_line, refill.end_line) == (4, 15)
    # A label with no code of its own (an alias) stays with the routine that follows it.
    assert "SecondRoutine: LDA.b #$20" in result.documents[2].text
    # Banner comments are dropped.
    assert all("=====" not in doc.text for doc in result.documents)


def test_huge_data_tables_are_cut_down() -> None:
    parser = DisassemblyParser(max_table_lines=32, table_keep_lines=4)
    result = parser.parse(ASM)
    table = next(doc for doc in result.documents if doc.name == "Table")
    assert table.text.count("db ") == 4
    assert result.dropped_table_lines == 36
    # A table under the limit is kept whole.
    small = DisassemblyParser(max_table_lines=64).parse(ASM)
    assert next(d for d in small.documents if d.name == "Table").text.count("db ") == 40


def test_comment_stripping_is_configurable() -> None:
    stripped = DisassemblyParser(comments="strip").parse(ASM)
    text = "\n".join(doc.text for doc in stripped.documents)
    assert ";" not in text
    assert "LDA.l $7EF36C : STA.l $7EF36D" in text


def test_long_lines_and_long_routines() -> None:
    source = "Long:\n" + "".join(f"    LDA.b #${i % 256:02X}\n" for i in range(300))
    source += "    " + "x" * 2000 + "\n"
    result = DisassemblyParser(max_pretokens=100).parse(source)
    assert result.dropped_long_lines == 1
    assert len(result.documents) > 5
    assert all(doc.name == "Long" for doc in result.documents)
    rebuilt = [line for doc in result.documents for line in doc.text.splitlines()]
    assert rebuilt[1:] == [f"    LDA.b #${i % 256:02X}" for i in range(300)]


def test_conversation_parser_splits_at_headings_but_not_inside_code() -> None:
    notes = (
        "# Health\n\nLink's health lives at $7EF36D.\n\n"
        "```asm\n# not a heading\nLDA.l $7EF36D\n```\n\n"
        "## Rupees\n\nThe rupee counter is 16-bit at $7EF360.\n"
    )
    result = ConversationParser().parse(notes)
    assert [(d.kind, d.name) for d in result.documents] == [
        ("section", "Health"), ("section", "Rupees"),
    ]
    assert "# not a heading" in result.documents[0].text
    plain = ConversationParser().parse("Just some notes about sprites.\n\nMore notes here.\n")
    assert [d.kind for d in plain.documents] == ["prose"]
