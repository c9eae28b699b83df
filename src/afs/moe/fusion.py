"""Merging what several experts said into one answer.

Strategies:

* `WEIGHTED`: the output with the highest confidence × expert weight.
* `BEST`: the output with the highest confidence (weights ignored).
* `CONSENSUS`: outputs are grouped — code answers by behavioural equivalence (the
  equivalence checker), prose by word overlap — and the group with the largest total
  weighted confidence wins; its most confident member is the answer. Never a concatenation.
* `SECTIONED`: one structured answer: code from the code experts, explanation from the
  explainer.
* `SYNTHESIZE`: a configured model merges the outputs (`afuse`, or `fuse` outside a loop).

Outputs under `min_confidence` are dropped first; if none is left, the result says so.
"""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from afs.asm.extract import extract_code as _extract
from afs.models.base import ChatModel

CODE_EXPERTS = ("din", "nayru", "farore")
EXPLAIN_EXPERTS = ("veran",)
_WORD = re.compile(r"[a-z0-9$#]+", re.I)


def extract_code(text: str) -> str | None:
    """A fenced code block: in fusion, prose that happens to start with a mnemonic is prose."""
    return _extract(text, fenced_only=True)


class FusionStrategy(enum.Enum):
    WEIGHTED = "weighted"
    BEST = "best"
    CONSENSUS = "consensus"
    SECTIONED = "sectioned"
    SYNTHESIZE = "synthesize"


@dataclass
class ExpertOutput:
    expert_name: str
    content: str
    confidence: float = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class FusionConfig:
    strategy: FusionStrategy = FusionStrategy.WEIGHTED
    expert_weights: dict[str, float] = field(default_factory=dict)
    min_confidence: float = 0.0
    #: prose outputs whose word-set Jaccard similarity is at least this agree
    text_similarity: float = 0.6
    #: SYNTHESIZE: the model that merges (a `ChatModel` or an alias)
    synthesizer: ChatModel | str | None = None


@dataclass
class FusionResult:
    content: str
    strategy: FusionStrategy
    chosen: list[str]
    reason: str
    groups: list[list[str]] = field(default_factory=list)

    def __str__(self) -> str:
        return self.content


EquivalenceFn = Callable[[str, str], bool]


def _default_equivalence(a: str, b: str) -> bool:
    from afs.asm.equivalence import check_equivalent

    return bool(check_equivalent(a, b).equivalent)


def _similar(a: str, b: str, threshold: float) -> bool:
    wa, wb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    if not wa and not wb:
        return True
    return len(wa & wb) / len(wa | wb) >= threshold


class ExpertFusion:
    """Fuse `ExpertOutput`s with the configured strategy (see the module docstring)."""

    def __init__(self, config: FusionConfig | None = None, *,
                 equivalence: EquivalenceFn | None = None) -> None:
        self.config = config or FusionConfig()
        self._equivalent = equivalence or _default_equivalence

    def weight(self, output: ExpertOutput) -> float:
        return output.confidence * self.config.expert_weights.get(output.expert_name, 1.0)

    def fuse(self, outputs: Sequence[ExpertOutput]) -> FusionResult:
        if self.config.strategy is FusionStrategy.SYNTHESIZE:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return asyncio.run(self.afuse(outputs))
            raise RuntimeError("SYNTHESIZE calls a model: use `await fusion.afuse(outputs)` "
                               "inside a running event loop")
        kept = self._eligible(outputs)
        if isinstance(kept, FusionResult):
            return kept
        strategy = self.config.strategy
        if strategy is FusionStrategy.BEST:
            best = max(kept, key=lambda o: o.confidence)
            return FusionResult(best.content, strategy, [best.expert_name],
                                f"highest confidence ({best.confidence:.2f})")
        if strategy is FusionStrategy.WEIGHTED:
            best = max(kept, key=self.weight)
            return FusionResult(best.content, strategy, [best.expert_name],
                                f"highest confidence x weight ({self.weight(best):.2f})")
        if strategy is FusionStrategy.CONSENSUS:
            return self._consensus(kept)
        return self._sectioned(kept)

    async def afuse(self, outputs: Sequence[ExpertOutput]) -> FusionResult:
        """Like `fuse`, and the only way to SYNTHESIZE inside an event loop."""
        if self.config.strategy is not FusionStrategy.SYNTHESIZE:
            return self.fuse(outputs)
        kept = self._eligible(outputs)
        if isinstance(kept, FusionResult):
            return kept
        model = self.config.synthesizer
        if model is None:
            raise ValueError("SYNTHESIZE needs FusionConfig(synthesizer=<ChatModel or alias>)")
        if isinstance(model, str):
            from afs.models.registry import get_model

            model = get_model(model)
        listing = "\n\n".join(
            f"### {o.expert_name} (confidence {o.confidence:.2f})\n{o.content}" for o in kept
        )
        prompt = ("Merge these expert answers into one correct answer. Keep code exactly as an "
                  "expert wrote it unless two experts disagree; say which you chose.\n\n"
                  + listing)
        completion = await model.complete(prompt)
        return FusionResult(completion.text, FusionStrategy.SYNTHESIZE,
                            [o.expert_name for o in kept], f"merged by {model.alias}")

    def _eligible(self, outputs: Sequence[ExpertOutput]) -> list[ExpertOutput] | FusionResult:
        kept = [o for o in outputs if o.confidence >= self.config.min_confidence]
        if kept:
            return kept
        return FusionResult("", self.config.strategy, [],
                            f"no output reached min_confidence {self.config.min_confidence}")

    def _consensus(self, outputs: list[ExpertOutput]) -> FusionResult:
        groups: list[list[ExpertOutput]] = []
        for output in outputs:
            for group in groups:
                if self._agree(group[0], output):
                    group.append(output)
                    break
            else:
                groups.append([output])
        winner = max(groups, key=lambda g: (sum(self.weight(o) for o in g), len(g)))
        best = max(winner, key=self.weight)
        support = sum(self.weight(o) for o in winner)
        return FusionResult(
            best.content, FusionStrategy.CONSENSUS, [o.expert_name for o in winner],
            f"{len(winner)} of {len(outputs)} outputs agree (weighted support {support:.2f})",
            groups=[[o.expert_name for o in g] for g in groups],
        )

    def _agree(self, a: ExpertOutput, b: ExpertOutput) -> bool:
        code_a, code_b = extract_code(a.content), extract_code(b.content)
        if code_a is not None and code_b is not None:
            if code_a == code_b:
                return True
            try:
                return self._equivalent(code_a, code_b)
            except Exception:  # code that does not assemble agrees with nothing
                return False
        if (code_a is None) != (code_b is None):
            return False
        return _similar(a.content, b.content, self.config.text_similarity)

    def _sectioned(self, outputs: list[ExpertOutput]) -> FusionResult:
        code_source = max(
            (o for o in outputs if o.expert_name in CODE_EXPERTS and extract_code(o.content)),
            key=self.weight, default=None,
        ) or max((o for o in outputs if extract_code(o.content)), key=self.weight, default=None)
        explainer = max((o for o in outputs if o.expert_name in EXPLAIN_EXPERTS),
                        key=self.weight, default=None)
        sections, chosen = [], []
        if code_source is not None:
            sections.append(f"## Code ({code_source.expert_name})\n\n```asm\n"
                            f"{extract_code(code_source.content)}\n```")
            chosen.append(code_source.expert_name)
        if explainer is not None:
            sections.append(f"## Explanation ({explainer.expert_name})\n\n"
                            f"{explainer.content.strip()}")
            chosen.append(explainer.expert_name)
        if not sections:
            best = max(outputs, key=self.weight)
            return FusionResult(best.content, FusionStrategy.SECTIONED, [best.expert_name],
                                "no code or explanation to section; best weighted output")
        return FusionResult("\n\n".join(sections), FusionStrategy.SECTIONED, chosen,
                            "code from the code expert, explanation from the explainer")
