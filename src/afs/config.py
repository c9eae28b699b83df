"""The one configuration loader of AFS: `afs.toml`, validated with pydantic.

The file is looked up in this order and the first one found is used (files are not merged):

1. `$AFS_CONFIG` — when set, it is the only place looked at; if it names a missing file,
   AFS runs on its built-in defaults (`afs doctor` says so);
2. `./afs.toml`;
3. `~/.config/afs/afs.toml`.

Each part of AFS owns one top-level table and validates it with its own pydantic model via
`Config.section(name, Model)`; a bad value raises `InputError` naming the file, the dotted key
(`models.din.params.temperature`) and what was expected. TOML syntax errors name the line.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from afs.errors import InputError

CONFIG_ENV = "AFS_CONFIG"
CONFIG_NAME = "afs.toml"

M = TypeVar("M", bound=BaseModel)


def user_config_path() -> Path:
    """`~/.config/afs/afs.toml` (honours `$XDG_CONFIG_HOME`)."""
    base = os.environ.get("XDG_CONFIG_HOME")
    root = Path(base).expanduser() if base else Path.home() / ".config"
    return root / "afs" / CONFIG_NAME


def candidate_paths() -> list[Path]:
    """Where `afs.toml` is looked for, in order of precedence."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return [Path(explicit).expanduser()]
    return [Path.cwd() / CONFIG_NAME, user_config_path()]


def find_config_file() -> Path | None:
    """The config file that would be used, or None."""
    return next((path for path in candidate_paths() if path.is_file()), None)


@dataclass(frozen=True)
class Config:
    """A loaded `afs.toml` (or the empty config when there is none)."""

    path: Path | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def raw(self, name: str) -> Any:
        """The untyped value of a top-level table, or None."""
        return self.data.get(name)

    def section(self, name: str, schema: type[M]) -> M:
        """Validate the top-level table `name` with `schema` (missing table = defaults)."""
        return validate(self.data.get(name, {}), schema, path=self.path, prefix=name)


def _where(path: Path | None) -> str:
    return str(path) if path is not None else "<built-in defaults>"


def validate(data: Any, schema: type[M], *, path: Path | None, prefix: str = "") -> M:
    """Validate `data` with `schema`; errors name the file, the dotted key and the expectation."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        key = ".".join(str(part) for part in (prefix, *error["loc"]) if part != "")
        expected = _expected(error)
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        message = f"key '{key or '<root>'}': {expected}{suffix}"
        raise InputError(message, path=_where(path)) from None


def _expected(error: dict[str, Any]) -> str:
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling)"
    if kind == "missing":
        return "required key is missing"
    message = error["msg"]
    if isinstance(given, str | int | float | bool):
        return f"{message}; got {given!r}"
    return message


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_config(path: str | Path | None = None) -> Config:
    """Load the config file at `path`, or the first one found by the search order.

    With no file anywhere, the empty config is returned (every section takes its defaults).
    """
    file = Path(path).expanduser() if path is not None else find_config_file()
    if file is None:
        return Config()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("config file not found", path=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read config file: {exc}", path=file) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_POSITION.search(str(exc))
        message = _TOML_POSITION.sub("", str(exc)).strip()
        raise InputError(
            f"invalid TOML: {message}",
            path=file,
            line=int(match.group(1)) if match else None,
            column=int(match.group(2)) if match else None,
        ) from None
    return Config(path=file, data=data)
