"""Din scoring: only an equivalent AND strictly cheaper answer passes, in every entry width the
item allows; the score grows with the saving, past the reference up to a cap."""

from __future__ import annotations

import pytest

from afs.benchmark.generation import build_domain
from afs.benchmark.generation.din_common import M8, NATIVE, _draft
from afs.benchmark.items import BenchmarkItem
from afs.benchmark.scoring import DIN_SCORE_CAP, measure_din_candidate, score_answer
from afs.benchmark.verify import prove_item


def _item(code: str, reference: str, *, pre: dict[str, int], live_out: str = "mem",
          objective: str = "cycles") -> BenchmarkItem:
    draft = _draft("register_mode", 1, code, reference, "test", live_out=live_out, pre=pre,
                   objective=objective)
    return build_domain("din", [draft])[0]


def _fenced(code: str) -> str:
    return f"```asm\n{code}\n```"


@pytest.fixture(scope="module")
def width_free() -> BenchmarkItem:
    """The issue's `din_register_mode_004`: A's width is not stated, the code sets it."""
    return _item("REP #$20\nSEP #$20\nLDA #$45\nSTA $06", "SEP #$20\nLDA #$45\nSTA $06",
                 pre={**NATIVE, "x": 1, "dbr": 0x7E})


@pytest.fixture(scope="module")
def zero_stores() -> BenchmarkItem:
    return _item("LDA #$00\nSTA $10\nLDA #$00\nSTA $11\nLDA #$00\nSTA $12",
                 "LDA #$00\nSTA $10\nSTA $11\nSTA $12", pre={**M8, "dbr": 0x7E})


def test_the_reference_passes_with_score_one_and_is_proven(width_free):
    result = score_answer(width_free, _fenced(width_free.expected_output))
    assert result.passed and result.score == 1.0
    assert result.details["versus_reference"] == "matched"
    assert [e["m"] for e in result.details["entries"]] == [1, 0]   # both widths were run
    assert prove_item(width_free) == []


def test_an_answer_correct_only_for_8bit_a_fails(width_free):
    result = score_answer(width_free, _fenced("LDA #$45\nSTA $06"))
    assert not result.passed and result.score == 0.0
    assert result.details["reason"].startswith("not equivalent")
    assert result.details["counterexample"]["entry"]["m"] == 0


def test_the_reference_with_rep_sep_stripped_fails(width_free):
    stripped = "\n".join(line for line in width_free.expected_output.splitlines()
                         if not line.startswith(("REP", "SEP")))
    assert not score_answer(width_free, _fenced(stripped)).passed


@pytest.mark.parametrize("answer", [
    "REP #$20\nSEP #$20\nLDA #$45\nSTA $06",               # unchanged
    "; tidied up\nrep #$20\nsep #$20\nlda #$45\nsta $06",   # unchanged, reformatted
    "REP #$20\nSEP #$20\nLDA #$45\nSTA $06\nNOP",           # equivalent, slower
    "RTS", "NOP", "",
])
def test_no_saving_scores_nothing(width_free, answer):
    result = score_answer(width_free, _fenced(answer))
    assert not result.passed and result.score == 0.0


def test_the_score_grows_with_the_saving(zero_stores):
    reference = score_answer(zero_stores, _fenced(zero_stores.expected_output))
    assert reference.passed and reference.score == 1.0      # saves 4 cycles
    partial = score_answer(zero_stores, _fenced("LDA #$00\nSTA $10\nSTA $11\nLDA #$00\n"
                                                "STA $12"))
    assert partial.passed and partial.score == pytest.approx(0.5)
    assert partial.details["versus_reference"] == "below"
    better = score_answer(zero_stores, _fenced("STZ $10\nSTZ $11\nSTZ $12"))   # saves 6
    assert better.passed and better.score == pytest.approx(1.5)
    assert better.details["versus_reference"] == "beat"


def test_a_beat_is_capped():
    item = _item("LDA #$00\nSTA $10\nLDA #$00\nSTA $11", "LDA #$00\nSTA $10\nSTA $11",
                 pre={**M8, "dbr": 0x7E})
    result = score_answer(item, _fenced("STZ $10\nSTZ $11"))   # twice the reference's gain
    assert result.passed and result.score == DIN_SCORE_CAP


def test_a_cheaper_answer_that_clobbers_the_live_out_fails(zero_stores):
    result = score_answer(zero_stores, _fenced("STZ $10\nSTZ $11"))
    assert not result.passed and "$7E0012" in result.details["counterexample"][
        "first_difference"]


def test_a_live_register_is_compared():
    item = _item("LDA $10\nCLC\nADC #$01\nSTA $10\nLDA $10", "LDA $10\nINC A\nSTA $10",
                 pre={**M8, "dbr": 0x7E}, live_out="a,mem")
    assert score_answer(item, _fenced(item.expected_output)).passed
    assert not score_answer(item, _fenced("INC $10")).passed      # A is live


def test_the_bytes_objective_is_the_one_scored():
    item = _item("LDA #$00\nSTA $0300\nLDA #$00\nSTA $0301", "STZ $0300\nSTZ $0301",
                 pre={**M8, "dbr": 0x7E}, objective="bytes")
    result = score_answer(item, _fenced("REP #$20\nSTZ $0300\nSEP #$20"))
    assert result.details["objective"] == "bytes" and result.details["gain"] == 3


def test_measurement_runs_every_allowed_width_and_keeps_the_worst_gain():
    code = "PHP\nSEP #$30\nLDA #$00\nSTA $10\nLDA #$00\nSTA $11\nPLP"
    m = measure_din_candidate(code, "PHP\nSEP #$30\nSTZ $10\nSTZ $11\nPLP", "p,mem",
                              {**NATIVE, "dbr": 0x7E})
    assert m.equivalent
    assert sorted((e["m"], e["x"]) for e in m.entries) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    gains = [w["original"]["cycles_mean"] - w["candidate"]["cycles_mean"] for w in m.per_width]
    assert m.gain["cycles_mean"] == pytest.approx(min(gains))


def test_an_unchanged_model_scores_nothing_on_the_shipped_items(shipped_items):
    items = shipped_items["din"]
    assert all(not score_answer(i, _fenced(i.code)).passed for i in items)


def test_the_width_free_shipped_items_reject_the_issues_example(shipped_items):
    free = [i for i in shipped_items["din"] if "m" not in i.preconditions]
    assert len(free) >= 13
    assert all(not score_answer(i, _fenced("LDA #$45\nSTA $06")).passed for i in free)
