"""The pipeline of the spec's diagram, end to end, for one request.

knowledge-graph context → generalist (invoking experts) → critic loop on each code answer →
fusion → one log record holding the answer and the whole trace. Every stage is timed.
The logger is `afs.feedback.InferenceLogger` (or any object with its `alog_many`, or with
`log(prompt=, response=, model=, ...) -> id`, which then runs on a thread); without one nothing
is stored. Logging never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from afs.moe.critic_loop import CriticConfig, CriticHandler, CriticLoop, IterationRecord
from afs.moe.fusion import (
    ExpertFusion,
    ExpertOutput,
    FusionConfig,
    FusionResult,
    FusionStrategy,
    extract_code,
)
from afs.moe.generalist import GeneralistModel, GeneralistResult, Step

CODE_EXPERTS = ("din", "nayru", "farore")
PIPELINE_MODEL = "afs"


@dataclass
class StageTiming:
    name: str
    seconds: float
    detail: str = ""


@dataclass
class PipelineResult:
    answer: str
    record_id: str | None
    stages: list[StageTiming]
    generalist: GeneralistResult
    critic: dict[str, list[IterationRecord]] = field(default_factory=dict)
    fusion: FusionResult | None = None
    knowledge_context: str = ""

    def to_trace(self) -> dict[str, Any]:
        """JSON-ready trace: what the log record's metadata holds."""
        return {
            "stages": [asdict(s) for s in self.stages],
            "generalist_steps": [asdict(s) for s in self.generalist.steps],
            "critic": [{"expert": expert, **asdict(record)}
                       for expert, records in self.critic.items() for record in records],
            "fusion": None if self.fusion is None else {
                "strategy": self.fusion.strategy.value, "chosen": self.fusion.chosen,
                "reason": self.fusion.reason,
            },
            "knowledge_context": self.knowledge_context,
        }


def _default_generalist() -> GeneralistModel:
    model = GeneralistModel()
    for expert in ("din", "farore", "nayru", "veran"):
        model.register_expert(expert, expert)  # registry aliases
    return model


class Orchestrator:
    """`await Orchestrator(logger=...).run("Optimize this code and explain", code=...)`."""

    def __init__(
        self,
        *,
        generalist: GeneralistModel | None = None,
        knowledge_graph: Any = None,
        use_knowledge_graph: bool = True,
        critic: CriticHandler | None = None,
        critic_config: CriticConfig | None = None,
        fusion: ExpertFusion | None = None,
        logger: Any = None,
    ) -> None:
        self.generalist = generalist or _default_generalist()
        self._kg = knowledge_graph
        self.use_knowledge_graph = use_knowledge_graph
        self._critic = critic
        self.critic_config = critic_config or CriticConfig(max_iterations=3)
        self.fusion = fusion or ExpertFusion(FusionConfig(strategy=FusionStrategy.SECTIONED))
        self.logger = logger

    @property
    def critic(self) -> CriticHandler:
        if self._critic is None:
            from afs.moe.farore import FaroreCritic

            self._critic = FaroreCritic()
        return self._critic

    def _knowledge_context(self, prompt: str) -> str:
        if not self.use_knowledge_graph:
            return ""
        if self._kg is None:
            from afs.knowledge.adapters import ALTTPKnowledgeGraph

            self._kg = ALTTPKnowledgeGraph()
        return self._kg.get_context_for_prompt(prompt)

    async def run(self, prompt: str, *, code: str | None = None) -> PipelineResult:
        request = f"{prompt}\n```asm\n{code.strip()}\n```" if code else prompt
        stages: list[StageTiming] = []

        started = time.perf_counter()
        context = self._knowledge_context(request)
        stages.append(StageTiming("knowledge_graph", time.perf_counter() - started,
                                  f"{len(context)} chars of context"))

        started = time.perf_counter()
        run = await self.generalist.generate_with_trace(request, context={"kg_context": context})
        invocations = run.invocations
        stages.append(StageTiming("generalist", time.perf_counter() - started,
                                  f"{len(invocations)} expert call(s): "
                                  + ", ".join(s.expert or "?" for s in invocations)))

        started = time.perf_counter()
        critic_histories: dict[str, list[IterationRecord]] = {}
        outputs: list[ExpertOutput] = []
        for step in invocations:
            if step.error:
                continue
            content, confidence = step.response or "", 1.0
            if step.expert in CODE_EXPERTS and extract_code(content):
                content, history = await self._refine(step)
                critic_histories[step.expert or "?"] = history
                confidence = max(h.score for h in history)
            outputs.append(ExpertOutput(step.expert or "?", content, confidence))
        stages.append(StageTiming("critic", time.perf_counter() - started,
                                  f"{sum(len(h) for h in critic_histories.values())} "
                                  "critique(s)"))

        started = time.perf_counter()
        fused = self.fusion.fuse(outputs) if outputs else None
        answer = fused.content if fused and fused.content else run.answer
        stages.append(StageTiming("fusion", time.perf_counter() - started,
                                  fused.reason if fused else "no expert output to fuse"))

        result = PipelineResult(answer=answer, record_id=None, stages=stages, generalist=run,
                                critic=critic_histories, fusion=fused,
                                knowledge_context=context)
        if self.logger is not None:
            started = time.perf_counter()
            trace_id = uuid.uuid4().hex
            records = self._draft_records(run, critic_histories, trace_id)
            records.append({
                "record_id": uuid.uuid4().hex, "prompt": request, "response": answer,
                "model": PIPELINE_MODEL, "trace_id": trace_id,
                "latency_ms": sum(s.seconds for s in stages) * 1000,
                "metadata": {"source": "pipeline", **result.to_trace()},
            })
            result.record_id = (await self._store(records))[-1]
            stages.append(StageTiming("log", time.perf_counter() - started, result.record_id))
        return result

    async def _store(self, records: list[dict[str, Any]]) -> list[str]:
        """Log the records in one durable transaction without blocking the event loop (an
        fsync takes milliseconds that every other request on the loop would wait for)."""
        if hasattr(self.logger, "alog_many"):
            return await self.logger.alog_many(records)

        def log_each() -> list[str]:
            return [self.logger.log(**record) for record in records]

        return await asyncio.to_thread(log_each)

    @staticmethod
    def _draft_records(run: GeneralistResult, histories: dict[str, list[IterationRecord]],
                       trace_id: str) -> list[dict[str, Any]]:
        """One record per critic iteration, each the revision of the one before (parent_id),
        the accepted one marked: the feedback samplers turn these into DPO pairs."""
        requests = {step.expert: step.request for step in run.invocations}
        records: list[dict[str, Any]] = []
        for expert, history in histories.items():
            if len(history) < 2:
                continue
            parent = None
            for record in history:
                record_id = uuid.uuid4().hex
                records.append({
                    "record_id": record_id, "prompt": requests.get(expert) or "",
                    "response": record.output, "model": expert, "expert": expert,
                    "trace_id": trace_id, "parent_id": parent,
                    "metadata": {"source": "critic_loop", "iteration": record.iteration,
                                 "critic_score": record.score,
                                 "critic_accepted": record.passed,
                                 "confidence": record.score},
                })
                parent = record_id
        return records

    async def _refine(self, step: Step) -> tuple[str, list[IterationRecord]]:
        """Critic loop on an expert's code answer; the first draft is the answer it gave."""
        handler = self.generalist.experts.get(step.expert or "")

        async def regenerate(prompt: str, feedback: str | None) -> str:
            if feedback is None or handler is None:
                return step.response or ""
            return await self.generalist.call_expert(handler, f"{prompt}\n\n{feedback}", {})

        loop = CriticLoop(regenerate, self.critic, self.critic_config)
        return await loop.run(step.request or "")
