"""Pulling 65816 code out of a chat request, and fencing it in an answer."""

from __future__ import annotations

import re

from afs.asm.isa import MNEMONICS

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)
_CODE_LINE = re.compile(
    r"^\s*(?:[A-Za-z_.][\w.]*:|[+-]+)?\s*([A-Za-z]{3})(?:\.[bwlBWL])?(?:\s|$)")


_PROSE_HEADINGS = frozenset({"explain", "code", "example", "here", "input", "routine", "snippet",
                             "fix", "optimize", "optimise", "answer", "question", "original",
                             "this", "debug", "review", "asm", "assembly", "before", "after"})


def extract_code(request: str) -> str | None:
    """The first fenced block, else the run of lines that start with a 65816 mnemonic/label."""
    m = _FENCE.search(request)
    if m:
        return m.group(2).strip("\n") or None
    lines = request.splitlines()
    picked: list[str] = []
    for line in lines:
        stripped = line.strip()
        hit = _CODE_LINE.match(line)
        is_label = bool(re.match(r"^\s*(?:[A-Za-z_.][\w.]*:|[+-]+)\s*(?:;.*)?$", line)) and (
            bool(picked) or stripped.rstrip(":").lower() not in _PROSE_HEADINGS)
        blank_or_comment = not stripped or stripped.startswith(";")
        if (hit and hit.group(1).upper() in MNEMONICS) or is_label or (
                picked and blank_or_comment):
            picked.append(line)
        elif picked:
            break
    code = "\n".join(picked).strip("\n")
    return code or None


def fence(code: str) -> str:
    return f"```asm\n{code.rstrip()}\n```"


def prose_request(request: str) -> str:
    """The request without its fenced code, lower-cased, for keyword routing."""
    return _FENCE.sub(" ", request).lower()
