from __future__ import annotations

from afs.moe.critic_loop import CriticConfig, CriticLoop, create_din_farore_loop
from afs.moe.critique import Critique


def _scripted(outputs):
    seen = []

    async def generator(prompt, feedback):
        seen.append(feedback)
        return outputs[len(seen) - 1]

    return generator, seen


async def test_passes_on_second_iteration_and_generator_sees_the_critique():
    generator, seen = _scripted(["draft", "fixed"])
    verdicts = {"draft": "VERDICT: FAIL\nScore: 4/10\nCarry is not cleared.",
                "fixed": '{"verdict": "pass", "score": 0.95, "feedback": "ok"}'}
    loop = CriticLoop(generator, lambda p, o: verdicts[o], CriticConfig(pass_threshold=0.8))
    final, history = await loop.run("Optimize this DMA routine")
    assert final == "fixed"
    assert [(h.output, h.score, h.passed) for h in history] == [
        ("draft", 0.4, False), ("fixed", 0.95, True)]
    assert seen[0] is None
    assert "Your previous answer:\ndraft" in seen[1] and "Carry is not cleared." in seen[1]


async def test_every_output_is_critiqued_including_the_last():
    generator, _ = _scripted(["a", "b", "c"])
    critiqued = []

    def critic(prompt, output):
        critiqued.append(output)
        return f"Score: {len(critiqued) * 2}/10"

    final, history = await CriticLoop(generator, critic, CriticConfig(max_iterations=3)).run("x")
    assert critiqued == ["a", "b", "c"] and len(history) == 3
    assert final == "c"  # best score, none passed


async def test_stops_when_a_revision_does_not_improve():
    generator, _ = _scripted(["a", "b", "c"])
    scores = {"a": "Score: 6/10", "b": "Score: 5/10", "c": "Score: 9/10"}
    final, history = await CriticLoop(generator, lambda p, o: scores[o],
                                      CriticConfig(max_iterations=3)).run("x")
    assert [h.output for h in history] == ["a", "b"]
    assert final == "a"


async def test_high_score_without_threshold_does_not_auto_pass():
    generator, _ = _scripted(["a", "b"])
    _, history = await CriticLoop(generator, lambda p, o: "SCORE: 8/10",
                                  CriticConfig(max_iterations=2, pass_threshold=0.9)).run("x")
    assert not any(h.passed for h in history)


async def test_critic_may_return_critique_objects_with_findings():
    generator, seen = _scripted(["a", "b"])

    def critic(prompt, output):
        if output == "a":
            return Critique(score=0.2, verdict="fail", feedback="no",
                            findings=[{"message": "line 2: carry_flag: ADC with unknown carry"}])
        return Critique(score=1.0, verdict="pass")

    final, history = await CriticLoop(generator, critic).run("x")
    assert final == "b" and history[0].findings[0]["message"].startswith("line 2")
    assert "- line 2: carry_flag" in seen[1]


async def test_spec_snippet_with_handlers():
    async def din_handler(prompt, feedback):
        return "STZ $10" if feedback else "LDA #$00\nSTA $10"

    async def farore_handler(prompt, output):
        return "VERDICT: PASS\nScore: 10/10" if output == "STZ $10" else "VERDICT: FAIL"

    loop = await create_din_farore_loop(din_handler, farore_handler)
    final_output, history = await loop.run("Optimize this DMA routine")
    assert final_output == "STZ $10" and len(history) == 2
