"""Registering an exported student as a model alias in `afs.toml`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from afs.config import find_config_file, load_config, user_config_path
from afs.errors import InputError

LOCAL_SERVERS = {
    "ollama": "http://localhost:11434/v1",
    "lmstudio": "http://localhost:1234/v1",
}


def expert_defaults(alias: str | None) -> tuple[str | None, dict[str, Any]]:
    """The system prompt and sampling params of a registry alias (none without an alias)."""
    if alias is None:
        return None, {}
    from afs.models.registry import get_spec

    spec = get_spec(alias)
    return spec.system_prompt, spec.params.model_dump(exclude_none=True)


def register_export(
    export_dir: str | Path,
    *,
    alias: str,
    server: str = "ollama",
    config_path: str | Path | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Add `[models.<alias>]` for an exported model; comments in afs.toml are kept.

    The new table is validated with the registry before the file is replaced, so a bad
    entry never reaches disk.
    """
    import tomlkit

    from afs.models.registry import load_registry

    info_path = Path(export_dir) / "afs_export.json"
    if not info_path.exists():
        raise InputError(f"{export_dir} is not an AFS export (no afs_export.json); "
                         "run `afs train export` first")
    info = json.loads(info_path.read_text())
    base_url = LOCAL_SERVERS.get(server, server)
    if not base_url.startswith(("http://", "https://")):
        raise InputError(f"--server must be ollama, lmstudio or an http(s) URL, got {server!r}")
    entry: dict[str, Any] = {"provider": "openai", "model": info["name"], "base_url": base_url}
    if info.get("system_prompt"):
        entry["system_prompt"] = info["system_prompt"]
    if info.get("params"):
        entry["params"] = info["params"]

    path = Path(config_path) if config_path else (find_config_file() or user_config_path())
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else \
        tomlkit.document()
    models = document.setdefault("models", tomlkit.table(is_super_table=True))
    table = tomlkit.table()
    for key, value in entry.items():
        table[key] = tomlkit.inline_table() if isinstance(value, dict) else value
        if isinstance(value, dict):
            table[key].update(value)
    models[alias] = table
    text = tomlkit.dumps(document)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_registry(load_config(tmp)).spec(alias)
    except Exception:
        tmp.unlink()
        raise
    os.replace(tmp, path)
    return path, entry
