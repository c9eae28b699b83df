"""`afs kg ...` end to end through the Typer app."""

from __future__ import annotations

import json

import networkx as nx
from typer.testing import CliRunner

from afs.cli.main import app
from afs.knowledge.graph_core import KnowledgeGraph

runner = CliRunner()


def test_lookup_by_address_and_name() -> None:
    result = runner.invoke(app, ["kg", "lookup", "$0E53", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["name"], data["slot"], data["address"]) == ("sprite_hp", 3, "$7E0E53")
    text = runner.invoke(app, ["kg", "lookup", "INIDISP"])
    assert text.exit_code == 0 and "$2100 INIDISP" in text.stdout
    assert "inidisp_shadow" in text.stdout


def test_lookup_unknown_is_a_failure() -> None:
    result = runner.invoke(app, ["kg", "lookup", "$7EF358"])
    assert result.exit_code == 1
    assert "not in the map (inside wram_save_block)" in result.output


def test_context() -> None:
    result = runner.invoke(app, ["kg", "context", "update link health at $7EF36C"])
    assert result.exit_code == 0
    assert "MAXIMUM health" in result.stdout and "$7EF36D link_health_current" in result.stdout
    data = json.loads(runner.invoke(app, ["kg", "context", "refill hearts", "--json",
                                          "--max", "3"]).stdout)
    assert len(data["entities"]) <= 3 and data["entities"][0]["name"] == "health_refill_pending"


def test_validate_exit_codes(tmp_path) -> None:
    bad = tmp_path / "bad.asm"
    bad.write_text("REP #$20\nSTA $7EF36D\n")
    result = runner.invoke(app, ["kg", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2:1:" in result.stdout and "width_clobber" in result.stdout
    good = tmp_path / "good.asm"
    good.write_text("SEP #$20\nLDA #$18\nSTA $7EF36D\n")
    assert runner.invoke(app, ["kg", "validate", str(good)]).exit_code == 0
    data = json.loads(runner.invoke(app, ["kg", "validate", str(bad), "--json"]).stdout)
    assert data["findings"][0]["kind"] == "width_clobber"
    assert runner.invoke(app, ["kg", "validate", str(tmp_path / "none.asm")]).exit_code == 2


def test_export_json_and_graphml(tmp_path, _isolated_afs_state) -> None:
    result = runner.invoke(app, ["kg", "export", "--format", "json", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["path"] == str(_isolated_afs_state / "knowledge" / "alttp.json")
    assert KnowledgeGraph.load(data["path"]).stats()["nodes"] == data["nodes"]
    out = tmp_path / "g.graphml"
    assert runner.invoke(app, ["kg", "export", "--format", "graphml", "-o", str(out)]
                         ).exit_code == 0
    assert nx.read_graphml(out).number_of_nodes() == data["nodes"]
    assert runner.invoke(app, ["kg", "export", "--format", "csv"]).exit_code == 2
