"""The ALTTP/SNES knowledge graph: every RAM/SRAM row and CPU-side register as a node, the
relations that prevent the classic mistakes as edges, address resolution across mirrors and
table slots, prompt context retrieval, and output validation.

Facts come from the package data file `afs/knowledge/data/alttp_facts.json`, generated at
development time by `scripts/import_alttp_data.py` from the shared TSV tables.
"""

from __future__ import annotations

import bisect
import heapq
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from itertools import pairwise
from typing import Any

from afs.knowledge.addresses import (
    find_mentions,
    format_address,
    parse_address,
)
from afs.knowledge.graph_core import (
    ConstraintViolation,
    GraphConstraint,
    GraphEdge,
    GraphError,
    GraphNode,
    KnowledgeGraph,
)
from afs.knowledge.retrieval import BM25Index, stem, tokenize

from . import alttp_vocab as vocab
from .alttp_validation import DEFAULT_CHECKS, validate

DATA_FILE = "alttp_facts.json"
MEMORY, REGISTER, REGION = "memory", "register", "region"

# name, first, last, severity of an unknown address inside it, description
REGIONS: tuple[tuple[str, int, int, str, str], ...] = (
    ("wram_save_block", 0x7EF000, 0x7EF4FF, "warning",
     "WRAM copy of the loaded save file (0x500 bytes); saved to SRAM, checksummed"),
    ("sram", 0x700000, 0x701FFF, "warning", "cartridge SRAM (8 KiB): three files and backups"),
    ("ppu_registers", 0x2100, 0x213F, "warning", "PPU registers"),
    ("apu_ports", 0x2140, 0x217F, "warning", "APU ports $2140-$2143, mirrored to $217F"),
    ("wram_port", 0x2180, 0x2183, "warning", "WRAM data port and its address registers"),
    ("b_bus_unused", 0x2184, 0x21FF, "warning", "unused B-bus addresses (open bus)"),
    ("cpu_io", 0x4000, 0x42FF, "warning", "CPU I/O registers (joypad, interrupts, math)"),
    ("dma_registers", 0x4300, 0x437F, "warning", "DMA/HDMA channel registers"),
    ("wram", 0x7E0000, 0x7FFFFF, "info", "work RAM (128 KiB)"),
)
_ALIAS = re.compile(r"(?:calls? it|spells? it|names? it|misnames it|name|spell|jpdasm)\s+"
                    r"(?P<name>[A-Z][A-Z0-9]{2,})\b")
_REGISTER_REF = re.compile(r"\(\$(?P<addr>(?:21|42|43)[0-9A-Fa-f]{2})\)")
_NAME_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WEIGHT_MENTION, _WEIGHT_NAME, _WEIGHT_CONCEPT = 100.0, 40.0, 8.0
# Entities scoring under this share of the best one are noise for a compact prompt block.
# Where the evidence runs out: an entity found only by shared words (BM25) must score at least
# half the best entity's score, one found by address, name, concept or relation 0.3 of it.
# (Chosen on the development set, tests/knowledge/retrieval_cases.py CASES.)
_TEXT_SHARE = 0.5
_STRONG_SHARE = 0.3


@dataclass(frozen=True)
class AddressMatch:
    """What a canonical address is: the entity covering it, and where inside it."""

    address: int
    node: GraphNode | None
    offset: int = 0
    slot: int | None = None
    region: GraphNode | None = None
    mirror_of: int | None = None

    @property
    def found(self) -> bool:
        return self.node is not None


@dataclass
class ContextEntity:
    """One entity chosen for a prompt, with its score and why it was chosen."""

    node: GraphNode
    score: float
    reasons: list[str] = field(default_factory=list)
    mention: str | None = None
    slot: int | None = None
    offset: int = 0

    def to_dict(self) -> dict[str, Any]:
        props = self.node.properties
        return {"id": self.node.id, "name": self.node.name, "address": props.get("display"),
                "node_type": self.node.node_type, "score": round(self.score, 3),
                "reasons": self.reasons, "mention": self.mention, "slot": self.slot,
                "offset": self.offset, "size": props.get("size"),
                "category": props.get("category"), "description": props.get("description")}


@dataclass
class ContextResult:
    """The structured answer of `retrieve`; `text` is what goes into a system prompt."""

    query: str
    entities: list[ContextEntity]
    unknown: list[tuple[str, AddressMatch]]
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "entities": [e.to_dict() for e in self.entities],
                "unknown_addresses": [
                    {"mention": m, "address": format_address(a.address),
                     "region": a.region.name if a.region else None} for m, a in self.unknown],
                "text": self.text}


OutputCheck = Callable[["ALTTPKnowledgeGraph", list], Iterable]


class ALTTPKnowledgeGraph(KnowledgeGraph):
    """ALTTP RAM/SRAM map and SNES registers, with retrieval and output validation."""

    def __init__(self, name: str = "alttp", *, load_builtin: bool = True) -> None:
        super().__init__(name)
        self._index_version = -1
        if load_builtin:
            self.load_builtin()

    @classmethod
    def _empty(cls, name: str) -> ALTTPKnowledgeGraph:
        return cls(name, load_builtin=False)

    # -- loading --------------------------------------------------------------------------
    def load_builtin(self) -> None:
        """Load the package facts, derive the relations and register the constraints."""
        text = resources.files("afs.knowledge").joinpath("data", DATA_FILE).read_text("utf-8")
        data = json.loads(text)
        for row in data["ram"]:
            self.add_node(_memory_node(row))
        for row in data["registers"]:
            self.add_node(_register_node(row))
        for name, first, last, severity, description in REGIONS:
            self.add_node(GraphNode(f"region:{name}", REGION, name, {
                "start": first, "end": last, "severity": severity, "description": description,
                "display": f"{format_address(first)}-{format_address(last)}"}))
        self._derive_edges()
        self._add_constraints()

    def _derive_edges(self) -> None:
        by_name = {n.name: n.id for n in self.nodes() if n.node_type != REGION}
        for source, edge_type, target in vocab.RELATIONS:
            self.add_edge(GraphEdge(by_name[source], by_name[target], edge_type,
                                    {"basis": "curated"}))
        for node in self.nodes(MEMORY):
            low = by_name.get(re.sub(r"_hi(?=_|$)", "_lo", node.name))
            if low and low != node.id:
                self.add_edge(GraphEdge(node.id, low, "high_byte_of", {"basis": "names"}))
        registers = {n.name: n.id for n in self.nodes(REGISTER)}
        for name, node_id in registers.items():
            stem_, last = name[:-1], name[-1]
            partner = None
            if last == "H":
                partner = registers.get(stem_ + "M") or registers.get(stem_ + "L")
            elif last == "M":
                partner = registers.get(stem_ + "L")
            if partner:
                self.add_edge(GraphEdge(node_id, partner, "high_byte_of", {"basis": "names"}))
        for node in self.nodes(MEMORY):
            description = node.properties["description"]
            for match in _REGISTER_REF.finditer(description):
                reg = f"reg:{match.group('addr').upper()}"
                if reg in self:
                    kind = "shadows" if node.properties["category"] == "ppu_shadow" \
                        else "writes_register"
                    self.add_edge(GraphEdge(node.id, reg, kind, {"basis": "description"}))
            for mention in find_mentions(description):
                hit = self.resolve(mention.address)
                if hit.node is not None and hit.node.id != node.id \
                        and hit.node.node_type == MEMORY:
                    self.add_edge(GraphEdge(node.id, hit.node.id, "refers_to",
                                            {"basis": "description"}))
        block = "region:wram_save_block"
        for node in self.nodes(MEMORY):
            address = node.properties["address"]
            if 0x7EF000 <= address <= 0x7EF4FF:
                self.add_edge(GraphEdge(node.id, block, "part_of", {"basis": "address"}))
                twin = self.resolve(0x7E0000 | (address & 0xFFF)).node
                if twin is not None and twin.properties["address"] == 0x7E0000 | (address
                                                                                  & 0xFFF):
                    self.add_edge(GraphEdge(twin.id, node.id, "looks_like", {
                        "basis": "address", "note": f"{format_address(twin.properties['address'])}"
                        f" and {format_address(address)} differ only in the bank/high nibble"}))
        for number in (1, 2, 3):
            self.add_edge(GraphEdge(by_name[f"sram_file{number}"], block, "copy_of",
                                    {"basis": "description"}))
            self.add_edge(GraphEdge(by_name["sram_slot_offset"], by_name[f"sram_file{number}"],
                                    "related", {"basis": "description"}))
        self.add_edge(GraphEdge(by_name["save_inverse_checksum"], block, "checksum_of",
                                {"basis": "description"}))

    def _add_constraints(self) -> None:
        for prop in ("address", "size_bytes", "category", "source", "description"):
            self.add_constraint(GraphConstraint.required_property(MEMORY, prop))
        for prop in ("address", "access", "size", "source"):
            self.add_constraint(GraphConstraint.required_property(REGISTER, prop))
        self.add_constraint(GraphConstraint.unique_property(MEMORY, "address"))
        self.add_constraint(GraphConstraint.unique_property(REGISTER, "address"))
        self.add_constraint(GraphConstraint.edge_endpoints("shadows", [MEMORY], [REGISTER]))
        self.add_constraint(GraphConstraint.edge_endpoints("max_of", [MEMORY], [MEMORY]))
        self.add_constraint(GraphConstraint.custom(
            "memory rows do not overlap", _check_overlaps,
            description="two RAM rows claiming the same byte means one of them is wrong"))

    # -- address resolution ---------------------------------------------------------------
    def _ensure_index(self) -> None:
        if self._index_version == self._node_version:
            return
        spans, names, aliases, regions = [], {}, {}, []
        for node in self.nodes():
            props = node.properties
            if node.node_type == REGION:
                regions.append((props["end"] - props["start"], props["start"], props["end"],
                                node))
                continue
            if "address" in props:
                spans.append((props["address"], props.get("size_bytes", 1), node.id))
            names.setdefault(node.name.lower(), node.id)
            for alias in props.get("aliases", ()):
                aliases.setdefault(alias.lower(), node.id)
        spans.sort()
        self._span_starts = [s[0] for s in spans]
        self._spans = spans
        self._names = names
        self._aliases = {k: v for k, v in aliases.items() if k not in names}
        self._regions = sorted(regions, key=lambda r: r[0])
        docs, ids = [], []
        for node in self.nodes():
            if node.node_type != REGION:
                ids.append(node.id)
                docs.append(tokenize(self.node_text(node)))
        self._bm25 = BM25Index(docs)
        self._bm25_ids = ids
        self._bm25_pos = {node_id: i for i, node_id in enumerate(ids)}
        self._concepts = [
            (tuple(stem(w) for w in words), [(names[n.lower()], w) for n, w in targets
                                              if n.lower() in names])
            for words, targets in vocab.CONCEPTS
        ]
        self._index_version = self._node_version

    def node_text(self, node: GraphNode) -> str:
        props = node.properties
        name_words = node.name.replace("_", " ")
        parts = [name_words, name_words, name_words, props.get("description", ""),
                 props.get("category", ""), " ".join(props.get("aliases", ()))]
        if node.node_type == REGISTER:
            parts.append({"wo": "write-only", "ro": "read-only", "rw": "read write"}
                         [props["access"]] + " register")
        layout = props.get("layout", {})
        if layout.get("kind") == "table":
            parts.append(f"table slot {layout['slot_kind'].replace('_', ' ')}")
        return " ".join(parts)

    def resolve(self, address: int | str) -> AddressMatch:
        """The entity at `address` (any notation or mirror); `node` is None when unknown."""
        if isinstance(address, str):
            parsed = parse_address(address)
            if parsed is None:
                raise GraphError(f"not an address: {address!r}")
            address = parsed
        self._ensure_index()
        mirror_of = None
        if 0x2144 <= address <= 0x217F:  # APU ports repeat every 4 bytes up to $217F
            mirror_of, address = address, 0x2140 | (address & 3)
        at = bisect.bisect_right(self._span_starts, address) - 1
        if at >= 0:
            start, size, node_id = self._spans[at]
            if address < start + size:
                node = self.node(node_id)
                offset = address - start
                layout = node.properties.get("layout", {})
                slot = offset // layout["slot_size"] if layout.get("kind") == "table" else None
                if mirror_of is not None:
                    return AddressMatch(mirror_of, node, offset, slot, mirror_of=address)
                return AddressMatch(address, node, offset, slot)
        return AddressMatch(mirror_of or address, None, region=self.region_of(address))

    def region_of(self, address: int) -> GraphNode | None:
        self._ensure_index()
        for _, first, last, node in self._regions:
            if first <= address <= last:
                return node
        return None

    def find_by_name(self, name: str) -> GraphNode | None:
        """The entity called `name` (map name, register name or a documented alias)."""
        self._ensure_index()
        node_id = self._names.get(name.lower()) or self._aliases.get(name.lower())
        return self.node(node_id) if node_id else None

    def lookup(self, query: str) -> list[AddressMatch]:
        """Resolve a name or an address written in any notation; [] when nothing matches."""
        node = self.find_by_name(query.strip())
        if node is not None and node.node_type != REGION:
            return [AddressMatch(node.properties["address"], node)]
        try:
            match = self.resolve(query.strip())
        except GraphError:
            return []
        return [match] if match.found else []

    # -- retrieval ------------------------------------------------------------------------
    def retrieve(self, query: str, max_entities: int = 10) -> ContextResult:
        """Rank the entities a prompt needs: addresses it writes (any notation), names,
        concepts and synonyms, BM25 over descriptions, then the entities related to the best
        hits (the maximum next to the current value, the register next to its shadow)."""
        self._ensure_index()
        found: dict[str, ContextEntity] = {}

        def bump(node_id: str, score: float, reason: str, **extra: Any) -> None:
            entity = found.get(node_id)
            if entity is None:
                entity = found[node_id] = ContextEntity(self.node(node_id), 0.0)
            entity.score += score
            entity.reasons.append(reason)
            for key, value in extra.items():
                if getattr(entity, key) is None or key == "offset":
                    setattr(entity, key, value)

        unknown = []
        for position, mention in enumerate(find_mentions(query)):
            hit = self.resolve(mention.address)
            if hit.node is None:
                unknown.append((mention.text, hit))
                continue
            bump(hit.node.id, _WEIGHT_MENTION - position * 0.01, f"address {mention.text}",
                 mention=mention.text, slot=hit.slot, offset=hit.offset)
        raw_words = [w.lower() for w in _NAME_TOKEN.findall(query)]
        for word in raw_words:
            node_id = self._names.get(word) or self._aliases.get(word)
            if node_id and len(word) > 2 and not node_id.startswith("region:"):
                bump(node_id, _WEIGHT_NAME, f"name {word}")
        all_tokens = set(tokenize(query, keep_stopwords=True))
        for words, targets in self._concepts:
            if all(w in all_tokens for w in words):
                for node_id, weight in targets:
                    bump(node_id, weight * _WEIGHT_CONCEPT, f"concept {' '.join(words)}")
        terms = tokenize(query)
        weights = {t: 1.0 for t in terms}
        for word in re.findall(r"[a-z0-9]+", query.lower()):
            for extra in vocab.SYNONYMS.get(word, ()):
                for token in tokenize(extra):
                    weights.setdefault(token, 0.6)
        lexical = self._bm25.score(weights, weights)
        ids = self._bm25_ids
        # Entities already found keep their lexical score; of the rest only the best few can
        # make the cut, so a common word on a huge graph does not create thousands of them.
        for node_id, entity in found.items():
            position = self._bm25_pos.get(node_id)
            if position is not None and position in lexical:
                entity.score += lexical.pop(position)
                entity.reasons.append("text")
        for index in heapq.nlargest(max_entities * 3, lexical, key=lexical.__getitem__):
            bump(ids[index], lexical[index], "text")
        ranked = sorted(found.values(), key=lambda e: (-e.score, e.node.id))[:max_entities]
        for entity in list(ranked):
            for edge, other_id in self._context_edges(entity.node.id):
                if other_id not in found:
                    found[other_id] = ContextEntity(self.node(other_id), 0.0)
                other = found[other_id]
                boost = entity.score * vocab.CONTEXT_EDGES[edge.edge_type]
                if other.score < boost:
                    other.reasons.append(f"related: {edge.edge_type} {entity.node.name}")
                    other.score = boost
        ranked = sorted(found.values(), key=lambda e: (-e.score, e.node.id))[:max_entities]
        if ranked:
            top = ranked[0].score
            ranked = [e for e in ranked if e.score >= top * (
                _TEXT_SHARE if all(r == "text" for r in e.reasons) else _STRONG_SHARE)]
        result = ContextResult(query, ranked, unknown)
        result.text = self._render(result)
        return result

    def _context_edges(self, node_id: str) -> Iterable[tuple[GraphEdge, str]]:
        for edge in self.edges(source=node_id):
            if edge.edge_type in vocab.CONTEXT_EDGES:
                yield edge, edge.target
        for edge in self.edges(target=node_id):
            if edge.edge_type in vocab.CONTEXT_EDGES:
                yield edge, edge.source

    def get_context_for_prompt(self, query: str, max_entities: int = 10) -> str:
        """A compact block of facts for a system prompt about `query`."""
        return self.retrieve(query, max_entities).text

    def describe(self, node: GraphNode, *, slot: int | None = None, offset: int = 0,
                 mention: str | None = None, relations: int = 4) -> list[str]:
        """The lines that present one entity: header, role, where a mention points, links."""
        props = node.properties
        lines = [f"- {props['display']} {node.name}{_shape(node)}: {props['description']}"]
        role = vocab.ROLES.get(node.name)
        if role:
            lines.append(f"    ! this is {role[0]}")
        if mention is not None:
            where = ""
            if slot is not None:
                layout = props["layout"]
                where = f" = slot {slot} of {layout['slots']}"
                if layout["slot_size"] > 1:
                    where += f", byte {offset % layout['slot_size']}"
            elif offset:
                where = f" = byte {offset} of it"
            lines.append(f"    you wrote {mention}{where}")
        # One line per related entity; a curated relation beats a bare "refers to".
        best: dict[str, tuple[GraphEdge, bool]] = {}
        for edge in self.edges(source=node.id) + self.edges(target=node.id):
            if edge.edge_type in ("part_of", "related"):
                continue
            forward = edge.source == node.id
            other_id = edge.target if forward else edge.source
            if other_id not in best or best[other_id][0].edge_type == "refers_to":
                best[other_id] = (edge, forward)
        for other_id, (edge, forward) in list(best.items())[:relations]:
            other = self.node(other_id)
            phrase = vocab.EDGE_PHRASES.get(edge.edge_type, (edge.edge_type, edge.edge_type))
            label = vocab.ROLES.get(other.name, ("",))[0]
            tail = f" ({label})" if label else ""
            lines.append(f"    {phrase[0 if forward else 1]} "
                         f"{other.properties.get('display', '')} {other.name}{tail}")
        return lines

    def _render(self, result: ContextResult) -> str:
        if not result.entities and not result.unknown:
            return ""
        lines = ["ALTTP/SNES facts (US ROM; WRAM $7E0000-$7E1FFF is also $0000-$1FFF in banks "
                 "$00-$3F/$80-$BF; direct page = $0000):"]
        for entity in result.entities:
            lines += self.describe(entity.node, slot=entity.slot, offset=entity.offset,
                                   mention=entity.mention, relations=3)
        for mention, match in result.unknown:
            region = f" (inside {match.region.name}: {match.region.properties['description']})" \
                if match.region else ""
            written = format_address(match.address)
            same = mention.upper().lstrip("$") == written.lstrip("$")
            lines.append(f"- {mention}{'' if same else ' = ' + written} is not in the map"
                         f"{region}; do not guess its meaning")
        return "\n".join(lines)

    # -- validation -----------------------------------------------------------------------
    @property
    def output_checks(self) -> list[OutputCheck]:
        """Checks `validate_output` runs; a subclass extends this list to add constraints."""
        return list(DEFAULT_CHECKS)

    def validate_output(self, text_or_code: str) -> list:
        """Findings (line, column, kind, severity, reason) for a model's answer or code."""
        return validate(self, text_or_code)


def _shape(node: GraphNode) -> str:
    props = node.properties
    if node.node_type == REGION:
        return " [memory region]"
    if node.node_type == REGISTER:
        access = {"wo": "write-only", "ro": "read-only", "rw": "read/write"}[props["access"]]
        twice = ", 16-bit value written twice (low then high)" if props["size"] == "1x2" else ""
        return f" [{access} {props['group']} register{twice}]"
    layout = props["layout"]
    size = props["size_bytes"]
    if layout["kind"] == "table":
        per = f"{layout['slot_size']} bytes" if layout["slot_size"] > 1 else "1 byte"
        shape = (f"table of {layout['slots']} {layout['slot_kind'].replace('_', ' ')} slots x "
                 f"{per} (slot n at {props['display']}+n*{layout['slot_size']})")
    elif layout["kind"] == "word":
        shape = "2 bytes, 16-bit little-endian"
    elif layout["kind"] == "byte":
        shape = "1 byte"
    else:
        shape = f"{size}-byte buffer"
    return f" [{shape}, {props['category']}]"


def _memory_node(row: dict[str, Any]) -> GraphNode:
    address = int(row["address"], 16)
    props = {k: v for k, v in row.items() if k not in ("name", "address")}
    props.update(address=address, display=format_address(address), size=row["size_bytes"])
    return GraphNode(f"ram:{row['address']}", MEMORY, row["name"], props)


def _register_node(row: dict[str, Any]) -> GraphNode:
    address = int(row["address"], 16)
    props = {k: v for k, v in row.items() if k not in ("name", "address")}
    aliases = sorted({m.group("name") for m in _ALIAS.finditer(row["description"])}
                     - {row["name"]})
    props.update(address=address, display=format_address(address), size_bytes=1,
                 category=row["group"], aliases=aliases,
                 layout={"kind": "register"})
    return GraphNode(f"reg:{row['address']}", REGISTER, row["name"], props)


def _check_overlaps(graph: KnowledgeGraph) -> Iterable[ConstraintViolation]:
    rows = sorted((n.properties["address"], n.properties["size_bytes"], n.id)
                  for n in graph.nodes(MEMORY))
    for (start, size, node_id), (next_start, _, next_id) in pairwise(rows):
        if start + size > next_start:
            yield ConstraintViolation("memory rows do not overlap", "error",
                                      f"{node_id} (size {size}) overlaps {next_id}", node_id)
