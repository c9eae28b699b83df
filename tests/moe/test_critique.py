from __future__ import annotations

import pytest

from afs.moe.critique import Critique, parse_critique

CASES = [
    ('{"verdict": "pass", "score": 0.93, "feedback": "good"}', 0.93, "pass"),
    ('Here you go:\n```json\n{"score": 7, "feedback": "meh"}\n```', 0.7, None),
    ('{"pass": false, "score": 95}', 0.95, "fail"),
    ("**VERDICT: PASS**\nScore: 9/10", 0.9, "pass"),
    ("VERDICT: FAIL - carry not cleared", None, "fail"),
    ("Score: 8/10", 0.8, None),
    ("SCORE: 85%", 0.85, None),
    ("I would rate this\n0.8\noverall", 0.8, None),
    ("score = 12/10 (generous)", 1.0, None),
    ("score: -3", 0.0, None),
    ("Looks fine to me", None, None),
]


@pytest.mark.parametrize(("text", "score", "verdict"), CASES)
def test_parse(text, score, verdict):
    critique = parse_critique(text)
    assert critique.verdict == verdict
    if score is None:
        assert critique.score is None
    else:
        assert critique.score == pytest.approx(score)


def test_score_alone_never_passes_below_threshold():
    assert not parse_critique("SCORE: 8/10").passed(0.9)
    assert parse_critique("SCORE: 9/10").passed(0.9)


def test_explicit_fail_wins_over_a_high_score():
    assert not parse_critique("Score: 10/10 but VERDICT: FAIL").passed(0.5)


def test_unparseable_fails():
    assert not parse_critique("Looks fine to me").passed(0.1)
    assert Critique(score=None, verdict="pass").passed(0.99)
