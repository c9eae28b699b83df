"""Veran's wrong answers for the audit: answers that look like an explanation but are not
one, each of which must fail `afs.benchmark.scoring.score_veran`.

Most keep the right `Answer N:` lines, so that it is the explanation check that must catch
them (negated, role-swapped, another routine's explanation, the code echoed); the others
keep the right explanation with wrong, zero or missing predictions.
"""

from __future__ import annotations

import re
from typing import Any

from afs.benchmark.audit import WrongAnswer, fenced
from afs.benchmark.checks import CLAUSE_BOUNDARY
from afs.benchmark.generation.veran_common import ROLE_PAIRS
from afs.benchmark.items import BenchmarkItem, Question
from afs.benchmark.veran_questions import answer_block

#: Explanations of other routines, by family: right about some code, wrong about this one.
DECOYS = (
    ("signed_magnitude", "It computes the absolute value of the byte: when it is negative it "
                         "is negated in two's complement, otherwise it is kept as it is."),
    ("wait_vblank", "It waits for vertical blank by polling HVBJOY ($4212) until bit 7 is "
                    "set, then returns so the caller can write to VRAM safely."),
    ("sprite_slot_loop", "It clears all 16 sprite slots: X counts down from 15 to 0 and each "
                         "slot's state byte is set to zero, despawning every sprite."),
    ("dma_setup", "It starts a DMA transfer of the tilemap from WRAM to VRAM through channel "
                  "0 and waits for the transfer to finish before returning."),
    ("bounded_health_update", "It refills Link's health to full by copying the maximum health "
                              "into the current health, like a fairy does."),
    ("block_move", "It copies a block of memory with MVN, one byte per step, until the count "
                   "in A runs out."),
    ("joypad_edge_detection", "It reads the joypad and stores the buttons held down this "
                              "frame, so the game can react to them."),
)


def explanation_of(item: BenchmarkItem) -> str:
    """The reference's prose, without its `Answer N:` lines."""
    match = re.search(r"^Answer\s+1\s*:", item.expected_output, re.M)
    return item.expected_output[:match.start()].strip() if match else item.expected_output


def negate(text: str) -> str:
    """Every clause of `text` negated ("it is not true that ...")."""
    out, start = [], 0
    for match in [*CLAUSE_BOUNDARY.finditer(text), None]:
        end = match.start() if match else len(text)
        clause = text[start:end]
        if re.search(r"[A-Za-z]", clause):
            lead = len(clause) - len(clause.lstrip())
            clause = f"{clause[:lead]}it is not true that {clause[lead:]}"
        out.append(clause)
        if match:
            out.append(match.group(0))
            start = match.end()
    return "".join(out)


def swap(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    """`text` with every word of each pair replaced by its partner (one pass, case kept)."""
    table = {}
    for a, b in pairs:
        table.setdefault(a, b)
        table.setdefault(b, a)
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, table), key=len,
                                                   reverse=True)) + r")\b", re.I)

    def partner(match: re.Match[str]) -> str:
        word = match.group(0)
        new = table[word.lower()]
        return new[0].upper() + new[1:] if word[0].isupper() else new

    return pattern.sub(partner, text)


def _off(question: Question) -> Any:
    """A wrong answer to `question`."""
    answer = question.answer
    if isinstance(answer, str):
        return next(c for c in question.choices if c != answer)
    if isinstance(answer, list):
        return [(answer[0] + 1) & 0xFF, *answer[1:]] if answer else [0]
    return answer + 1


def _zero(question: Question) -> Any:
    if question.kind == "bytes":
        return [0] * max(1, len(question.answer) if isinstance(question.answer, list) else 1)
    return "0" if question.kind == "choice" else 0


def domain_wrong_answers(item: BenchmarkItem) -> list[WrongAnswer]:
    """Veran's battery for one item (see the module docstring)."""
    questions = item.questions or []
    right = answer_block(questions)
    prose = explanation_of(item)
    code = fenced(item.code)
    out = [
        WrongAnswer("veran: the code echoed back", code),
        WrongAnswer("veran: the code echoed back with the right answers", f"{code}\n\n{right}"),
        WrongAnswer("veran: prose only, no answers", prose),
        WrongAnswer("veran: the right answers with no explanation", right),
        WrongAnswer("veran: negated reference explanation", f"{negate(prose)}\n\n{right}"),
        WrongAnswer("veran: right explanation, wrong predicted values",
                      f"{prose}\n\n{answer_block(questions, [_off(q) for q in questions])}"),
        WrongAnswer("veran: right explanation, predictions all zero",
                      f"{prose}\n\n{answer_block(questions, [_zero(q) for q in questions])}"),
    ]
    if len(questions) > 1:
        last = [q.answer for q in questions[:-1]] + [_off(questions[-1])]
        out.append(WrongAnswer("veran: right explanation, last prediction wrong",
                                 f"{prose}\n\n{answer_block(questions, last)}"))
    swapped = swap(prose, ROLE_PAIRS)
    if swapped != prose:
        out.append(WrongAnswer("veran: role-swapped explanation", f"{swapped}\n\n{right}"))
    family = (item.metadata.model_extra or {}).get("family")
    out += [WrongAnswer(f"veran: a plausible wrong explanation ({name})", f"{text}\n\n{right}")
            for name, text in DECOYS if name != family]
    return out
