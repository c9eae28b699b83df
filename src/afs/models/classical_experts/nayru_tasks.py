"""Nayru's request reading: a request taken apart as a user's sentence would be.

The request is split into clauses (sentences, "then", "and <verb>", ", but", ", capping
..."). Every clause must be understood as one step or one bound, or Nayru refuses: a
half-understood request gets no code. A step is a verb with its operands:

* set: "set T to V", "store/write/put/queue V in T", "start T at V", "give Link exactly N
  rupees";
* add / subtract: "add N to T", "increase T by N", "heal Link by N hearts", "give Link N
  bombs", "take N away from T", "decrease T by N", "damage Link by N";
* copy: "copy S to T", "copy N bytes from A to B";
* fill / clear: "fill N bytes at A with V", "clear N bytes at A", "clear T";
* increment / decrement T; set / clear / toggle bit N of T;
* refill T (to its maximum, from the knowledge graph's `max_of` edge, or to "full").

A bound clause ("never above the maximum", "capped at 999", "not below zero", "stops at
zero") limits the arithmetic step before it. Operands are addresses ($7EF36D, "the word at
$7E1E00") or knowledge-graph phrases ("Link's current health", "the bomb count"); a quantity
takes its unit from the graph ("0x08 = 1 heart"). Stores use long addressing, so the code
works whatever DBR holds; each routine saves and restores P around its width changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from afs.models.classical_experts.common import knowledge_graph

NUM = r"(\$[0-9A-Fa-f]+|0x[0-9A-Fa-f]+|\d+)"
CONFIDENCE = 1.1   # the best variable must outscore the next by this factor
#: the step kinds Nayru can write, for its refusal message
TASKS = ("set a value", "add or subtract (bounded)", "copy", "fill or clear", "increment or "
         "decrement", "set, clear or toggle a bit", "refill to the maximum")


class CannotDo(Exception):
    """The request (or one clause of it) is not understood exactly."""


def num(text: str) -> int:
    text = text.strip()
    if text.startswith("$"):
        return int(text[1:], 16)
    return int(text, 0)


def h(value: int, digits: int = 2) -> str:
    return f"${value:0{digits}X}"


# --- operands ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """A memory operand: where, how wide, and the graph node it is (if any)."""

    address: int
    size: int
    name: str
    description: str = ""
    node_id: str | None = None


_ADDRESS = re.compile(r"\$([0-9A-Fa-f]{4,6})\b")
_WORD = re.compile(r"\b(?:word|16-bit|two-byte)\b", re.I)
# One noun phrase ("Link's current health", "the byte at $7E1E00", "the timer ($7E0046)"):
# words, never a second clause or a condition.
_NOUN_PHRASE = re.compile(r"^(?=.)[\w' -]*?(?:\s*(?:at\s+)?\$[0-9A-Fa-f]{4,6})?"
                          r"(?:\s*\(\$[0-9A-Fa-f]{4,6}\))?$")
_NOT_A_NOUN = re.compile(r"\b(?:from|to|with|without|if|when|while|unless|then|and|or|it|each|"
                         r"every|all|first|last|not|only|by|per|bits?)\b", re.I)
_FILLER = re.compile(r"^(?:the|a|an|his|her|its|link's|the player's)\s+", re.I)


def _node_target(node: Any) -> Target:
    p = node.properties
    size = 2 if p.get("layout", {}).get("kind") == "word" or p.get("size_bytes") == 2 else 1
    if p.get("size_bytes", 1) > 2 or p.get("layout", {}).get("kind") == "table":
        raise CannotDo(f"{node.name} is a table or buffer, not one number")
    return Target(p["address"], size, node.name, p.get("description", ""), node.id)


def target(phrase: str) -> Target:
    """The memory a noun phrase names: an explicit address wins, else the graph's variable."""
    graph = knowledge_graph()
    phrase = phrase.strip().rstrip(".,")
    if not _NOUN_PHRASE.match(phrase) or _NOT_A_NOUN.search(phrase):
        raise CannotDo(f"'{phrase}' is not one thing I can name")
    found = _ADDRESS.search(phrase)
    if found:
        address = int(found.group(1), 16)
        if address <= 0xFFFF:
            raise CannotDo(f"say which bank ${address:04X} is in (a 24-bit address)")
        node = graph.resolve(address).node
        if node is not None and node.node_type == "memory" and \
                node.properties["address"] == address:
            tgt = _node_target(node)
            if _WORD.search(phrase) and tgt.size != 2:
                raise CannotDo(f"{node.name} is one byte, not a word")
            return tgt
        return Target(address, 2 if _WORD.search(phrase) else 1, h(address, 6))
    if re.search(r"\b(?:byte|word|value)\b", phrase, re.I) and not re.search(
            r"link|player|sprite|health|magic|rupee|bomb|arrow", phrase, re.I):
        raise CannotDo(f"'{phrase}' names no address I can find")
    numbered = re.search(r"\b([a-z]+) (\d+)\b", phrase.lower())
    if numbered:    # "bottle 3": the map's bottle_3_... variable
        word, n = numbered.groups()
        hits = [node for node in graph.nodes("memory")
                if re.match(rf"{word}_{n}(?:_|$)", node.name)]
        if len(hits) == 1:
            return _node_target(hits[0])
    entities = [e for e in graph.retrieve(phrase, max_entities=4).entities
                if e.node.node_type == "memory"]
    if not entities:
        raise CannotDo(f"I cannot tell which RAM variable '{phrase}' means")
    best = entities[0]
    wants_max = re.search(r"\bmax(?:imum)?\b|\bcontainers?\b|\bcapacity\b", phrase, re.I)
    if len(entities) > 1 and not wants_max:
        # "Link's health": the variable, not its maximum (the graph's max_of edge says which)
        maxima = {e.source for e in graph.edges(target=best.node.id) if e.edge_type == "max_of"}
        of_second = {e.target for e in graph.edges(source=best.node.id)
                     if e.edge_type == "max_of"}
        if entities[1].node.id in of_second:
            best = entities[1]
        elif entities[1].node.id in maxima:
            entities = [best, *entities[2:]]
    rivals = [e for e in entities if e is not best]
    if rivals and best.score < CONFIDENCE * rivals[0].score and best is entities[0]:
        raise CannotDo(f"I cannot tell which RAM variable '{phrase}' means")
    return _node_target(best.node)


def codes(tgt: Target) -> dict[str, int]:
    """The coded values a variable's description lists ("0 up, 2 down", "6 fairy")."""
    text = tgt.description
    same = re.search(r"same coding as ([a-z]+ \d+)", text, re.I)
    if same:
        text = target(same.group(1)).description
    pairs = re.findall(r"(?:^|[:,;]\s*)(0x[0-9A-Fa-f]+|\d+) ([a-z][a-z ]*?)(?=[,;.]|$)", text)
    return {name.strip().lower(): int(v, 0) for v, name in pairs}


def maximum_of(tgt: Target) -> Target | None:
    """The variable the graph names as `tgt`'s maximum (max_of edge), if any."""
    if tgt.node_id is None:
        return None
    graph = knowledge_graph()
    sources = [e.source for e in graph.edges(target=tgt.node_id) if e.edge_type == "max_of"]
    return _node_target(graph.node(sources[0])) if len(sources) == 1 else None


_UNITS = {"heart": "heart", "hearts": "heart", "half heart": "half", "half hearts": "half",
          "eighth of a heart": "eighth", "eighths of a heart": "eighth",
          "eighths": "eighth"}
_COUNT_NOUNS = {"rupee": "rupees", "rupees": "rupees", "bomb": "bombs carried",
                "bombs": "bombs carried", "arrow": "arrows carried",
                "arrows": "arrows carried", "magic": "magic meter",
                "units of magic": "magic meter"}


@dataclass
class Amount:
    value: int | None = None        # a constant
    source: Target | None = None    # or a memory operand
    unit: str | None = None         # heart, half, eighth
    noun: str | None = None         # the count noun ("rupees") that names a variable


_AMOUNT = re.compile(
    rf"^{NUM}(?:\s+(eighths? of a heart|half hearts?|hearts?|rupees?|bombs?|arrows?|units of "
    rf"magic|magic))?$", re.I)


def amount(text: str) -> Amount:
    text = _FILLER.sub("", text.strip().rstrip(".,"))
    if text.lower() == "zero":
        return Amount(0)
    m = _AMOUNT.match(text)
    if m:
        unit = (m.group(2) or "").lower()
        return Amount(num(m.group(1)), unit=_UNITS.get(unit),
                      noun=_COUNT_NOUNS.get(unit))
    if _ADDRESS.search(text) and re.match(r"^(?:value|byte|amount|number)\b", text, re.I):
        return Amount(source=target(text))
    raise CannotDo(f"'{text}' is not an amount I understand")


def in_units(tgt: Target, amt: Amount) -> int:
    """A constant amount in the variable's own units ("0x08 = 1 heart": 2 hearts = $10)."""
    assert amt.value is not None
    if amt.unit is None:
        return amt.value
    m = re.search(r"(0x[0-9A-Fa-f]+|\d+) = 1 heart", tgt.description)
    if not m:
        raise CannotDo(f"{tgt.name} does not count hearts")
    per_heart = int(m.group(1), 0)
    return amt.value * {"heart": per_heart, "half": per_heart // 2,
                        "eighth": per_heart // 8}[amt.unit]


# --- steps -------------------------------------------------------------------------------------

@dataclass
class Step:
    kind: str                       # set, add, sub, copy, fill, inc, dec, bit, refill
    target: Target
    value: int = 0
    source: Target | None = None
    count: int = 1
    upper: int | Target | None = None
    lower: int | Target | None = None
    op: str = ""
    notes: list[str] = field(default_factory=list)


def _fits(value: int, size: int, what: str) -> int:
    if not 0 <= value < 1 << (8 * size):
        raise CannotDo(f"{value} does not fit in {what} ({size} byte(s))")
    return value


def _player_target(noun: str | None, default: str | None = None) -> Target:
    if noun is None and default is None:
        raise CannotDo("the request does not say what to change")
    return target(noun or default or "")


VALUE = rf"(?:{NUM}|zero)"


def _value(text: str) -> int:
    return 0 if text.lower() == "zero" else num(text)


Parser = Callable[[re.Match[str]], Step]
_STEPS: list[tuple[re.Pattern[str], Parser]] = []


def step(*patterns: str) -> Callable[[Parser], Parser]:
    def register(parse: Parser) -> Parser:
        for pattern in patterns:
            _STEPS.append((re.compile(pattern, re.I), parse))
        return parse
    return register


@step(r"^(?:set|make) (?P<t>.+?) (?:to|=) (?P<v>(?:\$|0x)?[0-9A-Fa-f]+(?: [a-z ]+)?|zero)$",
      rf"^(?:store|write|put|queue|place) (?:the )?(?:value |byte |number |sound(?: effect)? )?"
      rf"(?P<v>{VALUE}) (?:in|into|to|at) "
      rf"(?P<t>.+)$",
      rf"^(?:start|reset) (?P<t>.+?) (?:at|to) (?P<v>{VALUE})$")
def _set(m: re.Match[str]) -> Step:
    tgt = target(m["t"])
    amt = amount(m["v"])
    return Step("set", tgt, _fits(in_units(tgt, amt), tgt.size, tgt.name))


@step(r"^(?:put|store|place) (?:an? |the )?(?P<w>[a-z][a-z ]*?) (?:in|into) (?P<t>.+)$",
      r"^make (?P<t>link) face (?P<w>up|down|left|right)$")
def _coded(m: re.Match[str]) -> Step:
    tgt = target("Link's facing direction" if m["t"].lower() == "link" else m["t"])
    values = codes(tgt)
    word = m["w"].lower()
    if word not in values:
        raise CannotDo(f"the map lists no '{word}' value for {tgt.name}")
    return Step("set", tgt, values[word])


@step(r"^give (?:link|the player|him) exactly (?P<a>.+)$")
def _give_exactly(m: re.Match[str]) -> Step:
    amt = amount(m["a"])
    tgt = _player_target(amt.noun)
    return Step("set", tgt, _fits(in_units(tgt, amt), tgt.size, tgt.name))


@step(r"^(?P<verb>add|give) (?P<a>.+?) to (?P<t>.+)$",
      r"^(?:increase|raise) (?P<t>.+?) by (?P<a>.+)$",
      r"^(?:heal|restore) (?:link )?(?:by )?(?P<a>.+?)(?: of (?P<t>link's health|link's "
      r"current health|his health))?$",
      r"^give (?:link|the player|him) (?P<a>\d+ \w+)$")
def _add(m: re.Match[str]) -> Step:
    amt = amount(m["a"])
    groups = m.groupdict()
    default = "Link's current health" if amt.unit else None
    tgt = target(groups["t"]) if groups.get("t") else _player_target(amt.noun, default)
    if amt.source is not None:
        return Step("add", tgt, source=amt.source)
    return Step("add", tgt, _fits(in_units(tgt, amt), tgt.size, tgt.name))


@step(r"^(?:subtract|take|remove) (?P<a>.+?) (?:away )?from (?P<t>.+)$",
      r"^(?:decrease|lower|reduce) (?P<t>.+?) by (?P<a>.+)$",
      r"^(?:damage|hurt) link (?:by|for) (?P<a>.+)$")
def _sub(m: re.Match[str]) -> Step:
    amt = amount(m["a"])
    groups = m.groupdict()
    tgt = target(groups["t"]) if groups.get("t") else target("Link's current health")
    if amt.source is not None:
        return Step("sub", tgt, source=amt.source)
    return Step("sub", tgt, _fits(in_units(tgt, amt), tgt.size, tgt.name))


_DIRECTIONS = {"right": ("X", "add"), "left": ("X", "sub"), "down": ("Y", "add"),
               "up": ("Y", "sub")}


@step(rf"^(?:move|step|push) (?:link|him) (?:by )?(?P<n>{NUM}) pixels? (?:to the )?"
      r"(?P<d>right|left|up|down)$",
      rf"^(?:move|step|push) (?:link|him) (?P<d>right|left|up|down) (?:by )?(?P<n>{NUM}) "
      r"pixels?$")
def _move(m: re.Match[str]) -> Step:
    axis, kind = _DIRECTIONS[m["d"].lower()]
    tgt = target(f"Link's {axis} coordinate")
    return Step(kind, tgt, _fits(num(m["n"]), tgt.size, tgt.name))


@step(rf"^copy (?:the )?(?P<n>{NUM}) bytes? (?:from|at) (?P<s>\S+) (?:to|into) (?P<t>\S+)$")
def _copy_block(m: re.Match[str]) -> Step:
    count = num(m["n"])
    if not 1 <= count <= 0x100:
        raise CannotDo("I copy blocks of 1 to 256 bytes")
    return Step("copy", target(m["t"]), source=target(m["s"]), count=count)


@step(r"^copy (?P<s>.+?) (?:to|into) (?P<t>.+)$",
      r"^(?:restore|set) (?P<t>.+?) from (?P<s>.+)$")
def _copy(m: re.Match[str]) -> Step:
    src, dst = target(m["s"]), target(m["t"])
    if src.size != dst.size:
        raise CannotDo(f"{src.name} and {dst.name} differ in size")
    return Step("copy", dst, source=src, count=src.size)


@step(rf"^(?:fill|set) (?:the )?(?P<n>{NUM}) bytes (?:starting )?(?:at|from) (?P<t>\S+) "
      rf"(?:with|to) (?P<v>{VALUE})$",
      rf"^(?:clear|zero(?: out)?) (?:the )?(?P<n>{NUM}) bytes (?:starting )?(?:at|from) "
      rf"(?P<t>\S+)$")
def _fill(m: re.Match[str]) -> Step:
    count = num(m["n"])
    if not 1 <= count <= 0x100:
        raise CannotDo("I fill blocks of 1 to 256 bytes")
    value = _value(m["v"]) if m.groupdict().get("v") else 0
    return Step("fill", target(m["t"]), _fits(value, 1, "a byte"), count=count)


@step(r"^(?P<op>set|clear|toggle|flip) bit (?P<b>[0-7]) (?:of|in) (?P<t>.+)$")
def _bit(m: re.Match[str]) -> Step:
    tgt = target(m["t"])
    return Step("bit", tgt, 1 << int(m["b"]), op={"flip": "toggle"}.get(m["op"].lower(),
                                                                        m["op"].lower()))


@step(r"^(?:clear|zero(?: out)?) (?P<t>.+)$")
def _clear(m: re.Match[str]) -> Step:
    return Step("set", target(m["t"]), 0)


@step(r"^(?P<op>increment|decrement) (?P<t>.+)$")
def _incdec(m: re.Match[str]) -> Step:
    return Step("add" if m["op"].lower() == "increment" else "sub", target(m["t"]), 1)


@step(r"^(?:re)?fill (?P<t>[^$0-9]+?)(?: (?P<max>to (?:the|his|its) (?:current )?maximum)|"
      r" completely)?$")
def _refill(m: re.Match[str]) -> Step:
    tgt = target(m["t"])
    top = maximum_of(tgt)
    if top is not None:
        return Step("copy", tgt, source=top, count=tgt.size)
    if m["max"]:
        raise CannotDo(f"the map names no maximum for {tgt.name}")
    full = re.search(r"(0x[0-9A-Fa-f]+|\d+) = full|0 to (0x[0-9A-Fa-f]+)", tgt.description)
    if not full:
        raise CannotDo(f"the map does not say what full means for {tgt.name}")
    return Step("set", tgt, int(full.group(1) or full.group(2), 0))


# --- bounds ------------------------------------------------------------------------------------

_UPPER = (
    re.compile(r"^(?:but )?(?:capp(?:ed|ing)|clamp(?:ed|ing)|limit(?:ed|ing))(?: it)? "
               r"(?:at|to) (?P<u>.+)$", re.I),
    re.compile(r"^(?:but )?(?:never|not) (?:let (?:it|.+?) )?(?:go|end|rise)? ?(?:above|past|"
               r"over|beyond|more than) (?P<u>.+)$", re.I),
    re.compile(r"^(?:.+? )?(?:must|may|should|can) (?:never|not) (?:end |go |rise )?"
               r"(?:above|exceed|go past|be more than|be above) (?P<u>.+)$", re.I),
    re.compile(r"^(?:the result|it) (?:is|stays) (?:at most|no more than) (?P<u>.+)$", re.I),
    re.compile(r"^(?:up to|at most) (?P<u>.+)$", re.I),
    re.compile(r"^without (?:going|getting|rising) (?:over|above|past) (?P<u>.+)$", re.I),
)
_LOWER = re.compile(r"^(?:but )?(?:.+? )?(?:stops? at|stopping at|stays? at|floor(?:ed)? at|"
                    r"never (?:goes |drops )?below|not (?:go |drop )?below|"
                    r"without (?:letting it )?(?:go|drop)(?:ping)? below|"
                    r"without letting it underflow|without underflowing) "
                    r"(?P<l>zero|0)(?: rather than wrapping(?: around)?)?$", re.I)


_STOP_AT = re.compile(rf"^if (?:that|this|it) (?:takes|puts|moves) (?:his|its|the|link's) "
                      rf"[\w ]+? (?:past|beyond|over|under|below|above) (?P<n>{NUM}), stop "
                      rf"(?:him|it) (?:at|there)(?: (?P<m>{NUM}))?$", re.I)


def bound(clause: str, steps: list[Step]) -> bool:
    """Attach a bound clause to the last add/subtract; False if it is not a bound."""
    arithmetic = [s for s in steps if s.kind in ("add", "sub")]
    for pattern in _UPPER:
        m = pattern.match(clause)
        if m:
            if not arithmetic or arithmetic[-1].kind != "add":
                raise CannotDo("an upper bound with nothing added")
            last = arithmetic[-1]
            last.upper = _upper_value(m["u"], last.target)
            return True
    if _LOWER.match(clause):
        if not arithmetic or arithmetic[-1].kind != "sub":
            raise CannotDo("a lower bound with nothing subtracted")
        arithmetic[-1].lower = 0
        return True
    m = _STOP_AT.match(clause)
    if m:
        if not arithmetic:
            raise CannotDo("a limit with no movement")
        last = arithmetic[-1]
        limit = _fits(num(m["n"]), last.target.size, last.target.name)
        if m["m"] and num(m["m"]) != limit:
            raise CannotDo("the limit and the stopping point differ")
        if last.kind == "add":
            last.upper = limit
        else:
            last.lower = limit
        return True
    return False


def _upper_value(text: str, tgt: Target) -> int | Target:
    text = _FILLER.sub("", text.strip().rstrip(".,"))
    text = re.sub(r"^(?:the |his |its )", "", text, flags=re.I)
    try:
        amt = amount(text)
        if amt.value is not None:
            return _fits(in_units(tgt, amt), tgt.size, tgt.name)
    except CannotDo:
        pass
    if re.search(r"\bmax(?:imum)?\b", text, re.I):
        top = maximum_of(tgt)
        if top is not None:
            return top
        return target(text)
    raise CannotDo(f"'{text}' is not a bound I understand")


# --- clauses and code --------------------------------------------------------------------------

_VERBS = ("move|step|push|set|make|store|write|put|queue|place|start|reset|give|add|increase|"
          "raise|heal|restore|subtract|take|remove|decrease|lower|reduce|damage|hurt|copy|fill|refill|"
          "clear|zero|increment|decrement|toggle|flip")
_SPLIT = re.compile(rf"\s*(?:[.;:]\s+|,?\s+(?:and\s+)?then\s+|,\s+(?=(?:but\b|capp|clamp|limit|"
                    rf"never\b|without\b|stopping\b|not\b|the result\b))|"
                    rf"\s+(?=without (?:going|getting|rising|letting|dropping)\b)|"
                    rf",?\s+and\s+(?=(?:also\s+)?(?:{_VERBS})\b))", re.I)
_LEAD = re.compile(r"^(?:please|also|now|then|and|finally|first),?\s+", re.I)
# Lines AFS prompts add (afs.benchmark.prompts): the entry state and the live-out.
_CONTEXT = re.compile(r"^\s*(?:on entry|what must be preserved|you may assume)\b.*$",
                      re.I | re.M)


def clauses(request: str) -> list[str]:
    text = " ".join(_CONTEXT.sub("", request).split()).strip().rstrip(".!")
    parts = [_LEAD.sub("", p.strip().rstrip(".,")) for p in _SPLIT.split(text)]
    return [p for p in parts if p]


def understand(request: str) -> list[Step]:
    """The steps a request asks for, in order; CannotDo names the clause not understood."""
    steps: list[Step] = []
    for clause in clauses(request):
        if steps and bound(clause, steps):
            continue
        reason = f"I do not understand '{clause}'"
        for pattern, parse in _STEPS:
            m = pattern.match(clause)
            if m:
                try:
                    steps.append(parse(m))
                except CannotDo as exc:   # another reading of the clause may fit
                    reason = f"'{clause}': {exc}"
                    continue
                break
        else:
            raise CannotDo(reason)
    if not steps:
        raise CannotDo("the request asks for nothing I can write")
    return steps


def _operand(bound_: int | Target, size: int) -> str:
    if isinstance(bound_, Target):
        return f".l {h(bound_.address, 6)}"
    return f" #{h(bound_, 2 * size)}"


def code_for(steps: list[Step]) -> str:
    """The routine: P saved, 8-bit A for bytes and 16-bit A for words, every step in order."""
    body: list[str] = []
    for n, s in enumerate(steps):
        wide = s.target.size == 2 and s.kind not in ("fill", "bit")
        if wide:
            body.append("rep #$20")
        body += _step_code(s, n, wide)
        if wide:
            body.append("sep #$20")
    return "\n".join(["php", "sep #$30", *body, "plp"])


def _step_code(s: Step, n: int, wide: bool) -> list[str]:
    at = f"{h(s.target.address, 6)}"
    digits = 4 if wide else 2
    if s.kind == "set":
        return [f"lda #{h(s.value, digits)}", f"sta.l {at}"]
    if s.kind == "copy":
        assert s.source is not None
        if s.count == s.target.size:
            return [f"lda.l {h(s.source.address, 6)}", f"sta.l {at}"]
        return [f"ldx #{h(s.count - 1)}", f"Copy{n}:", f"lda.l {h(s.source.address, 6)},x",
                f"sta.l {at},x", "dex", "cpx #$FF", f"bne Copy{n}"]
    if s.kind == "fill":
        return [f"lda #{h(s.value)}", f"ldx #{h(s.count - 1)}", f"Fill{n}:", f"sta.l {at},x",
                "dex", "cpx #$FF", f"bne Fill{n}"]
    if s.kind == "bit":
        op = {"set": f"ora #{h(s.value)}", "clear": f"and #{h(0xFF ^ s.value)}",
              "toggle": f"eor #{h(s.value)}"}[s.op]
        return [f"lda.l {at}", op, f"sta.l {at}"]
    by = f".l {h(s.source.address, 6)}" if s.source else f" #{h(s.value, digits)}"
    if s.kind == "add":
        code = [f"lda.l {at}", "clc", f"adc{by}"]
        if s.upper is not None:
            code += [f"bcs Top{n}", f"cmp{_operand(s.upper, s.target.size)}",
                     f"bcc Store{n}", f"Top{n}:",
                     f"lda{_operand(s.upper, s.target.size)}", f"Store{n}:"]
        return [*code, f"sta.l {at}"]
    code = [f"lda.l {at}", "sec", f"sbc{by}"]
    if s.lower == 0:
        code += [f"bcs Store{n}", f"lda #{h(0, digits)}", f"Store{n}:"]
    elif s.lower is not None:
        code += [f"bcc Bottom{n}", f"cmp{_operand(s.lower, s.target.size)}", f"bcs Store{n}",
                 f"Bottom{n}:", f"lda{_operand(s.lower, s.target.size)}", f"Store{n}:"]
    return [*code, f"sta.l {at}"]


def describe(steps: list[Step]) -> str:
    out = []
    for s in steps:
        what = f"{s.kind} {s.target.name} ({h(s.target.address, 6)})"
        if s.upper is not None:
            top = s.upper.name if isinstance(s.upper, Target) else str(s.upper)
            what += f", at most {top}"
        if s.lower is not None:
            bottom = s.lower.name if isinstance(s.lower, Target) else str(s.lower)
            what += f", not below {bottom}"
        out.append(what)
    return "; ".join(out)
