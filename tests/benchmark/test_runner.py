"""The full path against a local OpenAI-compatible server: prompts, cache, resume, reports."""

from __future__ import annotations

import asyncio
import json

import pytest

from afs.benchmark.report import pass_at_k, summarize, write_reports
from afs.benchmark.runner import RunConfig, run_benchmark
from afs.models.registry import ModelSpec, create_model

from .conftest import DATASET, reference_answer

LIMIT = 4


def _server_answers(shipped_items):
    """Map each item's user prompt to its reference answer (the server's script)."""
    from afs.benchmark.prompts import build_messages

    by_code = {}
    for items in shipped_items.values():
        for item in items[:LIMIT]:
            by_code[item.id] = (item, reference_answer(item))

    def reply(request):
        for item, answer in by_code.values():
            prompt = build_messages(item)[1]["content"].split("\n\nRelevant facts:")[0]
            if request.messages[-1]["content"].startswith(prompt):
                return answer
        return "I don't know."

    return reply


def _model(server):
    return create_model(ModelSpec(provider="openai", model="scripted",
                                  base_url=server.openai_base_url))


def _config(tmp_path, name, **kw):
    return RunConfig(model="scripted", domains=["din", "nayru", "veran"], dataset=DATASET,
                     output=tmp_path / name, limit=LIMIT, workers=2, **kw)


def test_reference_answers_score_full_marks_and_reports_are_written(
        provider_server, shipped_items, tmp_path):
    provider_server.reply = _server_answers(shipped_items)
    run_dir = asyncio.run(run_benchmark(_config(tmp_path, "run"), model=_model(provider_server)))
    summary = summarize(run_dir)
    assert summary["overall"]["items"] == 3 * LIMIT
    assert summary["overall"]["pass@1"] == 1.0, json.dumps(summary, indent=1)[:2000]
    paths = write_reports(run_dir)
    html = paths["html"].read_text()
    assert "<svg" in html and "http" not in html.split("</title>")[1].replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "| din | 4 | 100.0% |" in paths["markdown"].read_text()


def test_cache_makes_a_rerun_free(provider_server, shipped_items, tmp_path):
    provider_server.reply = _server_answers(shipped_items)
    model = _model(provider_server)
    asyncio.run(run_benchmark(_config(tmp_path, "first"), model=model))
    asked = len(provider_server.requests)
    assert asked == 3 * LIMIT
    asyncio.run(run_benchmark(_config(tmp_path, "second"), model=model))
    assert len(provider_server.requests) == asked
    samples = [json.loads(line) for line in (tmp_path / "second" / "samples.jsonl").open()]
    assert all(s["cached"] for s in samples)


def test_interrupted_run_resumes_without_duplicates(provider_server, shipped_items, tmp_path):
    provider_server.reply = _server_answers(shipped_items)
    model = _model(provider_server)
    seen = []

    def interrupt(record):
        seen.append(record)
        if len(seen) == 5:
            raise KeyboardInterrupt

    config = _config(tmp_path, "run", use_cache=False)
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(run_benchmark(config, model=model, on_sample=interrupt))
    kept = (tmp_path / "run" / "samples.jsonl").read_text().splitlines()
    assert len(kept) >= 5
    before = len(provider_server.requests)
    with pytest.raises(Exception, match="--resume"):
        asyncio.run(run_benchmark(config, model=model))
    config.resume = True
    asyncio.run(run_benchmark(config, model=model))
    lines = (tmp_path / "run" / "samples.jsonl").read_text().splitlines()
    ids = [json.loads(line)["item_id"] for line in lines]
    assert len(ids) == len(set(ids)) == 3 * LIMIT
    assert len(provider_server.requests) - before == 3 * LIMIT - len(kept)


def test_pass_at_k_unbiased_estimator():
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 10, 5) == 1.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(5, 1, 2) == pytest.approx(1 - (4 * 3) / (5 * 4))
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)
