"""Farore item generation: coverage of the spec's categories, proofs, determinism, bug lines,
and what each kind of bug does under its recorded test."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from afs.benchmark.checks import run_behaviour_test
from afs.benchmark.generation import build_domain
from afs.benchmark.generation import farore as generator
from afs.benchmark.generation.farore_common import REQUEST_TAILS, make_draft
from afs.benchmark.generation.farore_game import damage, heal, magic_cost
from afs.benchmark.generation.farore_hw import dma_upload, forced_blank, nmi_save
from afs.benchmark.generation.farore_memory import (
    long_pointer,
    rle_decode,
    unrolled_clear,
    unrolled_loop,
)
from afs.benchmark.generation.farore_sprites import slot_helper, sprite_timers
from afs.benchmark.items import CATEGORIES, BehaviourTest
from afs.benchmark.verify import dataset_problems, prove_item
from afs.knowledge.adapters import ALTTPKnowledgeGraph

SEED = "0:farore"   # what `afs.benchmark.generation.generate(seed=0)` uses for this domain


@pytest.fixture(scope="module", autouse=True)
def _templates_alone():
    """Draft without the generator's own audit pass: these tests must show the templates'
    recorded tests are strong on their own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generator, "SELF_AUDIT", False)
        yield


@pytest.fixture(scope="module")
def items():
    return build_domain("farore", generator.drafts(random.Random(SEED)))


def _draft(family, category: str, seed: int = 3, which: int = 0):
    rng = random.Random(seed)
    routine, bugs = family(rng)
    bug = [b for b in bugs if b.category == category][which]
    return make_draft(routine, bug, rng)


def _bug_text(draft) -> str:
    return draft.code.splitlines()[draft.extra["bug"]["line"] - 1]


def _report(code: str, draft):
    return run_behaviour_test(code, BehaviourTest.model_validate(draft.extra["test"]))


def test_every_category_has_at_least_five_items_and_the_total_meets_the_spec(items):
    counts = Counter(item.category for item in items)
    assert set(counts) == set(CATEGORIES["farore"])
    assert min(counts.values()) >= 5
    assert len(items) >= 150


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
        assert any(request.endswith(tail.lower()) for tail in REQUEST_TAILS), item.id
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


@pytest.mark.parametrize(("family", "category", "text"), [
    (heal, "carry_flag", "ADC"),                    # the ADC that lacks its CLC
    (heal, "comparison_logic", "BCS Store"),        # the inverted cap test
    (damage, "carry_flag", "CLC"),                  # CLC where SBC needs SEC
    (magic_cost, "flag_state", "SEC"),              # success reported as failure
    (sprite_timers, "off_by_one", "BNE Loop"),      # the loop that skips slot 0
    (slot_helper, "subroutine_call", "JMP Update"),  # a call that never returns
    (nmi_save, "interrupt_handling", "PHA"),        # pushed before REP #$30
    (long_pointer, "bank_boundary", "LDA ($00),Y"),  # the pointer's bank byte ignored
])
def test_bug_line_points_at_the_faulty_instruction(family, category, text):
    assert _bug_text(_draft(family, category)).startswith(text)


def test_dma_bug_line_is_the_wrong_enable_mask_and_the_io_log_exposes_it():
    draft = _draft(dma_upload, "dma_issues", seed=5)
    lines = draft.code.splitlines()
    line = draft.extra["bug"]["line"]
    assert lines[line - 1].startswith("LDA #$") and lines[line] == "STA $420B"
    report = _report(draft.code, draft)
    assert any("0x00420B" in failure for failure in report.failures)


@pytest.mark.parametrize(("family", "text"), [(unrolled_clear, "BEQ Skip"),
                                              (unrolled_loop, "BPL Loop")])
def test_branch_range_buggy_code_does_not_assemble_but_the_fix_does(family, text):
    for seed in (0, 1):
        draft = _draft(family, "branch_range", seed=seed)
        assert "does not assemble" in (_report(draft.code, draft).error or "")
        assert _bug_text(draft).startswith(text)
        assert _report(draft.expected_output, draft).passed


def test_runaway_loop_fails_by_exhausting_the_budget():
    draft = _draft(rle_decode, "loop_termination", seed=2)
    report = _report(draft.code, draft)
    assert not report.passed
    assert any("budget" in failure for failure in report.failures)


def test_vblank_fix_blanks_the_screen_before_the_data_port_writes():
    draft = _draft(forced_blank, "vblank_timing", seed=4)
    assert not draft.code.startswith("LDA #$80\nSTA $2100")
    fixed = draft.expected_output.splitlines()
    assert fixed[:2] == ["LDA #$80", "STA $2100"]
    failures = _report(draft.code, draft).failures
    assert any(failure.startswith("case 0: I/O 0x002100 written") for failure in failures)
