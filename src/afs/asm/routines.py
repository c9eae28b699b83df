"""Self-contained routines in a disassembly: what mining and whole-file scans work on.

`find_routines(path)` reads every `.asm`/`.s`/`.a65` file under `path` and returns the
routines that start at a top-level label, hold only instructions and local labels, end in
RTS/RTL, and neither call out nor reference anything outside themselves (no stack or mode
tricks either), so each can run on its own on the emulator. Address prefixes of the US
disassembly's style (`#_008000: LDA ...`) are stripped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from afs.errors import InputError

MIN_INSTRUCTIONS = 4
MAX_INSTRUCTIONS = 60

_ADDRESS_PREFIX = re.compile(r"^\s*#_[0-9A-Fa-f]{6}:\s*")
_TOP_LABEL = re.compile(r"^([A-Za-z_][\w]*):\s*(?:;.*)?$")
_LOCAL_LABEL = re.compile(r"^\s*(\.[\w.]+|[+-]+)\s*(?::)?\s*(?:;.*)?$")
_INSTRUCTION = re.compile(r"^\s*([A-Za-z]{3})(\.[bwlBWL])?(?:\s+([^;]*?))?\s*(?:;.*)?$")
_EXTERNAL = re.compile(r"(?<![\w$.])([A-Za-z_][\w]*)")
_EXITS = ("RTS", "RTL")
_REJECTED = {"JSR", "JSL", "JMP", "JML", "RTI", "BRK", "COP", "WAI", "STP", "MVN", "MVP", "XCE",
             "PLB", "PLD", "TCD", "TCS", "TXS", "PLP", "PLA", "PLX", "PLY", "PHA", "PHX", "PHY",
             "PHP", "PHB", "PHD", "PHK", "PEA", "PEI", "PER"}
_REGISTERS = {"A", "X", "Y", "S"}
@dataclass(frozen=True)
class Routine:
    """A self-contained routine found in a source file."""

    name: str
    path: str
    line: int
    code: str
    comment: str


def _clean(line: str) -> str:
    return _ADDRESS_PREFIX.sub("", line.rstrip())


def _self_contained(body: list[str], locals_: set[str]) -> bool:
    """Instructions only, no stack or mode tricks, no reference outside the routine."""
    count = 0
    for line in body:
        if _LOCAL_LABEL.match(line) or not line.strip() or line.strip().startswith(";"):
            continue
        match = _INSTRUCTION.match(line)
        if not match:
            return False
        mnemonic, operand = match.group(1).upper(), match.group(3) or ""
        if mnemonic in _REJECTED:
            return False
        for name in _EXTERNAL.findall(operand):
            if name.upper() not in _REGISTERS:
                return False
        if re.search(r"(?<![\w$])\.[A-Za-z_]", operand):
            referenced = re.findall(r"(?<![\w$])(\.[\w.]+)", operand)
            if any(ref not in locals_ for ref in referenced):
                return False
        count += 1
    return MIN_INSTRUCTIONS <= count <= MAX_INSTRUCTIONS


def find_routines(source: str | Path) -> list[Routine]:
    """Self-contained routines in every `.asm`/`.s` file under `source` (or that one file)."""
    root = Path(source)
    if not root.exists():
        raise InputError(f"no such file or folder: {root}")
    files = [root] if root.is_file() else sorted(
        p for p in root.rglob("*") if p.suffix.lower() in (".asm", ".s", ".a65"))
    found: list[Routine] = []
    for path in files:
        lines = path.read_text(errors="replace").splitlines()
        index = 0
        while index < len(lines):
            match = _TOP_LABEL.match(_clean(lines[index]))
            if not match:
                index += 1
                continue
            start = index
            comment = []
            back = start - 1
            while back >= 0 and lines[back].strip().startswith(";") and \
                    not set(lines[back].strip()) <= set(";=-"):
                comment.insert(0, lines[back].strip().lstrip(";").strip())
                back -= 1
            body: list[str] = []
            index += 1
            while index < len(lines):
                text = _clean(lines[index])
                if _TOP_LABEL.match(text) or text.strip().startswith(";==") or \
                        text.strip().lower().startswith("pool"):
                    break
                body.append(text)
                index += 1
                mnemonic = _INSTRUCTION.match(text)
                if mnemonic and mnemonic.group(1).upper() in _EXITS:
                    break
            statements = [b for b in body if b.strip() and not b.strip().startswith(";")]
            if not statements:
                continue
            last = _INSTRUCTION.match(statements[-1])
            if not last or last.group(1).upper() not in _EXITS:
                continue
            locals_ = {m.group(1) for b in body if (m := _LOCAL_LABEL.match(b))}
            if _self_contained(body, locals_):
                # The routine's own label stays: its sublabels (.done) need a parent.
                code = "\n".join([f"{match.group(1)}:", *(s.strip() for s in statements)])
                found.append(Routine(match.group(1), str(path), start + 1, code,
                                     " ".join(comment)))
    return found
