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
