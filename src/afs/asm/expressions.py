"""asar 1.91 math: tokenising, parsing and evaluating operand expressions.

Behaviour checked against the asar 1.91 binary:

- Integers only (C semantics: `/` and `%` truncate toward zero, `>>` is arithmetic). A
  decimal literal may have a fraction (`2.5`, `2.`), read as a C double and truncated toward
  zero at once (`db 2.5*4` is 8, `db 1.999999999999999999999` is 2); asar 1.91 rejects one
  in an instruction operand without a size suffix (`lda 2.5`; `lda.b 2.5` is `lda.b 2`).
- By default asar evaluates binary operators strictly left to right (xkas style:
  `5+6*2` is 22); `math pri on` switches to C precedence: `**` > `* / %` > `+ -` > `<< >>` >
  `&` > `^` > `|`. Unary `- + ~ <:` bind tightest. Parentheses work in both modes.
- Literals: `$hex`, `%binary`, decimal, `'c'` (its value is the character's through the
  table in force, `afs.asm.tables`: never constant). No comparison or `&& ||`: a condition
  compares and joins whole expressions, each one word (`afs.asm.conditions`).
- An expression's *width* (how many operand bytes asar picks when no `.b/.w/.l` is given) is
  the widest atom in it: a hex or binary literal by its digit count, a decimal literal by
  its value, a character literal 1 (whatever the table maps it to), a label by 2 when it is
  in the bank of the code using it, else 3.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from afs.asm.errors import AsmError


class EvalContext(Protocol):
    """What an expression needs from the assembler while it is evaluated."""

    def label_value(self, name: str, column: int) -> int: ...

    def label_width(self, name: str) -> int: ...

    # `function`s defined so far (lower-case names): called with their arguments' text
    functions: dict[str, Any]

    def call_function(self, name: str, args: list[int | str], column: int) -> int: ...

    def anon_value(self, anon: str, column: int) -> int: ...

    def char_value(self, code: int, column: int) -> int: ...


Evaluator = Callable[[EvalContext], int]

# A label as written: a sublabel's part after its dots may begin with a digit (`.4digit`),
# and a name may hold dots after its first character (`Struct.field`, `.a.b`), as in asar.
SUBLABEL_NAME = r"\.+[A-Za-z0-9_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
LABEL_NAME = rf"(?:{SUBLABEL_NAME}|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"

_TOKEN = re.compile(rf"""
    (?P<ws>\s+)
  | \$(?P<hex>[0-9A-Fa-f]*)
  | %(?P<bin>[01]+)
  | (?P<dec>[0-9]+(?:\.[0-9.]*)?)
  | '(?P<char>'(?=')|[^']*)'
  | "(?P<str>(?:[^"]|"")*)"
  | (?P<name>{LABEL_NAME})
  | (?P<op>\*\*|<<|>>|<=|>=|==|!=|&&|\|\||<:|[-+*/%&|^~()<>!,\[\]])
""", re.VERBOSE)

# A whole expression that is one literal or one label: most operands, parsed without the
# tokenizer and parser (same groups and rules as `_TOKEN`).
_SIMPLE = re.compile(rf"""
    \$(?P<hex>[0-9A-Fa-f]+)
  | %(?P<bin>[01]+)
  | (?P<dec>[0-9]+)
  | (?P<name>{LABEL_NAME})
""", re.VERBOSE)

# A whole expression that is two literals or labels around one operator (most that are not
# one alone): parsed without the tokenizer (same atoms and rules as `_TOKEN`; `%` after a
# value is the modulo operator there too).
_ATOM = (r"\$[0-9A-Fa-f]+|%[01]+|[0-9]+|'[^']'"
         rf"|{LABEL_NAME}")
_BINARY = re.compile(rf"\s*({_ATOM})\s*(\*\*|<<|>>|[-+*/%&|^])\s*({_ATOM})\s*")
# ... and one literal or label after a unary operator (`-$12`, `~%101`, `<:label`)
_UNARY = re.compile(rf"\s*(<:|[-+~])\s*({_ATOM})\s*")

# the functions whose argument is a name (asar's symbolic arguments), quoted or not
_SYMBOL_FUNCTIONS = ("sizeof", "objectsize", "datasize")
_ANON_NAME = re.compile(r"\++|-+")
# An argument asar passes to a `function` as written: letters, digits and `_` only.
_BARE_ARGUMENT = re.compile(r"[A-Za-z0-9_]+")
_CONDITION_OPS = frozenset({"==", "!=", "<", ">", "<=", ">=", "&&", "||", "!"})
# C precedence under `math pri on`; higher binds tighter.
_PRECEDENCE = {"|": 1, "^": 2, "&": 3, "<<": 4, ">>": 4, "+": 5, "-": 5,
               "*": 6, "/": 6, "%": 6, "**": 7}


def literal_width_hex(digits: str) -> int:
    """Bytes asar gives a `$` literal with this many digits (1..3)."""
    return min(3, max(1, (len(digits) + 1) // 2))


def value_width(value: int) -> int:
    """Bytes asar gives a decimal literal of this value (1..3)."""
    value = abs(value)
    if value <= 0xFF:
        return 1
    if value <= 0xFFFF:
        return 2
    return 3


# Not frozen: a frozen dataclass's __init__ is several times slower, and tokens are hot.
@dataclass(slots=True)
class Token:
    kind: str          # "num", "chr" (a `'c'` literal), "name", "op", "str"
    text: str
    column: int        # 1-based column in the source line
    value: int = 0
    width: int = 0


@dataclass(slots=True)
class Expr:
    """A parsed expression: evaluate it with `evaluate(ctx)`; `width(ctx)` gives its size."""

    text: str
    column: int
    evaluate: Evaluator
    static_width: int
    labels: tuple[str, ...]
    # No label, no function call: the same value in every pass (and every state).
    constant: bool = False
    # Constant but for its `'c'` literals, whose values are the table's (the assembler keeps
    # them as constants until a table is set: `afs.asm.tables.table_set`).
    chars: bool = False
    # Labels named by `datasize()`: their values are not read, but asar refuses them where a
    # label must be static (`PassState.nonstatic_label`).
    named: tuple[str, ...] = ()

    def width(self, ctx: EvalContext) -> int:
        """The operand size asar infers for this expression (1..3)."""
        w = self.static_width
        for name in self.labels:
            lw = ctx.label_width(name)
            if lw > w:
                w = lw
        return w

    @property
    def has_labels(self) -> bool:
        return bool(self.labels)


_FRACTION_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]*)?")


def tokenize(text: str, column: int, file: str, line: int, *,
             fractions: bool = True) -> list[Token]:
    """Split expression text into tokens; `column` is where `text` starts on its line.
    `fractions`: decimal literals may have a fraction (see the module docstring)."""
    tokens: list[Token] = []
    pos = 0
    n = len(text)
    match = _TOKEN.match
    while pos < n:
        m = match(text, pos)
        col = column + pos
        if m is None:
            raise AsmError(f"invalid character {text[pos]!r} in expression", file, line, col)
        kind = m.lastgroup
        pos = m.end()
        # (the kinds are exclusive: the most common first)
        if kind == "name":
            tokens.append(Token("name", m[0], col))
        elif kind == "op":
            tokens.append(Token("op", m[0], col))
        elif kind == "ws":
            continue
        elif kind == "hex":
            digits = m.group("hex")
            if not digits:
                raise AsmError("invalid hex value '$'", file, line, col)
            tokens.append(Token("num", m.group(0), col, int(digits, 16),
                                literal_width_hex(digits)))
        elif kind == "bin" and tokens and (tokens[-1].kind != "op" or tokens[-1].text == ")"):
            # after a value, `%` is the modulo operator (`5%101` is 5 mod 101)
            tokens.append(Token("op", "%", col))
            pos = m.start() + 1
        elif kind == "bin":
            bits = m.group("bin")
            tokens.append(Token("num", m.group(0), col, int(bits, 2),
                                min(3, (len(bits) + 7) // 8)))
        elif kind == "dec":
            digits = m.group("dec")
            if pos < n and (text[pos].isalpha() or text[pos] == "_"):
                raise AsmError(f"invalid number {text[m.start():pos + 1]!r}", file, line, col)
            if "." in digits:
                if not fractions:
                    raise AsmError(f"a number with a fraction ({digits!r}) needs a size suffix "
                                   "on the instruction (.b, .w or .l)", file, line, col)
                # the C double's digits (as strtod reads them; `2.5.3` is 2.5), truncated
                fraction = _FRACTION_DIGITS.match(digits)
                assert fraction is not None
                value = int(float(fraction.group(0)))
            else:
                value = int(digits)
            tokens.append(Token("num", m.group(0), col, value, value_width(value)))
        elif kind == "char":
            body = m.group("char")
            if len(body) != 1:
                raise AsmError(f"invalid character literal {m.group(0)!r}", file, line, col)
            tokens.append(Token("chr", m.group(0), col, ord(body), 1))
        else:
            tokens.append(Token("str", m.group("str").replace('""', '"'), col))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token], text: str, column: int, file: str, line: int,
                 precedence: bool) -> None:
        self.tokens = tokens
        self.i = 0
        self.text = text
        self.column = column
        self.file = file
        self.line = line
        self.precedence = precedence
        self.width = 0
        self.labels: list[str] = []
        self.calls = False
        self.named: list[str] = []      # labels `datasize()` names (see `Expr.named`)
        self.chars = False          # a `'c'` literal: its value depends on the table
        # left to right, a chain of operators C precedence would group otherwise
        self.mixed = False

    def error(self, message: str, column: int | None = None) -> AsmError:
        return AsmError(message, self.file, self.line, self.column if column is None else column)

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def end_column(self) -> int:
        return self.column + len(self.text.rstrip())

    # --- arithmetic ------------------------------------------------------------------------------
    def parse_math(self) -> Evaluator:
        if self.precedence:
            return self.parse_binary(1)
        left = self.parse_unary()
        level = 0
        while (t := self.peek()) is not None and t.text in _PRECEDENCE:
            self.i += 1
            right = self.parse_unary()
            left = _binary(t.text, left, right, self.file, self.line, t.column)
            if level != _PRECEDENCE[t.text]:
                self.mixed = self.mixed or level != 0
                level = _PRECEDENCE[t.text]
        return left

    def parse_binary(self, level: int) -> Evaluator:
        left = self.parse_unary()
        while (t := self.peek()) is not None and _PRECEDENCE.get(t.text, 0) >= level:
            self.i += 1
            right = self.parse_binary(_PRECEDENCE[t.text] + 1)
            left = _binary(t.text, left, right, self.file, self.line, t.column)
        return left

    def parse_struct_array(self, t: Token) -> Evaluator:
        """asar's struct arrays: `Name[i]` and `Name[i].field` are `Name` and `Name.field`
        plus i times the struct's object size."""
        self.i += 1
        index = self.parse_math()
        close = self.peek()
        if close is None or close.text != "]":
            raise self.error("missing ']'", close.column if close else self.end_column())
        self.i += 1
        field = self.peek()
        name = t.text
        if (field is not None and field.kind == "name" and field.text.startswith(".")
                and field.column == close.column + 1):
            self.i += 1
            name += field.text
        self.labels.append(name)
        struct, col = t.text, t.column
        return lambda ctx: (ctx.label_value(name, col)
                            + index(ctx) * ctx.call_function("objectsize", [struct], col))

    def parse_unary(self) -> Evaluator:
        t = self.peek()
        if t is None:
            raise self.error(f"expected a value at the end of {self.text.strip()!r}",
                             self.end_column())
        self.i += 1
        if t.kind == "num":
            self.width = max(self.width, t.width)
            value = t.value
            return lambda ctx: value
        if t.kind == "chr":
            self.width = max(self.width, 1)
            self.chars = True
            return _char(t.value, t.column)
        if t.kind == "name":
            nxt = self.peek()
            if nxt is not None and nxt.text == "(" and nxt.column == t.column + len(t.text):
                return self.parse_call(t)
            if nxt is not None and nxt.text == "[" and nxt.column == t.column + len(t.text):
                return self.parse_struct_array(t)
            name, col = t.text, t.column
            self.labels.append(name)
            return lambda ctx: ctx.label_value(name, col)
        if t.kind == "str":
            raise self.error("a string is only allowed as a function argument", t.column)
        op = t.text
        if op == "(":
            inner = self.parse_math()
            close = self.peek()
            if close is None or close.text != ")":
                raise self.error("missing ')'", close.column if close else self.end_column())
            self.i += 1
            return inner
        if op == "-":
            inner = self.parse_unary()
            return lambda ctx: -inner(ctx)
        if op == "+":
            return self.parse_unary()
        if op == "~":
            inner = self.parse_unary()
            return lambda ctx: ~inner(ctx)
        if op == "<:":
            inner = self.parse_unary()
            return lambda ctx: inner(ctx) >> 16
        raise self.error(f"unexpected '{op}' in expression", t.column)


    def parse_call(self, name_token: Token) -> Evaluator:
        """`name(arg, ...)`: a built-in or `function`; string arguments stay strings."""
        self.i += 1                          # the "("
        args: list[Evaluator | str] = []
        # each argument as asar puts it into a `function`'s body: a string with its quotes, a
        # bare name or number as written (evaluated only where the body uses it), else None
        # (its value, written out, when called)
        texts: list[str | None] = []
        quoted = False
        t = self.peek()
        if t is not None and t.text == ")":
            self.i += 1
        else:
            while True:
                t = self.peek()
                nxt = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
                bare_name = (t is not None and t.kind == "name" and name_token.text.lower() in
                             _SYMBOL_FUNCTIONS)
                if t is not None and (t.kind == "str" or bare_name) and nxt is not None and \
                        nxt.text in (",", ")"):
                    self.i += 1
                    args.append(t.text)
                    texts.append(f'"{t.text}"' if t.kind == "str" else t.text)
                    if name_token.text.lower() == "datasize":
                        self.named.append(t.text)
                    # `sizeof("Name")`: asar takes the quotes, with a warning
                    quoted = quoted or (t.kind == "str" and name_token.text.lower() in
                                        _SYMBOL_FUNCTIONS)
                else:
                    bare = None
                    if (t is not None and t.kind in ("name", "num") and nxt is not None
                            and nxt.text in (",", ")") and _BARE_ARGUMENT.fullmatch(t.text)):
                        bare = t.text
                    texts.append(bare)
                    args.append(self.parse_math())
                t = self.peek()
                if t is None:
                    raise self.error("missing ')'", self.end_column())
                self.i += 1
                if t.text == ")":
                    break
                if t.text != ",":
                    raise self.error(f"unexpected '{t.text}' in arguments", t.column)
        name, col = name_token.text.lower(), name_token.column
        self.calls = True
        self.width = max(self.width, 2)       # asar sizes a call as it sizes a label
        if name in ("pc", "realbase") and args:
            raise self.error(f"{name}() takes no arguments", col)

        def call(ctx: EvalContext) -> int:
            if name in ctx.functions:
                return ctx.call_function(name, [
                    text if text is not None else str(a(ctx))  # type: ignore[operator]
                    for a, text in zip(args, texts, strict=True)], col)
            values = [a if isinstance(a, str) else a(ctx) for a in args]
            return ctx.call_function(name, values, col)

        return reported(call, "quoted_symbol_used") if quoted else call


def _binary(op: str, left: Evaluator, right: Evaluator, file: str, line: int,
            column: int) -> Evaluator:
    if op == "+":
        return lambda ctx: left(ctx) + right(ctx)
    if op == "-":
        return lambda ctx: left(ctx) - right(ctx)
    if op == "*":
        return lambda ctx: left(ctx) * right(ctx)
    if op == "&":
        return lambda ctx: left(ctx) & right(ctx)
    if op == "|":
        return lambda ctx: left(ctx) | right(ctx)
    if op == "^":
        return lambda ctx: left(ctx) ^ right(ctx)
    if op == "<<":
        return lambda ctx: _shift(left(ctx), right(ctx), True, file, line, column)
    if op == ">>":
        return lambda ctx: _shift(left(ctx), right(ctx), False, file, line, column)
    if op == "**":
        def power(ctx: EvalContext) -> int:
            a, b = left(ctx), right(ctx)
            if b < 0 and a not in (1, -1) and getattr(ctx, "exact_math", False):
                raise AsmError(_FRACTION, file, line, column)
            return _power(a, b, file, line, column)
        return power

    def divide(ctx: EvalContext) -> int:
        a, b = left(ctx), right(ctx)
        if b == 0:
            if not getattr(ctx, "errors_kept", True):
                return 0    # (labels not found yet, `Label2-Label1`: a later pass decides)
            raise AsmError("division by zero", file, line, column)
        q = abs(a) // abs(b)
        if (a < 0) != (b < 0):
            q = -q
        if op == "/" and q * b != a and getattr(ctx, "exact_math", False):
            raise AsmError(_FRACTION, file, line, column)
        return q if op == "/" else a - q * b

    return divide


# `asar 1.90` and later (and `math round off`) keep fractions between operations; AFS's
# integers give the same result exactly when no operation makes one.
_FRACTION = ("this operation gives a fraction, which asar keeps under 'asar 1.90'/'math round "
             "off' and AFS's integer math cannot (round it: floor(), or reorder the math)")


def _truncated_literal(fn: Evaluator, file: str, line: int, column: int) -> Evaluator:
    """`fn`, refusing where asar would keep a literal's fraction (`asar 1.90`, `math round
    off`) rather than truncate it as AFS did when reading it."""
    def evaluate(ctx: EvalContext) -> int:
        if getattr(ctx, "exact_math", False):
            raise AsmError(_FRACTION_LITERAL, file, line, column)
        return fn(ctx)
    return evaluate


_FRACTION_LITERAL = ("a number with a fraction, which asar keeps under 'asar 1.90'/'math round "
                     "off' and AFS's integer math cannot (write the whole number)")


def _shift(a: int, b: int, left: bool, file: str, line: int, column: int) -> int:
    if b < 0:
        raise AsmError(f"negative shift count {b} (asar refuses it too)", file, line, column)
    b &= 63     # (asar shifts a 64-bit integer: by the count's low six bits, as x86 does)
    return _wrap64(a << b) if left else a >> b


def _power(a: int, b: int, file: str, line: int, column: int) -> int:
    if b < 0:
        return 1 if a == 1 else 0
    if b > 64:
        raise AsmError(f"exponent {b} too large", file, line, column)
    return _wrap64(a**b)


def _wrap64(v: int) -> int:
    v &= 0xFFFFFFFFFFFFFFFF
    return v - (1 << 64) if v >> 63 else v


def reported(fn: Evaluator, hook: str) -> Evaluator:
    """`fn`, telling the context (its method `hook`, if any) each time it is evaluated."""
    def evaluate(ctx: EvalContext) -> int:
        report = getattr(ctx, hook, None)
        if report is not None:
            report()
        return fn(ctx)
    return evaluate


def _order_checked(fn: Evaluator, precedence: Evaluator) -> Evaluator:
    """`fn` (left to right), telling the context (its `math_order_differs`, if any) when C
    precedence gives another value, or fails (asar: `xkas style left to right math`)."""
    def evaluate(ctx: EvalContext) -> int:
        value = fn(ctx)
        report = getattr(ctx, "math_order_differs", None)
        if report is not None:
            try:
                differs = precedence(ctx) != value
            except AsmError:
                differs = True
            if differs:
                report()
        return value
    return evaluate


def parse_expression(text: str, *, column: int = 1, file: str = "<input>", line: int = 1,
                     precedence: bool = False, fractions: bool = True) -> Expr:
    """Parse `text` (which starts at `column` of its line) into an `Expr`; `fractions`:
    whether decimal literals may have one (see the module docstring)."""
    stripped = text.strip()
    if not stripped:
        raise AsmError("expected an expression", file, line, column)
    simple = _SIMPLE.fullmatch(stripped)
    if simple is not None:
        return _simple_expr(simple, stripped, column, column + len(text) - len(text.lstrip()))
    if _ANON_NAME.fullmatch(stripped):      # `org --`: an anonymous label's address
        col = column + len(text) - len(text.lstrip())
        return Expr(stripped, column, lambda ctx: ctx.anon_value(stripped, col), 2, (stripped,))
    pair = _BINARY.fullmatch(text)
    if pair is not None:
        return _binary_expr(pair, stripped, column, file, line)
    pair = _UNARY.fullmatch(text)
    if pair is not None:
        return _unary_expr(pair, stripped, column)
    tokens = tokenize(text, column, file, line, fractions=fractions)
    fraction = False
    for tok in tokens:
        kind = tok.kind
        if kind == "op":
            if tok.text in _CONDITION_OPS:
                raise AsmError(f"'{tok.text}' is no operator of asar's math: a condition "
                               f"compares or joins words ('if a == b && c'), with spaces",
                               file, line, tok.column)
        elif kind == "num" and "." in tok.text:
            fraction = True

    parser = _Parser(tokens, text, column, file, line, precedence)
    fn = parser.parse_math()
    if parser.mixed:
        # asar evaluates it with C precedence too and warns where the values differ
        other = _Parser(tokens, text, column, file, line, True)
        fn = _order_checked(fn, other.parse_math())
    if fraction:
        fn = _truncated_literal(fn, file, line, column)
    rest = parser.peek()
    if rest is not None:
        what = "','" if rest.text == "," else f"'{rest.text}'"
        raise AsmError(f"unexpected {what} in expression", file, line, rest.column)
    fixed = not parser.labels and not parser.calls
    return Expr(stripped, column, fn, parser.width, tuple(parser.labels),
                fixed and not parser.chars, fixed and parser.chars, tuple(parser.named))


# Lone literals repeat across a source: one immutable `Expr` per (text, column) is shared.
_LITERALS: dict[tuple[str, int], Expr] = {}


def _simple_expr(m: re.Match[str], stripped: str, column: int, col: int) -> Expr:
    """The `Expr` of a lone literal or label (`col`: where it starts), as the parser builds it."""
    kind = m.lastgroup
    if kind == "name":
        return _label_expr(stripped, column, col)
    hit = _LITERALS.get((stripped, column))
    if hit is not None:
        return hit
    digits = m.group(kind)
    if kind == "hex":
        value, width = int(digits, 16), literal_width_hex(digits)
    elif kind == "bin":
        value, width = int(digits, 2), min(3, (len(digits) + 7) // 8)
    else:
        value = int(digits)
        width = value_width(value)
    return _literal_expr(stripped, column, value, width)


def atom_expr(text: str, column: int) -> Expr:
    """What `parse_expression` gives for `text` at `column`, where `text` is already known to
    be one `$hex`, `%binary`, decimal or `'c'` literal or one label (no space around it)."""
    hit = _LITERALS.get((text, column))
    if hit is not None:
        return hit
    first = text[0]
    if first in "$%" or "0" <= first <= "9":
        return _literal_expr(text, column, *literal_value(text))
    if first == "'":
        expr = Expr(text, column, _char(ord(text[1]), column), 1, (), False, True)
        if len(_LITERALS) < 20_000:
            _LITERALS[(text, column)] = expr
        return expr
    return _label_expr(text, column, column)


def literal_value(text: str) -> tuple[int, int]:
    """(value, width) of one `$hex`, `%binary` or decimal literal, known to be one."""
    first = text[0]
    if first == "$":
        return int(text[1:], 16), literal_width_hex(text[1:])
    if first == "%":
        return int(text[1:], 2), min(3, (len(text) + 6) // 8)
    value = int(text)
    return value, value_width(value)


def _char(code: int, column: int) -> Evaluator:
    """A `'c'` literal of character `code` (at `column`): its value in the table in force."""
    return lambda ctx: ctx.char_value(code, column)


def _binary_expr(m: re.Match[str], stripped: str, column: int, file: str, line: int) -> Expr:
    """The `Expr` of `a op b` (a `_BINARY` match), as the parser builds it."""
    width = 0
    labels: list[str] = []
    sides: list[Evaluator] = []
    chars = False
    for group in (1, 3):
        text, col = m.group(group), column + m.start(group)
        first = text[0]
        if first in "$%" or "0" <= first <= "9":
            value, size = literal_value(text)
            width = max(width, size)
            sides.append(lambda ctx, value=value: value)
        elif first == "'":
            width = max(width, 1)
            chars = True
            sides.append(_char(ord(text[1]), col))
        else:
            labels.append(text)
            sides.append(lambda ctx, name=text, col=col: ctx.label_value(name, col))
    fn = _binary(m.group(2), sides[0], sides[1], file, line, column + m.start(2))
    return Expr(stripped, column, fn, width, tuple(labels), not labels and not chars,
                chars and not labels)


_UNARY_OPS: dict[str, Callable[[int], int]] = {
    "-": lambda v: -v, "+": lambda v: v, "~": lambda v: ~v, "<:": lambda v: v >> 16}


def _unary_expr(m: re.Match[str], stripped: str, column: int) -> Expr:
    """The `Expr` of `op a` (a `_UNARY` match), as the parser builds it."""
    apply = _UNARY_OPS[m.group(1)]
    text = m.group(2)
    first = text[0]
    if first in "$%" or "0" <= first <= "9":
        value, width = literal_value(text)
        result = apply(value)
        return Expr(stripped, column, lambda ctx: result, width, (), True)
    col = column + m.start(2)
    if first == "'":
        char = _char(ord(text[1]), col)
        return Expr(stripped, column, lambda ctx: apply(char(ctx)), 1, (), False, True)
    return Expr(stripped, column, lambda ctx: apply(ctx.label_value(text, col)), 0, (text,))


def _label_expr(name: str, column: int, col: int) -> Expr:
    def label(ctx: EvalContext) -> int:
        return ctx.label_value(name, col)

    return Expr(name, column, label, 0, (name,))


def _literal_expr(text: str, column: int, value: int, width: int) -> Expr:
    expr = Expr(text, column, lambda ctx: value, width, (), True)
    if len(_LITERALS) < 20_000:
        _LITERALS[(text, column)] = expr
    return expr
