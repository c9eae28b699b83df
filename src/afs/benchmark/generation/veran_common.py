"""Shared pieces of the veran generator's families (imported by `veran` and its family modules)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from afs.benchmark.generation import Draft, GenerationError
from afs.benchmark.items import Question
from afs.benchmark.veran_questions import answer_block, make_question
from afs.errors import AfsError

PER_CATEGORY = 14  # 11 categories x 14 = 154
BRANCHES = frozenset({"BCC", "BCS", "BEQ", "BNE", "BMI", "BPL", "BVC", "BVS", "BRA"})
MAX_ATTEMPTS = 400

Concept = tuple[str, list[str]]
Claim = tuple[str, list[str]]


@dataclass
class Ask:
    """One prediction question: a probe and the entry state it starts from."""

    probe: str
    init: dict[str, int] = field(default_factory=dict)
    memory: dict[str, int] = field(default_factory=dict)


@dataclass
class Spec:
    """What a family writes: code, explanation, rubric material and questions."""

    family: str
    difficulty: int
    lines: list[str]
    explanation: str
    concepts: list[Concept]
    asks: list[Ask]
    claims: list[Claim] = field(default_factory=list)
    context: str = ""   # e.g. "in A Link to the Past", for the request wording


def h2(value: int) -> str:
    """`$1F`: a byte as asar writes it."""
    return f"${value & 0xFF:02X}"


def h4(value: int) -> str:
    """`$1234`: a word as asar writes it."""
    return f"${value & 0xFFFF:04X}"


def h6(value: int) -> str:
    """`$7EF36D`: a long address as asar writes it."""
    return f"${value & 0xFFFFFF:06X}"


def line_of(lines: list[str], text: str) -> int:
    """1-based number of the first line that is exactly `text` (stripped)."""
    for number, line in enumerate(lines, start=1):
        if line.strip() == text:
            return number
    raise GenerationError(f"no line {text!r} in a veran family's code")


def pick(rng: random.Random, *options: str) -> str:
    """One of `options` (paraphrases, names), drawn from the rng."""
    return rng.choice(options)


# --- claims shared by the families ----------------------------------------------------------

def role_claims(address: int, role: str, wrong: list[str]) -> list[Claim]:
    """Claims that `address` plays a role it does not (`wrong` words), e.g. that $7EF36C
    (maximum health) is the current health."""
    low = f"{address:06X}"
    words = "|".join(wrong)
    return [(f"{h6(address)} is not the {role}", [
        rf"\b(?:{words})\s+(?:health|magic|value|count|rupees?)?\s*(?:\(|,|:|=|is|at|in|"
        rf"stored at|lives at|held at)?\s*\$?(?:7E)?{low[2:]}\b",
        rf"\$?(?:7E)?{low[2:]}\)?\s*(?:is|holds|=|,|:|\(|-)\s*(?:the\s+|link'?s\s+)*"
        rf"(?:{words})\b"])]


HEALTH_ROLES: list[Claim] = (role_claims(0x7EF36C, "current health", ["current", "present"])
                             + role_claims(0x7EF36D, "maximum health",
                                           ["max", "maximum", "heart containers"]))


#: Roles an explanation can swap: maximum vs current health, source vs destination, ...
ROLE_PAIRS = (("maximum", "current"), ("max", "current"), ("source", "destination"),
              ("low byte", "high byte"), ("8-bit", "16-bit"))


def swapped_role_claims(explanation: str) -> list[Claim]:
    """The reference's own statements with a role swapped ("low byte first" -> "high byte
    first"), each a known-false claim unless the reference says it too."""
    claims: list[Claim] = []
    lowered = explanation.lower()
    for a, b in ROLE_PAIRS + tuple((b, a) for a, b in ROLE_PAIRS):
        for match in re.finditer(rf"\b{re.escape(a)}\b((?:\W+[\w$#]+){{1,2}})", explanation,
                                 re.I):
            phrase = f"{b}{match.group(1)}"
            if phrase.lower() in lowered:
                continue
            pattern = r"\b" + r"\W+".join(re.escape(w) for w in re.findall(r"[\w$#-]+", phrase))
            claims.append((f"says '{phrase}' where the code does '{match.group(0)}'", [pattern]))
    return claims


def not_words(claim: str, *words: str) -> Claim:
    """The claim that the routine does what `words` say ("it refills", "the code
    despawns"): one of them as the verb of "it", "this code", "the routine", ..."""
    return claim, [rf"\b(?:it|this (?:code|routine|loop)|the (?:code|routine|loop))\s+"
                   rf"(?:\w+ly\s+)?(?:{'|'.join(words)})\w*\b"]


# --- from a spec to a draft ----------------------------------------------------------------

_ENTRY_LEADS = ("With {entry} on entry, ", "Starting from {entry}, ", "If the code starts with "
                "{entry}, ", "Given {entry} at the start, ")


def _line_ref(lines: list[str], number: int) -> str:
    return f"line {number} (`{lines[number - 1].strip()}`)"


def _label_name(symbol: str) -> str:
    return symbol.replace("_", ".", 1) if "_" in symbol else symbol


def question_text(rng: random.Random, lines: list[str], ask: Ask) -> str:
    """The question for `ask` in words (one of several phrasings), entry state first."""
    from afs.benchmark.veran_questions import entry_text

    kind, _, arg = ask.probe.partition(":")
    lead = rng.choice(_ENTRY_LEADS).format(entry=entry_text(ask.init, ask.memory))
    if kind == "mem":
        return lead + pick(rng, f"what byte is at {arg} when the code finishes?",
                           f"what value does {arg} hold at the end?",
                           f"what is stored at {arg} afterwards?")
    if kind == "mem16":
        return lead + pick(rng, f"what 16-bit value (little-endian) is at {arg} at the end?",
                           f"which 16-bit word is stored at {arg} afterwards?")
    if kind == "reg":
        name, _, part = arg.partition(".")
        reg = f"the low byte of {name.upper()}" if part else (
            "the 16-bit accumulator (C)" if name == "a" else name.upper())
        return lead + pick(rng, f"what is in {reg} when the code finishes?",
                           f"what value does {reg} hold at the end?")
    if kind == "flag":
        flag = {"c": "carry", "z": "zero", "n": "negative", "v": "overflow"}[arg]
        return lead + pick(rng, f"is the {flag} flag set or clear at the end?",
                           f"at the end, is the {flag} flag set or clear?")
    if kind == "count":
        ref = _line_ref(lines, int(arg))
        return lead + pick(rng, f"how many times does {ref} run?",
                           f"how many times is {ref} executed?")
    if kind == "taken":
        return lead + pick(rng, f"is the branch on {_line_ref(lines, int(arg))} taken?",
                           f"does the branch on {_line_ref(lines, int(arg))} jump?")
    if kind == "branchflag":
        return pick(rng, f"Which processor flag decides the branch on "
                         f"{_line_ref(lines, int(arg))}?",
                    f"The branch on {_line_ref(lines, int(arg))} tests which flag?")
    if kind == "io_last":
        return lead + pick(rng, f"what is the last value written to {arg}?",
                           f"which value is written to {arg} last?")
    if kind == "io_count":
        return lead + pick(rng, f"how many times is {arg} written?",
                           f"how many writes does {arg} receive?")
    if kind == "bytes":
        return pick(rng, f"Which bytes does {_line_ref(lines, int(arg))} assemble to?",
                    f"What machine code (bytes, in order) does asar emit for "
                    f"{_line_ref(lines, int(arg))}?")
    if kind == "size":
        return pick(rng, f"How many bytes does {_line_ref(lines, int(arg))} assemble to?",
                    f"How long, in bytes, is {_line_ref(lines, int(arg))} once assembled?")
    if kind == "label":
        return pick(rng, f"At which address does asar place the label `{_label_name(arg)}`?",
                    f"What address does the label `{_label_name(arg)}` get?")
    raise GenerationError(f"no wording for probe {ask.probe!r}")


REQUESTS = ("Explain what this code does{ctx}, then answer the questions.",
            "What does this routine do{ctx}? Explain it, then answer the questions below.",
            "Walk me through this code{ctx} and answer the questions.",
            "Describe the purpose and the steps of this code{ctx}; then answer the questions.")


# Register saves a routine may wrap its body in, when the body never touches that register:
# (push, pull, the register's name, what the body must not contain).
SAVES = (("PHX", "PLX", "X", re.compile(r"X\b|,X|\bMV[NP]\b|REP #\$[13]|SEP #\$[13]")),
         ("PHY", "PLY", "Y", re.compile(r"Y\b|,Y|\bMV[NP]\b|REP #\$[13]|SEP #\$[13]")),
         ("PHD", "PLD", "direct page register D", re.compile(r"\b(?:TCD|PLD|PHD)\b")),
         ("PHB", "PLB", "data bank register", re.compile(r"\b(?:PLB|PHB|MVN|MVP)\b")))
_RETURNS = re.compile(r"^(?:RTS|RTL)$")
_DATA_LINE = re.compile(r"^(?:db|dw|dl|dd)\b", re.I)
_LINE_PROBES = ("count", "taken", "branchflag", "bytes", "size")


def with_saves(rng: random.Random, spec: Spec) -> Spec:
    """`spec` with its body wrapped in saves of registers it never uses (none, one or two,
    drawn from the rng): how real routines look, and more code shapes per family. Only a
    routine with one way out (a final RTS/RTL or a fall-through, no data) is wrapped."""
    lines = spec.lines
    body = [ln.strip() for ln in lines]
    returns = [i for i, ln in enumerate(body) if _RETURNS.match(ln)]
    if any(_DATA_LINE.match(ln) for ln in body) or returns not in ([], [len(body) - 1]) or \
            any(ln.startswith("org ") for ln in body):
        return spec
    code = "\n".join(body)
    usable = [s for s in SAVES if not s[3].search(code)]
    chosen = rng.sample(usable, min(len(usable), rng.choice((0, 1, 1, 2))))
    if not chosen:
        return spec
    top = 1 if body[0].endswith(":") else 0
    end = returns[0] if returns else len(body)
    pushes = [s[0] for s in chosen]
    pulls = [s[1] for s in reversed(chosen)]
    new_lines = lines[:top] + pushes + lines[top:end] + pulls + lines[end:]

    def shifted(ask: Ask) -> Ask:
        kind, _, arg = ask.probe.partition(":")
        if kind not in _LINE_PROBES:
            return ask
        n = int(arg)
        n += len(pushes) if n > top else 0
        n += len(pulls) if n > end + len(pushes) else 0
        return Ask(f"{kind}:{n}", ask.init, ask.memory)

    names = " and ".join(s[2] for s in chosen)
    note = (f" It saves the caller's {names} on entry ({', '.join(pushes)}) and restores "
            f"{'them' if len(chosen) > 1 else 'it'} before leaving ({', '.join(pulls)}).")
    return Spec(spec.family, spec.difficulty, new_lines, spec.explanation + note,
                spec.concepts, [shifted(a) for a in spec.asks], spec.claims, spec.context)


def build(rng: random.Random, category: str, spec: Spec) -> Draft:
    """The draft for `spec`: questions answered by running the code."""
    spec = with_saves(rng, spec)
    code = "\n".join(spec.lines)
    questions = [make_question(code, ask.probe, question_text(rng, spec.lines, ask), ask.init,
                               ask.memory) for ask in spec.asks]
    if not 2 <= len(questions) <= 4:
        raise GenerationError(f"{spec.family}: {len(questions)} questions, want 2-4")
    request = rng.choice(REQUESTS).format(ctx=f" {spec.context}" if spec.context else "")
    rubric: dict[str, Any] = {
        "concepts": [{"name": name, "synonyms": synonyms} for name, synonyms in spec.concepts],
        "wrong_claims": [{"claim": claim, "patterns": patterns, "penalty": 0.5}
                         for claim, patterns in
                         spec.claims + swapped_role_claims(spec.explanation)],
    }
    expected = f"{spec.explanation}\n\n{answer_block(questions)}"
    return Draft(category=category, difficulty=spec.difficulty, code=code,
                 expected_output=expected, description=request, task="explain",
                 extra={"rubric": rubric,
                        "questions": [q.model_dump() for q in questions]},
                 metadata={"request": request, "family": spec.family})


def auto_questions(code: str, rng: random.Random, init: dict[str, int] | None = None,
                   memory: dict[str, int] | None = None, count: int = 3) -> list[Question]:
    """Prediction questions for any routine (mined code, say), chosen from what one run from
    `init`/`memory` does: bytes it writes, I/O registers it writes, how often its loops
    branch back, its registers at the end. Answers that are not all zero; [] when the code
    does not run to its end."""
    from afs.asm.machine import run_snippet
    from afs.asm.probe import _assembly, entry_state

    init, memory = dict(init or {}), dict(memory or {})
    try:
        result = run_snippet(code, init=entry_state(init), max_instructions=50_000,
                             memory={int(a.replace("$", "0x"), 0): v for a, v in memory.items()})
    except (ValueError, ArithmeticError, RuntimeError, AfsError):
        return []
    if result.stop_reason not in ("end", "rts", "rtl"):
        return []
    groups = [[f"mem:{h6(a)}" for a in result.written()],
              sorted({f"io_last:${a & 0xFFFF:04X}" for a, _, _ in result.io_writes}),
              [f"count:{row.line}" for row in _assembly(code).listing
               if row.mnemonic in BRANCHES and row.operand is not None
               and row.operand <= row.address],
              ["reg:x", "reg:y", "reg:a.b"]]
    for group in groups:
        rng.shuffle(group)
    # one of each kind first (a written byte, an I/O write, a loop, a register), then more
    probes = [g[i] for i in range(max(map(len, groups))) for g in groups if i < len(g)]
    lines = code.splitlines()
    chosen: list[Question] = []
    for probe in probes:
        try:
            question = make_question(code, probe, question_text(rng, lines, Ask(probe, init,
                                                                                memory)),
                                     init, memory)
        except (ValueError, KeyError):
            continue
        chosen.append(question)
        if len(chosen) == count:
            break
    if all(q.answer in (0, [0]) for q in chosen):
        return []
    return chosen


# --- shapes and selection -------------------------------------------------------------------

def shape(code: str) -> str:
    """The code's skeleton, as the audit measures it (`afs.benchmark.audit.shape_key`)."""
    from afs.benchmark.audit import shape_key

    return shape_key(code)


Family = Callable[[random.Random], Spec]


def category_drafts(rng: random.Random, category: str, families: list[Family],
                    count: int, seen_code: set[str], seen_shape: set[str]) -> list[Draft]:
    """`count` drafts from `families` in turn, each with new code, preferring new shapes."""
    from afs.asm.extract import normalize_code

    out: list[Draft] = []
    attempts = 0
    while len(out) < count:
        if attempts >= MAX_ATTEMPTS:
            raise GenerationError(f"{category}: only {len(out)} distinct items in "
                                  f"{attempts} attempts")
        family = families[(len(out) + attempts) % len(families)]
        attempts += 1
        draft = build(rng, category, family(rng))
        code_key, shape_key = normalize_code(draft.code), shape(draft.code)
        if code_key in seen_code or (shape_key in seen_shape and attempts % 8):
            continue
        seen_code.add(code_key)
        seen_shape.add(shape_key)
        out.append(draft)
    return out
