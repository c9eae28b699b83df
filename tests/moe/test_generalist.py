from __future__ import annotations

import asyncio

from afs.models.registry import ModelSpec, create_model
from afs.models.router import OfflineRouter, plan_experts
from afs.moe.generalist import ExpertToken, GeneralistModel

RESPONSE = ExpertToken.RESPONSE_OPEN


def _scripted_generalist(request):
    """A generalist that invokes Din, then an unknown expert, then answers."""
    responses = [m["content"] for m in request.messages
                 if m["role"] == "user" and m["content"].startswith(RESPONSE)]
    if not responses:
        # The server ignores stop sequences: the text after the close tag must be cut off.
        return ("I'll ask Din.\n<INVOKE_EXPERT:din>Optimize:\nLDA #$00\nSTA $10"
                "</INVOKE_EXPERT> THIS MUST NOT APPEAR")
    if len(responses) == 1:
        return "Din answered. <INVOKE_EXPERT:zelda>help</INVOKE_EXPERT>"
    return "Final: use STZ $10."


def _server_model(server, **params):
    spec = ModelSpec(provider="openai", model="generalist-test", base_url=server.openai_base_url,
                     **params)
    return create_model(spec)


async def test_scripted_generalist_over_http(provider_server):
    provider_server.reply = _scripted_generalist
    calls = []

    def din(query, context):
        calls.append((query, context["prompt"]))
        return "STZ $10"

    model = GeneralistModel(_server_model(provider_server))
    model.register_expert("din", din)
    result = await model.generate_with_trace("Optimize my code")
    assert calls == [("Optimize:\nLDA #$00\nSTA $10", "Optimize my code")]
    assert result.text == (
        "I'll ask Din.\n<INVOKE_EXPERT:din>Optimize:\nLDA #$00\nSTA $10</INVOKE_EXPERT>"
        "<EXPERT_RESPONSE>STZ $10</EXPERT_RESPONSE>"
        "Din answered. <INVOKE_EXPERT:zelda>help</INVOKE_EXPERT>"
        "<EXPERT_RESPONSE>error: unknown expert 'zelda' (available: din)</EXPERT_RESPONSE>"
        "Final: use STZ $10."
    )
    assert "MUST NOT APPEAR" not in result.text
    requests = provider_server.requests
    assert len(requests) == 3
    assert all(r.stream and r.stop == ["</INVOKE_EXPERT>"] for r in requests)
    # The continuation sees its own invocation as an assistant turn and the reply after it.
    second = requests[1].messages
    assert second[-2] == {"role": "assistant", "content":
                          "I'll ask Din.\n<INVOKE_EXPERT:din>Optimize:\nLDA #$00\nSTA $10"
                          "</INVOKE_EXPERT>"}
    assert second[-1] == {"role": "user",
                          "content": "<EXPERT_RESPONSE>STZ $10</EXPERT_RESPONSE>"}
    assert [s.expert for s in result.invocations] == ["din", "zelda"]


async def test_invocation_budget_and_repeats(provider_server):
    provider_server.reply = "<INVOKE_EXPERT:din>again</INVOKE_EXPERT>"
    model = GeneralistModel(_server_model(provider_server), max_invocations=2)
    model.register_expert("din", lambda q, c: "ok")
    result = await model.generate_with_trace("loop forever")
    steps = result.invocations
    assert [s.response for s in steps] == [
        "ok", "ok", "error: invocation limit (2) reached; answer without further experts"]
    assert len(provider_server.requests) == 3


async def test_expert_errors_and_timeouts_are_reported_inside_the_response():
    async def slow(query, context):
        await asyncio.sleep(5)
        return "late"

    def broken(query, context):
        raise RuntimeError("assembler exploded")

    for handler, expected in ((slow, "error: expert 'din' timed out after 0.05 s"),
                              (broken, "error: expert 'din' failed: RuntimeError: assembler "
                                       "exploded")):
        model = GeneralistModel(OfflineRouter(), expert_timeout=0.05)
        model.register_expert("din", handler)
        result = await model.generate_with_trace("Optimize: LDA #$00 STA $10")
        assert result.invocations[0].response == expected


def test_router_plans_experts_in_request_order():
    assert plan_experts("Optimize this code and explain") == ["din", "veran"]
    assert plan_experts("Explain this, then optimise it") == ["veran", "din"]
    assert plan_experts("Fix the bug in my DMA routine") == ["farore"]
    assert plan_experts("Write a joypad read routine") == ["nayru"]
    assert plan_experts("hello there") == []


async def test_offline_router_runs_din_then_veran_on_dins_code():
    seen = {}

    def din(query, context):
        seen["din"] = query
        return "Saved 1 cycle.\n```asm\nSTZ $10\n```"

    def veran(query, context):
        seen["veran"] = query
        return "STZ stores zero."

    model = GeneralistModel(OfflineRouter())
    model.register_expert("din", din)
    model.register_expert("veran", veran)
    text = await model.generate("Optimize this code and explain\nLDA #$00\nSTA $10")
    assert seen["din"] == "Optimize this code and explain\nLDA #$00\nSTA $10"
    assert seen["veran"] == "Explain this code:\n```asm\nSTZ $10\n```"
    assert text.index("<INVOKE_EXPERT:din>") < text.index("<INVOKE_EXPERT:veran>")
    assert text.endswith("Done: din (optimisation), veran (explanation).")


async def test_unroutable_request_says_so():
    model = GeneralistModel(OfflineRouter())
    text = await model.generate("What is the weather?")
    assert "could not tell which expert" in text and "<INVOKE_EXPERT" not in text
