"""asar's conditions (`if`, `elseif`, `while`, `assert`), read as asar 1.91 reads them.

Behaviour checked against the asar 1.91 binary: a condition is split into words
(`afs.asm.grammar.words`). A term is one word, true when its value is above 0 (`if -1` is
false; `!word`, asar's older negation, is true when it is not), or three words, `a OP b` (OP
one of `== != < > <= >=`, or the older `=`). Terms are joined by `&&` or by `||`, never both
in one condition. asar reads them one at a time and stops at the first that decides the
result: the words after it are never parsed, checked or evaluated (`if 0 && anything` is
false, `if 0 && 1 || 1` too). Each word read is one expression of asar's math, which has no
comparison or logical operator (`if 1==1` is an error). Where labels must be static (not in
`assert`), a word holding a label set by its position is an error as soon as it is read.
"""

from __future__ import annotations

import operator
from typing import Any

from afs.asm.errors import AsmError
from afs.asm.expressions import Expr, parse_expression
from afs.asm.grammar import broken_condition, condition_words

_COMPARE = {"==": operator.eq, "=": operator.eq, "!=": operator.ne, "<": operator.lt,
            ">": operator.gt, "<=": operator.le, ">=": operator.ge}
_CONNECTORS = ("&&", "||")
# where asar refuses a label set by its position (`PassState.refuse_nonstatic`)
_STATIC_IN = {"if": "an 'if' condition", "elseif": "an 'elseif' condition",
              "while": "a 'while' condition"}


def parse_condition(keyword: str, text: str, column: int, file: str, line: int,
                    precedence: bool) -> Expr:
    """The condition `text` of `keyword` (starting at `column`) as an `Expr` whose value is
    1 or 0; its words are parsed when first read (see the module docstring)."""
    found = condition_words(keyword, text)
    if not found:
        raise AsmError(f"'{keyword}' needs a condition", file, line, column)
    where = _STATIC_IN.get(keyword)
    parsed: dict[int, Expr] = {}

    def value(ctx: Any, index: int, skip: int = 0) -> int:
        """The value of word `index` (less its first `skip` characters), read as asar
        reads it: parsed once, then evaluated and checked in the pass running."""
        expr = parsed.get(index)
        if expr is None:
            word, offset = found[index]
            expr = parsed[index] = parse_expression(
                word[skip:], column=column + offset + skip, file=file, line=line,
                precedence=precedence)
        result = expr.evaluate(ctx)
        ctx.found_label = expr.has_labels
        if where is not None:
            ctx.refuse_nonstatic(expr, where)
        return result

    def evaluate(ctx: Any) -> int:
        joined_by = None
        i = 0
        n = len(found)
        while True:
            if i >= n:      # `if 1 &&`: a term missing after the connector
                raise broken_condition(keyword, text, found, n, column, file, line)
            if i + 1 >= n or found[i + 1][0] in _CONNECTORS:
                word = found[i][0]
                if word[0] == "!" and len(word) > 1:
                    ctx.old_negation_used()
                    holds = not (value(ctx, i, 1) > 0)
                else:
                    holds = value(ctx, i) > 0
                connector = i + 1
            else:
                op = found[i + 1][0]
                if op not in _COMPARE or i + 2 >= n:
                    raise broken_condition(keyword, text, found, i + 1 if op not in _COMPARE
                                           else n, column, file, line)
                left = value(ctx, i)
                right = value(ctx, i + 2)
                if op == "=":
                    ctx.old_equals_used()
                holds = _COMPARE[op](left, right)
                connector = i + 3
            if connector >= n:
                return int(holds)
            word = found[connector][0]
            if word not in _CONNECTORS:
                raise broken_condition(keyword, text, found, connector, column, file, line)
            if joined_by is None:
                joined_by = word
            elif word != joined_by:
                raise AsmError(f"asar 1.91 refuses '{keyword} {text}': a condition joins "
                               f"its terms with && or with ||, not both", file, line,
                               column + found[connector][1])
            if holds != (word == "&&"):   # false before &&, true before ||: decided
                return int(holds)
            i = connector + 1

    return Expr(text.strip(), column, evaluate, 0, ())
