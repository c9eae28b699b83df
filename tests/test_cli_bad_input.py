"""Bad input to every CLI command: one line naming the thing, exit 2, no traceback, nothing written.

The cases are generated from the Typer app itself, so a new command or option is swept as soon
as it exists: every path parameter gets a path under a regular file (and, when it must exist,
a missing path; when it is written, an unwritable place), and every number option gets a word.
"""

from __future__ import annotations

import os
import stat
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

from afs.cli.main import app, run

# Parameters typed `str` that still name a file (`-` means stdin for these).
STR_PATHS = {"file", "original", "candidate", "output", "listing", "symbols"}
# Paths that are written, or created when missing (a log database, a state directory).
WRITTEN = {"output", "listing", "symbols", "db", "log_dir"}
# Values for required non-path parameters, so that only the parameter under test is wrong.
FILLERS = {"model": "classical", "alias": "classical", "score": "1", "base": "base-model",
           "record_id": "no-such-record", "prompt": "LDA #$00", "query": "$7EF36D",
           "text": "sprite", "checkpoint": None}


@dataclass(frozen=True)
class Param:
    name: str
    flag: str | None  # None for an argument
    kind: str  # "path" | "int" | "float"
    required: bool


def _commands() -> list[tuple[tuple[str, ...], list[Param]]]:
    root = typer.main.get_command(app)
    found = []

    def walk(command, path: tuple[str, ...]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, (*path, name))
            return
        hints = typing.get_type_hints(command.callback)
        params = []
        for param in command.params:
            hint = str(hints.get(param.name))
            if "Path" in hint or (hint.endswith("str'>") and param.name in STR_PATHS):
                kind = "path"
            elif "float" in hint:
                kind = "float"
            elif "int" in hint and "bool" not in hint:
                kind = "int"
            else:
                kind = "other"
            flag = None if param.param_type_name == "argument" else param.opts[0]
            params.append(Param(param.name, flag, kind, bool(param.required)))
        found.append((path, params))

    walk(root, ())
    return found


COMMANDS = _commands()


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
        return locked / "out"
    # root may write anywhere chmod can forbid; /sys refuses new entries even to root.
    probe = Path("/sys/afs-no-such-dir")
    try:
        probe.mkdir()
    except OSError:
        return probe / "out"
    probe.rmdir()
    pytest.skip("no place this user cannot write to")


# Flags a command needs before it looks at anything else.
EXTRA = {("feedback", "retrain"): ["--check"]}


def _argv(command: tuple[str, ...], params: list[Param], target: Param, value: str,
          workspace: Path) -> list[str]:
    argv = [*command, *EXTRA.get(command, [])]
    for param in params:
        if param is target:
            given = value
        elif not param.required:
            continue
        elif param.kind == "path":
            # Another required path: a fresh place to write, or an existing empty file.
            given = str(workspace / f"fresh-{param.name}") if param.name in WRITTEN \
                else str(_existing(workspace, param.name))
        elif param.kind in ("int", "float"):
            given = "1"
        else:
            given = FILLERS.get(param.name) or "x"
        argv += [given] if param.flag is None else [param.flag, given]
    return argv


def _existing(workspace: Path, name: str) -> Path:
    path = workspace / f"given-{name}.jsonl"
    path.write_text('{"prompt": "p", "response": "r"}\n')
    return path


def _cases() -> list[tuple[tuple[str, ...], str, str]]:
    cases = []
    for command, params in COMMANDS:
        for param in params:
            if param.kind == "path":
                cases.append((command, param.name, "under-a-file"))
                if param.name in WRITTEN:
                    cases.append((command, param.name, "unwritable"))
                elif param.required or param.flag is not None:
                    cases.append((command, param.name, "missing"))
            elif param.kind in ("int", "float"):
                cases.append((command, param.name, "not-a-number"))
    return cases


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("command", "name", "case"), _cases(),
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else v)
def test_bad_input_is_one_line_and_exit_2(command, name, case, tmp_path, capsys):
    params = dict(COMMANDS)[command]
    [target] = [p for p in params if p.name == name]
    workspace = tmp_path / "work"
    workspace.mkdir()
    plain = workspace / "a-file.txt"
    plain.write_text("not a directory\n")
    if case == "under-a-file":
        value, named = str(plain / "x"), str(plain)
    elif case == "missing":
        value = named = str(workspace / "no-such-thing")
    elif case == "unwritable":
        bad = _unwritable(tmp_path)
        value, named = str(bad), str(bad.parent)
    else:
        value, named = "many", target.flag or name
    argv = _argv(command, params, target, value, workspace)
    before = _snapshot(workspace)

    code = run(argv)

    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, f"afs {' '.join(argv)} exited {code}: {out[-300:]}{err[-600:]}"
    assert "Traceback" not in out + err
    assert len(lines) == 1, f"afs {' '.join(argv)} printed {len(lines)} lines:\n{err}"
    # The line names the bad path, unless another input this test filled in with a stand-in
    # (an empty file, the empty default state under $AFS_HOME) was refused first.
    stand_ins = [str(workspace / "given-"), str(workspace / "fresh-"), os.environ["AFS_HOME"]]
    assert any(text in lines[0] for text in (named, Path(named).name, *stand_ins)), \
        f"afs {' '.join(argv)}: the error does not name {named}: {lines[0]}"
    assert _snapshot(workspace) == before, f"afs {' '.join(argv)} wrote something"


def test_the_sweep_covers_every_command():
    swept = {command for command, _, _ in _cases()}
    with_paths = {command for command, params in COMMANDS
                  if any(p.kind in ("path", "int", "float") for p in params)}
    assert swept == with_paths
    assert ("kg", "validate") in swept and ("asm", "build") in swept
    assert len(COMMANDS) >= 40


@pytest.mark.parametrize("argv", [["asm", "build", "{dir}"], ["kg", "validate", "{dir}"],
                                  ["asm", "lint", "{dir}"], ["logs", "import", "{dir}"]])
def test_a_directory_where_a_file_belongs(argv, tmp_path, capsys):
    argv = [a.format(dir=tmp_path) for a in argv]
    assert run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(tmp_path) in err
    assert "is a directory, expected a file" in err


@pytest.mark.parametrize("where", ["dir", "under-file", "unwritable"])
def test_kg_export_to_a_bad_place_writes_nothing(where, tmp_path, capsys):
    target = {"dir": tmp_path, "under-file": tmp_path / "f.json" / "g.json",
              "unwritable": None}[where]
    if where == "under-file":
        (tmp_path / "f.json").write_text("{}")
    if target is None:
        target = _unwritable(tmp_path)
    before = _snapshot(tmp_path)
    assert run(["kg", "export", "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "error:" in err
    assert _snapshot(tmp_path) == before


def test_kg_lookup_of_something_that_is_not_an_address(capsys):
    assert run(["kg", "lookup", "$FFFFFFF"]) == 2
    assert "not an address" in capsys.readouterr().err
    assert run(["kg", "lookup", "no_such_symbol_anywhere"]) == 1  # a name, just not known


def test_corpus_stats_defaults_to_the_built_corpus(tmp_path, capsys):
    assert run(["corpus", "stats"]) == 2
    assert "afs corpus build" in capsys.readouterr().err
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.asm").write_text("LDA #$00\nSTA $10\nRTS\n")
    assert run(["corpus", "build", "--source", str(source)]) == 0
    capsys.readouterr()
    assert run(["corpus", "stats", "--json"]) == 0
    assert '"documents": 1' in capsys.readouterr().out
