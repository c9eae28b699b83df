"""Farore the critic, grounded in tools (CRITIC, Gou et al. 2023): the score comes from what
the assembler, the linter, the equivalence checker and the knowledge graph say about the
output, not from another model's opinion. An LLM critic alias can be added; it can only
lower the tool score, never raise it.

Equivalence is judged on what must survive the routine: `live_out` (default `mem,s`: every
byte written and a balanced stack), or what the prompt declares on a line such as
`live out: a,c,mem`.

Scoring: no code → 0; does not assemble → 0.1; for an optimisation request whose prompt holds
the original code, not equivalent → 0.2 with the counterexample, equivalent but not cheaper →
at most 0.6; each lint error −0.25, warning −0.05; each knowledge-graph error −0.2.
"""

from __future__ import annotations

import re
from typing import Any

from afs.asm.extract import extract_code
from afs.models.base import ChatModel
from afs.moe.critique import Critique, parse_critique

_OPTIMISE = re.compile(r"\boptimi[sz]", re.I)
_LIVE_OUT = re.compile(r"live[- ]?out\s*[:=]\s*([a-z, ]+)", re.I)
DEFAULT_LIVE_OUT = "mem,s"
LLM_CRITIC_PROMPT = """Review this answer to a 65816 assembly request. Tool results so far:
{tools}

Request:
{prompt}

Answer:
{output}

Reply with JSON: {{"verdict": "pass" | "fail", "score": 0-1, "feedback": "..."}}"""


class FaroreCritic:
    """A critic handler `(prompt, output) -> Critique`, usable directly in `CriticLoop`."""

    def __init__(self, *, llm_critic: str | ChatModel | None = None,
                 knowledge_graph: Any = None, use_knowledge_graph: bool = True,
                 trials: int = 64, live_out: str = DEFAULT_LIVE_OUT) -> None:
        self._llm = llm_critic
        self._kg = knowledge_graph
        self.use_knowledge_graph = use_knowledge_graph
        self.trials = trials
        self.live_out = live_out

    def _graph(self) -> Any:
        if self._kg is None and self.use_knowledge_graph:
            from afs.knowledge.adapters import ALTTPKnowledgeGraph

            self._kg = ALTTPKnowledgeGraph()
        return self._kg

    def tool_critique(self, prompt: str, output: str) -> Critique:
        """The tool-only judgement (synchronous)."""
        from afs.asm.lint import lint_source

        code = extract_code(output)
        if code is None:
            return Critique(score=0.0, verdict="fail",
                            feedback="No 65816 code found; answer with the code in an ```asm "
                                     "block.")
        findings: list[dict[str, Any]] = []
        report = lint_source(code)
        if not report.assembled:
            message = report.findings[0].message if report.findings else "assembly failed"
            return Critique(score=0.1, verdict="fail", feedback=f"Does not assemble: {message}",
                            findings=[{"source": "assembler", "message": message}])
        score, notes = 1.0, []
        for finding in report.findings:
            findings.append({"source": "lint", **finding.to_dict(),
                             "message": f"line {finding.line}: {finding.rule} "
                                        f"({finding.category}): {finding.message}"})
            if finding.severity == "error":
                score -= 0.25
            elif finding.severity == "warning":
                score -= 0.05
        original = extract_code(prompt) if _OPTIMISE.search(prompt) else None
        if original is not None:
            declared = _LIVE_OUT.search(prompt)
            live_out = declared.group(1).strip(" ,") if declared else self.live_out
            score, note = self._equivalence(original, code, live_out, score, findings)
            notes.append(note)
        graph = self._graph()
        if graph is not None:
            for finding in graph.validate_output(code):
                if finding.severity == "error":
                    score -= 0.2
                findings.append({"source": "knowledge_graph", "message": str(finding)})
        score = min(1.0, max(0.0, score))
        problems = [f["message"] for f in findings]
        feedback = " ".join(notes + problems) or "Assembles cleanly; no findings."
        verdict = "pass" if not any(f.get("severity") == "error" or f["source"] == "equivalence"
                                    for f in findings) else "fail"
        return Critique(score=score, verdict=verdict if score >= 0.5 else "fail",
                        feedback=feedback, findings=findings)

    def _equivalence(self, original: str, code: str, live_out: str, score: float,
                     findings: list[dict[str, Any]]) -> tuple[float, str]:
        from afs.asm.equivalence import check_equivalent
        from afs.asm.errors import AsmError

        try:
            result = check_equivalent(original, code, live_out=live_out, trials=self.trials)
        except AsmError as exc:
            return score, f"The original code could not be checked ({exc})."
        before, after = result.metrics["original"], result.metrics["candidate"]
        if not result.equivalent:
            difference = result.counterexample.difference if result.counterexample else "?"
            findings.append({"source": "equivalence", "message":
                             f"not equivalent to the original: {difference}"})
            return min(score, 0.2), "The rewrite changes behaviour."
        saved = before.cycles_mean - after.cycles_mean
        bytes_saved = before.bytes - after.bytes
        note = (f"Equivalent to the original; cycles {before.cycles_mean:g} -> "
                f"{after.cycles_mean:g}, bytes {before.bytes} -> {after.bytes}.")
        if saved <= 0 and bytes_saved <= 0:
            return min(score, 0.6), note + " It is not cheaper: optimise further."
        return score, note

    async def __call__(self, prompt: str, output: str) -> Critique:
        critique = self.tool_critique(prompt, output)
        if self._llm is None:
            return critique
        model = self._llm
        if isinstance(model, str):
            from afs.models.registry import get_model

            model = self._llm = get_model(model)
        reply = await model.complete(LLM_CRITIC_PROMPT.format(
            tools=critique.feedback, prompt=prompt, output=output), temperature=0.0)
        opinion = parse_critique(reply.text)
        if opinion.score is not None and opinion.score < (critique.score or 0.0):
            critique.score = opinion.score
        if opinion.verdict == "fail":
            critique.verdict = "fail"
        critique.feedback = f"{critique.feedback}\nReviewer: {opinion.feedback}".strip()
        return critique
