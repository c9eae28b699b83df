from __future__ import annotations

from afs.models.expert_tokens import SPECIAL_TOKENS
from afs.models.router import OfflineRouter
from afs.moe.generalist import CheckResult, GeneralistModel, InvocationDataGenerator, Step


def _accept_din_only(step: Step) -> CheckResult:
    return CheckResult(step.expert == "din", "only din helps here")


async def test_traces_keep_only_invocations_that_pass_the_check(tmp_path):
    model = GeneralistModel(OfflineRouter())
    model.register_expert("din", lambda q, c: "```asm\nSTZ $10\n```")
    model.register_expert("veran", lambda q, c: "STZ stores zero.")
    generator = InvocationDataGenerator(model, check=_accept_din_only)
    traces = await generator.from_prompts(["Optimize and explain:\nLDA #$00\nSTA $10",
                                           "What is the weather?"])
    assert len(traces) == 1
    assistant = traces[0]["messages"][2]["content"]
    assert "<INVOKE_EXPERT:din>" in assistant
    assert "<EXPERT_RESPONSE>```asm\nSTZ $10\n```</EXPERT_RESPONSE>" in assistant
    assert "<INVOKE_EXPERT:veran>" not in assistant and "STZ stores zero." not in assistant
    assert generator.rejections == [{"expert": "veran", "reason": "only din helps here"}]
    assert traces[0]["metadata"]["invocations"] == 1
    assert InvocationDataGenerator.export(traces, tmp_path / "t.jsonl") == 1


def test_error_responses_never_count():
    generator = InvocationDataGenerator()
    steps = [Step(kind="invocation", expert="din", request="x", response="error: boom",
                  error="boom")]
    assert generator.trace("p", steps) is None
    assert generator.rejections[0]["reason"] == "boom"


def test_from_logged_records():
    generator = InvocationDataGenerator(check=lambda s: CheckResult(True))
    records = [{"id": "r1", "prompt": "Explain STZ", "metadata": {"generalist_steps": [
        {"kind": "text", "text": "Asking veran. "},
        {"kind": "invocation", "expert": "veran", "request": "Explain STZ",
         "response": "Stores zero."}]}},
        {"id": "r2", "prompt": "no trace", "metadata": {}}]
    traces = generator.from_logged_records(records)
    assert len(traces) == 1 and traces[0]["metadata"]["source"] == "r1"
    assert traces[0]["messages"][2]["content"] == (
        "Asking veran. <INVOKE_EXPERT:veran>Explain STZ</INVOKE_EXPERT>"
        "<EXPERT_RESPONSE>Stores zero.</EXPERT_RESPONSE>")


def test_special_tokens():
    assert InvocationDataGenerator.special_tokens() == list(SPECIAL_TOKENS)
