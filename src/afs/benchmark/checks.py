"""Execution checks shared by the item generator's proofs and the scorers.

Everything here runs code: behaviour tests on the emulator, equivalence for optimisations,
rubric matching for explanations. Nothing scores by keywords alone except the rubric, whose
concepts and known-wrong claims are written per item; a negated mention counts for neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from afs.asm.cpu import CpuState
from afs.asm.errors import AsmError
from afs.benchmark.items import BehaviourTest, Rubric, TestCase

FLAG_BITS = {"n": 0x80, "v": 0x40, "m": 0x20, "x": 0x10, "d": 0x08, "i": 0x04, "z": 0x02,
             "c": 0x01}
REGISTERS = ("a", "x", "y", "s", "d", "dbr", "p", "e")


def parse_address(text: str | int) -> int:
    return text if isinstance(text, int) else int(str(text).replace("$", "0x"), 0)


@dataclass
class BehaviourReport:
    passed: bool
    failures: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "failures": self.failures, "error": self.error}


def _initial_state(case: TestCase) -> CpuState:
    values = {"p": 0x30, "s": 0x01FF, "dbr": 0x7E, **case.init}
    state = CpuState()
    for name, value in values.items():
        if name not in REGISTERS:
            raise ValueError(f"unknown register {name!r} in a test case")
        setattr(state, name, value)
    return state


def _check_case(code: Any, case: TestCase, max_instructions: int) -> list[str]:
    from afs.asm.machine import run_snippet

    memory = {parse_address(a): v for a, v in case.memory.items()}
    result = run_snippet(code, init=_initial_state(case), memory=memory,
                         max_instructions=max_instructions)
    problems = []
    if result.stop_reason not in ("end", "rts", "rtl"):
        problems.append(f"stopped by {result.stop_reason}")
    final = result.state
    for name, want in case.expect.registers.items():
        if name.endswith(".b"):
            got = getattr(final, name[:-2]) & 0xFF
        else:
            got = getattr(final, name)
        if got != want:
            problems.append(f"{name} = ${got:X}, expected ${want:X}")
    for flag, want in case.expect.flags.items():
        got = int(bool(final.p & FLAG_BITS[flag]))
        if got != want:
            problems.append(f"flag {flag} = {got}, expected {want}")
    for address, want in case.expect.memory.items():
        got = result.final_memory(parse_address(address))
        if got != want:
            problems.append(f"memory {address} = ${got:02X}, expected ${want:02X}")
    for address, want in case.expect.io.items():
        target = parse_address(address) & 0xFFFF
        got = [v for a, v, _ in result.io_writes if a & 0xFFFF == target]
        if got != want:
            problems.append(f"I/O {address} written {got}, expected {want}")
    return problems


def run_behaviour_test(code: Any, test: BehaviourTest) -> BehaviourReport:
    """Run every case; the report lists each mismatch as `case N: what`."""
    failures: list[str] = []
    for index, case in enumerate(test.cases):
        try:
            problems = _check_case(code, case, test.max_instructions)
        except AsmError as exc:
            return BehaviourReport(False, [], f"does not assemble: {exc}")
        except Exception as exc:  # budget overrun, bad state: a failed case, not a crash
            problems = [f"{type(exc).__name__}: {exc}"]
        failures.extend(f"case {index}: {p}" for p in problems)
    return BehaviourReport(not failures, failures)


@dataclass
class RubricReport:
    score: float
    matched: list[str]
    missing: list[str]
    wrong_claims: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 4), "matched": self.matched, "missing": self.missing,
                "wrong_claims": self.wrong_claims}


# A clause ends at a sentence or list boundary; a negation cue earlier in the same clause
# negates a mention ("$7EF36C is not the current health", "it never decrements").
CLAUSE_BOUNDARY = re.compile(r"[.;:!?](?=\s|$)|\n|,|\(|\)|\s(?:but|and|so|then|whereas|"
                             r"while|because|however|although)\s", re.I)
NEGATION = re.compile(r"\b(?:not|never|no|none|nothing|neither|nor|cannot|instead\s+of|"
                      r"rather\s+than)\b|n't\b", re.I)


def clause_start(text: str, position: int) -> int:
    """Where the clause holding `position` starts."""
    start = 0
    for match in CLAUSE_BOUNDARY.finditer(text, 0, position):
        start = match.end()
    return start


def negated(text: str, position: int) -> bool:
    """True when a negation cue precedes `position` in its clause."""
    return NEGATION.search(text, clause_start(text, position), position) is not None


def _mentions(text: str, phrase: str) -> bool:
    """Case-insensitive match at a word start, not negated; a word may take a short ending
    ("shift" matches "shifts", "truncat" matches "truncates"); `$`/`#` literals match as
    written."""
    pattern = re.escape(phrase.lower()).replace(r"\ ", r"\s+")
    ending = r"\w{0,3}" if phrase[-1:].isalpha() else ""
    return any(not negated(text, m.start())
               for m in re.finditer(rf"(?<![\w$#]){pattern}{ending}(?!\w)", text))


def _claims(text: str, patterns: list[str]) -> bool:
    return any(not negated(text, m.start())
               for p in patterns for m in re.finditer(p, text, re.I))


def score_rubric(text: str, rubric: Rubric) -> RubricReport:
    """Weighted share of concepts stated (any synonym, not negated), minus known-wrong
    claims (stated, not negated)."""
    lowered = text.lower()
    total = sum(c.weight for c in rubric.concepts)
    matched = [c for c in rubric.concepts if any(_mentions(lowered, s) for s in c.synonyms)]
    wrong = [w for w in rubric.wrong_claims if _claims(text, w.patterns)]
    score = sum(c.weight for c in matched) / total - sum(w.penalty for w in wrong)
    return RubricReport(
        score=min(1.0, max(0.0, score)),
        matched=[c.name for c in matched],
        missing=[c.name for c in rubric.concepts if c not in matched],
        wrong_claims=[w.claim for w in wrong],
    )
