"""The `classical` provider: the offline, tool-based experts as `ChatModel`s.

`create_classical_model(spec)` builds Din (optimiser), Farore (linter/fixer), Nayru (code
templates) or Veran (explainer) from `spec.model`; `generalist` routes each request to one of
them by the persona its system prompt names ("You are Veran"), else by what it asks. They
need no network and no weights, so every AFS pipeline can run offline. Each says plainly
when a request is outside what it can do.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from afs.models.base import ChatModel, Completion, Message, ModelUnavailableError, Usage

EXPERTS = ("din", "farore", "nayru", "veran")
_ROUTES = (
    ("din", ("optimi", "faster", "fewer cycles", "smaller", "speed up", "shorter")),
    ("farore", ("bug", "fix", "wrong", "crash", "debug", "broken", "lint", "doesn't work",
                "does not work", "review")),
    ("veran", ("explain", "what does", "describe", "walk me through", "meaning")),
    ("nayru", ("write", "generate", "create", "make a", "routine to", "code to", "how do i")),
)


def _handler(name: str) -> Callable[[str], str]:
    if name == "din":
        from afs.models.classical_experts.din import answer
    elif name == "farore":
        from afs.models.classical_experts.farore import answer
    elif name == "nayru":
        from afs.models.classical_experts.nayru import answer
    else:
        from afs.models.classical_experts.veran import answer
    return answer


_PERSONA = re.compile(r"\byou are (din|farore|nayru|veran)\b", re.I)


def route(request: str, system: str = "") -> str:
    """Which expert the generalist alias hands a request to: the one a system prompt names
    ("You are Veran, ..."), else the first whose keywords the request's prose has."""
    from afs.models.classical_experts.common import parse_request

    persona = _PERSONA.search(system or "")
    if persona:
        return persona.group(1).lower()
    parsed = parse_request(request)
    for name, keys in _ROUTES:
        if any(k in parsed.prose for k in keys):
            return name
    return "veran" if parsed.code else "nayru"


def answer_request(expert: str, request: str, system: str = "") -> tuple[str, str]:
    """(expert that answered, text) from expert `expert` (or the generalist's pick)."""
    name = route(request, system) if expert == "generalist" else expert
    return name, _handler(name)(request)


class ClassicalModel(ChatModel):
    """One offline expert (or the keyword-routing generalist) behind the chat interface.

    The experts are CPU-bound: `answer` runs on a thread by default, or through `offload`
    (an awaitable runner such as `afs.workers.ProcessPool.run`) when a server sets one, so
    that many requests do not queue behind the GIL.
    """

    provider = "classical"

    def __init__(self, expert: str, **kwargs: Any) -> None:
        super().__init__(expert, **kwargs)
        self.expert = expert
        self.offload: Callable[..., Awaitable[tuple[str, str]]] | None = None

    def answer(self, request: str, system: str = "") -> tuple[str, str]:
        """(expert that answered, text); `system` is the system prompt, if any."""
        return answer_request(self.expert, request, system)

    async def _complete(self, messages: list[Message], params: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        request = next((m.content for m in reversed(messages) if m.role == "user"), "")
        system = "\n".join(m.content for m in messages if m.role == "system")
        if self.offload is None:
            name, text = await asyncio.to_thread(self.answer, request, system)
        else:
            name, text = await self.offload(answer_request, self.expert, request, system)
        finish = "stop"
        for stop in params.get("stop") or ():
            cut = text.find(stop)
            if cut >= 0:
                text = text[:cut]
        limit = params.get("max_tokens")
        words = text.split(" ")
        if limit and len(words) > limit:
            text, finish = " ".join(words[:limit]), "length"
        prompt_tokens = sum(len(m.content.split()) for m in messages)
        return Completion(text=text, finish_reason=finish,
                          usage=Usage(prompt_tokens, len(text.split())), model=self.model,
                          provider=self.provider,
                          latency_ms=(time.perf_counter() - started) * 1000, cost=0.0,
                          metadata={"expert": name})

    async def _stream(self, messages: list[Message], params: dict[str, Any],
                      ) -> AsyncIterator[str]:
        completion = await self._complete(messages, params)
        for line in completion.text.splitlines(keepends=True):
            yield line


def create_classical_model(spec: Any) -> ChatModel:
    """Build the offline expert named by `spec.model` (din, farore, nayru, veran, generalist)."""
    name = str(spec.model).lower()
    if name not in (*EXPERTS, "generalist"):
        raise ModelUnavailableError(
            f"the classical provider has experts din, farore, nayru, veran and generalist, not "
            f"'{spec.model}'", provider="classical")
    params = getattr(spec, "params", None)
    defaults = params.model_dump(exclude_none=True) if hasattr(params, "model_dump") else {}
    return ClassicalModel(name, defaults=defaults,
                          system_prompt=getattr(spec, "system_prompt", None))
