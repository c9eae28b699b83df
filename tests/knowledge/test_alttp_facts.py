"""The ALTTP graph holds every row of the RAM map and register table, findable every way."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from importlib import resources

import pytest

from afs.knowledge.adapters import ALTTPKnowledgeGraph
from afs.knowledge.adapters import alttp_vocab as vocab
from afs.knowledge.addresses import notations
from afs.knowledge.graph_core import KnowledgeGraph
from tests.conftest import PROJECT_ROOT

DATA = json.loads(resources.files("afs.knowledge").joinpath("data", "alttp_facts.json")
                  .read_text("utf-8"))


@pytest.fixture(scope="module")
def graph() -> ALTTPKnowledgeGraph:
    return ALTTPKnowledgeGraph()


def test_package_data_has_every_row_with_its_source() -> None:
    assert len(DATA["ram"]) == 300 and len(DATA["registers"]) == 208
    assert all(row["source"] for row in DATA["ram"] + DATA["registers"])


def test_package_data_matches_the_shared_tables(shared_dir) -> None:
    for key, name in (("ram", "alttp_ram.tsv"), ("registers", "snes_registers.tsv")):
        with (shared_dir / "data" / "alttp" / name).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
        assert len(rows) == len(DATA[key])
        for tsv, ours in zip(rows, DATA[key], strict=True):
            assert {k: str(ours[k]) for k in tsv} == tsv
    check = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "import_alttp_data.py"),
                            "--check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("row", DATA["ram"], ids=lambda r: r["name"])
def test_every_ram_row_by_each_notation_and_name(graph: ALTTPKnowledgeGraph, row) -> None:
    address = int(row["address"], 16)
    for form in notations(address):
        (match,) = graph.lookup(form)
        assert match.node.name == row["name"], form
        assert match.offset == 0
    node = graph.find_by_name(row["name"])
    assert node is not None and node.properties["address"] == address
    assert node.properties["size_bytes"] == int(row["size_bytes"])
    assert node.properties["category"] == row["category"]
    assert node.properties["source"] == row["source"]
    last = address + int(row["size_bytes"]) - 1
    assert graph.resolve(last).node is node  # the whole extent answers, not just the base


@pytest.mark.parametrize("row", DATA["registers"], ids=lambda r: r["name"])
def test_every_register_by_each_notation_and_name(graph: ALTTPKnowledgeGraph, row) -> None:
    address = int(row["address"], 16)
    for form in notations(address):
        (match,) = graph.lookup(form)
        assert match.node.name == row["name"], form
    node = graph.find_by_name(row["name"])
    assert node is not None and node.properties["address"] == address
    assert node.properties["size"] == row["size"]
    assert node.properties["access"] == row["access"]
    assert node.properties["category"] == row["group"]
    assert node.node_type == "register"


def test_table_slots_answer_for_every_slot(graph: ALTTPKnowledgeGraph) -> None:
    tables = [n for n in graph.nodes("memory") if n.properties["layout"]["kind"] == "table"]
    assert len(tables) >= 70
    for node in tables:
        layout = node.properties["layout"]
        for slot in range(layout["slots"]):
            address = node.properties["address"] + slot * layout["slot_size"]
            match = graph.resolve(address)
            assert (match.node, match.slot) == (node, slot)
    match = graph.resolve("$0E53")
    assert (match.node.name, match.slot) == ("sprite_hp", 3)
    assert graph.resolve("$7E0D3F").slot == 15
    assert graph.resolve("$7E0D3F").node.name == "sprite_x_hi"
    assert (graph.resolve("$7E0C0D").node.name, graph.resolve("$7E0C0D").slot) == (
        "ancilla_x_lo", 9)


def test_apu_port_mirrors_and_unknowns(graph: ALTTPKnowledgeGraph) -> None:
    match = graph.resolve(0x2145)
    assert match.node.name == "APUIO1" and match.mirror_of == 0x2141
    unknown = graph.resolve("$7EF358")
    assert unknown.node is None and unknown.region.name == "wram_save_block"
    assert graph.lookup("no_such_thing") == []


def test_spec_example_health(graph: ALTTPKnowledgeGraph) -> None:
    text = graph.get_context_for_prompt("update link health at $7EF36C")
    lines = text.splitlines()
    max_line = next(i for i, line in enumerate(lines) if line.startswith("- $7EF36C "))
    assert "MAXIMUM health" in lines[max_line + 1]
    assert "you wrote $7EF36C" in text
    cur_line = next(i for i, line in enumerate(lines) if line.startswith("- $7EF36D "))
    assert "CURRENT health" in lines[cur_line + 1]
    assert "is the maximum of $7EF36D link_health_current" in text
    names = [e.node.name for e in graph.retrieve("update link health at $7EF36C").entities]
    assert names[:2] == ["link_health_max", "link_health_current"]


def test_reasoning_edges(graph: ALTTPKnowledgeGraph) -> None:
    def linked(source: str, edge_type: str, target: str) -> bool:
        s, t = graph.find_by_name(source), graph.find_by_name(target)
        return any(e.target == t.id for e in graph.edges(edge_type, source=s.id))

    assert linked("link_health_max", "max_of", "link_health_current")
    assert linked("health_refill_pending", "refills", "link_health_current")
    assert linked("magic_refill_pending", "refills", "magic_power")
    assert linked("rupees_displayed", "display_of", "rupees_target")
    assert linked("inidisp_shadow", "shadows", "INIDISP")
    assert linked("hdmaen_shadow", "shadows", "HDMAEN")
    assert linked("sprite_x_hi", "high_byte_of", "sprite_x_lo")
    assert linked("overlord_y_hi", "high_byte_of", "overlord_y_lo")
    assert linked("VMADDH", "high_byte_of", "VMADDL")
    assert linked("MPYH", "high_byte_of", "MPYM")
    assert linked("sram_file1_backup", "backup_of", "sram_file1")
    assert linked("music_queue", "writes_register", "APUIO0")
    block = graph.node("region:wram_save_block")
    assert any(e.target == block.id for e in graph.edges("copy_of", source="ram:700000"))
    assert any(e.source == "ram:7EF36D" for e in graph.edges("part_of", target=block.id))
    assert linked("a_button_action", "looks_like", "link_health_max")


def test_constraints_hold_and_catch_overlaps(graph: ALTTPKnowledgeGraph) -> None:
    assert graph.validate_constraints() == []
    broken = ALTTPKnowledgeGraph()
    node = broken.find_by_name("link_health_max")
    node.properties["size_bytes"] = 2
    found = broken.validate_constraints()
    assert [v.node_id for v in found] == ["ram:7EF36C"]


def test_vocabulary_names_exist(graph: ALTTPKnowledgeGraph) -> None:
    names = [n for _, targets in vocab.CONCEPTS for n, _ in targets]
    names += [n for s, _, t in vocab.RELATIONS for n in (s, t)]
    names += list(vocab.ROLES) + list(vocab.VALUE_LIMITS)
    missing = sorted({n for n in names if graph.find_by_name(n) is None})
    assert missing == []
    assert set(vocab.CONTEXT_EDGES) <= set(vocab.EDGE_PHRASES)


def test_save_load_keeps_the_graph(graph: ALTTPKnowledgeGraph, tmp_path) -> None:
    path = graph.save(tmp_path / "alttp.json")
    loaded = ALTTPKnowledgeGraph.load(path)
    assert isinstance(loaded, ALTTPKnowledgeGraph)
    assert loaded.to_dict() == json.loads(path.read_text())
    assert loaded.resolve("$0E53").node.name == "sprite_hp"
    plain = KnowledgeGraph.load(path)
    assert plain.stats()["nodes"] == graph.stats()["nodes"]
