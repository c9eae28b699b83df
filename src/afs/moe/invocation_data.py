"""Fine-tuning traces for a generalist, built from real runs (Toolformer's filter).

A trace is a chatml conversation whose assistant turn contains the invocations and the
expert responses, written with the special tokens. Only invocations whose expert output
passes the tool checks are kept: a call that failed (error response, code that does not
assemble, an "optimisation" that is not equivalent) is cut out, with the response. A run
left with no useful invocation yields no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.jsonl import write_jsonl
from afs.models.expert_tokens import SPECIAL_TOKENS
from afs.moe.fusion import extract_code
from afs.moe.generalist import SYSTEM_PROMPT, GeneralistModel, Step
from afs.moe.protocol import render_response

InvocationCheck = Callable[[Step], "CheckResult"]


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str = ""


def tool_check(step: Step) -> CheckResult:
    """The default filter: expert output must be usable, judged by the assembler and friends.

    din: its code assembles and is equivalent to the code it was given; nayru and farore:
    their code assembles; veran: a non-empty explanation. An error response always fails.
    """
    response = step.response or ""
    if step.error or response.startswith("error:"):
        return CheckResult(False, step.error or response)
    if step.expert == "veran":
        return CheckResult(bool(response.strip()), "empty explanation")
    code = extract_code(response)
    if code is None:
        return CheckResult(False, "no code block in the expert's answer")
    from afs.asm.assembler import assemble
    from afs.asm.errors import AsmError

    try:
        assemble(code, base=0x008000)
    except AsmError as exc:
        return CheckResult(False, f"does not assemble: {exc}")
    if step.expert == "din":
        original = extract_code(step.request or "") or (step.request or "")
        from afs.asm.equivalence import check_equivalent

        try:
            verdict = check_equivalent(original, code)
        except AsmError as exc:
            return CheckResult(False, f"original does not assemble: {exc}")
        if not verdict.equivalent:
            return CheckResult(False, "optimised code is not equivalent to the original")
    return CheckResult(True)


class InvocationDataGenerator:
    """Collect generalist traces that teach *when* and *how* to invoke experts."""

    def __init__(self, generalist: GeneralistModel | None = None, *,
                 check: InvocationCheck = tool_check) -> None:
        self.generalist = generalist
        self.check = check
        self.rejections: list[dict[str, str]] = []

    @staticmethod
    def special_tokens() -> list[str]:
        """Tokens a tokenizer must add before training on these traces."""
        return list(SPECIAL_TOKENS)

    async def from_prompts(self, prompts: Iterable[str]) -> list[dict[str, Any]]:
        """Run the generalist live on each prompt and keep the useful traces."""
        if self.generalist is None:
            raise ValueError("from_prompts needs InvocationDataGenerator(generalist=...)")
        traces = []
        for prompt in prompts:
            result = await self.generalist.generate_with_trace(prompt)
            trace = self.trace(prompt, result.steps)
            if trace is not None:
                traces.append(trace)
        return traces

    def from_logged_records(self, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Traces from orchestrator log records (`metadata["generalist_steps"]`)."""
        traces = []
        for record in records:
            steps = (record.get("metadata") or {}).get("generalist_steps")
            if not steps:
                continue
            trace = self.trace(record["prompt"], [Step(**s) for s in steps],
                               source=str(record.get("id", "")))
            if trace is not None:
                traces.append(trace)
        return traces

    def trace(self, prompt: str, steps: list[Step], *, source: str = "live"
              ) -> dict[str, Any] | None:
        """One chatml trace from a run's steps, or None when no invocation helped."""
        parts: list[str] = []
        kept = 0
        for step in steps:
            if step.kind == "text":
                parts.append(step.text)
                continue
            verdict = self.check(step)
            if not verdict.ok:
                self.rejections.append({"expert": step.expert or "", "reason": verdict.reason})
                continue
            kept += 1
            parts.append(f"<INVOKE_EXPERT:{step.expert}>{step.request}</INVOKE_EXPERT>")
            parts.append(render_response(step.response or ""))
        if not kept:
            return None
        experts = sorted({s.expert for s in steps if s.kind == "invocation" and s.expert})
        return {
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT.format(experts=", ".join(experts))},
                {"role": "user", "content": prompt},
                {"role": "assistant", "content": "".join(parts).strip()},
            ],
            "metadata": {"kind": "invocation_trace", "source": source, "invocations": kept},
        }

    @staticmethod
    def export(traces: Iterable[dict[str, Any]], path: str | Path) -> int:
        """Write traces as chatml JSONL (what `afs train sft --add-expert-tokens` reads)."""
        return write_jsonl(path, traces)
