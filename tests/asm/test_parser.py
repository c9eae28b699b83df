"""The asar-syntax parser: AST shapes and positions; random text only ever raises AsmError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from afs.asm.assembler import assemble
from afs.asm.errors import AsmError
from afs.asm.expressions import parse_expression
from afs.asm.parser import (
    AnonLabel,
    Assign,
    Conditional,
    DefineSet,
    Directive,
    Instruction,
    Label,
    MacroCall,
    MacroDef,
    parse,
    split_statements,
    strip_comment,
)


class _NoLabels:
    def label_value(self, name: str, column: int) -> int:
        raise AssertionError(name)

    def label_width(self, name: str) -> int:
        return 2

    def char_value(self, code: int, column: int) -> int:
        return code         # (no table)


def value(text: str, precedence: bool = False) -> int:
    return parse_expression(text, precedence=precedence).evaluate(_NoLabels())


def test_statements_and_positions() -> None:
    program = parse("main: lda.w $1234,x ; comment\n  .loop : dex : bne .loop\n"
                    "!x = 5\nvalue = !x*2\n+ rts\n%m(1, 2)\nmacro m(a, b)\ndb <a>\n"
                    "endmacro\nif 1 == 1\nendif\ndb \"ab;c\", 1", filename="f.asm")
    kinds = [(ln.line, type(s).__name__, s.column) for ln, s in program.statements()]
    assert kinds == [
        (1, "Label", 1), (1, "Instruction", 7),
        (2, "Label", 3), (2, "Instruction", 11), (2, "Instruction", 17),
        (3, "DefineSet", 1), (4, "Assign", 1), (5, "AnonLabel", 1), (5, "Instruction", 3),
        (6, "MacroCall", 1), (7, "MacroDef", 1), (9, "EndMacro", 1),
        (10, "Conditional", 1), (11, "Conditional", 1), (12, "Directive", 1),
    ]
    stmts = [s for _, s in program.statements()]
    ins = stmts[1]
    assert isinstance(ins, Instruction)
    assert (ins.mnemonic, ins.suffix, ins.operand.kind) == ("lda", "w", "x")
    assert ins.operand.expr is not None and ins.operand.expr.text == "$1234"
    assert isinstance(stmts[0], Label) and stmts[0].name == "main"
    assert isinstance(stmts[5], DefineSet) and stmts[5].value == "5"
    assign = stmts[6]
    assert isinstance(assign, Assign) and assign.expr.text == "5*2"  # define substituted
    assert isinstance(stmts[7], AnonLabel) and stmts[7].name == "+"
    assert isinstance(stmts[9], MacroCall) and stmts[9].args == ["1", "2"]
    macro = stmts[10]
    assert isinstance(macro, MacroDef) and macro.params == ["a", "b"]
    assert macro.body == [(8, "db <a>")]
    assert isinstance(stmts[12], Conditional) and stmts[12].keyword == "if"
    data = stmts[14]
    assert isinstance(data, Directive) and data.items[0].string == b"ab;c"


def test_operand_kinds() -> None:
    cases = {"lda ($10),y": "ind_y", "lda ($10,x)": "ind_x", "lda ($10,s),y": "sr_ind_y",
             "lda [$10]": "long_ind", "lda [$10],y": "long_ind_y", "lda $10,s": "s",
             "lda ($10)": "ind", "lda (1+2)*3": "addr", "asl a": "acc", "asl": "none",
             "bra -": "anon", "mvn $7e,$7f": "move", "lda #(1)": "imm", "ldx $10,y": "y"}
    for text, kind in cases.items():
        (ln,) = parse(text).lines
        (ins,) = ln.statements
        assert isinstance(ins, Instruction) and ins.operand.kind == kind, text


def test_comment_and_separator_rules() -> None:
    assert strip_comment('db ";" ; x') == 'db ";" '
    # asar splits only at a colon with whitespace on both sides
    assert split_statements("lda #0 : sta $00") == [("lda #0", 1), ("sta $00", 10)]
    assert split_statements("label: lda #0") == [("label: lda #0", 1)]
    assert split_statements('db ":" : nop') == [('db ":"', 1), ("nop", 10)]


def test_xkas_left_to_right_math_and_precedence_mode() -> None:
    assert value("5+6*2") == 22
    assert value("5+6*2", precedence=True) == 17
    assert value("2+3<<1", precedence=True) == 10
    assert value("1^3&1", precedence=True) == 0
    assert value("-7/2") == -3 and value("-7%3") == -1
    assert value("5%101") == 5 and value("%101") == 5
    assert value("<:$123456") == 0x12 and value("~$80") == ~0x80
    assert value("'''") == 0x27


def test_widths_follow_asar() -> None:
    widths = {"$12": 1, "$0012": 2, "$000012": 3, "255": 1, "256": 2, "70000": 3,
              "$12+$1234": 2, "%000000001": 2, "'a'": 1, "-129": 1}
    for text, width in widths.items():
        assert parse_expression(text).width(_NoLabels()) == width, text


_ASM_ALPHABET = st.sampled_from([*"abcdlx#$%()[],.:;+-*/<>=!&|^~'\" \n0123456789",
                                 "lda", "org", "db", "macro", "endmacro", "if", "endif",
                                 "else", "%m(", "!a", "<x>", "incsrc", "rep", " : ", "mvn",
                                 "bra", "pushpc", "pullpc", "base", "namespace", "math pri on"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ASM_ALPHABET, max_size=40).map("".join))
def test_random_text_raises_only_asm_error(text: str) -> None:
    for fn in (lambda: parse(text, filename="r.asm"),
               lambda: assemble(text, filename="r.asm"),
               lambda: assemble("org $008000\n" + text, filename="r.asm")):
        try:
            fn()
        except AsmError as err:
            assert err.line is not None and err.line >= 1
            assert err.column is not None and err.column >= 1
            assert str(err).startswith(f"r.asm:{err.line}:{err.column}: ")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_unicode_raises_only_asm_error(text: str) -> None:
    try:
        assemble(text, filename="u.asm")
    except AsmError as err:
        assert err.line is not None and err.column is not None
