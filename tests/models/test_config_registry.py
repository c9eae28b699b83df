"""afs.toml lookup and validation, and the model registry built from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from afs.config import Config, find_config_file, load_config
from afs.errors import InputError
from afs.models.base import ModelUnavailableError
from afs.models.registry import (
    BUILTIN_MODELS,
    ModelSpec,
    get_model,
    get_spec,
    load_registry,
    spec_status,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def places(tmp_path, monkeypatch):
    """A working directory and an XDG config home, both empty, with $AFS_CONFIG unset."""
    cwd, xdg = tmp_path / "cwd", tmp_path / "xdg"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.delenv("AFS_CONFIG", raising=False)
    return cwd / "afs.toml", xdg / "afs" / "afs.toml", tmp_path / "explicit.toml"


def test_search_order_env_then_cwd_then_user(places, monkeypatch):
    local, user, explicit = places
    assert find_config_file() is None
    write(user, '[models.u]\nprovider = "openai"\nmodel = "from-user"\n')
    assert find_config_file() == user
    write(local, '[models.u]\nprovider = "openai"\nmodel = "from-cwd"\n')
    assert find_config_file() == local
    assert get_spec("u").model == "from-cwd"  # the first file found wins, no merging
    write(explicit, '[models.u]\nprovider = "openai"\nmodel = "from-env"\n')
    monkeypatch.setenv("AFS_CONFIG", str(explicit))
    assert get_spec("u").model == "from-env"


def test_afs_config_naming_a_missing_file_means_built_in_defaults(places, monkeypatch):
    local, _, explicit = places
    write(local, '[models.u]\nprovider = "openai"\nmodel = "m"\n')
    monkeypatch.setenv("AFS_CONFIG", str(explicit))
    assert find_config_file() is None
    assert set(load_registry()) == set(BUILTIN_MODELS)


def test_builtin_defaults():
    registry = load_registry(Config())
    for alias in ("din", "farore", "nayru", "veran", "generalist"):
        assert (registry[alias].provider, registry[alias].model) == ("classical", alias)
    assert registry["openai"].model == "gpt-5.2"
    assert registry["openai"].api_key_env == ("OPENAI_API_KEY",)
    assert registry["gemini"].model == "gemini-3-flash-preview"
    assert registry["gemini"].api_key_env == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert registry["anthropic"].model == "claude-opus-4.5"
    assert registry["anthropic"].api_key_env == ("CLAUDE_API_KEY", "ANTHROPIC_API_KEY")


def test_override_with_same_provider_merges(tmp_path):
    config = load_config(write(tmp_path / "afs.toml", """
[models.anthropic]
model = "claude-opus-4-5-20251101"
params = { max_tokens = 2048 }
"""))
    spec = load_registry(config)["anthropic"]
    assert spec.model == "claude-opus-4-5-20251101"
    assert spec.provider == "anthropic"
    assert spec.api_key_env == ("CLAUDE_API_KEY", "ANTHROPIC_API_KEY")
    assert spec.params.max_tokens == 2048


def test_override_with_another_provider_replaces(tmp_path):
    config = load_config(write(tmp_path / "afs.toml", """
[models.din]
provider = "openai"
model = "din-v3"
base_url = "http://localhost:11434/v1/"
api_key_env = "OLLAMA_KEY"
system_prompt = "You optimise 65816 code."
price = { input = 0.5, output = 1.5 }
params = { temperature = 0.2, top_p = 0.9, seed = 7 }
"""))
    spec = load_registry(config)["din"]
    assert spec == ModelSpec(provider="openai", model="din-v3",
                             base_url="http://localhost:11434/v1", api_key_env=("OLLAMA_KEY",),
                             system_prompt="You optimise 65816 code.",
                             price={"input": 0.5, "output": 1.5},
                             params={"temperature": 0.2, "top_p": 0.9, "seed": 7})


def test_api_key_env_takes_a_list_and_uses_the_first_set(monkeypatch):
    spec = ModelSpec(provider="gemini", model="g", api_key_env=["A_KEY_1", "A_KEY_2"])
    assert spec.api_key() is None
    assert not spec_status(spec).configured
    monkeypatch.setenv("A_KEY_2", "second")
    assert spec.api_key() == "second"
    monkeypatch.setenv("A_KEY_1", "first")
    assert spec.api_key() == "first"
    status = spec_status(spec)
    assert status.configured and status.detail == "key from A_KEY_1"
    assert "first" not in repr(spec) + status.detail


@pytest.mark.parametrize(("body", "key", "expected"), [
    ('[models.x]\nprovider = "openai"\nmodel = "m"\nparams = { temperature = "hot" }\n',
     "models.x.params.temperature", "valid number"),
    ('[models.x]\nprovider = "openai"\nmodel = "m"\nparams = { temperature = 5.0 }\n',
     "models.x.params.temperature", "less than or equal to 2"),
    ('[models.x]\nprovider = "openia"\nmodel = "m"\n', "models.x.provider", "'openai'"),
    ('[models.x]\nprovider = "openai"\n', "models.x.model", "required key is missing"),
    ('[models.x]\nprovider = "openai"\nmodel = "m"\nbase_ur = "http://h"\n',
     "models.x.base_ur", "unknown key"),
    ('[models.x]\nprovider = "openai"\nmodel = "m"\nbase_url = "localhost:1234"\n',
     "models.x.base_url", "http://"),
    ('models = 3\n', "models", "table of aliases"),
])
def test_bad_values_name_file_key_and_expectation(tmp_path, body, key, expected):
    path = write(tmp_path / "afs.toml", body)
    with pytest.raises(InputError) as caught:
        load_registry(load_config(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: key '{key}'")
    assert expected in message
    assert caught.value.path == str(path)


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path / "afs.toml", '[models.x]\nprovider = "openai"\nmodel = \n')
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert (caught.value.path, caught.value.line) == (str(path), 3)
    assert str(caught.value).startswith(f"{path}:3:")


def test_explicit_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_sections_for_other_parts_of_afs(tmp_path):
    class Gateway(BaseModel):
        model_config = ConfigDict(extra="forbid")
        port: int = 8080

    config = load_config(write(tmp_path / "afs.toml", "[gateway]\nport = 9000\n"))
    assert config.section("gateway", Gateway).port == 9000
    assert Config().section("gateway", Gateway).port == 8080
    bad = load_config(write(tmp_path / "bad.toml", '[gateway]\nport = "high"\n'))
    with pytest.raises(InputError, match=r"key 'gateway\.port'"):
        bad.section("gateway", Gateway)


def test_unknown_alias_lists_the_configured_ones():
    with pytest.raises(ModelUnavailableError, match=r"unknown model alias 'nope'.*anthropic"):
        get_model("nope")


def test_transformers_status_checks_the_checkpoint(tmp_path):
    missing = ModelSpec(provider="transformers", model=str(tmp_path / "ckpt"))
    assert not spec_status(missing).configured
    (tmp_path / "ckpt").mkdir()
    assert spec_status(missing).configured
