"""asar 1.91's line grammar where it is stricter than an expression parser.

Two rules of asar's reader (src/asar/main.cpp, asar.h `clean`, assembleblock.cpp):

* Continuation lines: a line that ends with `,` (comment stripped, trimmed) is joined with
  the next line(s), and so is one that ends with `\\` (the backslash dropped); the joined
  lines become empty, errors name the first one.
* Words: each statement is "cleaned" outside quotes (whitespace after a comma dropped, runs
  of whitespace made one space, ends trimmed) and split into words at the spaces left; each
  command takes a fixed number of words (`db 1 + 2` is three words: an unknown command).

The checks here run only on text that holds whitespace, so lines without any cost nothing.
"""

from __future__ import annotations

import re

from afs.asm.errors import AsmError

_SPACE = " \t"
_ENDS = (",", "\\", " ", "\t")

# The argument words each directive takes (asar 1.91 assembleblock.cpp's is0/is1/is2/is3 and
# numwords tests): shapes of words, None for any word, else the keyword asar wants there. A
# directive not listed is left to its own argument checks.
_ONE = ((None,),)
DIRECTIVE_WORDS: dict[str, tuple[tuple[str | None, ...], ...]] = {
    **dict.fromkeys(("db", "dw", "dl", "dd", "org", "base", "dpbase", "bank", "warnpc",
                     "incsrc", "fillbyte", "fillword", "filllong", "filldword", "padbyte",
                     "padword", "padlong", "paddword", "pad", "freespacebyte", "prot",
                     "table", "undef", "reset", "includefrom", "arch", "print", "global"),
                    _ONE),
    # `skip align 4 offset 2`
    **dict.fromkeys(("skip", "fill"), ((None,), ("align", None),
                                        ("align", None, "offset", None))),
    **dict.fromkeys(("math", "optimize", "check"), ((None, None),)),
    **dict.fromkeys(("warnings", "autoclean", "autoclear"), ((None,), (None, None))),
    "namespace": ((None,), ("nested", None)),
    "incbin": ((None,), (None, "->", None)),
    "struct": ((None,), (None, None), (None, "extends", None)),
    "spcblock": ((None,), (None, None), (None, "custom", None)),
    "endstruct": ((), ("align", None)),
    "endspcblock": ((), ("execute", None)),
    **dict.fromkeys(("freespace", "freecode", "freedata", "error", "asar"), ((), (None,))),
    "warn": ((), (None,), ("xkas", None)),
}
_COMPARISONS = frozenset((">", "<", ">=", "<=", "=", "==", "!="))
_CONNECTORS = ("&&", "||")


# A line that may end with `,` or a backslash once its comment is stripped (only a first
# look at a whole file: `join_continued` checks the lines again). Any line end `splitlines`
# knows.
_LINE_END = r"[ \t]*(?:;[^\r\n]*)?(?:[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]|\Z)"
# (two regexes: one that starts with a literal is searched for much faster than a class)
_MAY_CONTINUE = re.compile("," + _LINE_END)
_MAY_CONTINUE_BACKSLASH = re.compile(r"\\" + _LINE_END)
# Whitespace that makes a word end: after anything but a comma (or more whitespace).
_WORD_END = re.compile(r"[^,\s][ \t]")
# The lines that open and close a macro's body (asar 1.91 main.cpp: `macro ` starts a line,
# `endmacro` is the whole line; both trimmed).
_MACRO_EDGE = re.compile(r"[ \t]*(?:(macro)[ \t]|(endmacro)[ \t]*$)", re.IGNORECASE)


def may_continue(source: str) -> bool:
    """Could any line of `source` be continued (end with `,` or `\\`)? False: none can."""
    return _MAY_CONTINUE.search(source) is not None or (
        "\\" in source and _MAY_CONTINUE_BACKSLASH.search(source) is not None)


def spaced(text: str) -> bool:
    """Does `text` (stripped) hold more than one of asar's words (quotes aside, which
    `words` then reads)? Cheap: most text has no whitespace, or only after commas."""
    return ((" " in text or "\t" in text) and _WORD_END.search(text) is not None)


def join_continued(texts: list[str]) -> None:
    """asar's continuation lines, in place; the lines taken become empty. `texts`: a file's
    lines, comments already stripped.

    In asar's two steps (main.cpp, libstr.h `getconnectedlines`): first, when it reads the
    file, a line that ends with `,` gets the next line (trimmed) appended, while it still
    ends so (blank lines are taken on the way). Then, as it runs them, a line that ends with
    `\\` gets the next line in place of the backslash, and so on while the line taken ends
    with one; an empty line (a blank one, or one the first step took) ends that. So a `,`
    join that ends in `\\` takes nothing more. A macro's body is joined on its own: its last
    line takes nothing from the `endmacro` after it.
    """
    n = len(texts)
    for i in range(n):
        joined = texts[i]
        if joined[-1:] not in _ENDS or not joined.rstrip(_SPACE).endswith(","):
            continue
        joined = joined.rstrip(_SPACE)
        j = i + 1
        while j < n and joined[-1] == ",":
            joined += texts[j].strip(_SPACE)
            texts[j] = ""
            j += 1
        texts[i] = joined
    if not any(t[-1:] in _ENDS and t.rstrip(_SPACE)[-1:] == "\\" for t in texts):
        return
    in_macro = False
    i = 0
    while i < n:
        start = i
        text = texts[i]
        i += 1
        edge = _MACRO_EDGE.match(text)
        if edge is not None:
            # (read before any joining: `macro` opens a body, `endmacro` closes it)
            in_macro = edge.group(1) is not None
            continue
        stripped = text.strip(_SPACE)
        # (asar looks for the backslash from a line's second character on: a line that is
        # one backslash takes nothing)
        if len(stripped) < 2 or stripped[-1] != "\\":
            continue
        joined = text.rstrip(_SPACE)[:-1]
        while i < n:
            edge = _MACRO_EDGE.match(texts[i]) if in_macro else None
            if edge is not None and edge.group(2) is not None:
                break
            taken = texts[i].strip(_SPACE)
            texts[i] = ""
            i += 1
            if len(taken) < 2 or taken[-1] != "\\":
                joined += taken
                break
            joined += taken[:-1]
        texts[start] = joined


def quotes_closed(text: str) -> bool:
    """Does every quote in `text` close, as asar 1.91 checks (libstr `dequote`): a string,
    a character literal, or three single quotes?"""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i = text.find('"', i + 1)
            if i < 0:
                return False
        elif ch == "'":
            if text.startswith("''", i + 1):
                i += 2
            elif text[i + 1:i + 2] == "'" or i + 2 >= n:
                return False
            else:
                i = text.find("'", i + 2)
                if i < 0:
                    return False
        i += 1
    return True


def quoted_mask(text: str) -> list[bool]:
    """For each character: is it inside a string or character literal? (`'''` is a quote.)"""
    mask = [False] * len(text)
    quote = ""
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            mask[i] = True
            if ch == quote:
                quote = ""
        elif ch == "'" and text.startswith("'''", i):
            mask[i:i + 3] = [True, True, True]
            i += 3
            continue
        elif ch in "\"'":
            quote = ch
            mask[i] = True
        i += 1
    return mask


def words(text: str) -> list[tuple[str, int]]:
    """`text` as asar splits it into words after cleaning: (word, offset in `text`) pairs.
    Whitespace after a comma joins (`5, 3` is one word; `5 ,3` two), quotes are kept whole."""
    out: list[tuple[str, int]] = []
    pieces: list[str] = []      # of the word being read, whitespace after commas left out
    start = piece = -1
    mask = quoted_mask(text)
    i = 0
    n = len(text)
    while i < n:
        if mask[i] or text[i] not in _SPACE:
            if start < 0:
                start = piece = i
            i += 1
            continue
        j = i
        while j < n and text[j] in _SPACE and not mask[j]:
            j += 1
        if start >= 0:
            pieces.append(text[piece:i])
            if text[i - 1] == ",":      # cleaned away: the word goes on
                piece = j
            else:
                out.append(("".join(pieces), start))
                pieces = []
                start = -1
        i = j
    if start >= 0:
        pieces.append(text[piece:])
        out.append(("".join(pieces), start))
    return out


def clean(text: str) -> str:
    """asar's `clean`: outside quotes, whitespace after a comma dropped, other runs of
    whitespace made one space, the ends trimmed (asar cleans a define's value so)."""
    return " ".join(w for w, _ in words(text))


def squeeze(text: str) -> str:
    """`text` without whitespace outside quotes (asar's `clean_and_trim`, for a macro call)."""
    return "".join(w for w, _ in words(text)) if " " in text or "\t" in text else text


def check_operand(command: str, text: str, column: int, file: str, line: int) -> None:
    """An instruction's operand `text` (at `column`) must be one word: asar tries a
    mnemonic only with one operand word, then finds no command of that name."""
    found = words(text)
    if len(found) > 1:
        fixed = "".join(w for w, _ in found)
        raise AsmError(f"asar reads '{command} {text}' as an unknown command: no spaces "
                       f"inside an operand, only after a comma (write '{command} {fixed}')",
                       file, line, column + found[1][1])


def check_arguments(name: str, text: str, column: int, file: str, line: int) -> None:
    """A directive's argument `text` (at `column`) must be words of a shape asar's `name`
    takes (`DIRECTIVE_WORDS`)."""
    shapes = DIRECTIVE_WORDS.get(name)
    if shapes is None:
        return
    found = words(text)
    for shape in shapes:
        if len(shape) == len(found) and all(
                want is None or want == got.lower() for want, (got, _) in zip(
                    shape, found, strict=True)):
            return
    where = column + found[1 if len(found) > 1 else 0][1]
    if shapes == _ONE:
        fixed = "".join(w for w, _ in found)
        raise AsmError(f"asar reads '{name} {text}' as an unknown command: no spaces inside "
                       f"a value, only after a comma (write '{name} {fixed}')",
                       file, line, where)
    forms = " or ".join(f"'{name}{''.join(' ' + (w or 'x') for w in shape)}'"
                        for shape in shapes)
    raise AsmError(f"asar refuses '{name} {text}': it takes {forms}, each x one word "
                   f"(no spaces inside a value, only after a comma)", file, line, where)


def check_assignment(name: str, text: str, column: int, file: str, line: int) -> None:
    """`name = value`: asar takes it only as three words (the value without spaces)."""
    found = words(text)
    if len(found) > 1:
        fixed = "".join(w for w, _ in found)
        raise AsmError(f"asar reads '{name} = {text}' as an unknown command: no spaces "
                       f"inside the value (write '{name} = {fixed}')",
                       file, line, column + found[1][1])


def check_function(text: str, column: int, file: str, line: int) -> None:
    """`function name(params) = body`: asar takes it only as four words."""
    found = words(text)
    if len(found) != 4 or found[2][0] != "=":
        at = found[min(len(found) - 1, 4 if len(found) > 4 else 2)][1]
        raise AsmError(f"asar reads '{text}' as an unknown command: write 'function "
                       f"name(a,b) = body' with no spaces inside the name, its parameters "
                       f"or the body", file, line, column + at)


def check_for(text: str, column: int, file: str, line: int) -> None:
    """`for name = a..b` (`text`, at `column`): asar takes it only as four words."""
    found = words(text)
    if len(found) != 4 or found[2][0] != "=":
        at = found[min(len(found) - 1, 4 if len(found) > 4 else 1)][1]
        raise AsmError(f"asar reads '{text}' as a broken for loop: write 'for name = a..b' "
                       f"with no spaces inside the name or the range", file, line, column + at)


def condition_words(keyword: str, text: str) -> list[tuple[str, int]]:
    """The words asar reads as the condition of `keyword` (`afs.asm.conditions`): `text`'s
    words; an `assert`'s last word ends at its first comma, after which its message is (a
    word that starts with the comma stays whole: asar reads it as a term, and stumbles)."""
    found = words(text)
    if keyword == "assert" and found:
        last, at = found[-1]
        comma = top_level(last, ",")
        if comma > 0:
            found[-1] = (last[:comma], at)
    return found


def broken_condition(keyword: str, text: str, found: list[tuple[str, int]], bad: int,
                     column: int, file: str, line: int) -> AsmError:
    """asar's `broken_conditional` for condition `text` (at `column`), whose words `found`
    stop reading as a condition at word `bad` (their count: they ended too soon), with the
    condition to write instead where gluing each side's words together gives one."""
    parts: list[str] = []
    for w, _ in found:
        if w in _COMPARISONS or w in _CONNECTORS or not parts or \
                parts[-1] in _COMPARISONS or parts[-1] in _CONNECTORS:
            parts.append(w)
        else:
            parts[-1] += w
    fix = f" (write '{keyword} {' '.join(parts)}')" if _broken_at(parts) is None else ""
    at = column + (found[bad][1] if bad < len(found) else len(text))
    return AsmError(f"asar reads '{keyword} {text}' as a broken condition: write 'a', or "
                    f"'a == b' (also != < > <= >=), joined by && or ||, with no spaces inside "
                    f"a side{fix}", file, line, at)


def _broken_at(found: list[str]) -> int | None:
    """Where asar's condition reader stumbles in these words (their count: it ended too
    soon), or None when they read as a condition."""
    i = 0
    n = len(found)
    while i < n:
        if i + 1 >= n or found[i + 1] in _CONNECTORS:
            connector = i + 1
        elif found[i + 1] not in _COMPARISONS:
            return i + 1
        elif i + 2 >= n:
            return n
        else:
            connector = i + 3
        if connector >= n:
            return None
        if found[connector] not in _CONNECTORS:
            return connector
        i = connector + 1
    return n


def top_level(text: str, char: str) -> int:
    """Index of the first `char` outside quotes and brackets, or -1."""
    depth = 0
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == char and depth == 0:
            return i
    return -1
