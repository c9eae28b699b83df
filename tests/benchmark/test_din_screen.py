"""Din scoring's fast path (a screen of every width's first trials, a stop at the first width
that is not cheaper, each snippet assembled once) decides exactly what the full measurement
decides: the shipped items' references, the audit's wrong answers and the load harness's
answers are scored both ways and must agree on pass and score."""

from __future__ import annotations

import pytest

from afs.asm.equivalence import width_choices
from afs.benchmark.audit import wrong_answers
from afs.benchmark.generation import build_domain
from afs.benchmark.generation.din_common import NATIVE, _draft
from afs.benchmark.prompts import build_messages
from afs.benchmark.scoring import score_din, screen_din_candidate

MULTI_WIDTH, SINGLE_WIDTH = 8, 4     # shipped din items scored both ways


def _fenced(code: str) -> str:
    return f"```asm\n{code}\n```"


def _harness_answer(item) -> str:
    from tests.support.load_harness import realistic_answer

    messages = build_messages(item)
    system = next((m["content"] for m in messages if m["role"] == "system"), "")
    return realistic_answer(messages[-1]["content"], system)


def _verdict(item, answer: str, screen: bool) -> tuple[bool, float]:
    result = score_din(item, answer, screen=screen)
    return result.passed, round(result.score, 9)


def _both_ways(item, answers: list[str]) -> list[tuple[bool, float]]:
    verdicts = []
    for answer in answers:
        fast, full = _verdict(item, answer, True), _verdict(item, answer, False)
        assert fast == full, (item.id, answer)
        verdicts.append(fast)
    return verdicts


def test_the_fast_path_decides_what_the_full_measurement_decides(shipped_items):
    multi = [i for i in shipped_items["din"] if len(width_choices(i.preconditions or None)) > 1]
    single = [i for i in shipped_items["din"] if i not in multi]
    verdicts = []
    for item in multi[:MULTI_WIDTH] + single[:SINGLE_WIDTH]:
        reference, *others = _both_ways(item, [
            _fenced(item.expected_output), _harness_answer(item),
            *(w.answer for w in wrong_answers(item))])
        assert reference == (True, 1.0)
        verdicts += others
    assert sum(not passed for passed, _ in verdicts) > 5 * (MULTI_WIDTH + SINGLE_WIDTH)


@pytest.fixture(scope="module")
def width_free():
    draft = _draft("register_mode", 1, "REP #$20\nSEP #$20\nLDA #$45\nSTA $06",
                   "SEP #$20\nLDA #$45\nSTA $06", "test", live_out="mem",
                   pre={**NATIVE, "x": 1, "dbr": 0x7E}, objective="cycles")
    return build_domain("din", [draft])[0]


def test_a_wrong_answer_dies_in_the_screen_of_a_later_width(width_free):
    # Right for 8-bit A only: the full run would pay every trial of m=1 before failing m=0.
    m = screen_din_candidate(width_free.code, "LDA #$45\nSTA $06", width_free.live_out,
                             width_free.preconditions)
    assert m is not None and not m.equivalent and m.entries[-1]["m"] == 0
    assert screen_din_candidate(width_free.code, width_free.expected_output,
                                width_free.live_out, width_free.preconditions) is None


def test_a_slower_answer_stops_at_the_first_width_with_the_same_verdict(width_free):
    slower = _fenced("SEP #$20\nNOP\nNOP\nNOP\nLDA #$45\nSTA $06")
    fast, full = score_din(width_free, slower), score_din(width_free, slower, screen=False)
    assert (fast.passed, fast.score) == (full.passed, full.score) == (False, 0.0)
    assert len(fast.details["entries"]) == 1 and len(full.details["entries"]) == 2
    assert "not run" in fast.details["reason"]
    assert full.details["reason"].startswith("equivalent but not cheaper")


def test_small_gains_in_every_width_pass_both_ways(width_free):
    # The reference saves 3 cycles in each width: an early stop must not cut a real gain.
    assert _both_ways(width_free, [_fenced(width_free.expected_output),
                                   _fenced("SEP #$20\nLDA #$45\nSTA $06\nNOP")]) == [
        (True, 1.0), (True, round(1 / 3, 9))]
