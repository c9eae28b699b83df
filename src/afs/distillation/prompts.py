"""Self-contained, diverse distillation prompts from seeded code generators.

Every prompt is a pure function of `(seed, index)`: a domain (optimize, debug, generate,
explain, alttp), a family inside it, parameters (addresses, widths, counts, values, labels,
phrasing) and, for the code domains, a snippet built by this module's own generators — not
taken from any benchmark, and checked against `benchmarks/*/benchmark.jsonl` by normalised
code (`BenchmarkExclusion`). A prompt that talks about code always contains that code
(`is_self_contained`), so a teacher is never asked to "paste your code".
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from afs.asm.extract import normalize_code
from afs.jsonl import iter_jsonl

DOMAINS = ("optimize", "debug", "generate", "explain", "alttp")
EXPERTS = {"optimize": "din", "debug": "farore", "generate": "nayru", "explain": "veran",
           "alttp": "veran"}
CODE_DOMAINS = frozenset({"optimize", "debug", "generate"})

SYSTEM_PROMPTS = {
    "optimize": "You are Din, an expert in optimising SNES 65816 assembly (asar syntax). "
                "Return the optimised routine in one ```asm fenced block, then list each change "
                "with the cycles and bytes it saves. Keep the behaviour identical for the "
                "registers and memory the task says are live.",
    "debug": "You are Farore, an expert at debugging SNES 65816 assembly (asar syntax). Name "
             "the bug, the line and why it is wrong, then give the corrected routine in one "
             "```asm fenced block.",
    "generate": "You are Nayru, an expert at writing SNES 65816 assembly for asar. Answer with "
                "one complete routine in an ```asm fenced block, then a short explanation of "
                "register widths and side effects.",
    "explain": "You are Veran, an expert at explaining SNES 65816 assembly. Explain the code "
               "line by line: what each instruction does, which flags it changes, and what the "
               "routine achieves as a whole.",
    "alttp": "You are Veran, an expert on The Legend of Zelda: A Link to the Past (SNES) and "
             "its disassembly. Answer precisely, naming RAM addresses in $7E:xxxx form where "
             "relevant, and say when something is uncertain.",
}

# Phrases that point at code the prompt must then contain.
_CODE_REFERENCE = re.compile(
    r"\b(this|the following|the|my|below)\s+(code|routine|snippet|function|subroutine)\b"
    r"|\bbelow\b|\bpaste\b", re.IGNORECASE)
_FENCE = re.compile(r"```[^\n]*\n.*?```", re.DOTALL)


def is_self_contained(text: str) -> bool:
    """False when the text refers to code ("this routine", "below") without a code block."""
    return bool(_FENCE.search(text)) or not _CODE_REFERENCE.search(text)


@dataclass(frozen=True)
class PromptSpec:
    """One prompt: `user` is the full request; `code` the snippet it contains, if any;
    `task` what the filters need (live-out, preconditions, scratch, bug facts)."""

    id: str
    index: int
    domain: str
    family: str
    system: str
    user: str
    code: str | None = None
    task: dict[str, Any] = field(default_factory=dict)

    @property
    def expert(self) -> str:
        return EXPERTS[self.domain]


# -- small random helpers --------------------------------------------------------------------

_ROUTINE_WORDS = ("Update", "Handle", "Init", "Reset", "Tick", "Apply", "Load", "Store", "Check",
                  "Draw", "Clear", "Copy", "Advance", "Refresh", "Prepare")
_ROUTINE_NOUNS = ("Timer", "Counter", "Buffer", "Palette", "Sprite", "Hud", "Score", "Camera",
                  "Enemy", "Item", "Room", "Menu", "Sound", "Tile", "Cursor", "Health", "Magic")


def _label(rng: random.Random) -> str:
    return rng.choice(_ROUTINE_WORDS) + rng.choice(_ROUTINE_NOUNS) + rng.choice(("", "", "_Long"))


def _dp(rng: random.Random, avoid: Iterable[int] = ()) -> int:
    taken = set(avoid)
    while True:
        value = rng.randrange(0x02, 0xFE)
        if value not in taken and value + 1 not in taken and value - 1 not in taken:
            return value


def _addr(value: int) -> str:
    return f"${value:02X}" if value < 0x100 else f"${value:04X}"


def _vars(rng: random.Random, count: int, wide: Iterable[int] = ()) -> list[int]:
    """Distinct variables, either all direct-page or all absolute WRAM ($0200-$1FFF).

    The variables at the positions in `wide` receive 16-bit stores, so they are drawn again
    until the ALTTP map allows one there: a documented 16-bit variable or free bytes, never a
    1-byte variable whose neighbour the high byte would clobber (the knowledge filter rejects
    such answers, so the prompt must not ask for them).
    """
    chosen: list[int] = []
    wide = set(wide)
    absolute = rng.random() < 0.5
    while len(chosen) < count:
        value = rng.randrange(0x0200, 0x1FF0) if absolute else _dp(rng, chosen)
        if len(chosen) in wide and not wide_store_allowed(value):
            continue
        if all(abs(value - other) > 1 for other in chosen):
            chosen.append(value)
    return chosen


@functools.cache
def wide_store_allowed(address: int) -> bool:
    """May a 16-bit store go to `address` (bank $00/direct page, i.e. WRAM $7E:address)?
    True when the knowledge graph finds no width error there, or is not installed."""
    try:
        from afs.knowledge.adapters import ALTTPKnowledgeGraph
    except ImportError:
        return True
    graph = _graph(ALTTPKnowledgeGraph)
    findings = graph.validate_output(f"```asm\nREP #$20\nSTA {_addr(address)}\n```")
    return not any(f.kind == "width_clobber" and f.severity == "error" for f in findings)


@functools.cache
def _graph(kind: Any) -> Any:
    return kind()


def _imm8(value: int) -> str:
    return f"#${value & 0xFF:02X}"


def _imm16(value: int) -> str:
    return f"#${value & 0xFFFF:04X}"


def _routine(rng: random.Random, body: list[str], *, long: bool = False) -> str:
    """A named routine; body lines ending in ':' are local labels and stay unindented."""
    name = _label(rng)
    lines = [line if line.endswith(":") else f"    {line}" for line in body]
    return "\n".join([f"{name}:", *lines, "    RTL" if long else "    RTS"])


Snippet = tuple[str, str, dict[str, Any]]  # (code, description, task)
# The entry state every optimisation prompt states: 8-bit registers, binary mode, direct page
# at $0000 and data bank $00 (whose $0000-$1FFF mirrors WRAM $7E0000-$7E1FFF).
ENTRY = {"m": 1, "x": 1, "d": 0, "dp": 0, "dbr": 0}
_MEMORY_ONLY = {"live_out": ["mem"], "preconditions": ENTRY}


# -- optimisation families: correct but wasteful code ----------------------------------------

def _opt_zero_store(rng: random.Random) -> Snippet:
    targets = _vars(rng, rng.randint(2, 4))
    body = ["SEP #$20"]
    for target in targets:
        body += ["LDA #$00", f"STA {_addr(target)}"]
    return _routine(rng, body), "clears several variables", dict(_MEMORY_ONLY)


def _opt_redundant_load(rng: random.Random) -> Snippet:
    source, *targets = _vars(rng, rng.randint(3, 4))
    body = []
    for target in targets:
        body += [f"LDA {_addr(source)}", f"STA {_addr(target)}"]
    return _routine(rng, ["SEP #$20", *body]), "copies one variable to several others", {
        "live_out": ["a", "mem"], "preconditions": ENTRY}


def _opt_increment(rng: random.Random) -> Snippet:
    (target,) = _vars(rng, 1)
    step = rng.choice((1, 1, 2))
    down = rng.random() < 0.5
    ops = ["SEC", f"SBC {_imm8(step)}"] if down else ["CLC", f"ADC {_imm8(step)}"]
    body = ["SEP #$20", f"LDA {_addr(target)}", *ops, f"STA {_addr(target)}"]
    verb = "decrements" if down else "increments"
    return _routine(rng, body), f"{verb} a counter by {step}", dict(_MEMORY_ONLY)


def _opt_multiply(rng: random.Random) -> Snippet:
    source, scratch, target = _vars(rng, 3)
    doublings = rng.randint(1, 3)
    body = ["SEP #$20", f"LDA {_addr(source)}"]
    for _ in range(doublings):
        body += [f"STA {_addr(scratch)}", "CLC", f"ADC {_addr(scratch)}"]
    body.append(f"STA {_addr(target)}")
    return _routine(rng, body), f"multiplies a value by {2 ** doublings}", {
        "live_out": ["mem"], "preconditions": ENTRY, "scratch": [scratch]}


def _opt_paired_store(rng: random.Random) -> Snippet:
    count = rng.randint(1, 2)
    targets = _vars(rng, count, wide=range(count))
    body = ["SEP #$20"]
    for target in targets:
        value = rng.randrange(0x0100, 0xFFFF)
        body += [f"LDA {_imm8(value)}", f"STA {_addr(target)}",
                 f"LDA {_imm8(value >> 8)}", f"STA {_addr(target + 1)}"]
    return _routine(rng, body), "stores 16-bit constants one byte at a time", {
        "live_out": ["mem", "m"], "preconditions": ENTRY}


def _opt_mode_switch(rng: random.Random) -> Snippet:
    a, b, c, d = _vars(rng, 4, wide=(1, 3))
    body = ["REP #$20", f"LDA {_addr(a)}", f"STA {_addr(b)}", "SEP #$20",
            "REP #$20", f"LDA {_addr(c)}", f"STA {_addr(d)}", "SEP #$20"]
    return _routine(rng, body), "copies two 16-bit variables", {
        "live_out": ["mem", "m"], "preconditions": ENTRY}


def _opt_compare_zero(rng: random.Random) -> Snippet:
    value, counter = _vars(rng, 2)
    branch = rng.choice(("BNE", "BEQ"))
    body = ["SEP #$20", f"LDA {_addr(value)}", "CMP #$00", f"{branch} .skip",
            f"INC {_addr(counter)}", ".skip:"]
    code = _routine(rng, body)
    return code, "counts how often a value is zero or non-zero", dict(_MEMORY_ONLY)


def _opt_count_up_loop(rng: random.Random) -> Snippet:
    source = rng.randrange(0x0200, 0x1000)
    target = source + rng.randrange(0x0100, 0x0800)
    count = rng.randint(4, 32)
    body = ["SEP #$30", "LDX #$00", ".loop:", f"LDA ${source:04X},X", f"STA ${target:04X},X",
            "INX", f"CPX {_imm8(count)}", "BNE .loop"]
    code = _routine(rng, body)
    return code, f"copies {count} bytes with an index that counts up", dict(_MEMORY_ONLY)


OPTIMIZE_FAMILIES: dict[str, Callable[[random.Random], Snippet]] = {
    "zero_store": _opt_zero_store,
    "redundant_load": _opt_redundant_load,
    "increment": _opt_increment,
    "multiply": _opt_multiply,
    "paired_store": _opt_paired_store,
    "mode_switch": _opt_mode_switch,
    "compare_zero": _opt_compare_zero,
    "count_up_loop": _opt_count_up_loop,
}


# -- debugging families: a stated intent and code with one injected bug ----------------------

def _bug_missing_clc(rng: random.Random) -> Snippet:
    a, b, c = _vars(rng, 3, wide=(2,))
    body = ["REP #$20", f"LDA {_addr(a)}", f"ADC {_addr(b)}", f"STA {_addr(c)}",
            "SEP #$20"]
    intent = (f"add the 16-bit values at {_addr(a)} and {_addr(b)} and store the sum "
              f"at {_addr(c)}")
    return _routine(rng, body), intent, {"bug": "carry_flag", "line": 4}


def _bug_missing_sec(rng: random.Random) -> Snippet:
    a, b = _vars(rng, 2)
    amount = rng.randint(1, 0x40)
    body = ["SEP #$20", f"LDA {_addr(a)}", f"SBC {_imm8(amount)}", f"STA {_addr(b)}"]
    intent = f"store the value at {_addr(a)} minus {amount} at {_addr(b)}"
    return _routine(rng, body), intent, {"bug": "carry_flag", "line": 4}


def _bug_width(rng: random.Random) -> Snippet:
    (target,) = _vars(rng, 1, wide=(0,))
    value = rng.randrange(0x0100, 0xFFFF)
    body = ["SEP #$20", f"LDA {_imm16(value)}", f"STA {_addr(target)}"]
    intent = f"store the 16-bit constant ${value:04X} at {_addr(target)}"
    return _routine(rng, body), intent, {"bug": "mode_mismatch", "line": 3}


def _bug_stack(rng: random.Random) -> Snippet:
    a, b = _vars(rng, 2)
    pushes = rng.choice((["PHA", "PHX"], ["PHP", "PHA"], ["PHX", "PHY"]))
    body = [*pushes, "SEP #$20", f"LDA {_addr(a)}", f"STA {_addr(b)}",
            {"PHA": "PLA", "PHX": "PLX", "PHY": "PLY", "PHP": "PLP"}[pushes[-1]]]
    intent = (f"copy {_addr(a)} to {_addr(b)} and return with the caller's "
              "registers restored")
    return _routine(rng, body), intent, {"bug": "stack_imbalance", "line": len(body) + 2}


def _bug_off_by_one(rng: random.Random) -> Snippet:
    base = rng.randrange(0x0200, 0x1F00)
    count = rng.randint(4, 0x40)
    body = ["SEP #$30", f"LDX {_imm8(count)}", ".loop:", f"STZ ${base:04X},X", "DEX", "BNE .loop"]
    code = _routine(rng, body)
    intent = f"clear the {count} bytes from ${base:04X} to ${base + count - 1:04X}"
    return code, intent, {"bug": "off_by_one", "line": 3}


def _bug_signed(rng: random.Random) -> Snippet:
    value, flag = _vars(rng, 2)
    limit = rng.randint(1, 0x60)
    body = ["SEP #$20", f"STZ {_addr(flag)}", f"LDA {_addr(value)}",
            f"CMP {_imm8(limit)}", "BCC .done", f"INC {_addr(flag)}", ".done:"]
    code = _routine(rng, body)
    intent = (f"set {_addr(flag)} to 1 when the signed 8-bit value at {_addr(value)} "
              f"is at least {limit} (values $80-$FF are negative)")
    return code, intent, {"bug": "signed_arithmetic", "line": 6}


def _bug_wrong_branch(rng: random.Random) -> Snippet:
    value, counter = _vars(rng, 2)
    body = ["SEP #$20", f"LDA {_addr(value)}", "BNE .skip", f"INC {_addr(counter)}",
            ".skip:"]
    code = _routine(rng, body)
    intent = (f"increment {_addr(counter)} only when the value at {_addr(value)} "
              "is not zero")
    return code, intent, {"bug": "comparison_logic", "line": 4}


def _bug_return(rng: random.Random) -> Snippet:
    a, b = _vars(rng, 2)
    body = ["PHB", "PHK", "PLB", f"LDA {_addr(a)}", f"STA {_addr(b)}", "PLB"]
    intent = (f"be called with JSL from another bank, copy {_addr(a)} to {_addr(b)} "
              "and return to the caller")
    return _routine(rng, body), intent, {"bug": "subroutine_call", "line": 8}


DEBUG_FAMILIES: dict[str, Callable[[random.Random], Snippet]] = {
    "missing_clc": _bug_missing_clc,
    "missing_sec": _bug_missing_sec,
    "immediate_width": _bug_width,
    "stack_imbalance": _bug_stack,
    "off_by_one": _bug_off_by_one,
    "signed_compare": _bug_signed,
    "wrong_branch": _bug_wrong_branch,
    "return_mismatch": _bug_return,
}


# -- generation families: tasks in words ------------------------------------------------------

def _gen_fill(rng: random.Random) -> str:
    start = 0x7E0000 + rng.randrange(0x2000, 0xE000)
    count = rng.choice((16, 32, 64, 100, 128, 256, 512, 1000))
    value = rng.randrange(0, 256)
    how = rng.choice(("a simple indexed loop", "MVN", "a 16-bit store loop"))
    return (f"Write a routine that fills {count} bytes starting at ${start:06X} with "
            f"${value:02X} using {how}. Assume 8-bit A and X/Y on entry and restore them.")


def _gen_copy(rng: random.Random) -> str:
    source = 0x7E0000 + rng.randrange(0x2000, 0x8000)
    target = 0x7F0000 + rng.randrange(0x0000, 0x8000)
    count = rng.choice((32, 64, 128, 0x200, 0x400, 0x800))
    return (f"Write a routine that copies ${count:X} bytes from ${source:06X} to ${target:06X} "
            "with MVN, saving and restoring the data bank register.")


def _gen_dma_vram(rng: random.Random) -> str:
    channel = rng.randrange(0, 8)
    source = rng.choice((0x7E2000, 0x7F0000, 0x108000, 0x1C8000)) + rng.randrange(0, 0x40) * 0x100
    vram = rng.randrange(0, 0x8000) & 0x7FF0
    size = rng.choice((0x200, 0x400, 0x800, 0x1000))
    return (f"Write a routine that DMAs ${size:X} bytes from ${source:06X} to VRAM word "
            f"address ${vram:04X} using DMA channel {channel}; it runs during forced blank.")


def _gen_cgram(rng: random.Random) -> str:
    channel = rng.randrange(0, 8)
    first = rng.randrange(0, 240)
    colours = rng.choice((8, 16, 32))
    source = 0x7EC000 + rng.randrange(0, 0x40) * 0x10
    return (f"Write a routine that uploads {colours} colours from ${source:06X} to CGRAM "
            f"starting at colour {first} using DMA channel {channel}.")


def _gen_joypad(rng: random.Random) -> str:
    button = rng.choice(("B", "Y", "Select", "Start", "Up", "Down", "Left", "Right", "A", "X",
                         "L", "R"))
    target = rng.randrange(0x20, 0xF0)
    return (f"Write a routine that waits for the joypad auto-read to finish, reads joypad 1 "
            f"and sets ${target:02X} to 1 if {button} is held, otherwise 0.")


def _gen_add16(rng: random.Random) -> str:
    a, b, c = _vars(rng, 3, wide=(2,))
    return (f"Write a routine that adds the 16-bit variables at {_addr(a)} and "
            f"{_addr(b)}, stores the sum at {_addr(c)}, and returns with 8-bit A.")


def _gen_clamp(rng: random.Random) -> str:
    (value,) = _vars(rng, 1)
    low, high = sorted(rng.sample(range(0, 0x100), 2))
    return (f"Write a routine that clamps the unsigned 8-bit value at {_addr(value)} to "
            f"the range ${low:02X}-${high:02X} in place.")


def _gen_oam(rng: random.Random) -> str:
    slot = rng.randrange(0, 128)
    x, y, tile = rng.randrange(0, 256), rng.randrange(0, 224), rng.randrange(0, 256)
    palette = rng.randrange(0, 8)
    return (f"Write a routine that sets OAM entry {slot} in a shadow OAM buffer at $7E0800 to "
            f"X={x}, Y={y}, tile ${tile:02X}, palette {palette}, priority 2, no flips.")


def _gen_wait_vblank(rng: random.Random) -> str:
    then = rng.choice((
        f"writes ${rng.randrange(0, 0x10):02X} to INIDISP (brightness, forced blank off)",
        f"increments the 16-bit frame counter at ${_dp(rng):02X}",
        f"sets the scroll registers of BG{rng.randint(1, 4)} from ${_dp(rng):02X} and "
        f"${_dp(rng):02X}",
        f"enables NMI{rng.choice(('', ' and auto-joypad read', ' and the V-IRQ'))} and "
        f"clears the frame-ready flag at ${_dp(rng):02X}",
    ))
    wait = rng.choice(("bit 7 of $4212 (HVBJOY)", "the NMI flag in $4210 (RDNMI)"))
    return f"Write a routine that waits for the start of vertical blank using {wait}, then {then}."


GENERATE_FAMILIES: dict[str, Callable[[random.Random], str]] = {
    "fill": _gen_fill,
    "copy": _gen_copy,
    "dma_vram": _gen_dma_vram,
    "cgram": _gen_cgram,
    "joypad": _gen_joypad,
    "add16": _gen_add16,
    "clamp": _gen_clamp,
    "oam_entry": _gen_oam,
    "wait_vblank": _gen_wait_vblank,
}

_ALTTP_TOPICS = (
    "how the main game loop and the NMI handler hand over each frame",
    "how the game's module and submodule indices select what runs each frame",
    "how save files are laid out in SRAM and copied to and from WRAM",
    "how the sprite (enemy) slot tables are organised",
    "how ancillae (Link's projectiles and effects) are stored",
    "how the HUD is redrawn when rupees, bombs or arrows change",
    "how the game stores Link's position, direction and movement state",
    "how the overworld and dungeon room transitions load new data",
)
_ALTTP_QUESTIONS = (
    "For a ROM hacker, explain {topic} in A Link to the Past.",
    "What should a ROM hack change with care when touching {topic} in A Link to the Past?",
    "Describe {topic} in A Link to the Past, including the RAM addresses involved.",
)
_ALTTP_ENTITY_QUESTIONS = (
    "In A Link to the Past, what is stored at ${address:06X} ({name}), and how should a ROM "
    "hack read or change it safely?",
    "Write a short 65816 routine for A Link to the Past that {verb} {name} at ${address:06X}, "
    "and explain any related variables that must stay consistent.",
    "Which variables are related to {name} (${address:06X}) in A Link to the Past, and what "
    "breaks if only one of them is changed?",
)

_OPTIMIZE_ASKS = (
    "Optimise this 65816 routine for speed without changing its behaviour.",
    "This routine works but wastes cycles and bytes. Rewrite it more efficiently.",
    "Make the following SNES routine smaller and faster.",
    "Suggest the best cycle-saving rewrite of this code.",
)
_DEBUG_ASKS = (
    "This routine is supposed to {intent}, but it misbehaves. Find and fix the bug.",
    "The following 65816 code should {intent}. What is wrong with it? Give a fixed version.",
    "A ROM hack calls this routine to {intent}. It has a bug: explain it and correct the code.",
)
_EXPLAIN_ASKS = (
    "Explain what this 65816 routine does, line by line.",
    "Walk through the following code: registers, flags and memory after each instruction.",
    "What does this SNES routine do, and how many cycles does it take with 8-bit registers?",
    "Explain the purpose of this routine and any assumptions it makes about register widths.",
)


def _live_out_text(task: dict[str, Any]) -> str:
    parts = []
    if "a" in task.get("live_out", ()):
        parts.append("A is used afterwards")
    else:
        parts.append("A, X, Y and the flags are not used afterwards")
    if task.get("scratch"):
        parts.append("the temporary " + ", ".join(_addr(s)
                                                   for s in task["scratch"]) + " may be dropped")
    return ("Assume on entry 8-bit A and X/Y (M=1, X=1), decimal mode off, D = $0000 and "
            "DBR = $00; "
            + "; ".join(parts) + ".")


def _fenced(code: str) -> str:
    return f"```asm\n{code}\n```"


def prompt_id(domain: str, user: str) -> str:
    """Deterministic id: the same prompt text in the same domain always gets the same id."""
    return hashlib.sha256(f"{domain}\n{user}".encode()).hexdigest()[:16]


class PromptGenerator:
    """Prompt number `index` for a seed; see the module docstring.

    `entities` are ALTTP facts to ask about: `(address, name)` pairs, normally taken from the
    knowledge graph (`alttp_entities()`); without them the alttp domain asks topic questions.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        domains: Iterable[str] = DOMAINS,
        entities: list[tuple[int, str]] | None = None,
    ) -> None:
        self.seed = seed
        self.domains = tuple(domains)
        unknown = [d for d in self.domains if d not in DOMAINS]
        if unknown or not self.domains:
            raise ValueError(f"unknown domains {unknown}; expected some of {', '.join(DOMAINS)}")
        self.entities = entities or []

    def prompt(self, index: int) -> PromptSpec:
        rng = random.Random(f"{self.seed}:{index}")
        domain = rng.choice(self.domains)
        family, user, code, task = getattr(self, f"_{domain}")(rng)
        return PromptSpec(id=prompt_id(domain, user), index=index, domain=domain, family=family,
                          system=SYSTEM_PROMPTS[domain], user=user, code=code, task=task)

    def stream(self, start: int = 0) -> Iterator[PromptSpec]:
        index = start
        while True:
            yield self.prompt(index)
            index += 1

    def _optimize(self, rng: random.Random) -> tuple[str, str, str, dict[str, Any]]:
        family = rng.choice(sorted(OPTIMIZE_FAMILIES))
        code, what, task = OPTIMIZE_FAMILIES[family](rng)
        user = (f"{rng.choice(_OPTIMIZE_ASKS)} It {what}. {_live_out_text(task)}\n\n"
                f"{_fenced(code)}")
        return family, user, code, {**task, "expects_code": True, "check_equivalence": True}

    def _debug(self, rng: random.Random) -> tuple[str, str, str, dict[str, Any]]:
        family = rng.choice(sorted(DEBUG_FAMILIES))
        code, intent, task = DEBUG_FAMILIES[family](rng)
        user = f"{rng.choice(_DEBUG_ASKS).format(intent=intent)}\n\n{_fenced(code)}"
        return family, user, code, {**task, "expects_code": True}

    def _generate(self, rng: random.Random) -> tuple[str, str, None, dict[str, Any]]:
        family = rng.choice(sorted(GENERATE_FAMILIES))
        user = GENERATE_FAMILIES[family](rng) + " Use asar syntax."
        return family, user, None, {"expects_code": True}

    def _explain(self, rng: random.Random) -> tuple[str, str, str, dict[str, Any]]:
        # Only correct code: explaining a planted bug as intended behaviour would teach it.
        family = rng.choice(sorted(OPTIMIZE_FAMILIES))
        code, _, _ = OPTIMIZE_FAMILIES[family](rng)
        return family, f"{rng.choice(_EXPLAIN_ASKS)}\n\n{_fenced(code)}", code, {
            "expects_code": False}

    def _alttp(self, rng: random.Random) -> tuple[str, str, None, dict[str, Any]]:
        if self.entities and rng.random() < 0.75:
            address, name = rng.choice(self.entities)
            template = rng.choice(_ALTTP_ENTITY_QUESTIONS)
            verb = rng.choice(("reads", "sets", "increments", "clears", "tests"))
            user = template.format(address=address, name=name.replace("_", " "), verb=verb)
            return "entity", user, None, {"expects_code": "routine" in template,
                                          "address": address}
        topic = rng.choice(_ALTTP_TOPICS)
        return "topic", rng.choice(_ALTTP_QUESTIONS).format(topic=topic), None, {
            "expects_code": False}


def alttp_entities() -> list[tuple[int, str]]:
    """`(address, name)` of the ALTTP RAM entries in the knowledge graph, or [] without it."""
    try:
        from afs.knowledge.adapters import ALTTPKnowledgeGraph
    except ImportError:
        return []
    nodes = ALTTPKnowledgeGraph().find_nodes("memory")
    return sorted((node.properties["address"], node.name) for node in nodes)


class BenchmarkExclusion:
    """Normalised code of every benchmark item (`benchmarks/*/benchmark.jsonl`): distillation
    prompts must not contain it, so students are never trained on the test set."""

    def __init__(self, root: Path | None = None) -> None:
        self.codes: set[str] = set()
        self.files: list[Path] = []
        if root is None or not root.is_dir():
            return
        for path in sorted(root.glob("*/benchmark.jsonl")):
            self.files.append(path)
            for item in iter_jsonl(path):
                for key in ("code", "expected_output"):
                    if isinstance(item.get(key), str) and item[key].strip():
                        self.codes.add(normalize_code(item[key]))

    def excludes(self, code: str | None) -> bool:
        return code is not None and normalize_code(code) in self.codes
