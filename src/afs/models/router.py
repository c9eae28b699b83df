"""The offline generalist: a rule-based router that speaks the expert-invocation protocol.

It is what the `generalist` alias runs with no model configured. It picks experts from the
words of the request (several when the request asks for several things, in the order they
are asked for), emits one invocation per turn, and after the last expert response writes a
one-line summary. It never answers a task itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

from afs.models.base import ChatModel, Completion, Message, Usage
from afs.models.expert_tokens import INVOKE_CLOSE, RESPONSE_OPEN, invoke_open

# Each expert and the words that call for it. Order of appearance in the request decides
# the order of invocation.
EXPERT_TRIGGERS: dict[str, re.Pattern[str]] = {
    "din": re.compile(r"\b(optimi[sz]\w*|faster|speed\s*up|fewer\s+(cycles|bytes)|smaller|"
                      r"shorten|tighten)\b", re.I),
    "farore": re.compile(r"\b(fix\w*|bug\w*|debug\w*|broken|crash\w*|wrong|doesn'?t\s+work|"
                         r"hangs?|glitch\w*)\b", re.I),
    "nayru": re.compile(r"\b(write|generate|create|implement|make|produce|code\s+for)\b", re.I),
    "veran": re.compile(r"\b(explain\w*|what\s+does|describe|annotate|walk\s+me\s+through|"
                        r"how\s+does|comment)\b", re.I),
}
EXPERT_ROLES = {
    "din": "optimisation",
    "farore": "debugging",
    "nayru": "code generation",
    "veran": "explanation",
}
_CODE_BLOCK = re.compile(r"```[a-zA-Z0-9]*\n(.*?)```", re.S)


def plan_experts(request: str) -> list[str]:
    """Experts for a request, in the order the request asks for them."""
    hits = []
    for name, pattern in EXPERT_TRIGGERS.items():
        match = pattern.search(request)
        if match:
            hits.append((match.start(), name))
    return [name for _, name in sorted(hits)]


def _expert_request(expert: str, prompt: str, previous_reply: str | None) -> str:
    # A later expert works on what an earlier one produced: "optimise and explain" explains
    # the optimised code, not the original.
    if previous_reply and expert == "veran":
        blocks = _CODE_BLOCK.findall(previous_reply)
        if blocks:
            return f"Explain this code:\n```asm\n{blocks[-1].strip()}\n```"
    return prompt


class OfflineRouter(ChatModel):
    """A `ChatModel` that routes to experts with protocol tags instead of answering."""

    provider = "classical"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("generalist-router", **kwargs)

    def _next_turn(self, messages: list[Message]) -> str:
        users = [m for m in messages if m.role == "user"]
        prompt = next((m.content for m in users if not m.content.startswith(RESPONSE_OPEN)), "")
        replies = [m.content for m in users if m.content.startswith(RESPONSE_OPEN)]
        plan = plan_experts(prompt)
        if not plan:
            return ("The offline router could not tell which expert this request needs. Ask it "
                    "to optimise, debug, write or explain 65816 code.")
        if len(replies) < len(plan):
            expert = plan[len(replies)]
            previous = replies[-1] if replies else None
            lead = (f"Routing to {expert} ({EXPERT_ROLES[expert]}).\n" if not replies else "")
            return (f"{lead}{invoke_open(expert)}{_expert_request(expert, prompt, previous)}"
                    f"{INVOKE_CLOSE}")
        done = ", ".join(f"{name} ({EXPERT_ROLES[name]})" for name in plan)
        return f"\nDone: {done}."

    async def _complete(self, messages: list[Message], params: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        text = self._next_turn(messages)
        return Completion(
            text=text, finish_reason="stop", usage=Usage(0, 0), model=self.model,
            provider=self.provider, latency_ms=(time.perf_counter() - started) * 1000, cost=0.0,
        )

    async def _stream(self, messages: list[Message], params: dict[str, Any]) -> AsyncIterator[str]:
        text = self._next_turn(messages)
        # Small chunks, so consumers see tags split across chunks as they would from a server.
        for start in range(0, len(text), 16):
            yield text[start:start + 16]
