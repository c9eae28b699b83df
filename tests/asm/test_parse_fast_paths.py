"""The parser's fast paths (lone literal/label expressions, plain instructions) must build
exactly what the general tokenizer/parser path builds for the same text."""

from __future__ import annotations

import re

import pytest

from afs.asm import expressions, parser
from afs.asm.errors import AsmError
from afs.asm.expressions import Expr, parse_expression
from afs.asm.parser import Instruction, parse_statement

STATEMENTS = [
    "lda #$12", "lda.w #$12", "LDA.B $1234", "sta $7E0010,x", "lda ($12),y", "lda [$12],y",
    "jmp (label)", "jsr label", "lda .sub", "lda ..deep", "ldx #%1010", "ldy 300", "lda 70000",
    "lda   label", "nop", "inc a", "asl #3", "bra label", "bne +", "lda #'a'", "lda $12+1",
    "lda = 5", "lda =5", "sta:", "lda.q $12", "lda:", "rep #$30", "mvn $7E, $7F", "mvn $7E7F",
    "adc.l label,x", "sta ($01,s),y", "lda\t$0012", "lda 12ab", "lda $", "lda %2",
    "db $01", "lda.w", "label: lda $12", "- bra -", "cmp #label>>8",
]


class _Ctx:
    def label_value(self, name: str, column: int) -> int:
        return 0x123456 + len(name) * 7 + column

    def label_width(self, name: str) -> int:
        return 3 if name.startswith("l") else 2


def _expr_view(e: Expr | None) -> tuple | None:
    if e is None:
        return None
    return (e.text, e.column, e.static_width, e.labels, e.evaluate(_Ctx()), e.width(_Ctx()))


def _view(text: str) -> object:
    try:
        out = []
        for st in parse_statement(text, 3, "t.asm", 7):
            if isinstance(st, Instruction):
                op = st.operand
                out.append(("ins", st.column, st.mnemonic, st.suffix, st.text, op.kind, op.anon,
                            _expr_view(op.expr), _expr_view(op.expr2)))
            else:
                out.append((type(st).__name__, st.column))
        return out
    except AsmError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize("text", STATEMENTS)
def test_fast_paths_match_general_parser(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _view(text)
    monkeypatch.setattr(expressions, "_SIMPLE", re.compile(r"(?!)"))
    monkeypatch.setattr(parser, "_fast_instruction", lambda *args: None)
    assert _view(text) == fast


@pytest.mark.parametrize("text", ["  label", "\t$0012 ", " %101", " 65536", "..x.y", "12ab",
                                  "$", " .a", "  $123456"])
def test_simple_expressions_match_general_parser(text: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def view() -> object:
        try:
            return _expr_view(parse_expression(text, column=5, file="t.asm", line=2))
        except AsmError as exc:
            return ("error", str(exc))

    fast = view()
    monkeypatch.setattr(expressions, "_SIMPLE", re.compile(r"(?!)"))
    assert view() == fast


def test_fast_paths_are_taken() -> None:
    # Guards the comparison above: it only means something while the fast paths run.
    assert parser._fast_instruction("lda $12", 1, "t.asm", 1, False) is not None
    assert expressions._SIMPLE.fullmatch("label") is not None
