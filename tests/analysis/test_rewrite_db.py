"""The rewrite database: shapes, lookups that re-prove for the window at hand, the shipped
entries re-proven (a sample in every CI run), and the build command."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from afs.asm import rewrite_db as db
from afs.asm import superopt as so
from afs.asm.isa import Mode
from afs.cli.main import app

DP0 = so.Entry(m8=True, x8=True, dp=0, dbr=0x7E)


def op(mnemonic: str, mode: Mode, operand: int | None = None) -> so.Op:
    return so.Op(so._INFO[mnemonic, mode], operand)


def _zero_store(address: int) -> list[so.Op]:
    return [op("LDA", Mode.IMMEDIATE_M, 0), op("STA", Mode.DIRECT, address)]


def test_shape_abstracts_addresses_but_keeps_constants():
    assert db.shape(_zero_store(0x10))[0] == db.shape(_zero_store(0x44))[0]
    other = [op("LDA", Mode.IMMEDIATE_M, 1), op("STA", Mode.DIRECT, 0x10)]
    assert db.shape(other)[0] != db.shape(_zero_store(0x10))[0]


def test_a_built_entry_applies_to_another_address_and_is_proven_there():
    database = db.build([(_zero_store(0x10), DP0)], budget_per_window=2.0)
    assert len(database) >= 1
    found = database.lookup(_zero_store(0x44), DP0, db.SCENARIOS["memory"])
    assert found is not None and found.lines(DP0) == ["STZ.b $44"]
    assert found.proof == "exhaustive"


def test_a_lookup_never_applies_an_entry_that_does_not_hold_here():
    database = db.build([(_zero_store(0x10), DP0)], budget_per_window=2.0)
    # With A live after the window, STZ would leave A different: the re-proof refuses it.
    assert database.lookup(_zero_store(0x44), DP0, so.Outputs()) is None


def test_a_sample_of_the_shipped_database_re_proves():
    shipped = db.RewriteDatabase.load()
    assert len(shipped) > 0
    assert db.recheck(shipped, sample=25, seed=3) == []


def test_recheck_finds_a_corrupted_entry(tmp_path):
    database = db.build([(_zero_store(0x10), DP0)], budget_per_window=2.0)
    stored = database.entries()[0]
    stored.replacement = [part.replace("64:", "85:") for part in stored.replacement]  # STZ->STA
    path = database.save(tmp_path / "rewrites.json")
    assert db.recheck(db.RewriteDatabase.load(path)) == [stored]


def test_build_and_check_commands(tmp_path):
    out = tmp_path / "rewrites.json"
    runner = CliRunner()
    built = runner.invoke(app, ["asm", "rewrite-db", "build", "-o", str(out), "--random", "4",
                                "--no-din-items", "--budget", "0.2", "--json"])
    assert built.exit_code == 0, built.output
    assert json.loads(built.stdout)["windows"] >= 4
    checked = runner.invoke(app, ["asm", "rewrite-db", "check", "--database", str(out)])
    assert checked.exit_code == 0, checked.output
