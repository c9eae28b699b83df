"""Farore item generation: coverage of the spec's categories, proofs, determinism, bug lines."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from afs.benchmark.checks import run_behaviour_test
from afs.benchmark.generation import build_domain
from afs.benchmark.generation import farore as generator
from afs.benchmark.items import CATEGORIES, BehaviourTest
from afs.benchmark.verify import dataset_problems, prove_item
from afs.knowledge.adapters import ALTTPKnowledgeGraph

SEED = "0:farore"   # what `afs.benchmark.generation.generate(seed=0)` uses for this domain


@pytest.fixture(scope="module")
def items():
    return build_domain("farore", generator.drafts(random.Random(SEED)))


def _bug_text(draft) -> str:
    return draft.code.splitlines()[draft.extra["bug"]["line"] - 1]


def _report(code: str, draft):
    return run_behaviour_test(code, BehaviourTest.model_validate(draft.extra["test"]))


def test_every_category_has_at_least_five_items_and_the_total_meets_the_spec(items):
    counts = Counter(item.category for item in items)
    assert set(counts) == set(CATEGORIES["farore"])
    assert min(counts.values()) >= 5
    assert len(items) >= 100


def test_every_item_is_proven_and_the_dataset_has_no_duplicates(items):
    graph = ALTTPKnowledgeGraph()
    failures = {item.id: problems for item in items if (problems := prove_item(item, graph))}
    assert failures == {}
    assert dataset_problems(items, check_counts=False) == []


def test_items_carry_their_bug_and_a_request_that_does_not_name_the_category(items):
    for item in items:
        assert item.metadata.task == "debug"
        assert item.bug.category == item.category
        assert 1 <= item.bug.line <= len(item.code.splitlines())
        request = item.metadata.request.lower()
        assert request.endswith("it has a bug: find it and fix it.")
        assert item.category.replace("_", " ") not in request, item.id
        assert item.category not in request, item.id


def test_drafts_are_deterministic_per_seed():
    def snapshot(seed):
        return [(d.category, d.code, d.expected_output, d.extra, d.metadata)
                for d in generator.drafts(random.Random(seed))]

    assert snapshot(SEED) == snapshot(SEED)
    assert snapshot(SEED) != snapshot("1:farore")


def test_other_seeds_also_prove():
    graph = ALTTPKnowledgeGraph()
    items = build_domain("farore", generator.drafts(random.Random("7:farore")))
    assert [i.id for i in items if prove_item(i, graph)] == []


@pytest.mark.parametrize(("template", "kind", "text"), [
    (generator.carry_flag, 0, "ADC #$"),            # the ADC that lacks its CLC
    (generator.carry_flag, 2, "CLC"),               # the CLC that drops the low byte's carry
    (generator.stack_imbalance, 0, "BEQ Done"),     # the early exit that skips PLX
    (generator.loop_termination, 0, "LDX #$"),      # the counter reloaded inside the loop
    (generator.interrupt_handling, 1, "PLB"),       # DBR changed without being saved
    (generator.interrupt_handling, 2, "TCD"),       # D changed without being saved
    (generator.interrupt_handling, 3, "RTS"),       # a handler must return with RTI
    (generator.signed_arithmetic, 1, "LSR A"),      # a logical shift of a signed value
    (generator.subroutine_call, 1, "JMP Double"),   # a call that never returns
    (generator.off_by_one, 1, "BNE Loop"),          # skips index 0
])
def test_bug_line_points_at_the_faulty_instruction(template, kind, text):
    draft = template(random.Random(3), kind)
    assert _bug_text(draft).startswith(text)


def test_dma_bug_line_is_the_wrong_enable_mask_and_the_io_log_exposes_it():
    draft = generator.dma_issues(random.Random(5), 1)
    lines = draft.code.splitlines()
    line = draft.extra["bug"]["line"]
    assert lines[line - 1].startswith("LDA #$") and lines[line] == "STA $420B"
    report = _report(draft.code, draft)
    assert any("0x00420B" in failure for failure in report.failures)


def test_branch_range_buggy_code_does_not_assemble_but_the_fix_does():
    for kind in (0, 1):
        draft = generator.branch_range(random.Random(kind), kind)
        assert "does not assemble" in (_report(draft.code, draft).error or "")
        assert _bug_text(draft).startswith(("BEQ Skip", "BPL Loop"))
        assert _report(draft.expected_output, draft).passed


def test_runaway_loop_fails_by_exhausting_the_budget():
    draft = generator.loop_termination(random.Random(2), 0)
    report = _report(draft.code, draft)
    assert not report.passed
    assert any("budget" in failure for failure in report.failures)


def test_vblank_fix_blanks_the_screen_before_the_data_port_writes():
    draft = generator.vblank_timing(random.Random(4), 0)
    assert "$2100" not in draft.code
    fixed = draft.expected_output.splitlines()
    assert fixed[:2] == ["LDA #$80", "STA $2100"]
    failures = _report(draft.code, draft).failures
    assert any("0x002100 written []" in failure for failure in failures)
