"""`afs logs` and `afs feedback`, run as a user runs them (a subprocess, real exit codes)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

from afs.jsonl import read_jsonl, write_jsonl

ORIGINAL = [
    {"id": "r1", "timestamp": "2025-01-10T09:30:00Z", "prompt": "Clear $10 quickly",
     "response": "LDA #$00\nSTA $10", "model": "din-v3", "expert": "din", "latency_ms": 800,
     "metadata": {}},
    {"id": "r2", "timestamp": "2025-01-10T09:31:00Z", "prompt": "Write a DMA routine",
     "response": "LDA #$01 : STA $420B", "model": "nayru-v1", "expert": "nayru",
     "latency_ms": 1500, "metadata": {}},
    {"record_id": "r2", "score": 1.0, "text": "works"},
]


def afs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "afs", *args], capture_output=True, text=True,
                          timeout=120)


def test_logs_and_feedback_end_to_end(tmp_path, _isolated_afs_state):
    source = tmp_path / "old.jsonl"
    write_jsonl(source, ORIGINAL)
    done = afs("logs", "import", str(source), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["records_added"], summary["feedback_added"]) == (2, 1)
    assert summary["database"] == str(_isolated_afs_state / "feedback" / "inference.db")

    hits = json.loads(afs("logs", "search", "$10", "--json").stdout)
    assert [hit["id"] for hit in hits] == ["r1"]
    shown = json.loads(afs("logs", "show", "r2", "--json").stdout)
    assert shown["expert"] == "nayru" and shown["feedback"][0]["text"] == "works"

    rated = afs("feedback", "rate", "r1", "--score", "-1", "--correction", "STZ $10", "--json")
    assert rated.returncode == 0, rated.stderr
    stats = json.loads(afs("feedback", "stats", "--json").stdout)
    assert (stats["records"], stats["rated"], stats["corrections"]) == (2, 2, 1)
    assert stats["retrain_needed"] is False and "need 100" in stats["retrain_reason"]

    for fmt, expected in (("sft", 2), ("dpo", 1), ("kto", 3)):
        out = tmp_path / f"{fmt}.jsonl"
        done = afs("feedback", "export", "--format", fmt, "--output", str(out))
        assert done.returncode == 0, done.stderr
        assert len(read_jsonl(out)) == expected, fmt
    [pair] = read_jsonl(tmp_path / "dpo.jsonl")
    assert (pair["prompt"], pair["chosen"], pair["rejected"]) == (
        "Clear $10 quickly", "STZ $10", "LDA #$00\nSTA $10")

    exported = afs("logs", "export")
    assert exported.returncode == 0
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [line.get("id") or line["record_id"] for line in lines] == ["r1", "r2", "r2", "r1"]


def test_retrain_check_and_run(tmp_path, _isolated_afs_state):
    source = tmp_path / "old.jsonl"
    write_jsonl(source, ORIGINAL)
    assert afs("logs", "import", str(source)).returncode == 0

    check = afs("feedback", "retrain", "--check", "--min-new-samples", "1", "--json")
    assert json.loads(check.stdout)["needed"] is True

    no_trainer = afs("feedback", "retrain", "--run")
    assert no_trainer.returncode == 2
    assert "--run needs a trainer" in no_trainer.stderr

    both = afs("feedback", "retrain")
    assert both.returncode == 2 and "exactly one of --check or --run" in both.stderr

    not_due = afs("feedback", "retrain", "--run", "--train-cmd", "true", "--json")
    assert not_due.returncode == 0 and json.loads(not_due.stdout)["ran"] is False

    python = shlex.quote(sys.executable)
    train = f"{python} -c \"import sys; print('student-v1')\" {{dataset}} {{output}}"
    gate = (f"{python} -c \"import sys; print(0.8 if sys.argv[1] == 'student-v1' else 0.5)\""
            " {model}")
    ran = afs("feedback", "retrain", "--run", "--min-new-samples", "1", "--train-cmd", train,
              "--eval-cmd", gate, "--base-model", "din-v3", "--json")
    assert ran.returncode == 0, ran.stderr
    job = json.loads(ran.stdout)["job"]
    assert (job["status"], job["new_model"], job["old_score"], job["new_score"]) == (
        "promoted", "student-v1", 0.5, 0.8)
    assert read_jsonl(job["dataset_path"])[0]["messages"][-1]["content"] == "LDA #$01 : STA $420B"

    failing = afs("feedback", "retrain", "--run", "--force", "--train-cmd", f"{python} -c "
                  "\"raise SystemExit('boom')\"")
    assert failing.returncode == 1 and "failed" in failing.stdout and "boom" in failing.stdout


def test_bad_input_exits_2_with_a_clear_message(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p", "response": "r", "model": "m"}\n{oops\n')
    done = afs("logs", "import", str(bad))
    assert done.returncode == 2 and "bad.jsonl:2: expected a JSON object" in done.stderr
    assert json.loads(afs("feedback", "stats", "--json").stdout)["records"] == 0

    unknown = afs("feedback", "rate", "nope", "--score", "1")
    assert unknown.returncode == 2 and "no inference record with id 'nope'" in unknown.stderr
    out_of_range = afs("feedback", "rate", "nope", "--score", "1.5")
    assert out_of_range.returncode == 2 and "out of range" in out_of_range.stderr
    missing = afs("logs", "show", "nope")
    assert missing.returncode == 2
    wrong_format = afs("feedback", "export", "--format", "csv", "-o", str(tmp_path / "x"))
    assert wrong_format.returncode == 2 and "unknown dataset format 'csv'" in wrong_format.stderr
