"""Farore scoring: only a fix that passes the behaviour test earns anything; naming the
buggy line and the bug's category adds to a pass and never replaces it."""

from __future__ import annotations

import random

import pytest

from afs.benchmark.audit_farore import domain_wrong_answers, line_variants
from afs.benchmark.generation import build_domain
from afs.benchmark.generation.farore_common import make_draft
from afs.benchmark.generation.farore_game import heal
from afs.benchmark.generation.farore_sprites import sprite_spawn
from afs.benchmark.scoring import FARORE_NAMED, FARORE_PASS, score_answer


def _item(family, category: str, seed: int = 4):
    rng = random.Random(seed)
    routine, bugs = family(rng)
    bug = next(b for b in bugs if b.category == category)
    return build_domain("farore", [make_draft(routine, bug, rng)])[0]


@pytest.fixture(scope="module")
def item():
    return _item(heal, "carry_flag")


def _said(item, code: str, *, line: bool = True, category: bool = True) -> str:
    parts = []
    if line:
        parts.append(f"The bug is on line {item.bug.line}.")
    if category:
        parts.append(f"It is a {item.bug.category.replace('_', ' ')} problem.")
    return " ".join(parts) + f"\n```asm\n{code}\n```"


def test_the_fix_with_the_right_diagnosis_scores_full_marks(item):
    result = score_answer(item, _said(item, item.expected_output))
    assert result.passed and result.score == pytest.approx(1.0)
    assert result.details["named_line"] and result.details["named_category"]


def test_the_fix_alone_passes_with_the_base_score(item):
    result = score_answer(item, f"```asm\n{item.expected_output}\n```")
    assert result.passed and result.score == pytest.approx(FARORE_PASS)
    named_line_only = score_answer(item, _said(item, item.expected_output, category=False))
    assert named_line_only.score == pytest.approx(FARORE_PASS + FARORE_NAMED)


def test_naming_the_line_and_category_without_fixing_scores_zero(item):
    # Issue 16: this answer used to earn 0.3 on every item.
    result = score_answer(item, _said(item, item.code))
    assert not result.passed and result.score == 0.0
    assert result.details["named_line"] and result.details["named_category"]
    prose = f"Line {item.bug.line} has a {item.bug.category.replace('_', ' ')} bug."
    assert score_answer(item, prose).score == 0.0


def test_a_wrong_value_on_the_buggy_line_scores_zero(item):
    lines = item.code.splitlines()
    at = item.bug.line - 1
    wrong = [v for v in line_variants(lines[at]) if v not in item.expected_output.splitlines()]
    assert wrong
    for variant in wrong:
        code = "\n".join([*lines[:at], variant, *lines[at + 1:]])
        assert score_answer(item, _said(item, code)).score == 0.0, variant


def test_a_fix_that_breaks_another_line_scores_zero(item):
    fixed = item.expected_output.splitlines()
    store = next(i for i, text in enumerate(fixed) if text.startswith("STA"))
    broken = "\n".join([*fixed[:store], fixed[store].replace("STA", "STZ", 1),
                        *fixed[store + 1:]])
    result = score_answer(item, _said(item, broken))
    assert not result.passed and result.score == 0.0


def test_listing_every_line_and_category_earns_no_naming_credit(item):
    from afs.benchmark.items import CATEGORIES

    listing = " ".join(f"line {n}" for n in range(1, 12)) + " " + \
        " ".join(CATEGORIES["farore"])
    result = score_answer(item, listing + f"\n```asm\n{item.expected_output}\n```")
    assert result.passed and result.score == pytest.approx(FARORE_PASS)
    assert not result.details["named_line"] and not result.details["named_category"]


def test_the_wrong_answer_battery_is_rejected():
    item = _item(sprite_spawn, "carry_flag", seed=2)
    battery = domain_wrong_answers(item)
    labels = [w.label for w in battery]
    assert "farore:buggy_code_with_line_and_category" in labels
    assert "farore:prose_naming_line_and_category" in labels
    assert any(label.startswith("mutant:farore_fix_breaking_line") for label in labels)
    for wrong in battery:
        assert not score_answer(item, wrong.answer).passed, wrong.label


def test_no_shipped_item_rewards_a_diagnosis_without_a_fix(shipped_items):
    items = shipped_items["farore"]
    for item in items:
        result = score_answer(item, _said(item, item.code))
        assert result.score == 0.0, item.id
        assert score_answer(item, _said(item, item.expected_output)).score == \
            pytest.approx(1.0), item.id
