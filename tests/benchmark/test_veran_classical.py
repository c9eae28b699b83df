"""The classical Veran answers prediction questions by running the code, as a user's
questions are phrased, with no knowledge of the items."""

from __future__ import annotations

import random

from afs.benchmark.generation import build_domain
from afs.benchmark.generation.veran import drafts
from afs.benchmark.prompts import build_messages
from afs.benchmark.scoring import score_answer
from afs.benchmark.veran_questions import make_question
from afs.models.classical_experts import veran
from afs.models.classical_experts.veran_predict import entry_from, probe_for

CODE = "LDA $10\nCLC\nADC #$03\nSTA $11\nLDX #$04\n-\nDEX\nBNE -\nRTS"


def _ask(text: str) -> str:
    return veran.answer(f"Explain this code.\n```asm\n{CODE}\n```\n\nQuestions:\n{text}")


def test_user_phrased_questions_are_answered_by_running():
    text = _ask("1. If A = $05 and $7E0010 = $03 at the start, what value is at $7E0011 "
                "afterwards?\n2. How many times does line 7 run?\n3. What is in X when it "
                "returns?\n4. Which flag does the branch on line 8 test?")
    assert "Answer 1: $06" in text and "Answer 2: 4" in text
    assert "Answer 3: $00" in text and "Answer 4: Z" in text
    assert "Purpose:" in text   # the explanation comes first


def test_an_unreadable_question_gets_no_guess():
    assert "Answer 1: cannot tell" in _ask("1. Is this code any good?")


def test_entry_states_and_probes_are_read_from_the_words():
    init, memory = entry_from("With 16-bit A, 8-bit X/Y, carry set, A = $1234, "
                              "$7EF36D = $18, DBR = $7F on entry")
    assert init == {"p": 0x11, "a": 0x1234, "dbr": 0x7F} and memory == {"$7EF36D": 0x18}
    assert probe_for("Starting from $7E0000 = $01, what 16-bit value is at $7E0004?") == \
        "mem16:$7E0004"
    assert probe_for("With X = $03 on entry, is the branch on line 4 (`BCC +`) taken?") == \
        "taken:4"
    assert probe_for("How many times is $2122 written?") == "io_count:$2122"


def test_it_passes_items_on_their_predictions_and_follows_a_changed_entry_state():
    items = build_domain("veran", drafts(random.Random("3:veran")))
    sample = items[::11]
    answers = [veran.answer(build_messages(i)[-1]["content"]) for i in sample]
    results = [score_answer(i, a) for i, a in zip(sample, answers, strict=True)]
    assert all(p["correct"] for r in results for p in r.details["predictions"])
    # the same code asked about another entry state: a memorised answer would now be wrong
    item = next(i for i in items if i.metadata.model_extra["family"] == "bounded_health_update")
    question = item.questions[0]
    memory = {**question.memory, "$7EF36D": (question.memory["$7EF36D"] + 1) % 0x20}
    changed = make_question(item.code, question.probe, question.text.replace(
        f"$7EF36D = ${question.memory['$7EF36D']:02X}", f"$7EF36D = ${memory['$7EF36D']:02X}"),
        question.init, memory)
    assert changed.text != question.text
    item = item.model_copy(update={"questions": [changed, *item.questions[1:]]})
    result = score_answer(item, veran.answer(build_messages(item)[-1]["content"]))
    assert result.details["predictions"][0]["correct"]
