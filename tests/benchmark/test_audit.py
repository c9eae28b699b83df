"""The audit: wrong answers that must not pass, excused equivalent mutants, shape ratios, and
the gate over the shipped items that CI enforces."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from afs.benchmark.audit import (
    SHAPE_RATIO_MINIMUM,
    audit_item,
    audit_items,
    code_mutants,
    shape_key,
    shape_ratio,
    strip_width_changes,
    wrong_answers,
)
from afs.benchmark.items import DOMAINS, BenchmarkItem
from afs.jsonl import write_jsonl

from .conftest import DATASET


def _nayru_item(spec_cases: list[dict], reference: str, **extra) -> BenchmarkItem:
    return BenchmarkItem.model_validate({
        "id": "nayru_generation_900", "domain": "nayru", "category": "generation",
        "difficulty": 1, "code": "", "expected_output": reference,
        "metadata": {"description": "d", "task": "generate", "request": "r"},
        "spec": {"cases": spec_cases}, **extra})


def test_shape_key_ignores_numbers_addresses_labels_and_comments():
    a = "Loop:\n  LDA $7EF36D,X ; health\n  CMP #$10\n  BCC Loop\n  STA.w $0100"
    b = "again: lda $0040,x\ncmp #3\nbcc again\nsta.w $1234 ; other"
    assert shape_key(a) == shape_key(b)
    assert shape_key(a) != shape_key(a.replace("BCC", "BCS"))
    assert shape_key("LDA ($10),Y") != shape_key("LDA $10,Y")


def test_shape_ratio_counts_distinct_shapes():
    items = [_nayru_item([{"expect": {}}], f"LDA #${n:02X}\nSTA $10") for n in range(4)]
    items.append(_nayru_item([{"expect": {}}], "LDA $10\nASL A\nSTA $10"))
    assert shape_ratio(items) == pytest.approx(2 / 5)


def test_code_mutants_are_deterministic_distinct_and_keep_labels():
    code = "Loop:\nLDA $10,X\nCLC\nADC #$01\nSTA $10,X\nDEX\nBPL Loop\nRTS"
    mutants = code_mutants(code)
    assert mutants == code_mutants(code)
    assert len(mutants) >= 8
    bodies = [body for _, body in mutants]
    assert len(set(bodies)) == len(bodies) and code not in bodies
    assert any(label.startswith("branch_flipped") and "BMI Loop" in body
               for label, body in mutants)
    assert all("Loop:" in body for label, body in mutants if label.startswith("dropped"))


def test_strip_width_changes_keeps_labels():
    assert strip_width_changes("Top: REP #$20\nLDA #$0001\nSEP #$20") == "Top:\nLDA #$0001"


def test_a_vacuous_spec_is_caught():
    # The example: a sum whose target starts at 0 and whose inputs are all 0 lets
    # NOP pass.
    reference = "LDA $10\nCLC\nADC $11\nSTA $12"
    item = _nayru_item([{"init": {"p": 0x30},
                         "memory": {"0x7E0010": 0, "0x7E0011": 0, "0x7E0012": 0},
                         "expect": {"memory": {"0x7E0012": 0}}}], reference,
                       live_out="mem", preconditions={"m": 1, "x": 1, "e": 0})
    audit = audit_item(item)
    assert "nop" in audit.passed and "rts" in audit.passed
    assert not audit.ok


def test_a_strong_spec_passes_and_equivalent_mutants_are_excused():
    reference = "LDA $10\nCLC\nADC $11\nSTA $12"
    cases = [{"init": {"p": 0x30, "dbr": 0x7E, "d": 0},
              "memory": {"0x7E0010": a, "0x7E0011": b, "0x7E0012": 0x5A, "0x7E0013": 0xA5},
              # the neighbour too: a 16-bit store would get the low byte right
              "expect": {"memory": {"0x7E0012": (a + b) & 0xFF, "0x7E0013": 0xA5}}}
             for a, b in ((3, 4), (0xFF, 2), (0x80, 0x80), (0x10, 0x21))]
    item = _nayru_item(cases, reference, live_out="mem",
                       preconditions={"m": 1, "x": 1, "e": 0, "dp": 0, "dbr": 0x7E})
    audit = audit_item(item)
    assert audit.ok, audit.passed
    assert audit.mutants >= 8
    labels = {w.label for w in wrong_answers(item)}
    assert {"empty", "prose_only", "rts", "nop"} <= labels


def test_audit_cli_exits_1_when_a_wrong_answer_passes(tmp_path):
    item = _nayru_item([{"memory": {"0x7E0012": 0}, "expect": {"memory": {"0x7E0012": 0}}}],
                       "LDA $10\nCLC\nADC $11\nSTA $12")
    write_jsonl(tmp_path / "nayru" / "benchmark.jsonl", [item.model_dump(exclude_none=True)])
    result = subprocess.run([sys.executable, "-m", "afs", "benchmark", "audit", "--dataset",
                             str(tmp_path), "--domains", "nayru", "--json", "--workers", "1"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["wrong_answers_passed"] > 0
    assert report["failures"][0]["item"] == "nayru_generation_900"


@pytest.mark.parametrize("domain", DOMAINS)
def test_no_wrong_answer_passes_a_shipped_item(domain, shipped_items):
    """The CI gate: every shipped item rejects its whole battery, and every domain is varied
    and large enough."""
    report = audit_items(shipped_items[domain], workers=2)
    figures = report.domains[domain]
    failures = {a.item_id: a.passed for a in report.failures}
    assert not failures, f"{len(failures)} items accept wrong answers: " \
                         f"{dict(list(failures.items())[:5])}"
    assert figures.shape_ratio >= SHAPE_RATIO_MINIMUM
    assert figures.ok, figures.to_dict()
    assert DATASET.exists()
