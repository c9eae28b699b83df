"""The shipped datasets are exactly what the seeded generator writes, and every item is
re-proven by `afs benchmark verify` (as CI must show)."""

from __future__ import annotations

import subprocess
import sys

from afs.benchmark.generation import generate, write_datasets
from afs.benchmark.items import CATEGORIES, MINIMUM_COUNTS

from .conftest import DATASET


def test_generator_reproduces_the_shipped_files(tmp_path):
    write_datasets(tmp_path, generate(seed=0), seed=0)
    for domain in CATEGORIES:
        shipped = (DATASET / domain / "benchmark.jsonl").read_text()
        assert (tmp_path / domain / "benchmark.jsonl").read_text() == shipped, domain
    assert (tmp_path / "metadata.json").read_text() == (DATASET / "metadata.json").read_text()


def test_verify_cli_re_proves_every_item():
    result = subprocess.run([sys.executable, "-m", "afs", "benchmark", "verify", "--json"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    import json

    report = json.loads(result.stdout)
    assert report["ok"] and report["items"] >= sum(MINIMUM_COUNTS.values())


def test_verify_cli_fails_on_a_wrong_gold_answer(tmp_path, shipped_items):
    from afs.jsonl import write_jsonl

    item = shipped_items["din"][0].model_dump(exclude_none=True)
    item["expected_output"] = "RTS"  # the classic: a bare RTS is no optimisation
    write_jsonl(tmp_path / "din" / "benchmark.jsonl", [item])
    result = subprocess.run([sys.executable, "-m", "afs", "benchmark", "verify", "--dataset",
                             str(tmp_path), "--domains", "din"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert f"FAIL {item['id']}" in result.stdout and "not equivalent" in result.stdout
