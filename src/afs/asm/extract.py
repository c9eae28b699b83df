"""Tolerant extraction of 65816 code from a model's answer: the one extractor of AFS.

People paste code inline in chat, so besides fenced blocks and plain lines it reads code
written on one line after a prose lead (`Optimize: LDA #$00 / STA $10`), with statements
separated by ` / `, ` : ` or `;`, and code in backticks (`` `LDA #$00` then `STA $10` ``).
A `;` only separates statements when every piece is one; otherwise it starts a comment.
"""

from __future__ import annotations

import re

from afs.asm.isa import OPCODES

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_MNEMONICS = frozenset(info.mnemonic for info in OPCODES)
_DIRECTIVES = frozenset({"db", "dw", "dl", "dd", "org", "base", "incsrc", "incbin", "macro",
                         "endmacro", "if", "else", "elseif", "endif", "namespace", "pushpc",
                         "pullpc", "fillbyte", "fill", "skip", "warnpc", "lorom", "hirom"})
_LABEL = re.compile(r"^\s*(?:[.A-Za-z_][\w.]*:|[+-]+)\s*(?:;.*)?$")
_COMMENT = re.compile(r";.*$")
_CODE_LANGS = {"", "asm", "assembly", "65816", "6502", "asar", "s", "nasm", "ca65", "wla"}
# `Explain:` or `Code:` on its own line reads as a label, but before code it is a heading.
_PROSE_HEADINGS = frozenset({"explain", "code", "example", "here", "input", "routine", "snippet",
                             "fix", "optimize", "optimise", "answer", "question", "original",
                             "this", "debug", "review", "asm", "assembly", "before", "after",
                             "note", "output", "result", "solution"})


def looks_like_code(line: str) -> bool:
    """A line an assembler would take: an instruction, a directive, a label, a define."""
    text = line.split(";", 1)[0].strip()
    if not text:
        return False
    if _LABEL.match(line) or text.startswith(("!", "%")):
        return True
    word = re.split(r"[\s.:]", text, maxsplit=1)[0].lower()
    if word.upper() in _MNEMONICS or word in _DIRECTIVES:
        return True
    # `label: LDA $10` or `label LDA $10`
    parts = re.split(r":?\s+", text, maxsplit=1)
    return len(parts) == 2 and parts[1].split(" ", 1)[0].split(".")[0].upper() in _MNEMONICS


# An operand: no two words side by side (`then store` is prose), no sentence-ending period.
_OPERAND = re.compile(r"^[#$%()\[\]<>!.\w,+\-*/|&^~=' ]*$")
_WORDS_SIDE_BY_SIDE = re.compile(r"\w\s+\w")
_INLINE_SEPARATOR = re.compile(r"\s+/\s+|\s+:\s+|\s*;\s*")
_BACKTICKS = re.compile(r"`([^`\n]+)`")
_LEAD = re.compile(r"^\s*(?P<lead>[A-Za-z][\w ,'()-]*?)\s*:\s+(?P<rest>\S.*)$")


def _statement(piece: str) -> bool:
    """One instruction or directive, written alone (what an inline separator separates)."""
    text = piece.strip()
    if not text or _LABEL.match(text):
        return False
    word, _, operand = text.partition(" ")
    mnemonic = word.split(".")[0]
    if not (mnemonic.upper() in _MNEMONICS or mnemonic.lower() in _DIRECTIVES):
        return False
    operand = operand.strip()
    compact = re.sub(r"\s*([-+*/|&^,=])\s*", r"\1", operand)
    return (bool(_OPERAND.match(operand)) and not _WORDS_SIDE_BY_SIDE.search(compact)
            and not operand.endswith("."))


def _split_inline(text: str) -> list[str] | None:
    """`LDA #$00 / STA $10` -> its statements, when every piece is one; else None."""
    pieces = [p for p in _INLINE_SEPARATOR.split(text.strip()) if p.strip()]
    if len(pieces) > 1 and all(_statement(p) for p in pieces):
        return [p.strip() for p in pieces]
    return None


def _split_slashes(line: str) -> list[str]:
    pieces = re.split(r"\s+/\s+", line.strip())
    if len(pieces) > 1 and all(_statement(p) for p in pieces):
        return pieces
    return [line]


def _inline_lines(line: str) -> list[str]:
    """The code lines one line of chat holds (the line itself when it is not inline code)."""
    spans = _BACKTICKS.findall(line)
    if spans:
        found = []
        for span in spans:
            found += _split_inline(span) or ([span.strip()] if looks_like_code(span) else [])
        if found:
            return found
        return [_BACKTICKS.sub(lambda m: m.group(1), line)]
    lead = _LEAD.match(line)
    # `Optimize: LDA ...` or `Optimize this: LDA ...`: a prose lead, not a label (a label is
    # one word, and not a heading such as `Optimize`).
    if lead and (" " in lead.group("lead").strip() or _heading(lead.group("lead") + ":")):
        rest = lead.group("rest")
        split = _split_inline(rest)
        if split:
            return split
        if looks_like_code(rest) and _statement(rest.split(";", 1)[0]):
            return [rest]
        return [line]
    return _split_inline(line) or [line]


def _heading(line: str) -> bool:
    return line.strip().rstrip(":").lower() in _PROSE_HEADINGS and line.strip().endswith(":")


def _has_statement(lines: list[str]) -> bool:
    return any(looks_like_code(line) and not _LABEL.match(line) for line in lines)


def extract_code(answer: str, *, fenced_only: bool = False) -> str | None:
    """The answer's code: the last fenced block in an assembly language (or unlabelled),
    else (unless `fenced_only`) the longest run of lines that look like assembly; None
    when there is none. A heading such as `Code:` is not taken as the run's first label,
    and a run of labels alone is not code."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(answer)]
    code_blocks = [body for lang, body in blocks if lang in _CODE_LANGS and body.strip()]
    if code_blocks:
        # In a fence `;` is a comment, but ` / ` between statements is still chat, not asar.
        body = code_blocks[-1].strip("\n").splitlines()
        return "\n".join(piece for line in body for piece in _split_slashes(line))
    if fenced_only:
        return None
    runs: list[list[str]] = []
    run: list[str] = []
    lines = [piece for raw in answer.splitlines() for piece in _inline_lines(raw)]
    for line in lines:
        if looks_like_code(line) and not (not run and _heading(line)):
            run.append(line)
        elif line.strip() or not run:
            runs.append(run)
            run = []
    runs.append(run)
    best = max((r for r in runs if _has_statement(r)), key=len, default=None)
    return "\n".join(best) if best else None

def normalize_code(code: str) -> str:
    """Assembly reduced to what it does: comments and blank lines dropped, whitespace
    collapsed, upper case (asar is case-insensitive), one statement per line."""
    lines = []
    for raw in code.splitlines():
        for statement in _COMMENT.sub("", raw).split(" : "):
            text = " ".join(statement.split()).upper()
            if text:
                lines.append(text)
    return "\n".join(lines)
