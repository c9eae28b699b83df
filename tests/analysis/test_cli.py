"""`afs asm lint|equiv|optimize|explain`: exit codes, --json, files."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from afs.cli.main import app

runner = CliRunner()


def _write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_equiv_json_and_exit_codes(tmp_path) -> None:
    a = _write(tmp_path, "a.asm", "lda #$00\nsta $10\n")
    b = _write(tmp_path, "b.asm", "stz $10\n")
    ok = runner.invoke(app, ["asm", "equiv", a, b, "--live-out", "mem", "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["equivalent"] is True and data["counterexample"] is None
    assert data["metrics"]["candidate"]["bytes"] == 2
    bad = runner.invoke(app, ["asm", "equiv", a, b, "--live-out", "a,mem", "--pre", "m=1",
                              "--trials", "8", "--json"])
    assert bad.exit_code == 1
    data = json.loads(bad.stdout)
    assert data["equivalent"] is False and data["counterexample"]["first_difference"]
    text = runner.invoke(app, ["asm", "equiv", a, b, "--live-out", "a,mem"])
    assert text.exit_code == 1 and "NOT equivalent" in text.stdout


def test_lint_reports_and_fails(tmp_path) -> None:
    f = _write(tmp_path, "bug.asm", "lda $10\nadc #$05\nsta $10\nrts\n")
    r = runner.invoke(app, ["asm", "lint", f])
    assert r.exit_code == 1 and f"{f}:2:" in r.stdout and "F001" in r.stdout
    r = runner.invoke(app, ["asm", "lint", f, "--json"])
    assert json.loads(r.stdout)["findings"][0]["rule"] == "F001"
    clean = _write(tmp_path, "ok.asm", "lda $10\nclc\nadc #$05\nsta $10\nrts\n")
    assert runner.invoke(app, ["asm", "lint", clean]).exit_code == 0


def test_optimize_writes_output(tmp_path) -> None:
    f = _write(tmp_path, "in.asm", "sep #$20\nlda #$00\nsta $10\nlda #$00\nsta $11\n")
    out = tmp_path / "out.asm"
    r = runner.invoke(app, ["asm", "optimize", f, "-o", str(out), "--live-out", "mem"])
    assert r.exit_code == 0, r.output
    assert out.read_text() == "sep #$20\nstz $10\nstz $11\n"
    r = runner.invoke(app, ["asm", "optimize", f, "--live-out", "mem", "--json"])
    data = json.loads(r.stdout)
    assert data["bytes_before"] - data["bytes_after"] == 4
    assert data["verification"]["equivalent"] is True


def test_explain_and_bad_input(tmp_path) -> None:
    f = _write(tmp_path, "x.asm", "rep #$20\nlda $10\nrts\n")
    r = runner.invoke(app, ["asm", "explain", f, "--json"])
    assert r.exit_code == 0 and "16-bit A" in json.loads(r.stdout)["explanation"]
    missing = runner.invoke(app, ["asm", "lint", str(tmp_path / "nope.asm")])
    assert missing.exit_code != 0
