"""Checks of a model's answer (prose or 65816 code) against the ALTTP/SNES map.

Each check takes the graph and the scanned lines and yields `Finding`s; the graph's
`output_checks` list says which run, so a subclass can add its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from afs.knowledge.addresses import format_address
from afs.knowledge.code_scan import Access, ScannedLine, scan
from afs.knowledge.graph_core import Severity
from afs.knowledge.retrieval import stem, tokenize

from . import alttp_vocab as vocab


class MapGraph(Protocol):
    """What the checks read from the graph. `MapGraph` provides it; typing the
    checks against this keeps the adapter importing this module, not the other way round."""

    def resolve(self, address: Any) -> Any: ...

    def find_by_name(self, name: str) -> Any: ...

    def edges(self, edge_type: str | None = None, *, source: str | None = None,
              target: str | None = None) -> list[Any]: ...

    @property
    def output_checks(self) -> list[Any]: ...

_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    """One problem in the checked text, with its 1-based line and column."""

    line: int
    column: int
    kind: str
    severity: Severity
    message: str
    address: str | None = None
    entity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.severity}: {self.kind}: {self.message}"


def validate(graph: MapGraph, text: str) -> list[Finding]:
    """Run every check in `graph.output_checks` over `text`; findings in line order."""
    lines = scan(text)
    found = {f for check in graph.output_checks for f in check(graph, lines)}
    return sorted(found, key=lambda f: (f.line, f.column, _ORDER[f.severity], f.kind))


def _label(graph: MapGraph, address: int) -> str:
    node = graph.resolve(address).node
    return f"{format_address(address)} ({node.name})" if node else format_address(address)


def check_unknown_addresses(graph: MapGraph, lines: list[ScannedLine]
                            ) -> Iterable[Finding]:
    """An address inside a documented region that the map does not know."""
    for line in lines:
        spots = [(a.address, a.column, a.operand) for a in line.accesses]
        # Short prose numbers ("$10 hearts") are too often values to report as addresses.
        spots += [(m.address, m.start + 1, m.text) for m in line.prose_mentions if m.digits >= 4]
        for address, column, written in spots:
            match = graph.resolve(address)
            if match.found or match.region is None:
                continue
            region = match.region
            canonical = format_address(address)
            same = written.upper().lstrip("$") == canonical.lstrip("$")
            yield Finding(line.number, column, "unknown_address", region.properties["severity"],
                          f"{written}{'' if same else ' = ' + canonical} is inside {region.name} "
                          f"({region.properties['description']}) but is not in the map",
                          format_address(address))


def check_register_access(graph: MapGraph, lines: list[ScannedLine]
                          ) -> Iterable[Finding]:
    """Writes to read-only registers and reads of write-only ones (RMW counts as both)."""
    for line in lines:
        for access in line.accesses:
            if access.indirect or access.index:
                continue
            node = graph.resolve(access.address).node
            if node is None or node.node_type != "register":
                continue
            mode = node.properties["access"]
            where = f"{format_address(access.address)} {node.name}"
            if mode == "ro" and access.kind in ("write", "rmw"):
                yield Finding(line.number, access.column, "write_to_read_only", "error",
                              f"{access.mnemonic} writes {where}, a read-only register; the "
                              "write has no effect", format_address(access.address), node.name)
            if mode == "wo" and access.kind in ("read", "rmw"):
                yield Finding(line.number, access.column, "read_of_write_only", "error",
                              f"{access.mnemonic} reads {where}, a write-only register; reads "
                              "return open bus, keep a WRAM shadow instead",
                              format_address(access.address), node.name)


def _register_clobber(graph: MapGraph, access: Access, node: Any) -> str | None:
    props = node.properties
    if props["size"] == "1x2":
        return (f"{node.name} is written twice at the same address (low then high); a 16-bit "
                f"store puts the high byte into {_label(graph, access.address + 1)} instead")
    if props["group"] != "ppu":
        return None  # DMA/CPU registers are routinely written in adjacent pairs
    following = graph.resolve(access.address + 1).node
    if following is None:
        return None
    pairs = {e.target for e in graph.edges("high_byte_of", source=following.id)}
    if node.id in pairs:
        return None
    return (f"a 16-bit store to {node.name} also writes {_label(graph, access.address + 1)}")


def check_width(graph: MapGraph, lines: list[ScannedLine]) -> Iterable[Finding]:
    """A 16-bit store into a 1-byte variable (or slot) that clobbers the byte after it."""
    for line in lines:
        for access in line.accesses:
            if access.kind == "read" or access.width != 2 or access.indirect:
                continue
            match = graph.resolve(access.address)
            node = match.node
            if node is None:
                continue
            address = format_address(access.address)
            if node.node_type == "register":
                if access.index:
                    continue
                reason = _register_clobber(graph, access, node)
                if reason:
                    yield Finding(line.number, access.column, "width_clobber", "error",
                                  f"{access.mnemonic} with a 16-bit accumulator/index: {reason}",
                                  address, node.name)
                continue
            layout = node.properties["layout"]
            if access.index and layout["kind"] != "table":
                continue
            after = graph.resolve(access.address + 1)
            same_slot = after.node is not None and after.node.id == node.id and (
                layout["kind"] != "table" or after.slot == match.slot)
            if same_slot:
                continue
            if after.node is None:
                victim, severity = f"the unmapped byte {format_address(access.address + 1)}", \
                    "warning"
            elif after.node.id == node.id:
                victim = (f"the next slot (X+1) of {node.name}" if access.index
                          else f"slot {after.slot} of {node.name}")
                severity = "error"
            else:
                victim, severity = _label(graph, access.address + 1), "error"
            width = "1-byte" if layout["kind"] != "table" else \
                f"{layout['slot_size']}-byte-per-slot"
            yield Finding(line.number, access.column, "width_clobber", severity,
                          f"16-bit {access.mnemonic} into {width} {node.name} ({address}) also "
                          f"writes {victim}; use SEP #$20 (8-bit A) around the store",
                          address, node.name)


def check_table_index(graph: MapGraph, lines: list[ScannedLine]
                      ) -> Iterable[Finding]:
    """A per-slot object table (sprites, ancillae, ...) accessed without an index register."""
    for line in lines:
        for access in line.accesses:
            if access.index or access.indirect:
                continue
            match = graph.resolve(access.address)
            node = match.node
            if node is None or not node.properties.get("layout", {}).get("requires_index"):
                continue
            layout = node.properties["layout"]
            yield Finding(line.number, access.column, "table_without_index", "warning",
                          f"{node.name} is a table of {layout['slots']} {layout['slot_kind']} "
                          f"slots; {access.operand} without ,X touches slot {match.slot} only "
                          "(index it with the slot number in X)",
                          format_address(access.address), node.name)


def check_value_range(graph: MapGraph, lines: list[ScannedLine]
                      ) -> Iterable[Finding]:
    """An immediate stored into a variable beyond its documented range (health over 0xA0)."""
    for line in lines:
        for access in line.accesses:
            if access.value is None or access.kind != "write":
                continue
            node = graph.resolve(access.address).node
            limit = vocab.VALUE_LIMITS.get(node.name) if node else None
            if limit is not None and access.value > limit:
                yield Finding(line.number, access.column, "value_out_of_range", "warning",
                              f"stores 0x{access.value:02X} into {node.name}, documented "
                              f"range 0-0x{limit:02X}", format_address(access.address),
                              node.name)


def _words(text: str) -> set[str]:
    return set(tokenize(text, keep_stopwords=True))


def _comment_above(lines: list[ScannedLine], index: int) -> str:
    """The comment lines that head the statements `lines[index]` belongs to: comment-only
    lines just above it, across code lines that carry no comment of their own, up to a blank
    line, a label or another commented statement."""
    found: list[str] = []
    for j in range(index - 1, max(-1, index - 6), -1):
        text = lines[j].text.strip()
        if text.startswith(";"):
            found.append(text.lstrip(";"))
        elif found or not lines[j].is_code or ";" in text:
            break
    return " ".join(reversed(found))


def check_role_confusion(graph: MapGraph, lines: list[ScannedLine]
                         ) -> Iterable[Finding]:
    """Text that calls an address by its counterpart's role ("$7EF36C = current health"),
    and writes whose stated intent belongs to the counterpart ("STA $7EF362 ; give the player
    999 rupees"). A code line's comment and the comment lines heading it both count."""
    roles = {name: ({stem(w) for w in own}, {stem(w) for w in other})
             for name, (_, own, other) in vocab.ROLES.items() if other}
    # Code that also writes the right entity (the real rupees, then the HUD counter so it
    # jumps at once) means the other write on purpose.
    written = {node.name for line in lines for access in line.accesses
               if access.kind == "write" and (node := graph.resolve(access.address).node)}
    for index, line in enumerate(lines):
        spots: list[tuple[int, int, int, set[str]]] = []
        if line.is_code:
            comment = line.text.partition(";")[2] + " " + _comment_above(lines, index)
            words = _words(comment)
            spots += [(a.address, a.column, a.column, words) for a in line.accesses]
            yield from _intent_misuse(graph, line, words, written)
        mentions = line.prose_mentions
        for i, mention in enumerate(mentions):
            before = mentions[i - 1].end if i else 0
            after = mentions[i + 1].start if i + 1 < len(mentions) else len(line.text)
            window = line.text[before:mention.start] + " " + line.text[mention.end:after]
            spots.append((mention.address, mention.start + 1, mention.start, _words(window)))
        for address, column, _, words in spots:
            node = graph.resolve(address).node
            if node is None or node.name not in roles:
                continue
            own, other = roles[node.name]
            if words & other and not words & own:
                claimed = ", ".join(sorted(words & other))
                yield Finding(line.number, column, "role_confusion", "error",
                              f"{format_address(address)} is {vocab.ROLES[node.name][0]}, but "
                              f"the text calls it '{claimed}'", format_address(address),
                              node.name)


def _intent_misuse(graph: MapGraph, line: ScannedLine, words: set[str],
                   written: set[str]) -> Iterable[Finding]:
    for access in line.accesses:
        if access.kind != "write":
            continue
        node = graph.resolve(access.address).node
        rule = vocab.MISUSED_FOR.get(node.name) if node is not None else None
        if rule is None:
            continue
        intent, belongs_in = rule
        own = {stem(w) for w in vocab.ROLES[node.name][1]}
        said = sorted(w for w in intent if stem(w) in words)
        if said and not words & own and belongs_in not in written:
            target = graph.find_by_name(belongs_in)
            where = f"{target.properties['display']} {target.name}" if target else belongs_in
            yield Finding(line.number, access.column, "role_misuse", "error",
                          f"this writes {format_address(access.address)}, "
                          f"{vocab.ROLES[node.name][0]}; to {' / '.join(said)}, write {where}",
                          format_address(access.address), node.name)


DEFAULT_CHECKS = (check_unknown_addresses, check_register_access, check_width,
                  check_table_index, check_value_range, check_role_confusion)
