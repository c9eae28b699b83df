"""Hand-written answers per domain: correct, subtly wrong, badly formatted."""

from __future__ import annotations

from afs.asm.extract import extract_code
from afs.benchmark.items import BenchmarkItem
from afs.benchmark.scoring import score_answer


def _din_item() -> BenchmarkItem:
    from afs.benchmark.generation import build_domain
    from afs.benchmark.generation.din_common import _draft

    draft = _draft("redundant_loads", 1, "LDA #$00\nSTA $10\nLDA #$00\nSTA $0300",
                   "STZ $10\nSTZ $0300", "STZ", live_out="mem",
                   pre={"e": 0, "d": 0, "m": 1, "x": 1})
    return build_domain("din", [draft])[0]


def test_din_correct_equivalent_and_cheaper():
    result = score_answer(_din_item(), "```asm\nSTZ $10\nSTZ $0300\n```")
    assert result.passed and result.score == 1.0


def test_din_unchanged_code_scores_nothing():
    result = score_answer(_din_item(), "```asm\nLDA #$00\nSTA $10\nLDA #$00\nSTA $0300\n```")
    assert not result.passed and result.score == 0.0


def test_din_bare_rts_is_not_an_optimisation():
    result = score_answer(_din_item(), "```asm\nRTS\n```")
    assert not result.passed and result.details["reason"].startswith("not equivalent")


def test_din_subtly_wrong_store_fails_with_a_counterexample():
    result = score_answer(_din_item(), "```asm\nSTZ $10\nSTZ $0301\n```")
    assert not result.passed and result.details["counterexample"]


def test_din_garbage_and_missing_code():
    assert score_answer(_din_item(), "```asm\nLDQ #$00\n```").details["reason"].startswith(
        "does not assemble")
    assert score_answer(_din_item(), "I cannot help with that.").details["reason"] == (
        "no code in the answer")


def test_din_bare_code_without_fences_is_extracted():
    answer = "Use this:\nSTZ $10\nSTZ $0300\nThat saves cycles."
    assert extract_code(answer) == "STZ $10\nSTZ $0300"
    assert score_answer(_din_item(), answer).passed


def test_veran_rubric_and_wrong_claims(shipped_items):
    item = next(i for i in shipped_items["veran"] if "7EF36C" in i.code)
    assert score_answer(item, item.expected_output).passed
    confused = ("It refills Link's health by copying the maximum health into $7EF36D. "
                "$7EF36C is the current health.")
    result = score_answer(item, confused)
    assert not result.passed and result.details["rubric"]["wrong_claims"]
    assert score_answer(item, "It does something with memory.").score == 0.0
