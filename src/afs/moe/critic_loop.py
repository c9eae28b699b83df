"""Generate → critique → refine, until the critic passes the output or the budget runs out.

Every output is critiqued, the last one included. The generator sees its previous output
and the critique. The loop stops on a pass, when a revision scores no better than the one
before it, or after `max_iterations`; it returns the passing output or else the best-scored
one, with the whole history.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from afs.moe.critique import Critique, parse_critique
from afs.moe.farore import FaroreCritic

__all__ = ["CriticConfig", "CriticLoop", "FaroreCritic", "IterationRecord",
           "create_din_farore_loop"]

GeneratorHandler = Callable[[str, str | None], Awaitable[str] | str]
CriticHandler = Callable[[str, str], Awaitable[str | Critique] | str | Critique]


@dataclass
class CriticConfig:
    max_iterations: int = 3
    pass_threshold: float = 0.8
    #: a revision must beat the previous score by more than this to keep going
    min_improvement: float = 0.0


@dataclass
class IterationRecord:
    iteration: int
    output: str
    critique: str
    score: float
    passed: bool
    findings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


async def _call(handler: Callable[..., Any], *args: Any) -> Any:
    value = handler(*args)
    if inspect.isawaitable(value):
        value = await value
    return value


def revision_request(previous_output: str, critique: Critique) -> str:
    """What the generator is told before its next attempt."""
    lines = [f"Your previous answer:\n{previous_output}", "", "Critique:",
             critique.feedback or "(no feedback)"]
    for finding in critique.findings:
        lines.append(f"- {finding.get('message', finding)}")
    lines.append("\nRevise the answer to address the critique.")
    return "\n".join(lines)


class CriticLoop:
    """`await CriticLoop(generator, critic, CriticConfig()).run(prompt)`."""

    def __init__(self, generator: GeneratorHandler, critic: CriticHandler,
                 config: CriticConfig | None = None) -> None:
        self.generator = generator
        self.critic = critic
        self.config = config or CriticConfig()

    async def critique(self, prompt: str, output: str) -> Critique:
        value = await _call(self.critic, prompt, output)
        return value if isinstance(value, Critique) else parse_critique(str(value))

    async def run(self, prompt: str) -> tuple[str, list[IterationRecord]]:
        history: list[IterationRecord] = []
        feedback: str | None = None
        for iteration in range(self.config.max_iterations):
            started = time.perf_counter()
            output = str(await _call(self.generator, prompt, feedback))
            critique = await self.critique(prompt, output)
            score = critique.score if critique.score is not None else 0.0
            record = IterationRecord(
                iteration=iteration, output=output, critique=critique.feedback, score=score,
                passed=critique.passed(self.config.pass_threshold), findings=critique.findings,
                seconds=time.perf_counter() - started,
            )
            history.append(record)
            if record.passed:
                return output, history
            if len(history) > 1 and score <= history[-2].score + self.config.min_improvement:
                break
            feedback = revision_request(output, critique)
        best = max(history, key=lambda r: r.score)
        return best.output, history


async def create_din_farore_loop(
    din_handler: GeneratorHandler,
    farore_handler: CriticHandler | None = None,
    config: CriticConfig | None = None,
) -> CriticLoop:
    """Din generates, Farore critiques; without a handler Farore is the tool-grounded critic."""
    if farore_handler is None:
        farore_handler = FaroreCritic()
    return CriticLoop(din_handler, farore_handler, config)
