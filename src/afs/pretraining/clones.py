"""Behaviour-preserving rewrites of a routine: the positives of contrastive training and
the clone queries of the code-search benchmark.

Three kinds of rewrite, each one a routine's author could have written instead:

- **renaming**: the routine's label, its local labels and the labels it calls or reads get
  other names (consistently);
- **equivalent forms**: `LDA.w $0EF0` and `LDA $0EF0` (the size a literal's digits already
  imply), `ASL A` and `ASL`, upper and lower case mnemonics;
- **reordering**: two adjacent stores to different operands swap places.

`make_clone` applies them at random; `verify_clone` runs both versions on the emulator
(`afs.asm.equivalence.check_equivalent`, external labels stubbed by RTS/RTL) so that only
clones that behave the same are used as benchmark queries.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from afs.asm.isa import MNEMONICS
from afs.asm.parser import strip_comment

_IDENT = re.compile(r"(?<![\w$%!.])(\.?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")
_SIZE = re.compile(r"^([A-Za-z]{3})\.([bwlBWL])(\s+)(#?)\$([0-9A-Fa-f]+)(.*)$")
_DIGITS = {"b": 2, "w": 4, "l": 6}
_ACCUMULATOR = re.compile(r"^(ASL|LSR|ROL|ROR|INC|DEC)\s+A$", re.IGNORECASE)
_LAYOUT = frozenset(("{", "}", "lorom", "hirom", "exlorom", "exhirom"))
_STORES = frozenset(("STA", "STX", "STY", "STZ"))
_REGISTERS = frozenset(("A", "X", "Y", "S"))
_CALLS_LONG = frozenset(("JSL", "JML"))
_LABEL_DEF = re.compile(r"^(\.?[A-Za-z_][A-Za-z0-9_]*)(:?)\s*$")
_CONSTANT = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\$[0-9A-Fa-f]+|%[01]+|[0-9]+)\s*(;.*)?$"
)


def read_constants(text: str) -> dict[str, str]:
    """`NAME = $2115` definitions (hardware registers and the like) in a source file."""
    found = {}
    for line in text.splitlines():
        match = _CONSTANT.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


@dataclass(frozen=True)
class Line:
    """One line of code: a label definition, or an instruction (mnemonic + operand)."""

    label: str | None
    mnemonic: str | None
    operand: str

    def render(self) -> str:
        if self.label is not None:
            return self.label
        return f"  {self.mnemonic} {self.operand}".rstrip()


def parse_code(text: str) -> list[Line] | None:
    """Comment-free lines of a routine, or None when a line is not plain 65816 code
    (macros, defines, directives, data): such routines are left alone."""
    lines: list[Line] = []
    for raw in text.splitlines():
        for code in strip_comment(raw).split(" : "):  # asar's statement separator
            code = code.strip()
            if not code or code in _LAYOUT or code.lower().startswith("org "):
                continue  # braces, mapper and origin lines only place the code
            if _LABEL_DEF.match(code) and (code.endswith(":") or code.startswith(".")):
                lines.append(Line(code, None, ""))
                continue
            head, _, operand = code.partition(" ")
            if head.split(".")[0].upper() not in MNEMONICS or "!" in operand \
                    or "{" in operand:
                return None
            lines.append(Line(None, head, operand.strip()))
    return lines


def _names(lines: list[Line], constants: dict[str, str] | None = None,
           ) -> tuple[list[str], list[str]]:
    """(defined labels, referenced-but-undefined labels), in order of first appearance.

    Constants (`VMAIN = $2115`) are neither: they keep their names.
    """
    constants = constants or {}
    defined = [line.label.rstrip(":") for line in lines if line.label]
    external: list[str] = []
    for line in lines:
        if line.mnemonic is None:
            continue
        for name in _IDENT.findall(line.operand):
            if (name.upper() in _REGISTERS or name in defined or name in external
                    or name in constants):
                continue
            external.append(name)
    return defined, external


def external_stubs(lines: list[Line], constants: dict[str, str] | None = None,
                   ) -> dict[str, str]:
    """A stub per external label: RTL for what is reached by JSL/JML, else RTS."""
    _, external = _names(lines, constants)
    long_targets = {line.operand for line in lines
                    if line.mnemonic and line.mnemonic.upper() in _CALLS_LONG}
    return {name: ("RTL" if name in long_targets else "RTS") for name in external}


def render(lines: list[Line]) -> str:
    return "\n".join(line.render() for line in lines) + "\n"


def _rename(lines: list[Line], rng: random.Random, constants: dict[str, str],
            ) -> tuple[list[Line], dict[str, str]]:
    defined, external = _names(lines, constants)
    mapping: dict[str, str] = {}
    for number, name in enumerate(defined + external):
        if name.startswith("."):
            mapping[name] = f".l{number}_{rng.randrange(1000)}"
        elif "." not in name:
            mapping[name] = f"Routine_{rng.randrange(16**4):04X}{number}"

    def swap(match: re.Match) -> str:
        return mapping.get(match.group(1), match.group(1))

    renamed = []
    for line in lines:
        if line.label is not None:
            name = line.label.rstrip(":")
            renamed.append(Line(mapping.get(name, name) + (":" if line.label.endswith(":")
                                                           else ""), None, ""))
        else:
            renamed.append(Line(None, line.mnemonic, _IDENT.sub(swap, line.operand)))
    return renamed, mapping


def _equivalent_form(line: Line, rng: random.Random) -> Line:
    if line.mnemonic is None:
        return line
    mnemonic, operand = line.mnemonic, line.operand
    text = f"{mnemonic} {operand}".strip()
    accumulator = _ACCUMULATOR.match(text)
    if accumulator:
        return Line(None, accumulator.group(1).upper(), "")
    sized = _SIZE.match(text)
    if sized and len(sized.group(5)) == _DIGITS[sized.group(2).lower()]:
        return Line(None, sized.group(1), f"{sized.group(4)}${sized.group(5)}{sized.group(6)}")
    if rng.random() < 0.5:
        return Line(None, mnemonic.lower(), operand)
    return line


def _reorder(lines: list[Line], rng: random.Random) -> list[Line]:
    lines = list(lines)
    spots = [i for i in range(len(lines) - 1)
             if all(lines[j].mnemonic and lines[j].mnemonic.split(".")[0].upper() in _STORES
                    for j in (i, i + 1))
             and lines[i].operand != lines[i + 1].operand]
    for index in rng.sample(spots, k=min(len(spots), 2)):
        lines[index], lines[index + 1] = lines[index + 1], lines[index]
    return lines


@dataclass(frozen=True)
class Clone:
    lines: list[Line]
    renamed: dict[str, str]  # original label -> its name in the clone


def make_clone(lines: list[Line], rng: random.Random, *, constants: dict[str, str] | None = None,
               rename: bool = True, forms: float = 0.6, reorder: bool = True) -> Clone:
    """A rewritten copy of `lines`: renamed labels (not `constants`), `forms` of the
    instructions in an equivalent form, and some adjacent independent stores swapped."""
    clone, mapping = _rename(lines, rng, constants or {}) if rename else (list(lines), {})
    clone = [_equivalent_form(line, rng) if rng.random() < forms else line for line in clone]
    return Clone(_reorder(clone, rng) if reorder else clone, mapping)


def _program(lines: list[Line], stubs: list[tuple[str, str]],
             constants: dict[str, str]) -> str:
    """The routine, the constants it uses, and its stubs placed after it, in a given order."""
    used = {name for line in lines for name in _IDENT.findall(line.operand)}
    header = [f"{name} = {value}" for name, value in constants.items() if name in used]
    # Right after the routine (in branch range); both versions encode to the same length,
    # so each stub has the same address in both.
    stub_lines = [f"{name}:\n  {body}" for name, body in stubs]
    return "\n".join([*header, render(lines).rstrip("\n"), *stub_lines]) + "\n"


def verify_clone(original: list[Line], clone: Clone, *, constants: dict[str, str] | None = None,
                 trials: int = 12, seed: int = 0) -> bool:
    """True when the emulator cannot tell the two apart (external labels stubbed).

    Each external label gets an RTS (RTL when reached by JSL/JML) stub; the clone's
    renamed labels get the same stubs at the same addresses, so both call the same code.
    """
    from afs.asm.equivalence import check_equivalent
    from afs.errors import AfsError

    constants = constants or {}
    stubs = list(external_stubs(original, constants).items())
    clone_stubs = [(clone.renamed.get(name, name), body) for name, body in stubs]
    try:
        result = check_equivalent(_program(original, stubs, constants),
                                  _program(clone.lines, clone_stubs, constants),
                                  trials=trials, seed=seed, max_instructions=5000)
    except (AfsError, ValueError, KeyError, IndexError):
        return False
    return result.equivalent and result.timeouts < trials
