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
    def __init__(self) -> None:
        self.functions: dict[str, object] = {}    # no `function`s: every call is a built-in

    def label_value(self, name: str, column: int) -> int:
        return 0x123456 + len(name) * 7 + column

    def label_width(self, name: str) -> int:
        return 3 if name.startswith("l") else 2

    def call_function(self, name: str, args: list[int | str], column: int) -> int:
        return len(name) * 100 + sum(a for a in args if isinstance(a, int)) + column

    def char_value(self, code: int, column: int) -> int:
        return code * 1000 + column


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
    for name in ("_SIMPLE", "_BINARY", "_UNARY"):
        monkeypatch.setattr(expressions, name, re.compile(r"(?!)"))
    monkeypatch.setattr(parser, "_fast_instruction", lambda *args: None)
    assert _view(text) == fast


@pytest.mark.parametrize("text", ["  label", "\t$0012 ", " %101", " 65536", "..x.y", "12ab",
                                  "$", " .a", "  $123456",
                                  # two atoms around an operator (`_BINARY`)
                                  "G02_208+5", " a - $12 ", "$12%101", "5 % %101", "$FF&%1010",
                                  "1<<4", "$1234>>8", "2**3", "7/0", "7%2", "a.b*'c'", "'''+1",
                                  "' '|1", "5abc+1", "$12G+1", "5.5+1", "1+2.5", "a(1)+2",
                                  "a+-1", "..x^$123456", "3 -4", "a+b", "1<2", "1==1", "$+1",
                                  # one after a unary operator (`_UNARY`)
                                  "-$12", "~%101", "+5", "<:label", " - $1234 ", "-label",
                                  "~'a'", "--5", "-+5", "<:$123456", "~.sub", "-5abc", "!5"])
def test_simple_expressions_match_general_parser(text: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def view() -> object:
        try:
            return _expr_view(parse_expression(text, column=5, file="t.asm", line=2))
        except AsmError as exc:
            return ("error", str(exc))

    fast = view()
    for name in ("_SIMPLE", "_BINARY", "_UNARY"):
        monkeypatch.setattr(expressions, name, re.compile(r"(?!)"))
    assert view() == fast


def test_fast_paths_are_taken() -> None:
    # Guards the comparison above: it only means something while the fast paths run.
    assert parser._fast_instruction("lda $12", 1, "t.asm", 1, False) is not None
    assert expressions._SIMPLE.fullmatch("label") is not None
    assert expressions._BINARY.fullmatch("label+1") is not None
    assert expressions._UNARY.fullmatch("-$12") is not None


# Whole lines for the assembler's line fast paths (`PLAIN_RE`, `LABEL_LINE_RE`).
LINES = [
    *STATEMENTS, "  lda #$12 ", "\tLDA.W\t$1234,X", "lda #f(1,2)", "lda #($12*3)", "lda #-$12",
    "lda ($12,x)", "lda ($12,S),Y", "lda ($12,s)", "lda ($12,x),y", "lda ($12),x", "lda [$12],x",
    "lda (label+2),y", "lda [label-1]", "lda label&$FFFF,y", "lda 'a',y", "lda ',',y",
    "lda ''',x", "lda #'''", "lda 2.5", "lda.b 2.5", "lda.w #2.5", "lda $12,z", "lda a", "inc A",
    "inc a,x", "asl.b a", "rep 3", "rep #3", "rep", "jmp ++", "bra --", "lda +5", "lda -",
    "lda #1,x", "lda #\"a\"", "lda \"a\"", "lda a==b", "lda #a==b", "lda <:label", "lda ~$12",
    "foo $12", "lda.bw $12", "lda#$12", "brk", "brk #$12", "wdm", "pea $1234", "per label",
    "lda.l $12", "mvp $7E7F", "lda $12 ,x", "lda ( $12 ),y", "jml [$0012]", "jmp [$0012]",
    "lda $000012", "sta.l $7E0010", "xba", "lda #%", "lda %", "lda $g",
    "label:", "  .sub", ".sub:", "..deep", "+", "--", "+:", "-:", " ++ ", "lda:", "if:",
    "label", ".sub x", "#label:", "++a", "+-", "label: :",
    "db $01", " DB $01,$02 , 3", "dw label+1, $1234", "dl $123456", "dd 1,2,3", "db +", "db",
    "db = 5", "db 1 : db 2", "db 'a'", "db.b 1", "db #$12", "db 2.5", "db ,", "db 1,", "dq 1",
    "db (1+2)*3", "db f(1,2)", "db $12\t", "dwx 1", 'db "NS"', 'db \'x\', "NV"',
    "dd 489&'}'", 'db "a,b", 1', 'db "a""b"', 'db "abc', "db ','", 'db ";"', 'db "a" , 2',
    "db \'\'\'\'", 'dw "ab"', 'db "', "db 'ab'", 'db "x"+1', '#a: db "q"', 'db "a b"  ',
    'db ""',
    "#_0080B5: LDY.b $10", "#_0080B7: LDA.w .low,Y", "  #a: jml.w [$0003]", "#a:\tdb $12, $34",
    "#a: db 1 : db 2", "#a:lda $12", "#a: #b: lda $12", "#a.b: lda $12", "#a: rep 3",
    "#a: mvn $7E7F", "#a: SEI", "#a: dw label+1", "#a:  BRA +", "#9a: lda $12",
]
# Lines the assembler must leave to its general path.
GENERAL_ONLY = ["rep +", "rep 3", "rep label", "mvn $7E7F", "mvp 1", "lda ($12,s)", "foo $12"]


def _line_view(sts: list) -> list:
    out = []
    for st in sts:
        if isinstance(st, Instruction):
            op = st.operand
            out.append(("ins", st.column, st.mnemonic, st.suffix, st.text, op.kind, op.anon,
                        _expr_view(op.expr), _expr_view(op.expr2)))
        elif isinstance(st, parser.Directive):
            out.append(("dir", st.column, st.name, st.args, st.arg_columns,
                        [(i.column, _expr_view(i.expr), i.string, i.anon) for i in st.items]))
        else:
            out.append((type(st).__name__, st.column, getattr(st, "name", None)))
    return out


def _general_line(line: str, precedence: bool) -> object:
    try:
        return _line_view([st for piece, col in parser.split_statements(line)
                           for st in parse_statement(piece, col, "t.asm", 7, precedence)])
    except AsmError as exc:
        return ("error", str(exc))


def _hash_label(m: re.Match[str]) -> list[parser.Label]:
    """The `#label:` before a fast-path line's statement, as the assembler runs it."""
    name = m.group("hl")
    return [] if name is None else [parser.Label(m.start("hl") + 1, name)]


@pytest.mark.parametrize("precedence", [False, True])
@pytest.mark.parametrize("line", LINES)
def test_line_fast_paths_match_general_parser(line: str, precedence: bool) -> None:
    plain = parser.PLAIN_RE.match(line)
    form = parser.plain_form(plain) if plain is not None else None
    if form is not None:
        try:
            fast: object = _line_view([*_hash_label(plain), parser.plain_instruction(
                plain, form, "t.asm", 7, precedence)])
        except AsmError as exc:
            fast = ("error", str(exc))
        assert fast == _general_line(line, precedence)
    label = parser.LABEL_LINE_RE.match(line)
    if label is not None:
        assert _line_view([parser.label_line(label)]) == _general_line(line, precedence)
    data = parser.DATA_LINE_RE.match(line)
    if data is not None:
        try:
            fast = _line_view([*_hash_label(data), parser.parse_directive(
                data.group("dn").lower(), data.group("args"), data.start("dn") + 1,
                data.start("args") + 1, "t.asm", 7, precedence)])
        except AsmError as exc:
            fast = ("error", str(exc))
        assert fast == _general_line(line, precedence)


@pytest.mark.parametrize("line", GENERAL_ONLY)
def test_line_fast_paths_leave_others(line: str) -> None:
    m = parser.PLAIN_RE.match(line)
    assert m is None or parser.plain_form(m) is None


def test_line_fast_paths_are_taken() -> None:
    # Guards the comparison above: the common shapes do take the fast paths.
    for line in ("lda #$12", "sta $7E0010,x", "lda (label+2),y", "bra --", "inc a", "nop"):
        m = parser.PLAIN_RE.match(line)
        assert m is not None and parser.plain_form(m) is not None, line
    for line in ("label:", ".sub", "++"):
        assert parser.LABEL_LINE_RE.match(line) is not None, line
    for line in ("db $01", "dw label+1, $1234", "#_008000: db $01"):
        assert parser.DATA_LINE_RE.match(line) is not None, line
    m = parser.PLAIN_RE.match("#_0080B5: LDY.b $10")
    assert m is not None and parser.plain_form(m) is not None


_PROGRAM = """lorom
org $008000
main:
#_008000: lda #$12
#_008002: lda #$56
  #_008004: db $01, $02
#a: lda main,x
  lda #$12
  {
  lda #$34
  }
  lda.w #$1234
  lda.b #$1234
  lda #300
  ldx #%1
  ldx #%101010101
  sep #$30
  rep #$20
  asl #2
  asl #3
  lda $12,x
  lda $1234,x
  lda $123456,x
  lda 'a',y
  lda ($12),y
  lda ($34),y
  sta.l $12
  sta.l $7E0010
  bra $8004
  bra $8010
  brl $9000
  jmp ($1234)
  jml [$0012]
  lda main,x
.sub
  bne .sub
  beq +
  lda main+2
  math pri on
  lda #2+3*4
  math pri off
  lda #2+3*4
  db $01, $02
  db $01, $02
  db $01,%101, 300
  dw $12,$3456
  dl 70000
  dd $12345678, 1
#_00A000: dd $123456789
  dw main, $1234, +
  dl $123456, main+1
  dd 1, 2
  db 3*4
  db "NS", 'x'
  dw "ab", 'c'+1
  lda #'q'
  db 'q'
  lda 'q',y
'q' = $7E
  lda #'q'
  db 'q'
  lda 'q',y
  dw "q", 'q'+1
pushtable
'q' = $56
  lda #'q'
pulltable
  lda #'q'
cleartable
  lda #'q'
  db 'q'
!v = $12
  lda #!v
  db !v, "!v"
  lda !v,x
!v = $1234
  lda #!v
  dw !v
!w = main
  lda !w
  dw !w+1
  db "x" : lda #!v
  lda #!v : nop
+ nop
-
  bra -
  inc a
  lda #$12
"""


def _assembly_view(source: str, **kwargs: object) -> tuple:
    from afs.asm.assembler import assemble

    asm = assemble(source, **kwargs)  # type: ignore[arg-type]
    return ([(ln.address, ln.data, ln.line, ln.text, ln.kind, ln.mnemonic, ln.mode, ln.opcode,
              ln.operand, ln.size_suffix, ln.offset) for ln in asm.listing],
            asm.symbols, asm.warnings, asm.rom(fix_checksum=False))


@pytest.mark.parametrize("options", [{"listing": True}, {"listing": False},
                                     {"listing": True, "strict": True}])
def test_assembler_line_fast_paths_match_general_path(options: dict,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from afs.asm import assembler, passes

    taken: list[object] = []
    run_shape = assembler._Pass.run_shape

    def counted(self: assembler._Pass, *args: object) -> object:
        out = run_shape(self, *args)  # type: ignore[arg-type]
        taken.append(out)
        return out

    monkeypatch.setattr(assembler._Pass, "run_shape", counted)
    # (strict: without the value it refuses)
    source = _PROGRAM
    if options.get("strict"):
        for wide, narrow in (("lda.b #$1234", "lda.b #$34"), ("%101, 300", "%101, 200"),
                             ("dd $123456789", "dd $12345678")):
            source = source.replace(wide, narrow)
    fast = _assembly_view(source, **options)
    if not options.get("strict"):
        # shapes learnt from one line write the next of the same shape
        assert any(out is not None for out in taken)
    for name in ("PLAIN_RE", "DATA_LINE_RE", "LABEL_LINE_RE"):
        monkeypatch.setattr(passes, name, re.compile(r"(?!)"))
    assert _assembly_view(source, **options) == fast


@pytest.mark.parametrize("mapper", ["lorom", "hirom", "exlorom", "exhirom", "norom", "sa1rom",
                                    "fullsa1rom", "sfxrom"])
def test_mappers_map_32k_chunks_linearly(mapper: str) -> None:
    # `PassState.emit` maps a write from its 32 KB chunk's offset, looked up once per chunk.
    from afs.asm.mapping import snes_to_pc

    for chunk in range(0x200):
        base = snes_to_pc(chunk << 15, mapper)
        for low in (0, 1, 0x1234, 0x7FFF):
            address = chunk << 15 | low
            assert snes_to_pc(address, mapper) == (None if base is None else base + low)
