"""Nayru's small-task templates: one request shape each, answered exactly or not at all.

Each template is a regular expression over the request and a builder. The builder reads
every number from the request and every ALTTP fact from the knowledge graph (the variable a
phrase names, its size, its units, its coded values, the register a name means); when a fact
it needs is missing or ambiguous it raises `CannotDo`, and Nayru says so instead of guessing.
Stores use long addressing, so the code works whatever DBR holds; each routine saves and
restores P around its own width changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from afs.models.classical_experts.common import knowledge_graph

NUM = r"(\$[0-9A-Fa-f]+|0x[0-9A-Fa-f]+|\d+)"
# SNES joypad bits (auto-read registers $4218/$4219 and ALTTP's copies): the high byte is
# B Y Select Start Up Down Left Right, the low byte A X L R (Nintendo's layout).
BUTTONS_HIGH = {"b": 7, "y": 6, "select": 5, "start": 4, "up": 3, "down": 2, "left": 1,
                "right": 0}
BUTTONS_LOW = {"a": 7, "x": 6, "l": 5, "r": 4}
CONFIDENCE = 1.1   # the best variable must outscore the next by this factor


class CannotDo(Exception):
    """A template matched the request's shape but cannot answer it exactly."""


def num(text: str) -> int:
    text = text.strip()
    return int(text[1:], 16) if text.startswith("$") else int(text, 0)


def h(value: int, digits: int = 2) -> str:
    return f"${value:0{digits}X}"


def wrap(body: list[str], *, sep: int = 0x20, rep: int = 0) -> str:
    """`body` between PHP and PLP, in the widths it needs."""
    head = ["php", f"sep #{h(sep)}"] if sep else ["php"]
    if rep:
        head.append(f"rep #{h(rep)}")
    return "\n".join([*head, *body, "plp"])


# --- the knowledge graph ---------------------------------------------------------------------

@dataclass(frozen=True)
class Var:
    name: str
    address: int
    size: int
    description: str
    layout: dict[str, Any]


def _var(node: Any) -> Var:
    p = node.properties
    return Var(node.name, p["address"], p["size_bytes"], p["description"], p.get("layout", {}))


def variable(phrase: str) -> Var:
    """The RAM variable a phrase names ("the number of bombs Link carries")."""
    graph = knowledge_graph()
    numbered = re.search(r"\b([a-z]+) (\d+)\b", phrase.lower())
    if numbered:
        word, n = numbered.groups()
        for node in graph.nodes("memory"):
            if re.match(rf"{word}_{n}(?:_|$)", node.name):
                return _var(node)
    found = [e for e in graph.retrieve(phrase, max_entities=4).entities
             if e.node.node_type == "memory"]
    if not found or (len(found) > 1 and found[0].score < CONFIDENCE * found[1].score):
        raise CannotDo(f"I cannot tell which RAM variable '{phrase}' means")
    return _var(found[0].node)


def codes(var: Var) -> dict[str, int]:
    """The coded values a description lists ("0 up, 2 down", "6 fairy"), by name."""
    text = var.description
    same = re.search(r"same coding as ([a-z]+ \d+)", text, re.I)
    if same:
        text = variable(same.group(1)).description
    pairs = re.findall(r"(?:^|[:,;]\s*)(0x[0-9A-Fa-f]+|\d+) ([a-z][a-z ]*?)(?=[,;.]|$)", text)
    return {name.strip().lower(): int(v, 0) for v, name in pairs}


def register(name: str) -> tuple[int, str]:
    """(address, size) of a hardware register by name (INIDISP, BGMODE, ...)."""
    node = knowledge_graph().find_by_name(name)
    if node is None or node.node_type != "register":
        raise CannotDo(f"{name} is not a register I know")
    return node.properties["address"], node.properties["size"]


# --- code builders -----------------------------------------------------------------------------

def store_value(address: int, value: int, size: int) -> list[str]:
    """Store `value` (1 or 2 bytes) at `address`, in 8- or 16-bit A as it needs."""
    if size == 2:
        return ["rep #$20", f"lda #{h(value, 4)}", f"sta.l {h(address, 6)}", "sep #$20"]
    return [f"lda #{h(value)}", f"sta.l {h(address, 6)}"]


def _check_fits(value: int, size: int, what: str) -> None:
    if not 0 <= value < 1 << (8 * size):
        raise CannotDo(f"{value} does not fit in {what} ({size} byte(s))")


def set_var(var: Var, value: int, slot: int | None = None) -> tuple[str, str]:
    size = 2 if var.layout.get("kind") == "word" else 1
    if var.layout.get("kind") == "table":
        if slot is None:
            raise CannotDo(f"{var.name} is a table; say which slot")
        if not 0 <= slot < var.layout["slots"]:
            raise CannotDo(f"{var.name} has slots 0-{var.layout['slots'] - 1}")
        address, size = var.address + slot * var.layout["slot_size"], 1
    elif var.size > 2:
        raise CannotDo(f"{var.name} is a {var.size}-byte buffer, not a number")
    else:
        address = var.address
    _check_fits(value, size, var.name)
    return wrap(store_value(address, value, size)), (
        f"{var.name} ({h(address, 6)}): {var.description}")


def count_loop(count: int, body: list[str]) -> list[str]:
    """`body` (using `,x`) for X = count-1 down to 0, with a 16-bit X."""
    if not 1 <= count <= 0x10000:
        raise CannotDo("the count must be 1 to 65536")
    return [f"ldx #{h(count - 1 & 0xFFFF, 4)}", "-", *body, "dex", "cpx #$FFFF", "bne -"]


# --- the templates ---------------------------------------------------------------------------

Builder = Callable[[re.Match[str]], tuple[str, str]]


@dataclass(frozen=True)
class Task:
    name: str
    pattern: re.Pattern[str]
    build: Builder


TASKS: list[Task] = []


def task(name: str, pattern: str) -> Callable[[Builder], Builder]:
    def register_task(build: Builder) -> Builder:
        TASKS.append(Task(name, re.compile(pattern, re.I | re.S), build))
        return build
    return register_task


@task("store a byte", rf"^store the value {NUM} in the byte at {NUM}\.?$")
def _store(m: re.Match[str]) -> tuple[str, str]:
    value, address = num(m[1]), num(m[2])
    _check_fits(value, 1, "a byte")
    return wrap(store_value(address, value, 1)), ""


@task("copy a byte", rf"^copy the byte at {NUM} to {NUM}\.?$")
def _copy_byte(m: re.Match[str]) -> tuple[str, str]:
    return wrap([f"lda.l {h(num(m[1]), 6)}", f"sta.l {h(num(m[2]), 6)}"]), ""


@task("add to a byte", rf"^add {NUM} to the byte at {NUM}(?: \(8-bit, wrapping(?: around)?\))?\.?$")
def _add_byte(m: re.Match[str]) -> tuple[str, str]:
    value, address = num(m[1]), num(m[2])
    _check_fits(value, 1, "a byte")
    return wrap([f"lda.l {h(address, 6)}", "clc", f"adc #{h(value)}",
                 f"sta.l {h(address, 6)}"]), "8-bit add; the result wraps around past $FF"


@task("fill bytes", rf"^(?:write a routine that )?(?:fills?|set|clear) the {NUM} bytes "
                    rf"(?:starting )?at {NUM}(?: (?:with|to) {NUM}| to zero)?\.?$")
def _fill(m: re.Match[str]) -> tuple[str, str]:
    count, address = num(m[1]), num(m[2])
    value = num(m[3]) if m[3] else 0
    if m[0].lower().startswith(("fill", "write")) and not m[3]:
        raise CannotDo("the request does not say which value to fill with")
    _check_fits(value, 1, "a byte")
    return wrap([f"lda #{h(value)}", *count_loop(count, [f"sta.l {h(address, 6)},x"])],
                rep=0x10), f"writes bytes {h(address, 6)}-{h(address + count - 1, 6)} only"


@task("sum bytes", rf"^(?:write a routine that )?adds up the {NUM} bytes starting at {NUM} "
                   rf"\(8-bit sum, wrapping\) and stores the sum at {NUM}\.?$")
def _sum(m: re.Match[str]) -> tuple[str, str]:
    count, address, out = num(m[1]), num(m[2]), num(m[3])
    body = ["lda #$00", *count_loop(count, ["clc", f"adc.l {h(address, 6)},x"]),
            f"sta.l {h(out, 6)}"]
    return wrap(body, rep=0x10), "8-bit sum, wrapping past $FF"


@task("clamp a byte", rf"^clamp the byte at {NUM} so (?:that )?it is at most {NUM}"
                      rf"(?: \(unsigned\))?\.?$")
def _clamp(m: re.Match[str]) -> tuple[str, str]:
    address, limit = num(m[1]), num(m[2])
    _check_fits(limit, 1, "a byte")
    return wrap([f"lda.l {h(address, 6)}", f"cmp #{h(limit)}", "bcc +", f"lda #{h(limit)}",
                 f"sta.l {h(address, 6)}", "+"]), "unsigned compare: BCC keeps values below"


@task("16-bit add", rf"^add the 16-bit word at {NUM} to the one at {NUM} and store the "
                    rf"(?:16-bit )?result at {NUM}\.?$")
def _add16(m: re.Match[str]) -> tuple[str, str]:
    a, b, out = (num(m[i]) for i in (1, 2, 3))
    return wrap([f"lda.l {h(a, 6)}", "clc", f"adc.l {h(b, 6)}", f"sta.l {h(out, 6)}"],
                sep=0, rep=0x20), "16-bit add, wrapping past $FFFF"


@task("multiply by a constant", rf"^multiply the byte at {NUM} by {NUM} and store the "
                                rf"(?:16-bit )?product at {NUM}\.?$")
def _multiply(m: re.Match[str]) -> tuple[str, str]:
    address, factor, out = num(m[1]), num(m[2]), num(m[3])
    if not 0 <= factor <= 0xFF:
        raise CannotDo("I multiply by constants 0-255 only")
    if factor == 0:
        return wrap(["lda #$0000", f"sta.l {h(out, 6)}"], sep=0, rep=0x20), ""
    # Horner's rule over the factor's bits: acc = acc*2 (+ x), x kept on the stack.
    body = [f"lda.l {h(address, 6)}", "and #$00FF", "pha"]
    for bit in bin(factor)[3:]:
        body.append("asl a")
        if bit == "1":
            body += ["clc", "adc $01,s"]
    body += [f"sta.l {h(out, 6)}", "pla"]
    return wrap(body, sep=0, rep=0x20), f"x{factor} by shifts and adds (16-bit product)"


@task("copy bytes", rf"^(?:write a routine that )?cop(?:y|ies) (?:the )?{NUM} bytes "
                    rf"(?:at |from ){NUM} to {NUM}(?: with a block move instruction)?\.?$")
def _copy_block(m: re.Match[str]) -> tuple[str, str]:
    count, src, dst = num(m[1]), num(m[2]), num(m[3])
    if not 1 <= count <= 0x10000:
        raise CannotDo("the count must be 1 to 65536")
    sb, db = src >> 16, dst >> 16
    overlap = sb == db and src < dst < src + count
    op, x, y = (("mvp", src + count - 1, dst + count - 1) if overlap else ("mvn", src, dst))
    body = ["phb", f"ldx #{h(x & 0xFFFF, 4)}", f"ldy #{h(y & 0xFFFF, 4)}",
            f"lda #{h(count - 1, 4)}", f"{op} {h(db)},{h(sb)}", "plb"]
    why = "MVP copies from the end down, since the ranges overlap" if overlap else \
        "MVN moves A+1 bytes; asar writes the destination bank first"
    return wrap(body, sep=0, rep=0x30), why


@task("pointer lookup", rf"^the 24-bit pointer at {NUM}(?:-{NUM})? points at a table\. load the "
                        rf"byte {NUM} (?:entries|bytes) into it and store it at {NUM}\.?$")
def _pointer(m: re.Match[str]) -> tuple[str, str]:
    pointer, offset, out = num(m[1]), num(m[3]), num(m[4])
    if not 0x7E0000 <= pointer < 0x7E1FFE:
        raise CannotDo("the pointer must lie in low WRAM ($7E0000-$7E1FFD) for [dp],Y")
    base = pointer & 0xFF00
    body = ["phd", f"pea {h(base, 4)}", "pld", f"ldy #{h(offset, 4)}",
            f"lda [{h(pointer & 0xFF)}],y", f"sta.l {h(out, 6)}", "pld"]
    return wrap(body, rep=0x10), "[dp],Y reads through the 24-bit pointer, any bank"


@task("table lookup", rf"^x holds an index from 0 to (\d+)\. look it up in this table and "
                      rf"store the entry at {NUM}: db (.+)$")
def _table(m: re.Match[str]) -> tuple[str, str]:
    top, out = int(m[1]), num(m[2])
    values = [num(v) for v in m[3].rstrip(". ").split(",")]
    if len(values) != top + 1 or any(not 0 <= v <= 0xFF for v in values):
        raise CannotDo("the table must list one byte per index")
    code = wrap(["lda.l Table,x", f"sta.l {h(out, 6)}"], sep=0x30)
    return f"{code}\nrts\nTable:\n    db {', '.join(h(v) for v in values)}", ""


# --- ALTTP variables (from the knowledge graph) ----------------------------------------------

def _units(var: Var, amount: int, unit: str) -> int:
    """`amount` `unit`s in the variable's own units ("0x08 = 1 heart": 5 hearts = $28)."""
    m = re.search(rf"(0x[0-9A-Fa-f]+|\d+) = 1 {unit.rstrip('s')}\b", var.description)
    if not m:
        raise CannotDo(f"the map does not say how {var.name} counts {unit}")
    return amount * int(m[1], 0)


@task("set a variable", rf"^(?:set|make) (.+?) (?:to|=) {NUM}(?: full)?(?: (hearts?))?"
                        rf"(?: \(leave the maximum alone\))?\.?$")
def _set_variable(m: re.Match[str]) -> tuple[str, str]:
    phrase, value = m[1], num(m[2])
    slot = re.search(r"\bslot (\d+)\b", phrase)
    if re.search(r"\ball\b", phrase):
        raise CannotDo("for every slot, ask with 'all N slots'")
    var = variable(phrase)
    if m[3]:
        value = _units(var, value, m[3])
    return set_var(var, value, int(slot[1]) if slot else None)


@task("set every slot", rf"^set (.+?) of all (\d+) (\w+) slots to {NUM}\.?$")
def _set_all(m: re.Match[str]) -> tuple[str, str]:
    var, slots, value = variable(f"{m[1]} {m[3]}"), int(m[2]), num(m[4])
    layout = var.layout
    if layout.get("kind") != "table" or layout["slots"] != slots or layout["slot_size"] != 1:
        raise CannotDo(f"{var.name} is not a table of {slots} one-byte slots")
    _check_fits(value, 1, var.name)
    body = [f"lda #{h(value)}", *count_loop(slots, [f"sta.l {h(var.address, 6)},x"])]
    return wrap(body, rep=0x10), f"{var.name} ({h(var.address, 6)}), slots 0-{slots - 1}"


@task("give an amount", rf"^give (?:the player|link) exactly {NUM} (\w+)\.?$")
def _give(m: re.Match[str]) -> tuple[str, str]:
    return set_var(variable(m[2]), num(m[1]))


@task("fill to full", r"^(?:fill|refill) ([^,$0-9]+?)(?: to (?:his|her|its|the) (?:current )?"
                      r"(maximum))?\.?$")
def _fill_full(m: re.Match[str]) -> tuple[str, str]:
    var = variable(m[1])
    if m[2]:
        graph = knowledge_graph()
        node = graph.find_by_name(var.name)
        maxima = [e.source for e in graph.edges(target=node.id) if e.edge_type == "max_of"]
        if len(maxima) != 1:
            raise CannotDo(f"the map names no maximum for {var.name}")
        top = _var(graph.node(maxima[0]))
        return wrap([f"lda.l {h(top.address, 6)}", f"sta.l {h(var.address, 6)}"]), (
            f"copies {top.name} ({h(top.address, 6)}) into {var.name} ({h(var.address, 6)})")
    full = re.search(r"(0x[0-9A-Fa-f]+|\d+) = full", var.description)
    if not full:
        raise CannotDo(f"the map does not say what full means for {var.name}")
    return set_var(var, int(full[1], 0))


@task("store a coded value", r"^(?:put an? (\w+) in (.+?)|make (link) face (\w+))\.?$")
def _coded(m: re.Match[str]) -> tuple[str, str]:
    word, phrase = (m[1], m[2]) if m[1] else (m[4], "Link's facing direction")
    var = variable(phrase)
    values = codes(var)
    if word.lower() not in values:
        raise CannotDo(f"the map lists no '{word}' value for {var.name}")
    return set_var(var, values[word.lower()])


_MOVES = {"right": ("X", 1), "left": ("X", -1), "down": ("Y", 1), "up": ("Y", -1)}


@task("move Link", rf"^move link {NUM} pixels? (?:to the )?(right|left|up|down)"
                   r"(?: \(his [xy] coordinate is 16-bit\))?\.?$")
def _move(m: re.Match[str]) -> tuple[str, str]:
    step, (axis, sign) = num(m[1]), _MOVES[m[2].lower()]
    var = variable(f"Link's {axis} coordinate")
    op = ["clc", f"adc #{h(step, 4)}"] if sign > 0 else ["sec", f"sbc #{h(step, 4)}"]
    return wrap([f"lda.l {h(var.address, 6)}", *op, f"sta.l {h(var.address, 6)}"], sep=0,
                rep=0x20), f"{var.name} ({h(var.address, 6)}), 16-bit"


@task("place Link", rf"^place link at x = {NUM}, y = {NUM}\.?$")
def _place(m: re.Match[str]) -> tuple[str, str]:
    body = []
    for axis, value in (("X", num(m[1])), ("Y", num(m[2]))):
        var = variable(f"Link's {axis} coordinate")
        _check_fits(value, 2, var.name)
        body += [f"lda #{h(value, 4)}", f"sta.l {h(var.address, 6)}"]
    return wrap(body, sep=0, rep=0x20), "16-bit coordinates"


# --- hardware registers ----------------------------------------------------------------------

@task("INIDISP", rf"^(?:write inidisp directly: brightness {NUM}, forced blank (on|off)|turn "
                 rf"forced blank (on|off) through inidisp, keeping brightness {NUM})\.(.*)$")
def _inidisp(m: re.Match[str]) -> tuple[str, str]:
    level = num(m[1] or m[4])
    blank = (m[2] or m[3]).lower() == "on"
    if not 0 <= level <= 15:
        raise CannotDo("brightness is 0-15")
    address, _ = register("INIDISP")
    value = (0x80 if blank else 0) | level
    return wrap(store_value(address, value, 1)), "INIDISP: bit 7 forced blank, bits 0-3 brightness"


@task("BGMODE", rf"^select background mode {NUM} \(bgmode\)\.(.*)$")
def _bgmode(m: re.Match[str]) -> tuple[str, str]:
    mode = num(m[1])
    if not 0 <= mode <= 7:
        raise CannotDo("background modes are 0-7")
    address, _ = register("BGMODE")
    return wrap(store_value(address, mode, 1)), "BGMODE bits 0-2; the other bits are cleared"


@task("INIDISP shadow", rf"^set alttp's inidisp shadow so nmi sets brightness {NUM} with the "
                        r"screen on\.?$")
def _inidisp_shadow(m: re.Match[str]) -> tuple[str, str]:
    level = num(m[1])
    if not 0 <= level <= 15:
        raise CannotDo("brightness is 0-15")
    return set_var(variable("INIDISP shadow copy written at NMI"), level)


@task("write-twice register", rf"^set (\w+)'s (horizontal|vertical) scroll to {NUM}"
                              r" \((\w+) takes two writes, low byte then high\)\.(.*)$")
def _scroll(m: re.Match[str]) -> tuple[str, str]:
    address, size = register(m[4].upper())
    value = num(m[3])
    if size != "1x2":
        raise CannotDo(f"{m[4]} is not a write-twice register")
    _check_fits(value, 2, m[4])
    return wrap([f"lda #{h(value & 0xFF)}", f"sta.l {h(address, 6)}", f"lda #{h(value >> 8)}",
                 f"sta.l {h(address, 6)}"]), f"{m[4].upper()}: low byte, then high byte"


# --- joypad ----------------------------------------------------------------------------------

@task("button test", rf"^if the (\w+) button is (?:newly pressed|held)(?: this frame)? \(.*?"
                     rf"at {NUM}\), store {NUM} at {NUM}; otherwise leave that byte alone\.?$")
def _button(m: re.Match[str]) -> tuple[str, str]:
    button, source, value, out = m[1].lower(), num(m[2]), num(m[3]), num(m[4])
    node = knowledge_graph().resolve(source).node
    name = node.name if node is not None else ""
    table = BUTTONS_LOW if name.endswith("_low") or (
        "_high" not in name and button in BUTTONS_LOW) else BUTTONS_HIGH
    if button not in table:
        raise CannotDo(f"the byte at {h(source, 6)} holds no {m[1]} button")
    _check_fits(value, 1, "a byte")
    return wrap([f"lda.l {h(source, 6)}", f"and #{h(1 << table[button])}", "beq +",
                 f"lda #{h(value)}", f"sta.l {h(out, 6)}", "+"]), (
        f"{m[1]} is bit {table[button]} of {name or h(source, 6)}")


@task("count bits", rf"^count how many buttons are held in {NUM} \(one bit per button\) and "
                    rf"store the count at {NUM}\.?$")
def _count_bits(m: re.Match[str]) -> tuple[str, str]:
    source, out = num(m[1]), num(m[2])
    body = [f"lda.l {h(source, 6)}", "ldx #$00", "-", "asl a", "bcc +", "inx", "+",
            "cmp #$00", "bne -", "txa", f"sta.l {h(out, 6)}"]
    return wrap(body, sep=0x30), "counts the set bits of the byte"


# --- OAM buffer ------------------------------------------------------------------------------

def _oam_slot(entry: int) -> int:
    graph = knowledge_graph()
    node = graph.find_by_name("oam_buffer_low")
    if node is None or not 0 <= entry < node.properties["layout"]["slots"]:
        raise CannotDo("OAM entries are 0-127")
    return node.properties["address"] + entry * node.properties["layout"]["slot_size"]


@task("OAM buffer entry", rf"^fill entry {NUM} of the low oam buffer at \$7E0800 with "
                          rf"x = {NUM}, y = {NUM}, tile {NUM} and attributes {NUM}\.?$")
def _oam_fill(m: re.Match[str]) -> tuple[str, str]:
    base = _oam_slot(num(m[1]))
    body = []
    for k, value in enumerate(num(m[i]) for i in (2, 3, 4, 5)):
        _check_fits(value, 1, "an OAM byte")
        body += [f"lda #{h(value)}", f"sta.l {h(base + k, 6)}"]
    return wrap(body), "bytes X, Y, tile, attributes; the high table is left alone"


@task("hide an OAM entry", rf"^hide oam buffer entry {NUM} by moving it below the screen "
                           rf"\(y = {NUM}\)\.?$")
def _oam_hide(m: re.Match[str]) -> tuple[str, str]:
    base = _oam_slot(num(m[1]))
    value = num(m[2])
    _check_fits(value, 1, "an OAM byte")
    return wrap(store_value(base + 1, value, 1)), "the Y byte is the entry's second byte"


def matches(request: str) -> list[tuple[Task, re.Match[str]]]:
    """The tasks whose shape the request has (the whole request, one sentence or two)."""
    text = " ".join(request.split())
    return [(t, m) for t in TASKS if (m := t.pattern.match(text))]
