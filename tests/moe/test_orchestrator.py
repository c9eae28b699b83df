from __future__ import annotations

from afs.feedback import InferenceLogger
from afs.models.router import OfflineRouter
from afs.moe.critique import Critique
from afs.moe.generalist import GeneralistModel
from afs.moe.orchestrator import Orchestrator


class StaticGraph:
    def get_context_for_prompt(self, prompt):
        return "$7E0010 game_mode (1 byte)"


def _generalist():
    attempts = []

    def din(query, context):
        attempts.append(query)
        if len(attempts) == 1:
            return "Draft:\n```asm\nLDA #$00\nSTA $10\n```"
        return "Better:\n```asm\nSTZ $10\n```"

    model = GeneralistModel(OfflineRouter())
    model.register_expert("din", din)
    model.register_expert("veran", lambda q, c: f"Explained with {c.get('kg_context', '')}")
    return model, attempts


def _critic(prompt, output):
    if "STZ $10" in output:
        return Critique(score=0.95, verdict="pass", feedback="equivalent and cheaper")
    return Critique(score=0.5, verdict="fail", feedback="use STZ")


async def test_pipeline_runs_every_stage_and_logs_one_record(tmp_path):
    generalist, attempts = _generalist()
    logger = InferenceLogger(tmp_path)
    pipeline = Orchestrator(generalist=generalist, knowledge_graph=StaticGraph(),
                            critic=_critic, logger=logger)
    result = await pipeline.run("Optimize this code and explain", code="LDA #$00\nSTA $10")

    assert [s.name for s in result.stages] == [
        "knowledge_graph", "generalist", "critic", "fusion", "log"]
    # The critic loop refined Din's draft: the second attempt saw the critique.
    assert len(attempts) == 2 and "use STZ" in attempts[1]
    assert [h.passed for h in result.critic["din"]] == [False, True]
    # Sectioned fusion: Din's final code and Veran's explanation.
    assert "```asm\nSTZ $10\n```" in result.answer
    assert "Explained with $7E0010 game_mode" in result.answer
    record = logger.get(result.record_id)
    assert record.model == "afs" and record.response == result.answer
    assert record.prompt.endswith("```asm\nLDA #$00\nSTA $10\n```")
    assert [s["expert"] for s in record.metadata["generalist_steps"]
            if s["kind"] == "invocation"] == ["din", "veran"]
    assert record.metadata["fusion"]["chosen"] == ["din", "veran"]
    # Each critic iteration is its own record, chained by parent_id under the trace: the
    # feedback samplers pair the accepted output with the first draft.
    drafts = [r for r in logger.records() if r.trace_id == record.trace_id and r.model == "din"]
    assert [d.metadata["critic_accepted"] for d in drafts] == [False, True]
    assert drafts[1].parent_id == drafts[0].id

    from afs.feedback import FeedbackCollector, build_dataset

    collector = FeedbackCollector(logger)
    for draft in drafts:
        collector.record_feedback(draft.id, score=1.0 if draft.metadata["critic_accepted"]
                                  else -1.0)
    pairs = [row for row in build_dataset(collector.examples(), "dpo")
             if row["metadata"].get("kind") == "critic"]
    assert len(pairs) == 1 and "STZ $10" in pairs[0]["chosen"]


async def test_pipeline_without_experts_returns_the_generalist_text():
    pipeline = Orchestrator(generalist=GeneralistModel(OfflineRouter()),
                            use_knowledge_graph=False, critic=_critic)
    result = await pipeline.run("What is the weather?")
    assert "could not tell which expert" in result.answer and result.record_id is None



class _GatedLogger:
    """A logger with only a blocking `log()`: each call waits until a coroutine on the event
    loop has seen it start."""

    def __init__(self) -> None:
        import threading

        self.entered = threading.Event()
        self.release = threading.Event()
        self.records: list[dict] = []

    def log(self, **record):
        self.entered.set()
        # On the loop's own thread this waits for a coroutine that cannot run: the timeout
        # only turns that into a failure instead of a hang.
        assert self.release.wait(300), "log() blocked the event loop"
        self.records.append(record)
        return record["record_id"]


async def test_logging_never_blocks_the_event_loop():
    import asyncio

    generalist, _ = _generalist()
    logger = _GatedLogger()
    pipeline = Orchestrator(generalist=generalist, knowledge_graph=StaticGraph(),
                            critic=_critic, logger=logger)
    run = asyncio.ensure_future(
        pipeline.run("Optimize this code and explain", code="LDA #$00\nSTA $10"))
    while not logger.entered.is_set():  # the loop keeps running while log() waits
        assert not run.done()
        await asyncio.sleep(0.001)
    logger.release.set()
    result = await run
    # Two critic drafts chained by parent_id, then the pipeline's record, in one trace.
    assert [r["model"] for r in logger.records] == ["din", "din", "afs"]
    assert logger.records[1]["parent_id"] == logger.records[0]["record_id"]
    assert result.record_id == logger.records[-1]["record_id"]
    assert len({r["trace_id"] for r in logger.records}) == 1
