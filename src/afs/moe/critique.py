"""Critiques and how a critic's free text becomes a verdict and a score in [0, 1].

JSON is read first (`{"verdict": "pass", "score": 0.8, "feedback": "..."}`), then tolerant
text: `**VERDICT: PASS**`, `Score: 8/10`, `85%`, or a bare `0.8` on its own line. An
explicit FAIL always fails; otherwise the score must reach the loop's threshold — a score
alone never passes by default, and a text with neither verdict nor score is a failure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_VERDICT = re.compile(r"verdict\W{0,6}(pass(?:ed)?|fail(?:ed)?|accept(?:ed)?|reject(?:ed)?)",
                      re.I)
_SCORE = re.compile(r"score[\s:=*]{0,4}(-?\d+(?:\.\d+)?)\s*(?:/\s*(\d+(?:\.\d+)?)|(%))?", re.I)
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*%")
_BARE = re.compile(r"^\s*\**\s*(0(?:\.\d+)?|1(?:\.0+)?)\s*\**\s*$", re.M)
_JSON = re.compile(r"\{.*\}", re.S)


@dataclass
class Critique:
    """A critic's judgement of one output."""

    score: float | None
    verdict: str | None = None  # "pass" | "fail" | None
    feedback: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)
    raw: str = ""

    def passed(self, threshold: float) -> bool:
        if self.verdict == "fail":
            return False
        if self.score is None:
            return self.verdict == "pass"
        return self.score >= threshold


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _normalise_score(value: float, scale: float | None = None) -> float:
    if scale:
        return _clamp(value / scale)
    if value <= 1.0:
        return _clamp(value)
    if value <= 10.0:
        return _clamp(value / 10.0)
    return _clamp(value / 100.0)


def _verdict_word(word: str) -> str:
    return "pass" if word.lower().startswith(("pass", "accept")) else "fail"


def _from_json(text: str) -> Critique | None:
    match = _JSON.search(text)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    verdict = None
    for key in ("verdict", "decision", "result"):
        if isinstance(data.get(key), str):
            verdict = _verdict_word(data[key])
    if isinstance(data.get("pass"), bool):
        verdict = "pass" if data["pass"] else "fail"
    score = data.get("score")
    if isinstance(score, str):
        return _from_text(text)
    numeric = _normalise_score(float(score)) if isinstance(score, int | float) else None
    if verdict is None and numeric is None:
        return None
    feedback = data.get("feedback") or data.get("critique") or data.get("reason") or ""
    return Critique(score=numeric, verdict=verdict, feedback=str(feedback), raw=text)


def _from_text(text: str) -> Critique:
    verdict_match = _VERDICT.search(text)
    verdict = _verdict_word(verdict_match.group(1)) if verdict_match else None
    score = None
    if match := _SCORE.search(text):
        value = float(match.group(1))
        if match.group(2):
            score = _normalise_score(value, float(match.group(2)) or None)
        elif match.group(3):
            score = _normalise_score(value, 100.0)
        else:
            score = _normalise_score(value)
    elif match := _PERCENT.search(text):
        score = _normalise_score(float(match.group(1)), 100.0)
    elif match := _BARE.search(text):
        score = _clamp(float(match.group(1)))
    return Critique(score=score, verdict=verdict, feedback=text.strip(), raw=text)


def parse_critique(text: str) -> Critique:
    """Parse a critic's answer (JSON first, then tolerant text)."""
    return _from_json(text) or _from_text(text)
