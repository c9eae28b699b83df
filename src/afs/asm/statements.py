"""The statements the parser makes of asar source (`afs.asm.parser`), which the passes run:
labels, instructions, directives, macro calls, conditionals, define sets, and a file's parse
(`Program`). `afs.asm.parser` exports them too."""

from __future__ import annotations

from dataclasses import dataclass, field

from afs.asm.expressions import Expr


@dataclass(slots=True)
class Statement:
    column: int


@dataclass(slots=True)
class Label(Statement):
    name: str                  # as written: "main", ".sub", "..x"


@dataclass(slots=True)
class AnonLabel(Statement):
    name: str                  # "+", "--", ...


@dataclass(slots=True)
class Assign(Statement):
    name: str
    expr: Expr


@dataclass(slots=True)
class CharAssign(Statement):
    """`'c' = value`: the character table's entry for byte `code` (`afs.asm.tables`)."""

    code: int
    expr: Expr


@dataclass(slots=True)
class Operand:
    """An instruction operand. `kind` is one of: none, acc, imm, addr, x, y, s, ind, ind_x,
    ind_y, sr_ind_y, long_ind, long_ind_y, anon, move."""

    kind: str
    expr: Expr | None = None
    expr2: Expr | None = None  # MVN/MVP source bank
    anon: str | None = None    # "+", "--" for anonymous-label targets


@dataclass(slots=True)
class Instruction(Statement):
    mnemonic: str              # lower case
    suffix: str | None         # "b", "w", "l" or None
    operand: Operand
    text: str = ""


@dataclass(slots=True)
class SpcInstruction(Statement):
    """An SPC700 or SuperFX instruction (`arch spc700`/`arch superfx`); its operands are
    decoded when assembling."""

    mnemonic: str              # lower case
    suffix: str | None         # "b", "w" or None
    operand: str
    operand_column: int


@dataclass(slots=True)
class DataItem:
    column: int
    expr: Expr | None = None
    string: bytes | None = None
    anon: str | None = None
    hashed: bool = False        # `db #$12`: asar warns (`feature_deprecated`)


@dataclass(slots=True)
class Directive(Statement):
    name: str                  # lower case
    args: list[str] = field(default_factory=list)   # raw argument text, split at commas
    arg_columns: list[int] = field(default_factory=list)
    items: list[DataItem] = field(default_factory=list)   # db/dw/dl/dd
    exprs: list[Expr] = field(default_factory=list)


@dataclass(slots=True)
class MacroCall(Statement):
    name: str
    args: list[str]


@dataclass(slots=True)
class MacroDef(Statement):
    name: str
    params: list[str]
    body: list[tuple[int, str]] = field(default_factory=list)  # (line number, raw text)


@dataclass(slots=True)
class EndMacro(Statement):
    pass


@dataclass(slots=True)
class Conditional(Statement):
    keyword: str               # if, elseif, else, endif
    expr: Expr | None = None   # 1 or 0, read as asar reads it (`afs.asm.conditions`)


@dataclass(slots=True)
class DefineSet(Statement):
    name: str
    op: str                    # =, :=, #=, +=, ?=
    value: str
    rest: str = ""             # statements after ` : ` on the same line


@dataclass(slots=True)
class ParsedLine:
    file: str
    line: int
    text: str
    statements: list[Statement]


@dataclass(slots=True)
class Program:
    """The parse of one file: its lines with their statements, in order."""

    filename: str
    lines: list[ParsedLine]

    def statements(self) -> list[tuple[ParsedLine, Statement]]:
        """Every statement with the line it came from."""
        return [(ln, st) for ln in self.lines for st in ln.statements]
