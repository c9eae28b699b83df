"""Veran scoring: a pass needs the predictions right AND an explanation that states what the
code does; negated mentions, echoed code and wrong explanations earn no pass (issue 16)."""

from __future__ import annotations

import random

import pytest

from afs.benchmark.checks import negated, score_rubric
from afs.benchmark.generation import build_domain
from afs.benchmark.generation.veran_asar import sublabels
from afs.benchmark.generation.veran_common import build
from afs.benchmark.generation.veran_cpu import negate_only
from afs.benchmark.generation.veran_game import heal_capped
from afs.benchmark.items import Question
from afs.benchmark.scoring import apply_veran_judge, score_answer
from afs.benchmark.veran_questions import (
    answer_block,
    check_predictions,
    evaluate,
    parse_bytes,
    parse_number,
    read_answers,
)


def _item(family, category: str, seed: int = 3):
    rng = random.Random(seed)
    return build_domain("veran", [build(rng, category, family(rng))])[0]


def _prose(item) -> str:
    return item.expected_output.split("\n\nAnswer 1:")[0]


@pytest.fixture(scope="module")
def heal():
    return _item(heal_capped, "explanation")


def test_the_reference_passes_with_full_score(heal):
    result = score_answer(heal, heal.expected_output)
    assert result.passed and result.score == pytest.approx(1.0)
    assert all(p["correct"] for p in result.details["predictions"])


def test_a_negated_statement_does_not_match():
    item = _item(sublabels, "asar_labels")
    right = answer_block(item.questions)
    parent = item.code.splitlines()[0].rstrip(":")
    answer = f"`.loop` is not a local label of {parent}; nothing here is a sublabel.\n\n{right}"
    result = score_answer(item, answer)
    assert not result.passed
    assert "sublabel" in result.details["rubric"]["missing"]
    # the same words, not negated, do count
    assert "sublabel" in score_rubric("`.loop` is a local label", item.rubric).matched


def test_negation_is_scoped_to_its_clause():
    text = "if the health is not zero, it decrements it"
    assert negated(text, text.index("zero"))
    assert not negated(text, text.index("decrements"))
    assert negated("it never decrements the value", 9)


def test_echoed_code_gets_no_pass(heal):
    code = f"```asm\n{heal.code}\n```"
    assert not score_answer(heal, code).passed
    echoed = score_answer(heal, f"{code}\n\n{answer_block(heal.questions)}")
    assert not echoed.passed and echoed.details["rubric"]["score"] == 0.0


def test_a_wrong_explanation_with_right_answers_gets_no_pass():
    item = _item(negate_only, "pattern")
    wrong = ("It computes the absolute value of the byte: negative values are negated, "
             f"positive ones kept.\n\n{answer_block(item.questions)}")
    result = score_answer(item, wrong)
    assert not result.passed
    assert result.details["rubric"]["wrong_claims"] == ["absolute value"]


def test_role_swapped_health_is_a_known_false_claim(heal):
    swapped = (_prose(heal).replace("maximum", "@").replace("current", "maximum")
               .replace("@", "current"))
    result = score_answer(heal, f"{swapped}\n\n{answer_block(heal.questions)}")
    assert not result.passed and result.details["rubric"]["wrong_claims"]
    assert result.details["reason"] == "the explanation makes a known-false claim"


def test_right_explanation_with_a_wrong_prediction_fails(heal):
    values = [q.answer for q in heal.questions]
    values[0] = values[0] + 1
    result = score_answer(heal, f"{_prose(heal)}\n\n{answer_block(heal.questions, values)}")
    assert not result.passed and result.score < 1.0
    assert next(p["correct"] for p in result.details["predictions"]) is False
    assert not score_answer(heal, _prose(heal)).passed   # prose alone: no predictions


def test_answers_are_read_as_hex_or_decimal():
    assert [parse_number(t) for t in ("$1F", "0x1F", "1Fh", "1F", "31", "31 times", "$05 (5)")] \
        == [31, 31, 31, 31, 31, 31, 5]
    assert parse_number("no idea") is None
    assert parse_bytes("A9 05") == [0xA9, 5] == parse_bytes("$A9, $05") == parse_bytes("A905")
    assert read_answers("**Answer 1:** $10\n- answer 2 = yes\nAnswer 1: 7") == {1: "$10",
                                                                                2: "yes"}
    q = Question(text="?", kind="number", probe="mem:$7E0000", answer=16)
    assert [p["correct"] for p in check_predictions([q], "Answer 1: $10")] == [True]
    assert [p["correct"] for p in check_predictions([q], "Answer 1: 16")] == [True]
    assert [p["correct"] for p in check_predictions([q], "Answer 1: 10")] == [False]


def test_questions_are_answered_by_running_the_code():
    code = "LDA $00\nCLC\nADC #$03\nSTA $01\n-\nDEX\nBNE -\nBCS +\nNOP\n+"
    assert evaluate(code, "mem:$7E0001", memory={"$7E0000": 0x05}) == 0x08
    assert evaluate(code, "count:6", init={"x": 4}) == 4
    assert evaluate(code, "taken:8", memory={"$7E0000": 0xFE}) == "yes"
    assert evaluate(code, "taken:8", memory={"$7E0000": 0x01}) == "no"
    assert evaluate(code, "branchflag:7") == "Z"
    assert evaluate(code, "bytes:3") == [0x69, 0x03]
    assert evaluate("REP #$30\nLDX #$1234\nSEP #$10", "reg:x") == 0x34
    with pytest.raises(ValueError):
        evaluate("-\nBRA -", "reg:a")   # never ends: no answer


def test_the_judge_cannot_turn_wrong_predictions_into_a_pass(heal):
    values = [q.answer for q in heal.questions]
    values[-1] = values[-1] + 1 if isinstance(values[-1], int) else "no" if \
        values[-1] == "yes" else "yes"
    answer = f"{_prose(heal)}\n\n{answer_block(heal.questions, values)}"
    judged = apply_veran_judge(score_answer(heal, answer).to_dict(), 1.0)
    assert not judged["passed"] and judged["details"]["judge_score"] == 1.0
    good = apply_veran_judge(score_answer(heal, heal.expected_output).to_dict(), 0.0)
    assert good["passed"]   # rubric 1.0 and judge 0.0 average to the pass mark


PARAPHRASES = {
    (heal_capped, "explanation"):
        "This adds a fixed amount of HP to Link's current health ($7EF36D) but won't let it go "
        "over his max health ($7EF36C): if the new value is greater than or equal to the max, "
        "the max is written instead.",
    (sublabels, "asar_labels"):
        "The .loop labels are local (sublabels) scoped to the global label above them, so the "
        "two loops don't clash. The first routine fills memory in a loop and then calls the "
        "second one via JSR, which runs its own counted loop.",
    (negate_only, "pattern"):
        "Computes -x: flipping all the bits and adding 1 is two's complement negation.",
}


@pytest.mark.parametrize(("key", "seed"), [(k, s) for k in PARAPHRASES for s in range(3)])
def test_a_right_explanation_in_other_words_passes(key, seed):
    item = _item(*key, seed=seed)
    result = score_answer(item, f"{PARAPHRASES[key]}\n\n{answer_block(item.questions)}")
    assert result.passed, result.details
