"""Retrieval quality on the written request sets, and the structured result."""

from __future__ import annotations

import pytest

from afs.knowledge.adapters import ALTTPKnowledgeGraph
from afs.knowledge.retrieval import BM25Index, stem, tokenize
from tests.knowledge.retrieval_cases import CASES, HELDOUT_CASES


@pytest.fixture(scope="module")
def graph() -> ALTTPKnowledgeGraph:
    return ALTTPKnowledgeGraph()


def _recall(graph: ALTTPKnowledgeGraph, cases) -> tuple[float, list[str]]:
    hits = total = 0
    misses = []
    for query, wanted in cases:
        top = [e.node.properties["display"] for e in graph.retrieve(query, 10).entities[:5]]
        for address in wanted:
            total += 1
            if address in top:
                hits += 1
            else:
                misses.append(f"{query!r}: {address} not in {top}")
    return hits / total, misses


def test_recall_at_5_on_the_request_set(graph: ALTTPKnowledgeGraph) -> None:
    assert len(CASES) >= 60
    recall, misses = _recall(graph, CASES)
    print(f"recall@5 = {recall:.3f} over {len(CASES)} requests")
    assert recall >= 0.9, misses


def test_recall_at_5_on_the_held_out_set(graph: ALTTPKnowledgeGraph) -> None:
    recall, misses = _recall(graph, HELDOUT_CASES)
    print(f"held-out recall@5 = {recall:.3f} over {len(HELDOUT_CASES)} requests")
    assert recall >= 0.85, misses


def test_structured_result_has_scores_and_reasons(graph: ALTTPKnowledgeGraph) -> None:
    result = graph.retrieve("LDA $0E53 ; hurt the sprite in slot 3", 5)
    first = result.entities[0]
    assert first.node.name == "sprite_hp" and first.slot == 3 and first.mention == "$0E53"
    scores = [e.score for e in result.entities]
    assert scores == sorted(scores, reverse=True)
    data = result.to_dict()
    assert data["entities"][0]["reasons"][0] == "address $0E53"
    assert "slot 3 of 16" in data["text"]
    assert len(result.entities) <= 5


def test_unknown_addresses_are_reported_not_guessed(graph: ALTTPKnowledgeGraph) -> None:
    result = graph.retrieve("what is $7EF358")
    assert [m for m, _ in result.unknown] == ["$7EF358"]
    assert "$7EF358 is not in the map (inside wram_save_block" in result.text


def test_register_shadow_pairs_come_together(graph: ALTTPKnowledgeGraph) -> None:
    names = [e.node.name for e in graph.retrieve("STA $13").entities[:2]]
    assert names == ["inidisp_shadow", "INIDISP"]


def test_empty_and_unrelated_prompts(graph: ALTTPKnowledgeGraph) -> None:
    assert graph.get_context_for_prompt("") == ""
    assert graph.retrieve("zzzz qqqq").entities == []


def test_tokenizer_and_bm25() -> None:
    assert stem("hearts") == stem("heart") and stem("moved") == stem("move")
    assert tokenize("Give the player's Rupees") == ["player", stem("rupees")]
    index = BM25Index([["red", "apple"], ["green", "apple", "apple"], ["blue"]])
    scores = index.score(["apple"])
    assert set(scores) == {0, 1} and scores[1] > scores[0]
    assert index.score(["missing"]) == {}
    assert index.idf("blue") > index.idf("apple")
