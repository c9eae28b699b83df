from __future__ import annotations

from afs.models.router import OfflineRouter
from afs.moe.critic_loop import CriticConfig, create_din_farore_loop
from afs.moe.farore import FaroreCritic

PROMPT = "Optimize this code:\n```asm\nLDA #$00\nSTA $10\nLDA #$00\nSTA $11\n```"


def _critic(**kw):
    return FaroreCritic(use_knowledge_graph=False, **kw)


async def test_equivalent_cheaper_rewrite_passes():
    critique = await _critic()(PROMPT, "```asm\nSTZ $10\nSTZ $11\n```")
    assert critique.passed(0.8) and critique.score == 1.0
    assert "Equivalent to the original" in critique.feedback


async def test_non_equivalent_rewrite_fails_with_the_difference():
    critique = await _critic()(PROMPT, "```asm\nSTZ $10\n```")
    assert not critique.passed(0.5) and critique.score <= 0.2
    assert any(f["source"] == "equivalence" for f in critique.findings)


async def test_unchanged_code_is_not_an_optimisation():
    critique = await _critic()(PROMPT, "```asm\nLDA #$00\nSTA $10\nLDA #$00\nSTA $11\n```")
    assert critique.score <= 0.6 and "not cheaper" in critique.feedback


async def test_declared_live_out_is_honoured():
    prompt = PROMPT + "\nlive out: a,mem"
    critique = await _critic()(prompt, "```asm\nSTZ $10\nSTZ $11\n```")
    assert critique.score <= 0.2  # STZ leaves A unchanged, and A is live here


async def test_code_that_does_not_assemble():
    critique = await _critic()(PROMPT, "```asm\nLDQ #$00\n```")
    assert critique.score == 0.1 and critique.feedback.startswith("Does not assemble")


async def test_no_code_at_all():
    critique = await _critic()(PROMPT, "Sorry, I can't.")
    assert critique.score == 0.0


async def test_llm_critic_can_only_lower_the_score():
    class Harsh(OfflineRouter):
        async def _complete(self, messages, params):
            from dataclasses import replace

            base = await super()._complete(messages, params)
            return replace(base, text='{"verdict": "fail", "score": 0.3, "feedback": "meh"}')

    critique = await _critic(llm_critic=Harsh())(PROMPT, "```asm\nSTZ $10\nSTZ $11\n```")
    assert critique.score == 0.3 and critique.verdict == "fail"


async def test_din_farore_loop_with_the_tool_critic():
    drafts = iter(["```asm\nSTZ $10\n```", "```asm\nSTZ $10\nSTZ $11\n```"])

    async def din(prompt, feedback):
        return next(drafts)

    loop = await create_din_farore_loop(din, _critic(), CriticConfig(max_iterations=3))
    final, history = await loop.run(PROMPT)
    assert final == "```asm\nSTZ $10\nSTZ $11\n```"
    assert [h.passed for h in history] == [False, True]
