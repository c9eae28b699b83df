"""Checkpoint durability and validation; export formats and the train/validation split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afs.distillation.checkpoint import Checkpoint, load_records
from afs.distillation.export import export_records, is_validation, to_format
from afs.errors import InputError
from afs.jsonl import read_jsonl


def record(i: int, **extra) -> dict:
    return {"id": f"id{i:04d}", "domain": "explain", "family": "zero_store", "expert": "veran",
            "system": "You are Veran.", "prompt": f"Explain routine {i}.",
            "response": f"Answer {i}.", "teacher": "openai", "provider": "openai",
            "model": "gpt-5.2", "usage": {"prompt_tokens": 3, "completion_tokens": 2},
            "quality": 1.0 - (i % 4) * 0.25, "filters": [], **extra}


def test_accepted_records_survive_reopen(tmp_path: Path):
    path = tmp_path / "checkpoint.jsonl"
    with Checkpoint(path) as checkpoint:
        for i in range(3):
            checkpoint.accept(record(i))
        checkpoint.reject({"id": "bad1", "domain": "debug", "reasons": ["refusal: paste"]})
    reopened = Checkpoint(path)
    assert [r["id"] for r in reopened.records] == ["id0000", "id0001", "id0002"]
    assert reopened.rejected_ids == {"bad1"}
    assert (tmp_path / "checkpoint.rejected.jsonl").exists()
    with pytest.raises(ValueError, match="already"):
        reopened.accept(record(1))


def test_torn_tail_is_dropped_with_a_warning(tmp_path: Path):
    path = tmp_path / "checkpoint.jsonl"
    with Checkpoint(path) as checkpoint:
        checkpoint.accept(record(0))
        checkpoint.accept(record(1))
    with path.open("ab") as handle:
        handle.write(json.dumps(record(2)).encode()[:40])  # a crash mid-write
    with pytest.warns(UserWarning, match="torn last line"):
        reopened = Checkpoint(path)
    assert len(reopened) == 2
    reopened.accept(record(2))
    reopened.close()
    assert [r["id"] for r in read_jsonl(path)] == ["id0000", "id0001", "id0002"]


def test_an_unterminated_but_complete_last_line_is_dropped_too(tmp_path: Path):
    path = tmp_path / "checkpoint.jsonl"
    path.write_text(json.dumps(record(0)) + "\n" + json.dumps(record(1)))
    with pytest.warns(UserWarning):
        assert len(Checkpoint(path)) == 1


def test_corrupt_middle_line_names_file_and_line(tmp_path: Path):
    path = tmp_path / "checkpoint.jsonl"
    path.write_text(json.dumps(record(0)) + "\n{oops\n" + json.dumps(record(1)) + "\n")
    with pytest.raises(InputError) as info:
        Checkpoint(path)
    assert str(info.value).startswith(f"{path}:2:")
    path.write_text(json.dumps({"id": "x"}) + "\n")
    with pytest.raises(InputError, match=r":1: expected a distillation record, missing domain"):
        load_records(path)


def test_key_values_are_redacted_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    secret = "sk-test-never-write-me-42"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    path = tmp_path / "checkpoint.jsonl"
    with Checkpoint(path) as checkpoint:
        checkpoint.accept(record(0, response=f"the key is {secret}"))
    assert secret not in path.read_text()
    assert "[redacted]" in path.read_text()


@pytest.mark.parametrize("fmt", ["chatml", "alpaca", "sharegpt"])
def test_every_format_keeps_the_system_prompt(fmt: str):
    row = to_format(record(0), fmt)
    assert "You are Veran." in json.dumps(row)
    assert row["metadata"]["teacher"] == "openai"


def test_chatml_shape():
    row = to_format(record(5), "chatml")
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
    assert row["messages"][1]["content"] == "Explain routine 5."
    assert row["messages"][2]["content"] == "Answer 5."
    assert row["metadata"]["id"] == "id0005" and row["metadata"]["domain"] == "explain"


def test_export_split_and_quality_threshold(tmp_path: Path):
    records = [record(i) for i in range(400)]
    result = export_records(records, tmp_path / "train.jsonl", min_quality=0.5, split=0.2)
    assert result.skipped_low_quality == 100  # quality 0.25 is every fourth record
    assert result.train_count + result.validation_count == 300
    assert 0.12 < result.validation_count / 300 < 0.28
    train = read_jsonl(tmp_path / "train.jsonl")
    validation = read_jsonl(tmp_path / "train.validation.jsonl")
    train_ids = {r["metadata"]["id"] for r in train}
    assert not train_ids & {r["metadata"]["id"] for r in validation}
    # stable: growing the data set never moves a sample across the split
    grown = export_records([*records, *(record(i) for i in range(400, 800))],
                           tmp_path / "grown.jsonl", min_quality=0.5, split=0.2)
    grown_val = {r["metadata"]["id"] for r in read_jsonl(grown.validation_path)}
    assert {r["metadata"]["id"] for r in validation} <= grown_val
    assert all(is_validation(i, 0.2) for i in grown_val)


def test_export_rejects_bad_options(tmp_path: Path):
    with pytest.raises(InputError, match="unknown export format"):
        export_records([], tmp_path / "x.jsonl", format="csv")
    with pytest.raises(InputError, match="split"):
        export_records([], tmp_path / "x.jsonl", split=1.5)
