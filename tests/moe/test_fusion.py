from __future__ import annotations

import pytest

from afs.models.router import OfflineRouter
from afs.moe.fusion import ExpertFusion, ExpertOutput, FusionConfig, FusionStrategy


def _outputs():
    return [
        ExpertOutput(expert_name="din", content="optimized code", confidence=0.9),
        ExpertOutput(expert_name="veran", content="explanation", confidence=0.8),
    ]


def test_spec_example_weighted():
    fusion = ExpertFusion(config=FusionConfig(strategy=FusionStrategy.WEIGHTED))
    merged = fusion.fuse(_outputs())
    assert str(merged) == "optimized code" and merged.chosen == ["din"]


def test_weights_change_the_weighted_choice_but_not_best():
    config = FusionConfig(strategy=FusionStrategy.WEIGHTED, expert_weights={"veran": 2.0})
    assert ExpertFusion(config).fuse(_outputs()).chosen == ["veran"]
    config.strategy = FusionStrategy.BEST
    assert ExpertFusion(config).fuse(_outputs()).chosen == ["din"]


def test_min_confidence_filters_and_reports_empty():
    result = ExpertFusion(FusionConfig(min_confidence=0.95)).fuse(_outputs())
    assert result.content == "" and result.chosen == [] and "min_confidence" in result.reason


def _code(text: str) -> str:
    return f"```asm\n{text}\n```"


def test_consensus_groups_code_by_equivalence():
    # Two experts agree behaviourally (different text), one disagrees with more confidence.
    equal_pairs = {frozenset({"STZ $10", "LDA #$00\nSTA $10"})}

    def equivalent(a, b):
        return frozenset({a, b}) in equal_pairs

    outputs = [
        ExpertOutput("din", _code("STZ $10"), 0.6),
        ExpertOutput("nayru", _code("LDA #$00\nSTA $10"), 0.6),
        ExpertOutput("farore", _code("STA $10"), 0.9),
    ]
    result = ExpertFusion(FusionConfig(strategy=FusionStrategy.CONSENSUS),
                          equivalence=equivalent).fuse(outputs)
    assert sorted(result.chosen) == ["din", "nayru"]
    assert result.content in (outputs[0].content, outputs[1].content)
    assert result.groups == [["din", "nayru"], ["farore"]]
    assert "2 of 3" in result.reason


def test_consensus_on_prose_uses_similarity_and_never_concatenates():
    outputs = [
        ExpertOutput("a", "STZ stores zero to memory without touching A", 0.5),
        ExpertOutput("b", "STZ stores zero to memory without touching the accumulator A", 0.5),
        ExpertOutput("c", "It is a branch instruction", 0.9),
    ]
    result = ExpertFusion(FusionConfig(strategy=FusionStrategy.CONSENSUS),
                          equivalence=lambda a, b: False).fuse(outputs)
    assert sorted(result.chosen) == ["a", "b"]
    assert result.content in (outputs[0].content, outputs[1].content)


def test_consensus_code_that_fails_to_compare_agrees_with_nothing():
    def explode(a, b):
        raise ValueError("does not assemble")

    outputs = [ExpertOutput("din", _code("LDQ"), 0.9), ExpertOutput("nayru", _code("LDZ"), 0.8)]
    result = ExpertFusion(FusionConfig(strategy=FusionStrategy.CONSENSUS),
                          equivalence=explode).fuse(outputs)
    assert result.groups == [["din"], ["nayru"]] and result.chosen == ["din"]


def test_sectioned_takes_code_from_din_and_prose_from_veran():
    outputs = [
        ExpertOutput("din", "Saved 2 cycles.\n" + _code("STZ $10"), 0.9),
        ExpertOutput("veran", "STZ writes zero.", 0.8),
    ]
    result = ExpertFusion(FusionConfig(strategy=FusionStrategy.SECTIONED)).fuse(outputs)
    assert result.content == ("## Code (din)\n\n```asm\nSTZ $10\n```\n\n"
                              "## Explanation (veran)\n\nSTZ writes zero.")
    assert result.chosen == ["din", "veran"]


async def test_synthesize_calls_the_configured_model():
    class Echo(OfflineRouter):
        async def _complete(self, messages, params):
            completion = await super()._complete(messages, params)
            from dataclasses import replace

            return replace(completion, text="MERGED:" + messages[-1].content[-20:])

    fusion = ExpertFusion(FusionConfig(strategy=FusionStrategy.SYNTHESIZE, synthesizer=Echo()))
    result = await fusion.afuse(_outputs())
    assert result.content.startswith("MERGED:") and result.chosen == ["din", "veran"]
    with pytest.raises(RuntimeError, match="afuse"):
        fusion.fuse(_outputs())
