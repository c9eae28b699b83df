"""The model registry: aliases → `ModelSpec`, built-in defaults overridden by `afs.toml`.

`get_model("din")` is how every part of AFS gets a model. Aliases are declared in the
`[models.<alias>]` tables of `afs.toml`::

    [models.din-ollama]
    provider = "openai"              # openai, anthropic, gemini, transformers or classical
    model = "din-v3"
    base_url = "http://localhost:11434/v1"  # any OpenAI-compatible server
    params = { temperature = 0.2, max_tokens = 512 }

A table for a built-in alias (`din`, `farore`, `nayru`, `veran`, `generalist`, `openai`,
`gemini`, `anthropic`) is merged over the built-in entry when it keeps the same provider
(so `[models.anthropic] model = "claude-opus-4-5-20251101"` changes only the id), and
replaces it when it names another provider.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from afs.config import Config, load_config, validate
from afs.models.base import ChatModel, ModelUnavailableError
from afs.models.spec import PROVIDERS, ModelParams, ModelSpec, PriceSpec, Provider  # noqa: F401 - public here too

if TYPE_CHECKING:
    from afs.models.retry import RetryPolicy

EXPERT_ALIASES: tuple[str, ...] = ("din", "farore", "nayru", "veran", "generalist")
TEACHER_ALIASES: tuple[str, ...] = ("openai", "gemini", "anthropic")


BUILTIN_MODELS: dict[str, ModelSpec] = {
    **{alias: ModelSpec(provider="classical", model=alias) for alias in EXPERT_ALIASES},
    # All four offline experts behind one alias: each request goes to the expert it asks for
    # (what `afs benchmark all --model classical` and `make run` use).
    "classical": ModelSpec(provider="classical", model="generalist"),
    "openai": ModelSpec(provider="openai", model="gpt-5.2", api_key_env=("OPENAI_API_KEY",)),
    "gemini": ModelSpec(provider="gemini", model="gemini-3-flash-preview",
                        api_key_env=("GEMINI_API_KEY", "GOOGLE_API_KEY")),
    "anthropic": ModelSpec(provider="anthropic", model="claude-opus-4.5",
                           api_key_env=("CLAUDE_API_KEY", "ANTHROPIC_API_KEY")),
}


class Registry(Mapping[str, ModelSpec]):
    """Aliases → specs, with the config file they came from."""

    def __init__(self, specs: Mapping[str, ModelSpec], config_path: Path | None = None) -> None:
        self._specs = dict(specs)
        self.config_path = config_path

    def __getitem__(self, alias: str) -> ModelSpec:
        return self._specs[alias]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def spec(self, alias: str) -> ModelSpec:
        """The spec of `alias`; an unknown alias is a `ModelUnavailableError` listing them."""
        try:
            return self._specs[alias]
        except KeyError:
            known = ", ".join(sorted(self._specs))
            where = f" in {self.config_path}" if self.config_path else ""
            raise ModelUnavailableError(
                f"unknown model alias '{alias}' (configured{where}: {known})"
            ) from None


def load_registry(config: Config | None = None) -> Registry:
    """Built-in aliases overridden by the `[models.*]` tables of `afs.toml`."""
    config = config if config is not None else load_config()
    tables = config.raw("models") or {}
    if not isinstance(tables, Mapping):
        raise _bad(config, "models", "expected a table of aliases ([models.<alias>])")
    specs: dict[str, ModelSpec] = dict(BUILTIN_MODELS)
    for alias, table in tables.items():
        if not isinstance(table, Mapping):
            raise _bad(config, f"models.{alias}", "expected a table ([models.<alias>])")
        merged = dict(table)
        builtin = BUILTIN_MODELS.get(alias)
        if builtin is not None and merged.get("provider", builtin.provider) == builtin.provider:
            base = builtin.model_dump(exclude_defaults=True)
            params = {**base.get("params", {}), **dict(merged.get("params") or {})}
            merged = {**base, **merged, "params": params}
        specs[alias] = validate(merged, ModelSpec, path=config.path, prefix=f"models.{alias}")
    return Registry(specs, config.path)


def _bad(config: Config, key: str, expected: str) -> Exception:
    from afs.errors import InputError

    return InputError(f"key '{key}': {expected}", path=config.path or "<built-in defaults>")


def get_spec(alias: str, registry: Registry | None = None) -> ModelSpec:
    """The spec behind an alias."""
    return (registry if registry is not None else load_registry()).spec(alias)


def get_model(
    alias: str, *, registry: Registry | None = None, retry: RetryPolicy | None = None
) -> ChatModel:
    """The `ChatModel` behind an alias (built in or from `afs.toml`)."""
    return create_model(get_spec(alias, registry), alias=alias, retry=retry)


def create_model(
    spec: ModelSpec, *, alias: str | None = None, retry: RetryPolicy | None = None
) -> ChatModel:
    """Build the backend for `spec`; provider packages are imported only here."""
    if spec.provider == "openai":
        from afs.models.openai_provider import OpenAIChatModel

        return OpenAIChatModel(spec, alias=alias, retry=retry)
    if spec.provider == "anthropic":
        from afs.models.anthropic_provider import AnthropicChatModel

        return AnthropicChatModel(spec, alias=alias, retry=retry)
    if spec.provider == "gemini":
        from afs.models.gemini_provider import GeminiChatModel

        return GeminiChatModel(spec, alias=alias, retry=retry)
    if spec.provider == "transformers":
        from afs.models.transformers_provider import TransformersChatModel

        return TransformersChatModel(spec, alias=alias, retry=retry)
    return _create_classical(spec, alias=alias, retry=retry)


def _create_classical(
    spec: ModelSpec, *, alias: str | None, retry: RetryPolicy | None
) -> ChatModel:
    try:
        from afs.models.classical import create_classical_model
    except ModuleNotFoundError as exc:
        if exc.name != "afs.models.classical":
            raise
        raise ModelUnavailableError(
            f"provider 'classical' (the offline tool-based experts) is not available in this "
            f"build yet, so '{alias or spec.model}' cannot run; point the alias at another "
            f"provider in afs.toml",
            provider="classical",
        ) from None
    model = create_classical_model(spec)
    if alias:
        model.alias = alias
    if retry is not None:
        model.retry_policy = retry
    return model


@dataclass(frozen=True)
class SpecStatus:
    """Whether an alias looks ready to use, without contacting anything."""

    configured: bool
    detail: str


def spec_status(spec: ModelSpec) -> SpecStatus:
    """Is the key set / the endpoint given / the checkpoint present? Never shows a key."""
    if spec.provider == "classical":
        from importlib.util import find_spec

        if find_spec("afs.models.classical") is None:
            return SpecStatus(False, "offline expert (not in this build yet)")
        return SpecStatus(True, "offline expert, built in")
    if spec.provider == "transformers":
        path = Path(spec.model).expanduser()
        if path.exists():
            return SpecStatus(True, f"checkpoint {path}")
        return SpecStatus(False, f"checkpoint {path} not found")
    if spec.api_key_env:
        names = " or ".join(spec.api_key_env)
        found = next((n for n in spec.api_key_env if os.environ.get(n)), None)
        where = f" at {spec.base_url}" if spec.base_url else ""
        if found:
            return SpecStatus(True, f"key from {found}{where}")
        return SpecStatus(False, f"needs {names}{where}")
    if spec.base_url:
        return SpecStatus(True, f"endpoint {spec.base_url} (no key)")
    return SpecStatus(False, "no api_key_env and no base_url")
