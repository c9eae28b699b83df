"""Knowledge-graph precision: the right entities first, related registers beside their RAM
copies, and nothing after the evidence runs out."""

from __future__ import annotations

import pytest

from afs.knowledge.adapters import ALTTPKnowledgeGraph
from tests.knowledge.precision_cases import PRECISION_CASES
from tests.knowledge.retrieval_cases import CASES, HELDOUT_CASES


@pytest.fixture(scope="module")
def graph() -> ALTTPKnowledgeGraph:
    return ALTTPKnowledgeGraph()


def _top(graph: ALTTPKnowledgeGraph, query: str, k: int = 5) -> list[str]:
    return [e.node.properties["display"] for e in graph.retrieve(query, 10).entities[:k]]


def precision_recall_at_5(graph: ALTTPKnowledgeGraph, cases) -> tuple[float, float]:
    """Mean precision@5 (relevant among those returned, at most 5) and recall@5."""
    precision = recall = 0.0
    for query, wanted in cases:
        top = _top(graph, query)
        relevant = [a for a in top if a in wanted]
        precision += len(relevant) / len(top) if top else 0.0
        recall += len(set(relevant)) / len(wanted)
    return precision / len(cases), recall / len(cases)


def test_precision_and_recall_at_5_on_the_precision_set(graph):
    assert not {q for q, _ in PRECISION_CASES} & {q for q, _ in CASES + HELDOUT_CASES}
    precision, recall = precision_recall_at_5(graph, PRECISION_CASES)
    print(f"precision@5 = {precision:.3f}, recall@5 = {recall:.3f} "
          f"over {len(PRECISION_CASES)} requests")
    assert precision >= 0.5
    assert recall >= 0.95


def test_the_context_stops_when_the_evidence_runs_out(graph):
    assert _top(graph, "give the player 999 rupees", 10) == ["$7EF360", "$7EF362"]


@pytest.mark.parametrize(("query", "coordinate", "delta"), [
    ("move link to the right", "$7E0022", "$7E0031"),
    ("move Link up a little", "$7E0020", "$7E0030"),
    ("slide the sprite left", "$7E0D10", "$7E0D50"),
])
def test_movement_puts_the_coordinate_ahead_of_the_delta(graph, query, coordinate, delta):
    top = _top(graph, query, 10)
    assert coordinate in top[:2]
    assert delta not in top or top.index(coordinate) < top.index(delta)


def test_asking_for_the_velocity_still_gets_the_velocity(graph):
    assert _top(graph, "move a sprite horizontally with its X velocity")[0] == "$7E0D50"


@pytest.mark.parametrize(("query", "ram", "register"), [
    ("was the A button just pressed", "$7E00F6", "$4218"),
    ("is the B button held down", "$7E00F0", "$4219"),
])
def test_joypad_registers_come_with_their_ram_copies(graph, query, ram, register):
    top = _top(graph, query)
    assert ram in top and register in top
