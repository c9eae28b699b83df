"""Tolerant extraction of 65816 code from a model's answer: the one extractor of AFS."""

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
        return code_blocks[-1].strip("\n")
    if fenced_only:
        return None
    runs: list[list[str]] = []
    run: list[str] = []
    for line in answer.splitlines():
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
