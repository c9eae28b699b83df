"""Quality filters for teacher answers: a pipeline of named checks, each with a recorded reason.

Order matters: later checks read what earlier ones found (the extracted code). A check
returns ``pass``, ``fail`` (the sample is rejected) or ``skip`` (not applicable, or the tool
it needs is not installed — the reason says which). Soft findings lower the quality score
through `penalty` without rejecting. Checks are module-level functions so a pipeline can be
sent to a worker process.

Checks backed by other AFS layers (assembler, lint, equivalence, knowledge graph) import
them lazily and skip, with that reason, when the module is absent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from afs.asm.extract import extract_code, normalize_code


@dataclass(frozen=True)
class FilterInput:
    """What the checks look at: the prompt's facts and the teacher's answer."""

    domain: str
    response: str
    finish_reason: str = "stop"
    family: str = ""
    code: str | None = None
    task: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "pass" | "fail" | "skip"
    detail: str = ""
    penalty: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "status": self.status}
        if self.detail:
            data["detail"] = self.detail
        if self.penalty:
            data["penalty"] = round(self.penalty, 4)
        return data


@dataclass
class FilterReport:
    checks: list[CheckResult]
    extracted_code: str | None = None

    @property
    def accepted(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    @property
    def quality(self) -> float:
        """1.0 minus soft penalties (multiplied); 0.0 when any check failed."""
        if not self.accepted:
            return 0.0
        score = 1.0
        for check in self.checks:
            score *= 1.0 - min(max(check.penalty, 0.0), 1.0)
        return round(score, 4)

    @property
    def reasons(self) -> list[str]:
        return [f"{c.name}: {c.detail}" if c.detail else c.name
                for c in self.checks if c.status == "fail"]


Check = Callable[[FilterInput, dict[str, Any]], CheckResult]


def _ok(name: str, detail: str = "", penalty: float = 0.0) -> CheckResult:
    return CheckResult(name, "pass", detail, penalty)


def _fail(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "fail", detail)


def _skip(name: str, detail: str) -> CheckResult:
    return CheckResult(name, "skip", detail)


def _expects_code(item: FilterInput) -> bool:
    return bool(item.task.get("expects_code", item.domain in ("optimize", "debug", "generate")))


# -- text checks -----------------------------------------------------------------------------

def check_nonempty(item: FilterInput, ctx: dict[str, Any]) -> CheckResult:
    words = len(item.response.split())
    if words < 5:
        return _fail("nonempty", f"answer has {words} words")
    return _ok("nonempty", penalty=0.2 if words < 30 and item.domain == "explain" else 0.0)


def check_complete(item: FilterInput, ctx: dict[str, Any]) -> CheckResult:
    if item.finish_reason in ("length", "max_tokens", "MAX_TOKENS"):
        return _fail("complete", "answer was cut off at the token limit")
    return _ok("complete")


_REFUSAL = re.compile(
    r"(paste|share|provide|send|include)\s+(me\s+)?(your|the|that)\s+(assembly\s+|asm\s+)?"
    r"(code|routine|snippet|source)"
    r"|you\s+(haven't|have not|didn't|did not)\s+(provided?|included?|shared?|pasted?)"
    r"|(no|without)\s+(the\s+)?code\s+(was|has been|is|being)?\s*(provided|included|shown)"
    r"|\bi\s+(can't|cannot|can not|am unable to|won't|will not)\s+"
    r"(help|assist|see|access|view|comply)"
    r"|\bas an ai\b"
    r"|i\s+(don't|do not)\s+(have|see)\s+(the|any|your)\s+(code|routine|snippet)",
    re.IGNORECASE,
)


def check_refusal(item: FilterInput, ctx: dict[str, Any]) -> CheckResult:
    """Answers that refuse, or ask for code the prompt already contained."""
    match = _REFUSAL.search(item.response)
    if match:
        return _fail("refusal", f"refusal or request for code: {match.group(0)!r}")
    return _ok("refusal")


# -- code extraction -------------------------------------------------------------------------

_FENCED = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)```", re.DOTALL)
_NON_ASM_LANGS = frozenset({"python", "py", "c", "cpp", "js", "javascript", "json", "bash", "sh",
                            "text", "txt", "diff", "markdown", "md"})


@functools.cache
def _mnemonics() -> frozenset[str]:
    from afs.asm.isa import MNEMONICS

    return MNEMONICS


def _heads(code: str) -> list[str]:
    """The mnemonic of every instruction line of `code`."""
    mnemonics = _mnemonics()
    heads = []
    for line in code.splitlines():
        text = line.split(";", 1)[0].strip()
        if ":" in text and not text.startswith(("+", "-")):
            text = text.split(":", 1)[1].strip()
        head = text.split(None, 1)[0].split(".", 1)[0].upper() if text else ""
        if head in mnemonics:
            heads.append(head)
    return heads


def _instruction_lines(code: str) -> int:
    return len(_heads(code))




def check_code(item: FilterInput, ctx: dict[str, Any]) -> CheckResult:
    if not _expects_code(item):
        return _skip("code", "no code expected for this task")
    code = extract_code(item.response)
    instructions = 0 if code is None else _instruction_lines(code)
    if code is None or instructions == 0:
        return _fail("code", "no assembly found in the answer")
    ctx["code"] = code
    if item.code is not None and _normal(code) == _normal(item.code):
        return _fail("code", "the answer repeats the input code unchanged")
    return _ok("code", f"{instructions} instructions")


def _normal(code: str) -> str:
    return normalize_code(code)


# -- tool-grounded checks ---------------------------------------------------------------------

def check_assembles(item: FilterInput, ctx: dict[str, Any]) -> CheckResult:
    code = ctx.get("code")
    if code is None:
        return _skip("assembles", "no code to assemble")
    try:
        from afs.asm.assembler import assemble
    except ImportError:
        return _skip("assembles", "afs.asm.assembler is not available")
    from afs.asm.errors import AsmError

    try:
        assembly = assemble(code, filename="<answer>", base=0x008000)
    except AsmError as error:
        return _fail("assembles", str(error))
    ctx["assembly"] = assembly
    return _ok("assembles", f"{len(assembly.binary())} bytes")


def check_lint(item: FilterInput, ctx: dict[str, Any]) -> CheckResult:
    """Static analysis of the answer's code: errors reject code that claims to be correct
    (fixes, new routines); warnings only lower the quality."""
    if "assembly" not in ctx:
        return _skip("lint", "code did not assemble or none was expected")
    try:
        from afs.asm.analysis import instructions_from_listing
        from afs.asm.lint import lint_instructions
    except ImportError:
        return _skip("lint", "afs.asm.lint is not available")
    assembly = ctx["assembly"]
    report = lint_instructions(instructions_from_listing(assembly.listing, assembly.symbols))
    findings = report.by_severity("warning")
    errors = [f for f in findings if f.severity == "error"]
    if errors and item.domain in ("debug", "generate"):
        first = errors[0]
        return _fail("lint", f"{len(errors)} error(s), first {first.rule} at line {first.line}: "
                             f"{first.message}")
    detail = ", ".join(sorted({f.rule for f in findings}))
    return _ok("lint", detail, penalty=min(0.1 * len(findings), 0.5))


def check_equivalence(item: FilterInput, ctx: dict[str, Any]) -> CheckResult:
    """An optimisation must do what the input did, under the task's live-out and entry
    state, and must not be slower on any trial."""
    if not item.task.get("check_equivalence") or item.code is None:
        return _skip("equivalence", "not an optimisation of given code")
    if "assembly" not in ctx:
        return _skip("equivalence", "answer code did not assemble")
    try:
        from afs.asm.equivalence import check_equivalent
    except ImportError:
        return _skip("equivalence", "afs.asm.equivalence is not available")
    result = check_equivalent(
        item.code, ctx["assembly"], live_out=item.task.get("live_out"),
        preconditions=item.task.get("preconditions"),
        trials=equivalence_trials(item.code, ctx.get("code", "")), seed=0,
        # Scratch variables are given as bank-$00 addresses; the checker sees WRAM as $7E.
        scratch=[0x7E0000 | (a & 0xFFFF) for a in item.task.get("scratch", ())],
    )
    if not result.equivalent:
        difference = result.counterexample.difference if result.counterexample else "timeout"
        return _fail("equivalence", f"not equivalent to the input: {difference}")
    if not result.never_slower():
        return _fail("equivalence", "equivalent but slower than the input on some inputs")
    return _ok("equivalence", f"{result.trials} trials")


# Trials for the equivalence filter. The checker stops at the first counterexample and tries
# the edge states (0, $FF, $80, $7F, $01, carry and decimal set and clear) first, so a wrong
# answer costs a trial or two whatever the budget: the budget is what an accepted answer pays.
# Straight-line code computes the same expression on every input, and the edge states plus
# ten random states separate the rewrites that differ; a branch or loop can hide a difference
# on a path few inputs take, so code with control flow gets the full 64.
STRAIGHT_LINE_TRIALS = 16
CONTROL_FLOW_TRIALS = 64
_CONTROL_FLOW = frozenset({"BCC", "BCS", "BEQ", "BMI", "BNE", "BPL", "BRA", "BRL", "BVC", "BVS",
                           "JMP", "JML", "JSR", "JSL", "RTI", "COP", "BRK", "WAI", "STP"})


def equivalence_trials(original: str, candidate: str) -> int:
    """How many trials the equivalence filter runs for these two snippets."""
    heads = {*_heads(original), *_heads(candidate)}
    return CONTROL_FLOW_TRIALS if heads & _CONTROL_FLOW else STRAIGHT_LINE_TRIALS


@functools.cache
def _knowledge_graph() -> Any:
    from afs.knowledge.adapters import ALTTPKnowledgeGraph

    return ALTTPKnowledgeGraph()


def check_knowledge(item: FilterInput, ctx: dict[str, Any]) -> CheckResult:
    """ALTTP/SNES facts: misuse of registers or variables (errors) rejects the answer."""
    try:
        graph = _knowledge_graph()
    except ImportError:
        return _skip("knowledge", "afs.knowledge.adapters is not available")
    findings = graph.validate_output(item.response)
    if not findings:
        return _ok("knowledge")
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        return _fail("knowledge", "; ".join(str(f) for f in errors[:3]))
    # Info findings (an address the map does not know) are recorded but cost nothing.
    warnings = [f for f in findings if f.severity == "warning"]
    detail = "; ".join(str(f) for f in findings[:3])
    return _ok("knowledge", detail, penalty=min(0.1 * len(warnings), 0.5))


DEFAULT_CHECKS: tuple[Check, ...] = (
    check_nonempty,
    check_complete,
    check_refusal,
    check_code,
    check_assembles,
    check_lint,
    check_equivalence,
    check_knowledge,
)


class FilterPipeline:
    """Run named checks in order; every check runs, so a record shows every reason."""

    def __init__(self, checks: Sequence[Check] = DEFAULT_CHECKS) -> None:
        self.checks = tuple(checks)

    @property
    def names(self) -> list[str]:
        return [c.__name__.removeprefix("check_") for c in self.checks]

    def evaluate(self, item: FilterInput) -> FilterReport:
        ctx: dict[str, Any] = {}
        results = [check(item, ctx) for check in self.checks]
        return FilterReport(results, ctx.get("code"))
