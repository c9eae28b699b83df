from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the `train` extra (torch, transformers, peft, trl) is needed")

SYSTEM = "You are Din, a 65816 optimiser."

# Four memorisable examples with distinct answers.
SFT_EXAMPLES = [
    ("Optimize: LDA #$00 then STA $10", "STZ $10"),
    ("Optimize: CLC then ADC #$01", "INC A"),
    ("Optimize: LDA $20 then LDA $20", "LDA $20"),
    ("Optimize: JSR Sub then RTS", "JMP Sub"),
]

DPO_EXAMPLES = [
    (f"Optimize: LDA #$00 then STA ${i:02X}", f"STZ ${i:02X}", f"LDA #$00\nSTA ${i:02X}")
    for i in range(0x10, 0x18)
]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def sft_rows() -> list[dict]:
    return [
        {"messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": answer},
        ], "metadata": {"source": "test"}}
        for prompt, answer in SFT_EXAMPLES
    ]


def dpo_rows() -> list[dict]:
    return [
        {"prompt": p, "chosen": c, "rejected": r, "system": SYSTEM, "metadata": {}}
        for p, c, r in DPO_EXAMPLES
    ]


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from afs.training.tiny import build_tiny_causal_lm

    texts = [SYSTEM] + [t for ex in SFT_EXAMPLES for t in ex] + [
        t for ex in DPO_EXAMPLES for t in ex
    ]
    return build_tiny_causal_lm(tmp_path_factory.mktemp("tiny_base"), texts * 4)


@pytest.fixture
def sft_data(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "train.jsonl", sft_rows())


@pytest.fixture
def dpo_data(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "pairs.jsonl", dpo_rows())
