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
_CODE_LANGS = {"", "asm", "assembly", "65816", "6502", "asar", "s", "nasm", "ca65", "wla"}


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


def extract_code(answer: str, *, fenced_only: bool = False) -> str | None:
    """The answer's code: the last fenced block in an assembly language (or unlabelled),
    else (unless `fenced_only`) the longest run of lines that look like assembly; None
    when there is none."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(answer)]
    code_blocks = [body for lang, body in blocks if lang in _CODE_LANGS and body.strip()]
    if code_blocks:
        return code_blocks[-1].strip("\n")
    if fenced_only:
        return None
    best: list[str] = []
    run: list[str] = []
    for line in answer.splitlines():
        if looks_like_code(line):
            run.append(line)
        elif line.strip() or not run:
            best = max(best, run, key=len)
            run = []
    best = max(best, run, key=len)
    return "\n".join(best) if best else None
