"""A generalist that hands tasks to experts through the invocation protocol.

`GeneralistModel.generate()` streams from the backend with `</INVOKE_EXPERT>` as a stop
sequence. When an invocation is complete (cut off by the stop, or closed by a backend that
ignores stops) the stream is closed, the expert runs, and the conversation continues with
the generalist's text so far as an assistant turn and the expert's reply as the next turn,
as function-calling APIs do. The returned text is the whole transcript with each response
spliced in right after its invocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afs.asm.extract import extract_code
from afs.jsonl import write_jsonl
from afs.models.base import ChatModel, Message
from afs.models.expert_tokens import (
    EXPERT_NAMES,
    INVOKE_CLOSE,
    INVOKE_PREFIX,
    RESPONSE_CLOSE,
    RESPONSE_OPEN,
    SPECIAL_TOKENS,
    invoke_open,
)
from afs.moe.protocol import InvocationEvent, InvocationParser, TextEvent, render_response

ExpertHandler = Callable[[str, dict[str, Any]], Awaitable[str] | str] | str | ChatModel


class ExpertToken:
    """The protocol's tags (see `afs.moe.protocol` for the grammar)."""

    INVOKE_PREFIX = INVOKE_PREFIX
    INVOKE_CLOSE = INVOKE_CLOSE
    RESPONSE_OPEN = RESPONSE_OPEN
    RESPONSE_CLOSE = RESPONSE_CLOSE
    EXPERTS = EXPERT_NAMES
    SPECIAL_TOKENS = SPECIAL_TOKENS

    @staticmethod
    def invoke(expert: str, request: str = "") -> str:
        """`<INVOKE_EXPERT:expert>request</INVOKE_EXPERT>`; without a request, the open tag."""
        if not request:
            return invoke_open(expert)
        return f"{invoke_open(expert)}{request}{INVOKE_CLOSE}"

    @staticmethod
    def response(reply: str) -> str:
        return render_response(reply)


SYSTEM_PROMPT = """You are the AFS generalist for SNES 65816 assembly (A Link to the Past).
Hand specialised work to an expert by writing exactly:
<INVOKE_EXPERT:name>the complete request, including any code</INVOKE_EXPERT>
then stop. The expert's reply arrives as <EXPERT_RESPONSE>...</EXPERT_RESPONSE>; continue
from there. Experts: {experts}. Invoke one expert at a time; never nest invocations."""

EXPERT_DESCRIPTIONS = {
    "din": "din (optimises code)",
    "farore": "farore (finds and fixes bugs)",
    "nayru": "nayru (writes new code)",
    "veran": "veran (explains code and hardware)",
}


@dataclass
class Step:
    """One step of a generalist run: prose, or an invocation with its response."""

    kind: str  # "text" | "invocation"
    text: str = ""
    expert: str | None = None
    request: str | None = None
    response: str | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass
class GeneralistResult:
    text: str
    steps: list[Step] = field(default_factory=list)

    @property
    def invocations(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "invocation"]

    @property
    def answer(self) -> str:
        """The transcript without protocol tags: prose and expert replies."""
        parts = []
        for step in self.steps:
            if step.kind == "text":
                parts.append(step.text)
            elif step.response is not None:
                parts.append(step.response)
        return "".join(parts).strip()


class GeneralistModel:
    """A generalist model with registered experts (`register_expert(name, handler)`).

    `backend` is an alias, a `ChatModel`, or None for the configured `generalist` alias
    (the offline router unless `afs.toml` says otherwise).
    """

    def __init__(
        self,
        backend: str | ChatModel | None = None,
        *,
        max_invocations: int = 6,
        expert_timeout: float = 120.0,
        system_prompt: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> None:
        self._backend_ref = backend
        self._backend: ChatModel | None = backend if isinstance(backend, ChatModel) else None
        self.experts: dict[str, ExpertHandler] = {}
        self._alias_models: dict[str, ChatModel] = {}
        self.max_invocations = max_invocations
        self.expert_timeout = expert_timeout
        self.system_prompt = system_prompt
        self.temperature = temperature
        self.max_tokens = max_tokens

    @property
    def backend(self) -> ChatModel:
        if self._backend is None:
            from afs.models.registry import get_model, get_spec

            alias = self._backend_ref if isinstance(self._backend_ref, str) else "generalist"
            if get_spec(alias).provider == "classical":
                # The classical `generalist` alias answers by routing to one expert; inside
                # the invocation loop the offline router emits the protocol instead.
                from afs.models.router import OfflineRouter

                self._backend = OfflineRouter()
            else:
                self._backend = get_model(alias)
        return self._backend

    def register_expert(self, name: str, handler: ExpertHandler) -> None:
        """`handler`: async or sync `(query, context) -> str`, a `ChatModel`, or an alias."""
        self.experts[name] = handler

    async def generate(self, prompt: str, *, context: dict[str, Any] | None = None) -> str:
        """Run the invocation loop and return the transcript with expert responses."""
        return (await self.generate_with_trace(prompt, context=context)).text

    async def generate_with_trace(
        self, prompt: str, *, context: dict[str, Any] | None = None
    ) -> GeneralistResult:
        messages = [Message("system", self._system_prompt()), Message("user", prompt)]
        result = GeneralistResult(text="")
        for invocations in range(self.max_invocations + 1):
            text, invocation = await self._generate_until_invocation(messages)
            if text:
                result.steps.append(Step(kind="text", text=text))
            if invocation is None:
                result.text += text
                break
            step = await self._answer(invocation, prompt, result, context,
                                      over_budget=invocations >= self.max_invocations)
            result.steps.append(step)
            segment = text + invocation.render()
            reply = render_response(step.response or "")
            result.text += segment + reply
            messages += [Message("assistant", segment), Message("user", reply)]
        return result

    def _system_prompt(self) -> str:
        if self.system_prompt:
            return self.system_prompt
        names = [EXPERT_DESCRIPTIONS.get(n, n) for n in self.experts] or ["none registered"]
        return SYSTEM_PROMPT.format(experts=", ".join(names))

    async def _generate_until_invocation(
        self, messages: list[Message]
    ) -> tuple[str, InvocationEvent | None]:
        parser = InvocationParser()
        text: list[str] = []
        stream = self.backend.stream(messages, stop=[INVOKE_CLOSE], temperature=self.temperature,
                                     max_tokens=self.max_tokens)
        async with contextlib.aclosing(stream):
            async for chunk in stream:
                for event in parser.feed(chunk):
                    if isinstance(event, TextEvent):
                        text.append(event.text)
                    else:
                        # A backend that ignored the stop sequence: cut it off here.
                        return "".join(text), event
        for event in parser.finish():
            if isinstance(event, TextEvent):
                text.append(event.text)
            else:
                return "".join(text), event
        return "".join(text), None

    async def _answer(
        self,
        invocation: InvocationEvent,
        prompt: str,
        result: GeneralistResult,
        context: dict[str, Any] | None,
        *,
        over_budget: bool,
    ) -> Step:
        step = Step(kind="invocation", expert=invocation.expert, request=invocation.request)
        started = time.perf_counter()
        if invocation.error:
            step.error = invocation.error
        elif over_budget:
            step.error = (f"invocation limit ({self.max_invocations}) reached; answer without "
                          "further experts")
        elif invocation.expert not in self.experts:
            known = ", ".join(sorted(self.experts)) or "none"
            step.error = f"unknown expert '{invocation.expert}' (available: {known})"
        else:
            expert_context = {"prompt": prompt, "transcript": result.text, **(context or {})}
            try:
                step.response = await asyncio.wait_for(
                    self.call_expert(self.experts[invocation.expert], invocation.request,
                               expert_context),
                    timeout=self.expert_timeout,
                )
            except TimeoutError:
                step.error = (f"expert '{invocation.expert}' timed out after "
                              f"{self.expert_timeout:g} s")
            except Exception as exc:  # an expert's failure is reported to the generalist
                step.error = f"expert '{invocation.expert}' failed: {type(exc).__name__}: {exc}"
        if step.error:
            step.response = f"error: {step.error}"
        step.seconds = time.perf_counter() - started
        return step

    async def call_expert(self, handler: ExpertHandler, request: str,
                          context: dict[str, Any]) -> str:
        """Run one expert handler (callable, `ChatModel` or alias) on a request."""
        if isinstance(handler, str):
            if handler not in self._alias_models:
                from afs.models.registry import get_model

                self._alias_models[handler] = get_model(handler)
            handler = self._alias_models[handler]
        if isinstance(handler, ChatModel):
            return (await handler.complete(request)).text
        value = handler(request, context)
        if inspect.isawaitable(value):
            value = await value
        return str(value)

# --- training traces (Toolformer's filter) -------------------------------------------------
# A trace is a chatml conversation whose assistant turn holds the invocations and the expert
# responses, written with the special tokens. Only invocations whose expert output passes the
# tool checks are kept: a call that failed (an error response, code that does not assemble, an
# "optimisation" that is not equivalent) is cut out with its response, and a run left with no
# useful invocation yields no trace.


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    reason: str = ""


InvocationCheck = Callable[[Step], CheckResult]




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
