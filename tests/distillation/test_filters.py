"""The filter pipeline: refusals, code extraction, assembling, and the recorded reasons."""

from __future__ import annotations

import pytest

from afs.asm.extract import extract_code
from afs.distillation.filters import (
    CheckResult,
    FilterInput,
    FilterPipeline,
    FilterReport,
    check_refusal,
)

ROUTINE = "ClearIt:\n    SEP #$20\n    STZ $10\n    RTS"


def run(domain: str, response: str, **kwargs) -> FilterReport:
    return FilterPipeline().evaluate(FilterInput(domain=domain, response=response, **kwargs))


def status(report: FilterReport, name: str) -> str:
    return next(c.status for c in report.checks if c.name == name)


@pytest.mark.parametrize("answer", [
    "Please paste your code so I can optimise it.",
    "Could you share the routine? I don't see the code in your message.",
    "You haven't provided any code yet; send me the assembly.",
    "I'm sorry, but I can't help with that request.",
    "As an AI language model, I cannot run the emulator.",
    "It looks like no code was provided. Please provide the routine.",
])
def test_refusals_and_code_requests_are_rejected(answer: str):
    assert check_refusal(FilterInput("explain", answer), {}).status == "fail"


@pytest.mark.parametrize("answer", [
    "The routine clears $10 with STZ, which takes 3 cycles in 8-bit mode.",
    "You can provide the value in A before the call; the routine stores it to $7EF36D.",
    "This code cannot overflow because the counter is reset at 16.",
])
def test_ordinary_answers_are_not_refusals(answer: str):
    assert check_refusal(FilterInput("explain", answer), {}).status == "pass"


def test_extract_prefers_the_last_assembly_block():
    text = ("Before:\n```asm\nLDA #$00\nSTA $10\n```\nAfter:\n```65816\nSTZ $10\n```\n"
            "```python\nprint('not this')\n```")
    assert extract_code(text) == "STZ $10"


def test_extract_bare_code_run():
    text = "Use this:\n\nLoop:\n    LDA $10\n    STA $12\n    RTS\n\nThat is all."
    assert extract_code(text) == "Loop:\n    LDA $10\n    STA $12\n    RTS"
    assert extract_code("No code here, just words about LDA.") is None


def test_a_good_code_answer_passes_and_records_every_check():
    report = run("generate", f"Here it is:\n```asm\n{ROUTINE}\n```\nDone, 8-bit A on exit.")
    assert report.accepted and report.quality > 0
    assert report.extracted_code == ROUTINE
    names = [c.name for c in report.checks]
    assert names == FilterPipeline().names
    assert status(report, "assembles") == "pass"


def test_missing_code_is_rejected_with_a_reason():
    report = run("generate", "You would use STZ and a loop over X to clear the buffer quickly.")
    assert not report.accepted and report.quality == 0.0
    assert report.reasons == ["code: no assembly found in the answer"]


def test_code_that_does_not_assemble_is_rejected():
    report = run("debug", "Fixed:\n```asm\nFoo:\n    LDA ($10,Q)\n    BRA Nowhere\n```\n",
                 code=ROUTINE)
    assert not report.accepted
    reason = next(r for r in report.reasons if r.startswith("assembles"))
    assert "<answer>:" in reason


def test_echoing_the_input_is_rejected():
    report = run("optimize", f"It is already optimal:\n```asm\n{ROUTINE.lower()}\n```",
                 code=ROUTINE, task={"expects_code": True, "check_equivalence": True})
    assert report.reasons == ["code: the answer repeats the input code unchanged"]


def test_truncated_answers_are_rejected():
    report = run("explain", "The routine first loads the value and then " * 5,
                 finish_reason="length")
    assert "complete: answer was cut off at the token limit" in report.reasons


def test_prose_domains_skip_code_checks():
    report = run("alttp", "Link's current health is kept in WRAM and the maximum beside it; "
                 "a refill routine raises the current value towards the maximum each frame.")
    assert status(report, "code") == "skip" and status(report, "assembles") == "skip"
    assert report.accepted


def test_quality_multiplies_soft_penalties():
    report = FilterReport([CheckResult("a", "pass", penalty=0.5),
                           CheckResult("b", "pass", penalty=0.2), CheckResult("c", "skip")])
    assert report.quality == pytest.approx(0.4)
    assert FilterReport([CheckResult("a", "fail", "x")]).quality == 0.0


def test_custom_pipeline_runs_only_its_checks():
    pipeline = FilterPipeline([check_refusal])
    report = pipeline.evaluate(FilterInput("explain", "Please paste your code."))
    assert pipeline.names == ["refusal"] and len(report.checks) == 1 and not report.accepted


def _optimize_prompt(family: str):
    from afs.distillation.prompts import PromptGenerator

    generator = PromptGenerator(0, domains=["optimize"])
    return next(s for s in (generator.prompt(i) for i in range(200)) if s.family == family)


def _evaluate_answer(spec, code: str) -> FilterReport:
    return run(spec.domain, f"Improved:\n```asm\n{code}\n```\nThis saves cycles.",
               code=spec.code, family=spec.family, task=spec.task)


def test_equivalence_accepts_a_real_optimisation_and_rejects_a_wrong_one():
    pytest.importorskip("afs.asm.equivalence", reason="afs.asm.equivalence not built yet")
    spec = _optimize_prompt("zero_store")
    good = spec.code.replace("LDA #$00\n    STA", "STZ")
    report = _evaluate_answer(spec, good)
    assert report.accepted and status(report, "equivalence") == "pass"
    wrong = good.replace("STZ", "STA", 1)  # stores whatever A held instead of zero
    report = _evaluate_answer(spec, wrong)
    assert status(report, "equivalence") == "fail"
    assert report.reasons[0].startswith("equivalence: not equivalent to the input: memory $")


def test_lint_errors_reject_a_debug_fix_that_is_still_broken():
    pytest.importorskip("afs.asm.lint", reason="afs.asm.lint not built yet")
    code = "Fixed:\n    PHP\n    PHA\n    SEP #$20\n    LDA $2D\n    STA $59\n    PLA\n    RTS"
    report = run("debug", f"The fix:\n```asm\n{code}\n```", code=code.replace("PLA", "NOP"),
                 task={"expects_code": True})
    assert status(report, "lint") == "fail"
    assert "still on the stack" in report.reasons[0]


def test_knowledge_graph_errors_reject_misused_registers():
    pytest.importorskip("afs.knowledge.adapters", reason="knowledge graph not built yet")
    code = "ReadBrightness:\n    SEP #$20\n    LDA $2100\n    STA $10\n    RTS"
    report = run("generate", f"Here:\n```asm\n{code}\n```\nThis reads the brightness.")
    knowledge = next(c for c in report.checks if c.name == "knowledge")
    assert knowledge.status == "fail" and "2100" in knowledge.detail
