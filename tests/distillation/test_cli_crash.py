"""`afs distill` commands, and the kill -9 crash test of `afs distill generate`."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afs.cli.main import app
from afs.errors import AfsError
from afs.jsonl import read_jsonl
from tests.distillation.conftest import TEST_KEYS, server_reply
from tests.distillation.test_providers import assert_no_keys
from tests.support.provider_servers import ProviderServer

DOMAINS = "generate,explain,alttp"


@pytest.fixture
def loop_server(test_keys: dict[str, str]):
    with ProviderServer(reply=server_reply, api_key=test_keys["OPENAI_API_KEY"]) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, loop_server: ProviderServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An afs.toml with a teacher alias pointing at the loopback server."""
    path = tmp_path / "afs.toml"
    path.write_text(
        "[models.loop]\nprovider = \"openai\"\nmodel = \"loop-teacher\"\n"
        f"base_url = \"{loop_server.openai_base_url}\"\napi_key_env = \"OPENAI_API_KEY\"\n")
    monkeypatch.setenv("AFS_CONFIG", str(path))
    return path


def invoke(*args: str):
    return CliRunner().invoke(app, ["distill", *args])


def test_teachers_reports_configured_and_reachable(config: Path, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    result = invoke("teachers", "--teachers", "loop,gemini", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["teacher"]: row for row in json.loads(result.output)}
    assert rows["loop"]["reachable"] is True and rows["loop"]["latency_ms"] >= 0
    assert rows["gemini"]["configured"] is False
    assert "GEMINI_API_KEY" in rows["gemini"]["detail"]
    assert all(key not in result.output for key in TEST_KEYS.values())


def test_generate_status_export(config: Path, tmp_path: Path):
    out = tmp_path / "data"
    result = invoke("generate", "--count", "12", "--output", str(out), "--teachers", "loop",
                    "--domains", DOMAINS, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["accepted"] == 12 and summary["stopped"] is None
    assert summary["teachers"][0]["name"] == "loop"
    checkpoint = out / "checkpoint.jsonl"

    result = invoke("status", "--checkpoint", str(checkpoint), "--json")
    status = json.loads(result.output)
    assert status["samples"] == 12 and status["by_teacher"] == {"loop": 12}
    assert sum(status["by_domain"].values()) == 12 and status["completion_tokens"] > 0

    result = invoke("export", "--checkpoint", str(checkpoint), "--output",
                    str(tmp_path / "train.jsonl"), "--format", "sharegpt", "--split", "0.25",
                    "--json")
    exported = json.loads(result.output)
    assert exported["train_count"] + exported["validation_count"] == 12
    rows = read_jsonl(tmp_path / "train.jsonl")
    assert rows[0]["conversations"][0]["from"] == "system"

    result = invoke("status", "--checkpoint", str(checkpoint))
    assert "12 samples" in result.output and "by teacher: loop: 12" in result.output
    assert_no_keys(tmp_path)


def test_generate_without_teachers_names_the_variables(monkeypatch, tmp_path: Path):
    for name in TEST_KEYS:
        monkeypatch.delenv(name, raising=False)
    result = invoke("generate", "--count", "3", "--output", str(tmp_path))
    assert isinstance(result.exception, AfsError)
    assert "OPENAI_API_KEY" in str(result.exception) and "CLAUDE_API_KEY" in str(result.exception)


def test_bad_domain_and_missing_checkpoint_are_input_errors(tmp_path: Path, config: Path):
    result = invoke("generate", "--count", "3", "--teachers", "loop", "--domains", "poetry")
    assert result.exit_code == 2 and "unknown domain(s) poetry" in result.output
    result = invoke("status", "--checkpoint", str(tmp_path / "nope.jsonl"))
    assert "no such checkpoint file" in str(result.exception)


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume(config: Path, tmp_path: Path,
                                              loop_server: ProviderServer):
    """Kill the generate process while it writes, several times; the final checkpoint holds
    exactly N valid unique records and no key is anywhere."""
    loop_server.latency = 0.1
    count, kills, rng = 150, 0, random.Random(8)
    out = tmp_path / "data"
    checkpoint = out / "checkpoint.jsonl"
    command = [sys.executable, "-m", "afs", "distill", "generate", "--count", str(count),
               "--output", str(out), "--teachers", "loop", "--domains", DOMAINS,
               "--concurrency", "8", "--json"]
    env = {**os.environ, "AFS_CONFIG": str(config)}
    logs: list[str] = []
    at_kill: list[int] = []

    def lines() -> int:
        return checkpoint.read_bytes().count(b"\n") if checkpoint.exists() else 0

    while kills < 5:
        before = lines()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while lines() == before and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.4))  # somewhere in the middle of writing
        if process.poll() is not None:
            logs.append(process.communicate()[1].decode())
            break
        process.send_signal(signal.SIGKILL)
        output, errors = process.communicate()
        logs += [output.decode(), errors.decode()]
        kills += 1
        at_kill.append(lines())
    assert kills >= 4, "the runs finished before they could be killed"
    # every kill landed mid-run, after that run had written something
    assert all(0 < n < count for n in at_kill) and at_kill == sorted(set(at_kill))

    final = subprocess.run(command, env=env, capture_output=True, timeout=120)
    assert final.returncode == 0, final.stderr.decode()
    records = read_jsonl(checkpoint)
    assert len(records) == count
    assert len({r["id"] for r in records}) == count
    assert len({r["prompt"] for r in records}) == count
    assert all(r["teacher"] == "loop" and r["response"] for r in records)
    rejected = read_jsonl(out / "checkpoint.rejected.jsonl") if (
        out / "checkpoint.rejected.jsonl").exists() else []
    assert not {r["id"] for r in records} & {r["id"] for r in rejected}
    assert_no_keys(tmp_path, *logs, final.stdout.decode(), final.stderr.decode())
