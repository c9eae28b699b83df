"""KnowledgeGraph core: building, querying, subgraphs, constraints, persistence, merge."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from afs.errors import InputError
from afs.knowledge.graph_core import (
    GraphConstraint,
    GraphEdge,
    GraphError,
    GraphNode,
    KnowledgeGraph,
)


def _graph() -> KnowledgeGraph:
    g = KnowledgeGraph("test")
    g.add_node(GraphNode("a", "var", "health_max", {"size": 1, "description": "maximum health"}))
    g.add_node(GraphNode("b", "var", "health_now", {"size": 1, "description": "current health"}))
    g.add_node(GraphNode("c", "reg", "INIDISP", {"size": 1, "tags": ["ppu", "display"]}))
    g.add_node(GraphNode("d", "var", "brightness", {"size": 1, "description": "copy of c"}))
    g.add_node(GraphNode("e", "var", "far_away", {"size": 2}))
    g.add_edge(GraphEdge("a", "b", "max_of", {"note": "cap"}))
    g.add_edge(GraphEdge("d", "c", "shadows"))
    g.add_edge(GraphEdge("b", "d", "related"))
    return g


def test_nodes_edges_and_find() -> None:
    g = _graph()
    assert len(g) == 5 and "a" in g and "zz" not in g
    assert [n.id for n in g.find_nodes("var", name_pattern="^health")] == ["a", "b"]
    assert [n.id for n in g.find_nodes(property_filter={"size": 2})] == ["e"]
    assert [n.id for n in g.find_nodes(property_filter={"tags": lambda t: t and "ppu" in t})] \
        == ["c"]
    assert g.find_nodes("reg", name_pattern="health") == []
    assert [e.target for e in g.edges("max_of")] == ["b"]
    assert [e.edge_type for e in g.edges(source="b")] == ["related"]


def test_neighbors_directions_and_types() -> None:
    g = _graph()
    assert {n.id for n in g.get_neighbors("b")} == {"a", "d"}
    assert [n.id for n in g.get_neighbors("b", direction="out")] == ["d"]
    assert [n.id for n in g.get_neighbors("b", "max_of", direction="in")] == ["a"]
    assert g.get_neighbors("e") == []
    with pytest.raises(GraphError):
        g.get_neighbors("missing")


def test_extract_subgraph_is_a_real_subgraph() -> None:
    g = _graph()
    sub = g.extract_subgraph(["a"], max_depth=1)
    assert {n.id for n in sub.nodes()} == {"a", "b"}
    assert [(e.source, e.target) for e in sub.edges()] == [("a", "b")]
    deep = g.extract_subgraph(["a"], max_depth=3)
    assert {n.id for n in deep.nodes()} == {"a", "b", "c", "d"}
    assert len(deep.edges()) == 3
    typed = g.extract_subgraph(["a"], max_depth=3, edge_types=["max_of"])
    assert {n.id for n in typed.nodes()} == {"a", "b"}
    # The subgraph is a copy: changing it leaves the original alone.
    sub.node("a").properties["size"] = 99
    assert g.node("a").properties["size"] == 1


def test_add_edge_to_unknown_node_fails() -> None:
    g = _graph()
    with pytest.raises(GraphError, match="unknown node"):
        g.add_edge(GraphEdge("a", "nope", "max_of"))


def test_constraints_report_violations_with_severity() -> None:
    g = _graph()
    g.add_constraint(GraphConstraint.required_property("var", "description", severity="warning"))
    g.add_constraint(GraphConstraint.edge_endpoints("shadows", ["var"], ["reg"]))
    g.add_constraint(GraphConstraint.unique_property("var", "size", severity="info"))
    g.add_constraint(GraphConstraint.custom(
        "no self loops", lambda graph: [], description="never fires"))
    found = g.validate_constraints()
    assert [(v.severity, v.node_id) for v in found if v.severity == "warning"] == [
        ("warning", "e")]
    assert {v.node_id for v in found if v.severity == "info"} == {"b", "d"}
    assert not any(v.severity == "error" for v in found)
    g.add_edge(GraphEdge("c", "d", "shadows"))
    errors = [v for v in g.validate_constraints() if v.severity == "error"]
    assert [v.edge for v in errors] == [("c", "d", "shadows")]
    assert found[0].severity != "info"  # sorted errors, then warnings, then info
    with pytest.raises(GraphError):
        GraphConstraint("x", "bogus_kind")


def test_save_load_round_trip_is_exact(tmp_path) -> None:
    g = _graph()
    g.add_constraint(GraphConstraint.required_property("var", "size"))
    path = g.save(tmp_path / "g.json")
    loaded = KnowledgeGraph.load(path)
    assert loaded.to_dict() == g.to_dict()
    assert json.loads(path.read_text()) == g.to_dict()
    assert loaded.validate_constraints() == g.validate_constraints()


def test_load_reports_bad_files(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1,\n "name": ')
    with pytest.raises(InputError, match=r"bad.json:2"):
        KnowledgeGraph.load(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"format": 1, "name": "x", "nodes": [{"id": "a"}], "edges": []}')
    with pytest.raises(InputError, match="not a knowledge graph"):
        KnowledgeGraph.load(wrong)
    with pytest.raises(InputError, match="no such"):
        KnowledgeGraph.load(tmp_path / "absent.json")


def test_graphml_export_reads_back(tmp_path) -> None:
    g = _graph()
    path = g.export_graphml(tmp_path / "g.graphml")
    back = nx.read_graphml(path)
    assert set(back.nodes) == {"a", "b", "c", "d", "e"}
    assert back.nodes["c"]["name"] == "INIDISP"
    assert json.loads(back.nodes["c"]["tags"]) == ["ppu", "display"]
    assert back.number_of_edges() == 3


def test_merge_adds_and_updates() -> None:
    g = _graph()
    other = KnowledgeGraph("other")
    other.add_node(GraphNode("a", "var", "health_max", {"size": 1, "cap": 160}))
    other.add_node(GraphNode("z", "var", "new_one"))
    other.add_edge(GraphEdge("z", "a", "related"))
    other.add_edge(GraphEdge("a", "z", "related"))
    counts = g.merge(other)
    assert counts == {"nodes_added": 1, "nodes_updated": 1, "edges_added": 2}
    assert g.node("a").properties == {"size": 1, "description": "maximum health", "cap": 160}
    assert g.merge(other) == {"nodes_added": 0, "nodes_updated": 0, "edges_added": 0}


def test_stats_and_search() -> None:
    g = _graph()
    stats = g.stats()
    assert stats["nodes"] == 5 and stats["edges"] == 3
    assert stats["node_types"] == {"reg": 1, "var": 4}
    assert stats["isolated_nodes"] == 1
    assert stats["weak_components"] == 2
    hits = g.search("current health")
    assert hits[0][0].id == "b"
    g.add_node(GraphNode("f", "var", "current_current_health", {}))
    assert g.search("current health")[0][0].id == "f"  # index rebuilt after a change
