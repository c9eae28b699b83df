from __future__ import annotations

import json
import subprocess
import sys


def _afs(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "afs", *args], capture_output=True, text=True,
                          timeout=300)


def test_train_sft_export_register_from_the_command_line(tiny_base, sft_data, tmp_path):
    run = _afs("train", "sft", "--base", str(tiny_base), "--data", str(sft_data),
               "--output", str(tmp_path / "run"), "--max-steps", "8", "--lr", "0.01", "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["steps"] == 8 and summary["last_train_loss"] < summary["first_train_loss"]

    export = _afs("train", "export", str(tmp_path / "run"), "--output", str(tmp_path / "out"),
                  "--name", "din-v4", "--json")
    assert export.returncode == 0, export.stderr
    assert json.loads(export.stdout)["modelfile"].endswith("Modelfile")

    config = tmp_path / "afs.toml"
    reg = _afs("train", "register", str(tmp_path / "out"), "--alias", "din-v4",
               "--config", str(config), "--json")
    assert reg.returncode == 0, reg.stderr
    assert json.loads(reg.stdout)["entry"]["base_url"] == "http://localhost:11434/v1"


def test_bad_data_file_exits_2_with_location(tiny_base, tmp_path):
    data = tmp_path / "bad.jsonl"
    data.write_text("not json\n")
    result = _afs("train", "sft", "--base", str(tiny_base), "--data", str(data),
                  "--output", str(tmp_path / "run"))
    assert result.returncode == 2
    assert f"{data}:1: expected a JSON object per line" in result.stderr
    assert "Traceback" not in result.stderr


def _afs_home(*args: str, home) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "AFS_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "afs", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def test_every_train_verb_works_offline_on_the_builtin_tiny_base(sft_data, dpo_data, tmp_path):
    home = tmp_path / "home"
    sft = _afs_home("train", "sft", "--base", "tiny", "--data", str(sft_data), "--output",
                    str(tmp_path / "run"), "--max-steps", "4", "--add-expert-tokens", "--json",
                    home=home)
    assert sft.returncode == 0, sft.stderr
    assert json.loads(sft.stdout)["steps"] == 4
    run = json.loads((tmp_path / "run" / "afs_train.json").read_text())
    assert run["base"] == "tiny" and run["precision"] == "fp32"

    export = _afs_home("train", "export", str(tmp_path / "run"), "--output",
                       str(tmp_path / "out"), "--name", "din-v4", "--expert", "din", "--json",
                       home=home)
    assert export.returncode == 0, export.stderr
    modelfile = (tmp_path / "out" / "Modelfile").read_text()
    # The expert's system prompt and sampling settings travel with the model.
    assert 'SYSTEM """You are Din, an expert at optimising SNES 65816 assembly' in modelfile
    assert "PARAMETER temperature 0.0" in modelfile and "PARAMETER num_predict 1024" in modelfile

    dpo = _afs_home("train", "dpo", "--base", str(tmp_path / "out" / "merged"), "--data",
                    str(dpo_data), "--output", str(tmp_path / "dpo"), "--max-steps", "2",
                    "--json", home=home)
    assert dpo.returncode == 0, dpo.stderr

    reg = _afs_home("train", "register", str(tmp_path / "out"), "--alias", "din-v4",
                    "--config", str(tmp_path / "afs.toml"), "--json", home=home)
    assert reg.returncode == 0, reg.stderr
    assert json.loads(reg.stdout)["entry"]["system_prompt"].startswith("You are Din")


def test_memory_options_are_checked_before_any_work(sft_data, tmp_path):
    result = _afs_home("train", "sft", "--base", "tiny", "--data", str(sft_data), "--output",
                       str(tmp_path / "run"), "--precision", "fp8", home=tmp_path / "home")
    assert result.returncode == 2
    assert "--precision must be one of auto, bf16, fp16, fp32" in result.stderr
    assert "Traceback" not in result.stderr
