"""The veran generator: any seed gives >= 150 proven, distinct, diverse items whose
questions are answered by running the code, and no wrong answer of the audit passes."""

from __future__ import annotations

import random
import statistics
from collections import Counter

import pytest

from afs.asm.extract import normalize_code
from afs.benchmark.audit import audit_item, shape_ratio
from afs.benchmark.audit_veran import domain_wrong_answers, negate, swap
from afs.benchmark.generation import build_domain
from afs.benchmark.generation.veran import drafts
from afs.benchmark.generation.veran_common import ROLE_PAIRS, shape
from afs.benchmark.items import CATEGORIES
from afs.benchmark.scoring import score_answer
from afs.benchmark.verify import prove_item
from afs.knowledge.adapters import ALTTPKnowledgeGraph

from .conftest import DATASET

SEEDS = (0, 5, 23)   # 5 is the seed the old generator could not build


@pytest.fixture(scope="module")
def graph():
    return ALTTPKnowledgeGraph()


@pytest.fixture(scope="module", params=SEEDS)
def items(request):
    return build_domain("veran", drafts(random.Random(f"{request.param}:veran")))


def _instructions(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip()
               and not line.strip().endswith(":")
               and not line.strip().startswith((".", "-", "+", "db ", "dw ", "dl ", "org ")))


def test_enough_distinct_diverse_items(items):
    assert len(items) >= 150
    assert set(CATEGORIES["veran"]) == {i.category for i in items}
    assert len({normalize_code(i.code) for i in items}) == len(items)
    assert len({shape(i.code) for i in items}) / len(items) >= 0.6
    # no category is copies of one item: each has several shapes
    for category in CATEGORIES["veran"]:
        in_category = [i for i in items if i.category == category]
        assert len({shape(i.code) for i in in_category}) >= len(in_category) // 2, category
    sizes = [_instructions(i.code) for i in items]
    assert statistics.median(sizes) >= 6 and sum(20 <= n <= 60 for n in sizes) >= 10
    assert all(i.metadata.model_extra.get("family") for i in items)
    assert all(2 <= len(i.questions or []) <= 4 for i in items)


def test_every_item_is_proven(items, graph):
    problems = {i.id: p for i in items if (p := prove_item(i, graph))}
    assert problems == {}


def test_no_domain_wrong_answer_passes(items):
    passing = [(i.id, w.label) for i in items for w in domain_wrong_answers(i)
               if score_answer(i, w.answer).passed]
    assert passing == []


def test_the_whole_audit_passes_nothing(items):
    audits = [audit_item(i) for i in items]
    assert [(a.item_id, a.passed) for a in audits if not a.ok] == []
    assert all(a.checked >= 15 for a in audits)
    assert shape_ratio(items) >= 0.6


def test_seeds_change_constants_and_wording():
    one = build_domain("veran", drafts(random.Random("1:veran")))
    two = build_domain("veran", drafts(random.Random("2:veran")))
    assert {i.code for i in one} != {i.code for i in two}
    assert len({i.metadata.request for i in one}) > 1
    texts = Counter(q.text.split(",")[0] for i in one for q in i.questions or [])
    assert len(texts) > 20


def test_the_shipped_file_is_seed_zero():
    from afs.benchmark.items import load_items

    shipped = load_items(DATASET, "veran")
    generated = build_domain("veran", drafts(random.Random("0:veran")))
    assert [i.model_dump() for i in shipped] == [i.model_dump() for i in generated]


def test_the_battery_helpers():
    assert negate("It adds one, then stores it.") == \
        "it is not true that It adds one, then it is not true that stores it."
    assert swap("the maximum health, not the current one", ROLE_PAIRS) == \
        "the current health, not the maximum one"


def test_verify_reruns_each_question(graph):
    item = build_domain("veran", drafts(random.Random("0:veran")))[0]
    question = item.questions[0]
    wrong = question.model_copy(update={"answer": question.answer + 1})
    tampered = item.model_copy(update={"questions": [wrong, *item.questions[1:]]})
    problems = prove_item(tampered, graph)
    assert any("running the code gives" in p for p in problems)
    assert any("answers questions [1] wrong" in p for p in problems)


def test_auto_questions_for_any_routine():
    from afs.benchmark.generation.veran_common import auto_questions

    code = ("Heal:\nLDA.l $7EF36D\nCLC\nADC #$08\nCMP.l $7EF36C\nBCC +\nLDA.l $7EF36C\n+\n"
            "STA.l $7EF36D\nLDX #$03\n-\nDEX\nBNE -\nRTL")
    memory = {"$7EF36C": 0x30, "$7EF36D": 0x10}
    questions = auto_questions(code, random.Random(1), memory=memory)
    probes = {q.probe: q.answer for q in questions}
    assert probes["mem:$7EF36D"] == 0x18 and probes["count:13"] == 3 and len(questions) == 3
    assert auto_questions("-\nBRA -", random.Random(1)) == []   # never ends: nothing to ask
