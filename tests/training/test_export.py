from __future__ import annotations

import re

import pytest

from afs.errors import InputError
from afs.training.config import TrainConfig
from afs.training.export import export_run, load_trained
from afs.training.sft import train_sft


@pytest.fixture(scope="module")
def trained_run(tiny_base, tmp_path_factory):
    from .conftest import sft_rows, write_jsonl

    tmp = tmp_path_factory.mktemp("export")
    data = write_jsonl(tmp / "train.jsonl", sft_rows())
    train_sft(TrainConfig(base=str(tiny_base), data=data, output_dir=tmp / "run",
                          max_steps=15, lr=1e-2, add_expert_tokens=True))
    return tmp / "run"


def test_merged_model_has_the_adapter_logits(trained_run, tiny_base, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    result = export_run(trained_run, tmp_path / "out", name="din-test",
                        system_prompt="You are Din.", params={"temperature": 0.2})
    adapted, tokenizer = load_trained(trained_run)
    adapted.eval()
    merged = AutoModelForCausalLM.from_pretrained(str(result.merged_dir)).eval()
    ids = tokenizer("<INVOKE_EXPERT:din>LDA #$00 STA $10</INVOKE_EXPERT>",
                    return_tensors="pt").input_ids
    with torch.no_grad():
        expected = adapted(ids).logits
        actual = merged(ids).logits
    assert torch.allclose(expected, actual, atol=1e-4)
    assert list(result.merged_dir.glob("*.safetensors"))


def test_modelfile_is_well_formed(trained_run, tmp_path):
    result = export_run(trained_run, tmp_path / "out", name="din-test",
                        system_prompt="You are Din.", params={"temperature": 0.2, "top_p": 0.9,
                                                              "max_tokens": 256})
    text = result.modelfile.read_text()
    assert text.startswith(f"FROM {result.merged_dir.resolve()}\n")
    assert re.search(r'^TEMPLATE """.*<\|im_start\|>assistant\n"""$', text, re.S | re.M)
    assert 'SYSTEM """You are Din."""' in text
    params = re.findall(r"^PARAMETER (\w+) (.+)$", text, re.M)
    assert params == [("temperature", "0.2"), ("top_p", "0.9"), ("num_predict", "256"),
                      ("stop", '"<|im_end|>"')]
    # Every non-blank line outside the triple-quoted blocks is a known Modelfile instruction.
    outside = re.sub(r'"""(.*?)"""', '""', text, flags=re.S)
    for line in filter(None, outside.splitlines()):
        assert line.split()[0] in {"FROM", "TEMPLATE", "SYSTEM", "PARAMETER"}, line
    assert "ollama create din-test" in result.lmstudio_notes.read_text()


def test_export_refuses_a_foreign_folder(trained_run, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    with pytest.raises(InputError, match="is not an AFS export"):
        export_run(trained_run, target, name="x")
    assert (target / "precious.txt").read_text() == "keep me"


def test_register_adds_alias_and_keeps_comments(trained_run, tmp_path):
    from afs.config import load_config
    from afs.models.registry import load_registry
    from afs.training.registration import register_export

    export_run(trained_run, tmp_path / "out", name="din-v4", system_prompt="You are Din.",
               params={"temperature": 0.2})
    config = tmp_path / "afs.toml"
    config.write_text("# my settings\n[models.mine]\nprovider = \"openai\"\nmodel = \"m\"\n"
                      "base_url = \"http://localhost:9/v1\"\n")
    path, _ = register_export(tmp_path / "out", alias="din-v4", server="lmstudio",
                              config_path=config)
    assert path == config
    assert config.read_text().startswith("# my settings\n")
    spec = load_registry(load_config(config)).spec("din-v4")
    assert (spec.provider, spec.model, spec.base_url) == (
        "openai", "din-v4", "http://localhost:1234/v1")
    assert spec.system_prompt == "You are Din." and spec.params.temperature == 0.2
    assert load_registry(load_config(config)).spec("mine").model == "m"


def test_register_rejects_a_bad_server_and_leaves_the_file(trained_run, tmp_path):
    from afs.training.registration import register_export

    export_run(trained_run, tmp_path / "out", name="din-v4")
    config = tmp_path / "afs.toml"
    config.write_text("# untouched\n")
    with pytest.raises(InputError, match="--server must be"):
        register_export(tmp_path / "out", alias="x", server="ftp://nope", config_path=config)
    assert config.read_text() == "# untouched\n"
