"""A small, domain-agnostic knowledge graph on networkx: typed nodes and edges, constraints,
JSON persistence that round-trips exactly, GraphML export, merge and lexical search.

Adapters (`afs.knowledge.adapters`) subclass `KnowledgeGraph` and add their domain's loading,
retrieval and output validation.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import networkx as nx

from afs.errors import AfsError, InputError
from afs.knowledge.retrieval import BM25Index, tokenize

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
FORMAT_VERSION = 1


class GraphError(AfsError):
    """A graph operation that cannot be done (unknown node, bad edge, unknown constraint)."""


@dataclass
class GraphNode:
    """A typed node. `properties` holds JSON-compatible values only (so save/load is exact)."""

    id: str
    node_type: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.properties.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "node_type": self.node_type, "name": self.name,
                "properties": self.properties}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GraphNode:
        return cls(str(data["id"]), str(data["node_type"]), str(data["name"]),
                   dict(data.get("properties") or {}))


@dataclass
class GraphEdge:
    """A typed, directed edge; at most one edge of a given type between two nodes."""

    source: str
    target: str
    edge_type: str
    properties: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "edge_type": self.edge_type,
                "properties": self.properties}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GraphEdge:
        return cls(str(data["source"]), str(data["target"]), str(data["edge_type"]),
                   dict(data.get("properties") or {}))


@dataclass(frozen=True)
class ConstraintViolation:
    """One broken constraint, located at a node or an edge."""

    constraint: str
    severity: Severity
    message: str
    node_id: str | None = None
    edge: tuple[str, str, str] | None = None


CheckFn = Callable[["KnowledgeGraph"], Iterable[ConstraintViolation]]


@dataclass(frozen=True)
class GraphConstraint:
    """A rule the graph must satisfy.

    Declarative kinds (`required_property`, `edge_endpoints`, `unique_property`) are data and
    are saved with the graph; `custom` constraints carry a Python check and are not saved.
    """

    name: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity = "error"
    description: str = ""
    check: CheckFn | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise GraphError(f"constraint {self.name}: severity must be one of {SEVERITIES}")
        if self.kind not in _CHECKS and self.kind != "custom":
            raise GraphError(f"constraint {self.name}: unknown kind {self.kind!r}")
        if self.kind == "custom" and self.check is None:
            raise GraphError(f"constraint {self.name}: a custom constraint needs a check")

    @classmethod
    def required_property(cls, node_type: str, prop: str, *, severity: Severity = "error",
                          name: str | None = None) -> GraphConstraint:
        """Every node of `node_type` has a non-null `prop`."""
        return cls(name or f"{node_type}.{prop} required", "required_property",
                   {"node_type": node_type, "property": prop}, severity)

    @classmethod
    def edge_endpoints(cls, edge_type: str, source_types: Iterable[str],
                       target_types: Iterable[str], *, severity: Severity = "error",
                       name: str | None = None) -> GraphConstraint:
        """Edges of `edge_type` run from one of `source_types` to one of `target_types`."""
        return cls(name or f"{edge_type} endpoints", "edge_endpoints",
                   {"edge_type": edge_type, "source_types": sorted(source_types),
                    "target_types": sorted(target_types)}, severity)

    @classmethod
    def unique_property(cls, node_type: str, prop: str, *, severity: Severity = "error",
                        name: str | None = None) -> GraphConstraint:
        """No two nodes of `node_type` share a value of `prop`."""
        return cls(name or f"{node_type}.{prop} unique", "unique_property",
                   {"node_type": node_type, "property": prop}, severity)

    @classmethod
    def custom(cls, name: str, check: CheckFn, *, severity: Severity = "error",
               description: str = "") -> GraphConstraint:
        return cls(name, "custom", {}, severity, description, check)

    def evaluate(self, graph: KnowledgeGraph) -> list[ConstraintViolation]:
        if self.kind == "custom":
            assert self.check is not None
            return list(self.check(graph))
        return list(_CHECKS[self.kind](self, graph))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "params": dict(self.params),
                "severity": self.severity, "description": self.description}


def _check_required(c: GraphConstraint, graph: KnowledgeGraph) -> Iterable[ConstraintViolation]:
    prop = c.params["property"]
    for node in graph.nodes(c.params["node_type"]):
        if node.properties.get(prop) is None:
            yield ConstraintViolation(c.name, c.severity, f"{node.id} has no {prop}", node.id)


def _check_endpoints(c: GraphConstraint, graph: KnowledgeGraph) -> Iterable[ConstraintViolation]:
    sources, targets = set(c.params["source_types"]), set(c.params["target_types"])
    for edge in graph.edges(c.params["edge_type"]):
        s_type = graph.node(edge.source).node_type
        t_type = graph.node(edge.target).node_type
        if s_type not in sources or t_type not in targets:
            yield ConstraintViolation(
                c.name, c.severity,
                f"{edge.edge_type} {edge.source} ({s_type}) -> {edge.target} ({t_type})",
                edge=(edge.source, edge.target, edge.edge_type))


def _check_unique(c: GraphConstraint, graph: KnowledgeGraph) -> Iterable[ConstraintViolation]:
    prop, seen = c.params["property"], {}
    for node in graph.nodes(c.params["node_type"]):
        value = node.properties.get(prop)
        if value is None:
            continue
        key = json.dumps(value, sort_keys=True)
        if key in seen:
            yield ConstraintViolation(c.name, c.severity,
                                      f"{node.id} repeats {prop}={value!r} of {seen[key]}",
                                      node.id)
        else:
            seen[key] = node.id


_CHECKS = {"required_property": _check_required, "edge_endpoints": _check_endpoints,
           "unique_property": _check_unique}


class KnowledgeGraph:
    """Typed nodes and edges over a `networkx.MultiDiGraph` (edge key = edge type)."""

    def __init__(self, name: str = "knowledge") -> None:
        self.name = name
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        self.constraints: list[GraphConstraint] = []
        # Bumped when nodes change, so indexes over nodes (search, address maps) know when
        # to rebuild; edges do not touch it, so deriving edges never forces a rebuild.
        self._node_version = 0
        self._search_cache: tuple[int, BM25Index, list[str]] | None = None

    # -- building -------------------------------------------------------------------------
    def add_node(self, node: GraphNode) -> GraphNode:
        """Add `node`, or replace the node with the same id (its edges are kept)."""
        self.graph.add_node(node.id, node=node)
        self._node_version += 1
        return node

    def add_edge(self, edge: GraphEdge) -> GraphEdge:
        """Add `edge` (replacing one of the same type between the same nodes)."""
        for end in (edge.source, edge.target):
            if end not in self.graph:
                raise GraphError(f"edge {edge.edge_type}: unknown node {end!r}")
        self.graph.add_edge(edge.source, edge.target, key=edge.edge_type, edge=edge)
        return edge

    def remove_node(self, node_id: str) -> None:
        if node_id not in self.graph:
            raise GraphError(f"unknown node {node_id!r}")
        self.graph.remove_node(node_id)
        self._node_version += 1

    def add_constraint(self, constraint: GraphConstraint) -> None:
        self.constraints.append(constraint)

    # -- reading --------------------------------------------------------------------------
    def __contains__(self, node_id: object) -> bool:
        return node_id in self.graph

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    def get_node(self, node_id: str) -> GraphNode | None:
        data = self.graph.nodes.get(node_id)
        return data["node"] if data else None

    def node(self, node_id: str) -> GraphNode:
        """The node with `node_id`; raises GraphError if there is none."""
        found = self.get_node(node_id)
        if found is None:
            raise GraphError(f"unknown node {node_id!r}")
        return found

    def nodes(self, node_type: str | None = None) -> list[GraphNode]:
        every = (data["node"] for _, data in self.graph.nodes(data=True))
        return [n for n in every if node_type is None or n.node_type == node_type]

    def edges(self, edge_type: str | None = None, *, source: str | None = None,
              target: str | None = None) -> list[GraphEdge]:
        if source is not None:
            items = self.graph.out_edges(source, keys=True, data=True)
        elif target is not None:
            items = self.graph.in_edges(target, keys=True, data=True)
        else:
            items = self.graph.edges(keys=True, data=True)
        return [d["edge"] for s, t, k, d in items
                if (edge_type is None or k == edge_type)
                and (source is None or s == source) and (target is None or t == target)]

    def find_nodes(self, node_type: str | None = None, name_pattern: str | None = None,
                   property_filter: Mapping[str, Any] | None = None) -> list[GraphNode]:
        """Nodes of `node_type` whose name matches the regex `name_pattern` (case-insensitive
        search) and whose properties equal each filter value (or satisfy it, if callable)."""
        pattern = re.compile(name_pattern, re.IGNORECASE) if name_pattern else None
        found = []
        for node in self.nodes(node_type):
            if pattern is not None and not pattern.search(node.name):
                continue
            if property_filter and not all(
                want(node.properties.get(key)) if callable(want)
                else node.properties.get(key) == want
                for key, want in property_filter.items()
            ):
                continue
            found.append(node)
        return found

    def get_neighbors(self, node_id: str, edge_type: str | Iterable[str] | None = None,
                      direction: Literal["out", "in", "both"] = "both") -> list[GraphNode]:
        """Nodes one edge away (through edges of `edge_type`, if given), without repeats."""
        self.node(node_id)
        types = {edge_type} if isinstance(edge_type, str) else (
            set(edge_type) if edge_type is not None else None)
        seen: dict[str, None] = {}
        if direction in ("out", "both"):
            for _, other, key in self.graph.out_edges(node_id, keys=True):
                if types is None or key in types:
                    seen[other] = None
        if direction in ("in", "both"):
            for other, _, key in self.graph.in_edges(node_id, keys=True):
                if types is None or key in types:
                    seen[other] = None
        seen.pop(node_id, None)
        return [self.node(n) for n in seen]

    def extract_subgraph(self, root_ids: Iterable[str], max_depth: int = 1,
                         edge_types: Iterable[str] | None = None) -> KnowledgeGraph:
        """A new graph of the nodes within `max_depth` edges (either direction) of the roots,
        with every edge of the allowed types between them."""
        types = set(edge_types) if edge_types is not None else None
        depth: dict[str, int] = {}
        queue: deque[str] = deque()
        for root in root_ids:
            self.node(root)
            depth[root] = 0
            queue.append(root)
        while queue:
            current = queue.popleft()
            if depth[current] >= max_depth:
                continue
            for neighbor in self.get_neighbors(current, types):
                if neighbor.id not in depth:
                    depth[neighbor.id] = depth[current] + 1
                    queue.append(neighbor.id)
        sub = KnowledgeGraph(f"{self.name}-subgraph")
        for node_id in depth:
            sub.add_node(_copy_node(self.node(node_id)))
        for _, _, key, data in self.graph.subgraph(depth).edges(keys=True, data=True):
            if types is None or key in types:
                sub.add_edge(_copy_edge(data["edge"]))
        sub.constraints = [c for c in self.constraints if c.kind != "custom"]
        return sub

    # -- checking -------------------------------------------------------------------------
    def validate_constraints(self) -> list[ConstraintViolation]:
        """Every violation of every constraint, errors first."""
        found = [v for c in self.constraints for v in c.evaluate(self)]
        return sorted(found, key=lambda v: SEVERITIES.index(v.severity))

    # -- search ---------------------------------------------------------------------------
    def node_text(self, node: GraphNode) -> str:
        """Text a node is searched by; adapters override to add their own fields."""
        parts = [node.name, node.node_type]
        parts += [str(v) for k, v in node.properties.items()
                  if k in ("description", "text", "value", "category", "aliases")]
        return " ".join(parts)

    def search(self, query: str, limit: int = 10) -> list[tuple[GraphNode, float]]:
        """Nodes ranked by BM25 over `node_text`; offline, no model."""
        if self._search_cache is None or self._search_cache[0] != self._node_version:
            ids = list(self.graph.nodes)
            docs = [tokenize(self.node_text(self.node(i))) for i in ids]
            self._search_cache = (self._node_version, BM25Index(docs), ids)
        _, index, ids = self._search_cache
        scores = index.score(tokenize(query))
        best = sorted(scores.items(), key=lambda item: (-item[1], ids[item[0]]))[:limit]
        return [(self.node(ids[i]), score) for i, score in best]

    # -- combining and reporting ----------------------------------------------------------
    def merge(self, other: KnowledgeGraph, *, overwrite: bool = True) -> dict[str, int]:
        """Add `other`'s nodes, edges and declarative constraints. A node already here keeps
        its type and name and gains `other`'s properties (which win when `overwrite`)."""
        counts = {"nodes_added": 0, "nodes_updated": 0, "edges_added": 0}
        for node in other.nodes():
            mine = self.get_node(node.id)
            if mine is None:
                self.add_node(_copy_node(node))
                counts["nodes_added"] += 1
                continue
            merged = ({**mine.properties, **node.properties} if overwrite
                      else {**node.properties, **mine.properties})
            if merged != mine.properties:
                self.add_node(GraphNode(mine.id, mine.node_type, mine.name, merged))
                counts["nodes_updated"] += 1
        for edge in other.edges():
            if not self.graph.has_edge(edge.source, edge.target, key=edge.edge_type):
                counts["edges_added"] += 1
            self.add_edge(_copy_edge(edge))
        known = {c.to_dict()["name"] for c in self.constraints}
        self.constraints += [c for c in other.constraints
                             if c.kind != "custom" and c.name not in known]
        return counts

    def stats(self) -> dict[str, Any]:
        graph = self.graph
        return {
            "name": self.name,
            "nodes": graph.number_of_nodes(),
            "edges": graph.number_of_edges(),
            "node_types": dict(sorted(Counter(n.node_type for n in self.nodes()).items())),
            "edge_types": dict(sorted(Counter(k for _, _, k in graph.edges(keys=True)).items())),
            "isolated_nodes": sum(1 for _ in nx.isolates(graph)),
            "weak_components": nx.number_weakly_connected_components(graph) if len(self) else 0,
            "constraints": len(self.constraints),
        }

    # -- persistence ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "name": self.name,
            "graph_class": type(self).__name__,
            "nodes": [n.to_dict() for n in self.nodes()],
            "edges": [e.to_dict() for e in self.edges()],
            "constraints": [c.to_dict() for c in self.constraints if c.kind != "custom"],
        }

    @classmethod
    def _empty(cls, name: str) -> KnowledgeGraph:
        """An empty graph of this class; adapters override it to skip their built-in data."""
        return cls(name)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str | Path | None = None
                  ) -> KnowledgeGraph:
        if data.get("format") != FORMAT_VERSION:
            raise InputError(f"expected graph format {FORMAT_VERSION}, got {data.get('format')!r}",
                             path=path)
        try:
            graph = cls._empty(str(data["name"]))
            for item in data["nodes"]:
                graph.add_node(GraphNode.from_dict(item))
            for item in data["edges"]:
                graph.add_edge(GraphEdge.from_dict(item))
            graph.constraints = [
                GraphConstraint(c["name"], c["kind"], dict(c["params"]), c["severity"],
                                c.get("description", ""))
                for c in data.get("constraints", ())
            ]
        except (KeyError, TypeError, GraphError) as exc:
            raise InputError(f"not a knowledge graph file: {exc}", path=path) from exc
        return graph

    def save(self, path: str | Path) -> Path:
        """Write the graph as JSON, atomically (temp file + rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, ensure_ascii=False, indent=1)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> KnowledgeGraph:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError("no such graph file", path=path) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno,
                             column=exc.colno) from None
        return cls.from_dict(data, path=path)

    def export_graphml(self, path: str | Path) -> Path:
        """Write GraphML; non-scalar property values are stored as JSON strings."""
        flat = nx.MultiDiGraph(name=self.name)
        for node in self.nodes():
            flat.add_node(node.id, node_type=node.node_type, name=node.name,
                          **_flat(node.properties))
        for edge in self.edges():
            flat.add_edge(edge.source, edge.target, key=edge.edge_type,
                          edge_type=edge.edge_type, **_flat(edge.properties))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nx.write_graphml(flat, path)
        return path


def _flat(properties: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in properties.items():
        if value is None:
            continue
        if key in ("node_type", "name", "edge_type"):
            key = f"prop_{key}"
        out[key] = value if isinstance(value, str | int | float | bool) else json.dumps(value)
    return out


def _copy_node(node: GraphNode) -> GraphNode:
    return GraphNode.from_dict(json.loads(json.dumps(node.to_dict())))


def _copy_edge(edge: GraphEdge) -> GraphEdge:
    return GraphEdge.from_dict(json.loads(json.dumps(edge.to_dict())))
