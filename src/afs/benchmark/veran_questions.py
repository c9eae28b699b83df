"""Veran prediction questions: what a reader who understood the code can predict about a run.

A question names an entry state (`init` registers, `memory` bytes; everything else as
`ENTRY_CONVENTIONS` says) and a *probe*, what is measured when the code has run (or, for
asar questions, what the assembler produced):

* `mem:$7EF36D` / `mem16:$7E0020` — the byte / little-endian word at an address at the end;
* `reg:a` `reg:a.b` `reg:x` `reg:y` — a register at the end (`.b`: its low byte);
* `flag:c` (`z`, `n`, `v`) — a flag at the end: "set" or "clear";
* `count:N` — how many times the instruction on line N ran;
* `taken:N` — whether the branch on line N was taken ("yes"/"no"; asked only where it runs
  once);
* `branchflag:N` — the flag that decides the branch on line N ("N", "V", "Z", "C");
* `io_last:$2100` / `io_count:$2118` — the last value written to / the number of writes to
  an I/O register;
* `bytes:N` / `size:N` — the bytes line N assembles to / how many;
* `label:Name` — the address asar gives a label.

The generator computes every expected answer with `evaluate` (running the code on the
emulator); `afs.benchmark.verify` re-runs it. Answers are given as `Answer N: value` lines and
read back by `read_answers`: `$1F`, `0x1F`, `1Fh` and bare digits with a letter are hex,
bare digits are decimal.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from afs.asm.cpu import CpuState, ExecutionBudgetExceeded
from afs.benchmark.items import Question

SNIPPET_BASE = 0x008000
MAX_INSTRUCTIONS = 50_000
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

FLAG_BITS = {"n": 0x80, "v": 0x40, "m": 0x20, "x": 0x10, "d": 0x08, "i": 0x04, "z": 0x02,
             "c": 0x01}
BRANCH_FLAGS = {"BCC": "C", "BCS": "C", "BEQ": "Z", "BNE": "Z", "BMI": "N", "BPL": "N",
                "BVC": "V", "BVS": "V"}
CHOICES = {"flag": ["set", "clear"], "taken": ["yes", "no"],
           "branchflag": ["N", "V", "Z", "C"]}
RUN_PROBES = ("mem", "mem16", "reg", "flag", "count", "taken", "io_last", "io_count")


def parse_address(text: str | int) -> int:
    return text if isinstance(text, int) else int(str(text).replace("$", "0x"), 0)


@lru_cache(maxsize=512)
def _assembly(code: str) -> Any:
    from afs.asm.assembler import assemble

    return assemble(code, base=SNIPPET_BASE)


def _line(code: str, number: int) -> Any:
    rows = [r for r in _assembly(code).listing if r.line == number and r.kind in
            ("instruction", "data")]
    if not rows:
        raise ValueError(f"line {number} emits nothing")
    return rows[0]


def entry_state(init: dict[str, int]) -> CpuState:
    """The CPU state a question starts from (`ENTRY_CONVENTIONS` plus `init`)."""
    state = CpuState(p=0x30, s=0x01FF, dbr=0x7E)
    for name, value in init.items():
        if name not in ("a", "x", "y", "s", "d", "dbr", "p"):
            raise ValueError(f"unknown register {name!r} in a question's entry state")
        setattr(state, name, value)
    return state


def _run(code: str, init: dict[str, int], memory: dict[str, int], want_trace: bool
         ) -> tuple[Any, list[int]]:
    from afs.asm.machine import run_snippet

    pcs: list[int] = []
    hook = (lambda cpu: pcs.append(cpu.pbr << 16 | cpu.pc)) if want_trace else False
    try:
        result = run_snippet(code, init=entry_state(init),
                             memory={parse_address(a): v for a, v in memory.items()},
                             max_instructions=MAX_INSTRUCTIONS, trace=hook)
    except ExecutionBudgetExceeded as exc:
        raise ValueError(f"the run does not end: {exc}") from None
    if result.stop_reason not in ("end", "rts", "rtl"):
        raise ValueError(f"the run stopped by {result.stop_reason}")
    pcs.append(result.state.pbr << 16 | result.state.pc)
    return result, pcs


def evaluate(code: str, probe: str, init: dict[str, int] | None = None,
             memory: dict[str, int] | None = None) -> int | list[int] | str:
    """The answer to `probe` for `code` run from `init`/`memory` (see the module docstring);
    raises ValueError when the question has no single answer."""
    kind, _, arg = probe.partition(":")
    if kind == "bytes":
        return list(_line(code, int(arg)).data)
    if kind == "size":
        return len(_line(code, int(arg)).data)
    if kind == "label":
        return _assembly(code).symbols[arg]
    if kind == "branchflag":
        return BRANCH_FLAGS[_line(code, int(arg)).mnemonic]
    if kind not in RUN_PROBES:
        raise ValueError(f"unknown probe {probe!r}")
    result, pcs = _run(code, init or {}, memory or {}, kind in ("count", "taken"))
    state = result.state
    if kind == "mem":
        return result.final_memory(parse_address(arg))
    if kind == "mem16":
        address = parse_address(arg)
        return result.final_memory(address) | result.final_memory(address + 1) << 8
    if kind == "reg":
        name, _, part = arg.partition(".")
        value = getattr(state, name)
        return value & 0xFF if part == "b" else value
    if kind == "flag":
        return "set" if state.p & FLAG_BITS[arg] else "clear"
    if kind in ("io_last", "io_count"):
        target = parse_address(arg) & 0xFFFF
        values = [v for a, v, _ in result.io_writes if a & 0xFFFF == target]
        if kind == "io_count":
            return len(values)
        if not values:
            raise ValueError(f"nothing is written to {arg}")
        return values[-1]
    row = _line(code, int(arg))
    address = SNIPPET_BASE & 0xFF0000 | row.address
    runs = [i for i, pc in enumerate(pcs[:-1]) if pc == address]
    if kind == "count":
        return len(runs)
    if len(runs) != 1:
        raise ValueError(f"the branch on line {arg} runs {len(runs)} times")
    after = pcs[runs[0] + 1]
    return "yes" if after != address + len(row.data) else "no"


def answer_kind(probe: str) -> str:
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
    words = re.findall(r"[a-z]+", text.lower())
    for word in words[:3]:
        for choice in choices:
            if word == choice.lower():
                return choice
    return None


def parse_value(question: Question, text: str) -> int | list[int] | str | None:
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
