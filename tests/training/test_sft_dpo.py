from __future__ import annotations

import json

from afs.jsonl import read_jsonl
from afs.training.config import TrainConfig
from afs.training.dpo import train_dpo
from afs.training.sft import train_sft

from .conftest import SFT_EXAMPLES, SYSTEM


def _greedy(run_dir, prompt: str) -> str:
    from afs.training.export import load_trained

    model, tokenizer = load_trained(run_dir)
    model.eval()
    inputs = tokenizer.apply_chat_template(
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
        add_generation_prompt=True, return_tensors="pt", return_dict=True,
    )
    output = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    return tokenizer.decode(output[0][inputs["input_ids"].shape[1]:], skip_special_tokens=True)


def test_sft_memorises_and_reproduces_an_answer(tiny_base, sft_data, tmp_path):
    result = train_sft(TrainConfig(
        base=str(tiny_base), data=sft_data, val=sft_data, output_dir=tmp_path / "run",
        max_steps=120, lr=1e-2, batch_size=4, eval_steps=60, save_steps=60,
    ))
    assert result.steps == 120
    first, last = result.train_loss[0][1], result.train_loss[-1][1]
    assert last < first / 10, (first, last)
    assert result.val_loss[-1][1] < 0.5
    for prompt, answer in SFT_EXAMPLES:
        assert _greedy(result.output_dir, prompt).strip() == answer
    run = json.loads((tmp_path / "run" / "afs_train.json").read_text())
    assert run["kind"] == "sft" and run["steps"] == 120 and run["base"] == str(tiny_base)


def test_sft_resume_continues_the_step_count(tiny_base, sft_data, tmp_path):
    out = tmp_path / "run"
    first = train_sft(TrainConfig(base=str(tiny_base), data=sft_data, output_dir=out,
                                  max_steps=10, save_steps=5, lr=1e-2))
    assert first.steps == 10
    second = train_sft(TrainConfig(base=str(tiny_base), data=sft_data, output_dir=out,
                                   max_steps=20, save_steps=5, lr=1e-2))
    assert second.steps == 20
    steps = [row["step"] for row in read_jsonl(out / "metrics.jsonl") if "loss" in row]
    # The second session starts after step 10 instead of from scratch.
    assert steps == list(range(1, 21))
    assert [s for s, _ in second.train_loss] == list(range(1, 21))


def test_dpo_raises_the_reward_margin(tiny_base, dpo_data, tmp_path):
    result = train_dpo(TrainConfig(base=str(tiny_base), data=dpo_data,
                                   output_dir=tmp_path / "dpo", max_steps=30, lr=5e-3,
                                   batch_size=8))
    margins = [row["rewards/margins"] for row in read_jsonl(tmp_path / "dpo" / "metrics.jsonl")
               if "rewards/margins" in row]
    assert len(margins) >= 20
    assert margins[0] < 0.5 and sum(margins[-5:]) / 5 > 2.0, margins
    assert (result.adapter_dir / "adapter_config.json").exists()
