"""Veran prediction questions: what a reader who understood the code can predict about a run.

A question names an entry state (`init` registers, `memory` bytes; everything else as
`ENTRY_CONVENTIONS` says) and a *probe*, what is measured when the code has run or been
assembled (`afs.asm.probe`: `mem:$7EF36D`, `reg:x`, `count:5`, `taken:4`, `bytes:3`, ...).

The generator computes every expected answer with `afs.asm.probe.evaluate` (running the
code on the emulator); `afs.benchmark.verify` re-runs it. Answers are given as
`Answer N: value` lines and read back by `read_answers`: `$1F`, `0x1F`, `1Fh` and a lone
token with a hex letter are hex, bare digits are decimal.
"""

from __future__ import annotations

import re
from typing import Any

from afs.asm.probe import evaluate, parse_address
from afs.benchmark.items import Question

__all__ = ["check_predictions", "evaluate", "make_question", "read_answers"]

ENTRY_CONVENTIONS = (
    "Each question gives its own entry state. Unless it says otherwise: native mode, "
    "8-bit A and 8-bit X/Y (M=1, X=1), decimal flag clear, carry clear, direct page register "
    "D = $0000, data bank DBR = $7E, stack S = $01FF; A, X and Y are $0000 and every byte of "
    "memory not given is $00. The code runs from its first line until it falls through its "
    "last line or returns (RTS/RTL). I/O registers read as $00.")
ANSWER_FORMAT = (
    "After your explanation, answer each question on its own line as `Answer N: value` "
    "(e.g. `Answer 1: $05`). Write hex with a `$` ($1F); plain digits are read as decimal. "
    "Give bytes as hex separated by spaces (`A9 05`), and choices as one of the words offered.")

CHOICES = {"flag": ["set", "clear"], "taken": ["yes", "no"],
           "branchflag": ["N", "V", "Z", "C"]}


def answer_kind(probe: str) -> str:
    """"number", "bytes" or "choice": how the answer to `probe` is written and read."""
    kind = probe.partition(":")[0]
    if kind == "bytes":
        return "bytes"
    return "choice" if kind in CHOICES else "number"


def make_question(code: str, probe: str, text: str, init: dict[str, int] | None = None,
                  memory: dict[str, int] | None = None) -> Question:
    """A question with its answer computed by running (or assembling) `code`."""
    kind = answer_kind(probe)
    return Question(text=text, kind=kind, probe=probe,
                    answer=evaluate(code, probe, init, memory),
                    choices=CHOICES.get(probe.partition(":")[0], []),
                    init=dict(init or {}), memory=dict(memory or {}))


# --- the entry state in words ----------------------------------------------------------------

def _reg_text(name: str, value: int, p: int) -> str:
    wide = not p & (0x20 if name == "a" else 0x10)
    return f"{name.upper()} = ${value:0{4 if wide or value > 0xFF else 2}X}"


def entry_text(init: dict[str, int], memory: dict[str, int]) -> str:
    """`init`/`memory` as a reader would state them; what the conventions cover is left out."""
    p = init.get("p", 0x30)
    parts = []
    if "p" in init:
        parts.append(f"{'8' if p & 0x20 else '16'}-bit A, {'8' if p & 0x10 else '16'}-bit "
                     f"X/Y, carry {'set' if p & 1 else 'clear'}")
    parts += [_reg_text(r, init[r], p) for r in ("a", "x", "y") if r in init]
    if "dbr" in init:
        parts.append(f"DBR = ${init['dbr']:02X}")
    if "d" in init:
        parts.append(f"D = ${init['d']:04X}")
    parts += [f"${parse_address(a):06X} = ${v:02X}" for a, v in memory.items()]
    return ", ".join(parts) if parts else "the default state"


# --- reading answers -------------------------------------------------------------------------

_ANSWER = re.compile(r"^[\s>*_`#-]*answer\s*#?\s*(\d+)\s*[:.)=-]\s*(.*?)\s*$", re.I | re.M)
_NUMBERS = (re.compile(r"(?<![\w$])(?:\$|0x)([0-9a-f]+)\b", re.I),
            re.compile(r"(?<![\w$])([0-9a-f]+)h\b", re.I),
            re.compile(r"(?<![\w$.])(\d+)\b"))
_BYTE = re.compile(r"^(?:\$|0x)?([0-9a-f]{1,2})$", re.I)


def read_answers(text: str) -> dict[int, str]:
    """`Answer N: value` lines → {N: value text} (the first answer to each N counts)."""
    found: dict[int, str] = {}
    for match in _ANSWER.finditer(text):
        found.setdefault(int(match.group(1)), match.group(2).strip("`*_ "))
    return found


def parse_number(text: str) -> int | None:
    """`$1F`, `0x1F`, `1Fh` → 31; `31` → 31; a lone token like `1F` is hex."""
    token = text.strip().rstrip(".")
    if re.fullmatch(r"[0-9a-f]*[a-f][0-9a-f]*", token, re.I):
        return int(token, 16)
    for index, pattern in enumerate(_NUMBERS):
        match = pattern.search(text)
        if match:
            return int(match.group(1), 10 if index == 2 else 16)
    return None


def parse_bytes(text: str) -> list[int] | None:
    """`A9 05`, `$A9, $05` or `A905` -> [0xA9, 0x05]; None when no bytes lead the text."""
    tokens = [t for t in re.split(r"[\s,]+", text.strip()) if t]
    out: list[int] = []
    for token in tokens:
        plain = token.removeprefix("$").removeprefix("0x")
        match = _BYTE.match(token)
        if match:
            out.append(int(match.group(1), 16))
        elif not out and len(plain) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", plain):
            return [int(plain[i:i + 2], 16) for i in range(0, len(plain), 2)]
        else:
            break
    return out or None


def parse_choice(text: str, choices: list[str]) -> str | None:
    """The offered choice among the answer's first three words, if any."""
    words = re.findall(r"[a-z]+", text.lower())
    for word in words[:3]:
        for choice in choices:
            if word == choice.lower():
                return choice
    return None


def parse_value(question: Question, text: str) -> int | list[int] | str | None:
    """An answer's text read as the question's kind (None: unreadable)."""
    if question.kind == "bytes":
        return parse_bytes(text)
    if question.kind == "choice":
        return parse_choice(text, question.choices)
    return parse_number(text)


def format_value(question: Question, value: int | list[int] | str) -> str:
    """How a reference answer writes `value`."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(f"{b:02X}" for b in value)
    kind = question.probe.partition(":")[0]
    if kind in ("count", "io_count", "size"):
        return str(value)
    digits = 6 if value > 0xFFFF else 4 if value > 0xFF or kind == "mem16" else 2
    return f"${value:0{digits}X}"


def answer_block(questions: list[Question], values: list[Any] | None = None) -> str:
    """`Answer N: value` lines (the expected answers unless `values` are given)."""
    values = values if values is not None else [q.answer for q in questions]
    return "\n".join(f"Answer {i}: {format_value(q, v)}"
                     for i, (q, v) in enumerate(zip(questions, values, strict=True), start=1))


def check_predictions(questions: list[Question], text: str) -> list[dict[str, Any]]:
    """Each question's expected answer, the answer read from `text` and whether they agree."""
    given = read_answers(text)
    out = []
    for number, question in enumerate(questions, start=1):
        raw = given.get(number)
        value = parse_value(question, raw) if raw is not None else None
        out.append({"question": number, "expected": question.answer, "given": raw,
                    "correct": value is not None and value == question.answer})
    return out


def questions_text(questions: list[Question]) -> str:
    """The questions as the prompt lists them."""
    lines = []
    for number, q in enumerate(questions, start=1):
        choices = f" (one of: {', '.join(q.choices)})" if q.choices else ""
        lines.append(f"{number}. {q.text}{choices}")
    return "\n".join(lines)
