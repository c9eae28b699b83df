"""A loopback teacher for load tests and benches: realistic answers at network speed.

`LoadServer` runs a `ProviderServer` (OpenAI wire format, listen backlog 256) in its own
process, so its threads never compete with the client for the GIL, with a configurable
latency and failure mix (`failure_rate` of the requests get a 429 with `Retry-After`, a 500
or a 503, drawn from a seeded generator; streams come in `chunk_size`-character pieces,
about what a real server sends per event)::

    with LoadServer(latency=0.2, failure_rate=0.2) as server:
        server.openai_base_url, server.api_key
        server.counts()   # {"requests": ..., "429": ..., "500": ..., "503": ...}

`realistic_answer(prompt, system)` is what it says: the answer a good teacher gives to an AFS
distillation prompt, so the filters do their real work (extract, assemble, lint, equivalence,
knowledge graph) rather than rejecting an echo in microseconds:

* optimisation prompts get the routine rewritten the way the prompt family allows (STZ for
  zero stores, one load for repeated loads, INC/DEC, ASL, one 16-bit store for a byte pair,
  no redundant mode switch or compare, a loop that counts down), then the changes in prose;
* debugging prompts get the bug named and the routine fixed;
* generation prompts get a routine from the offline Nayru templates (or a small fallback);
* explanation and ALTTP prompts get prose, with a routine when the prompt asks for one.

`bare_client_rate` measures what a bare `AsyncOpenAI` client does against the same server
with the same prompts: the baseline every throughput ratio is taken against.
"""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import random
import re
import resource
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

API_KEY = "sk-load-harness-loopback-only"

_CODE = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
_OPERAND = re.compile(r"^\s*([A-Za-z]{3})(?:\s+(.+?))?\s*$")


def _lines(code: str) -> list[str]:
    return code.splitlines()


def _op(line: str) -> tuple[str, str]:
    match = _OPERAND.match(line)
    if not match or line.rstrip().endswith(":"):
        return "", ""
    return match.group(1).upper(), (match.group(2) or "").strip()


def _hex(text: str) -> int:
    return int(text.lstrip("#$"), 16)


def _rewrite(lines: list[str], window: int, fn: Any) -> list[str]:
    """Slide over `lines`; `fn(ops)` returns replacement lines for a matching window."""
    out, i = [], 0
    while i < len(lines):
        chunk = lines[i:i + window]
        ops = [_op(line) for line in chunk]
        replacement = fn(ops) if len(chunk) == window else None
        if replacement is None:
            out.append(lines[i])
            i += 1
        else:
            out += [f"    {line}" for line in replacement]
            i += window
    return out


def _optimised(code: str) -> tuple[str, list[str]]:
    """The prompt's routine rewritten, and the changes made (empty: nothing applied)."""
    lines = _lines(code)
    changes: list[str] = []

    def zero_store(ops: list[tuple[str, str]]) -> list[str] | None:
        if ops[0] == ("LDA", "#$00") and ops[1][0] == "STA" and "," not in ops[1][1]:
            changes.append(f"STZ {ops[1][1]} replaces LDA #$00 / STA {ops[1][1]}")
            return [f"STZ {ops[1][1]}"]
        return None

    def increment(ops: list[tuple[str, str]]) -> list[str] | None:
        (load, target), carry, (math, amount), store = ops
        if load != "LDA" or store != ("STA", target) or "," in target:
            return None
        if (carry[0], math) in (("CLC", "ADC"), ("SEC", "SBC")) and amount in ("#$01", "#$02"):
            verb = "INC" if math == "ADC" else "DEC"
            changes.append(f"{verb} {target} instead of loading, adding and storing")
            return [f"{verb} {target}"] * _hex(amount)
        return None

    def multiply(ops: list[tuple[str, str]]) -> list[str] | None:
        if ops[0][0] == "STA" and ops[1][0] == "CLC" and ops[2] == ("ADC", ops[0][1]):
            changes.append(f"ASL A doubles without the scratch byte {ops[0][1]}")
            return ["ASL A"]
        return None

    def paired(ops: list[tuple[str, str]]) -> list[str] | None:
        (l1, lo), (s1, t1), (l2, hi), (s2, t2) = ops
        if not (l1 == l2 == "LDA" and s1 == s2 == "STA" and lo.startswith("#$")
                and hi.startswith("#$") and "," not in t1 and "," not in t2):
            return None
        if _hex(t2) != _hex(t1) + 1:
            return None
        value = _hex(hi) << 8 | _hex(lo)
        changes.append(f"one 16-bit store of #${value:04X} to {t1} replaces two byte stores")
        return ["REP #$20", f"LDA #${value:04X}", f"STA {t1}", "SEP #$20"]

    def compare_zero(ops: list[tuple[str, str]]) -> list[str] | None:
        if ops[0][0] == "LDA" and ops[1] == ("CMP", "#$00"):
            changes.append("CMP #$00 is dropped: LDA already sets Z")
            return [f"LDA {ops[0][1]}"]
        return None

    text = "\n".join(lines)
    loop = re.search(r"LDX #\$00\n\.loop:\n\s+LDA (\$\w+),X\n\s+STA (\$\w+),X\n\s+INX\n"
                     r"\s+CPX #\$(\w+)\n\s+BNE \.loop", text)
    if loop:
        count = int(loop.group(3), 16)
        text = text.replace(loop.group(0), (
            f"LDX #${count - 1:02X}\n.loop:\n    LDA {loop.group(1)},X\n"
            f"    STA {loop.group(2)},X\n    DEX\n    BPL .loop"))
        changes.append("the loop counts down to zero, so the CPX per byte goes")
        lines = _lines(text)
    # A repeated load of the same variable between stores is redundant.
    seen_load = None
    kept = []
    for line in lines:
        op, arg = _op(line)
        if op == "LDA" and not arg.startswith("#") and arg == seen_load:
            changes.append(f"the second LDA {arg} is dropped: A still holds it")
            continue
        if op == "LDA":
            seen_load = arg
        elif op not in ("STA", ""):
            seen_load = None
        kept.append(line)
    lines = kept
    for window, fn in ((2, zero_store), (4, increment), (3, multiply), (4, paired),
                       (2, compare_zero)):
        lines = _rewrite(lines, window, fn)
    return "\n".join(_drop_mode_switches(lines, changes)), changes


def _drop_mode_switches(lines: list[str], changes: list[str]) -> list[str]:
    """Drop REP/SEP #$20 and SEP #$30 that set the width A already has (entry: 8-bit A and
    X/Y, as every optimisation prompt states); a label forgets what is known."""
    wide: bool | None = False
    out: list[str] = []
    for i, line in enumerate(lines):
        op, arg = _op(line)
        following = _op(lines[i + 1]) if i + 1 < len(lines) else ("", "")
        if line.rstrip().endswith(":") and i > 0:
            wide = None
        elif op == "SEP" and arg in ("#$20", "#$30"):
            if wide is False or (wide and following == ("REP", "#$20")):
                changes.append(f"SEP {arg} is dropped: A is already in the width needed")
                continue
            wide = False
        elif op == "REP" and arg == "#$20":
            if wide:
                continue
            wide = True
        out.append(line)
    return out


def _fixed(code: str, prompt: str) -> tuple[str, str]:
    """The prompt's buggy routine fixed, and what the bug was."""
    lines = _lines(code)
    ops = [_op(line) for line in lines]
    names = [op for op, _ in ops]
    if "ADC" in names and "CLC" not in names:
        i = names.index("ADC")
        return "\n".join([*lines[:i], "    CLC", *lines[i:]]), \
            "the carry is never cleared before ADC, so a set carry adds one"
    if "SBC" in names and "SEC" not in names:
        i = names.index("SBC")
        return "\n".join([*lines[:i], "    SEC", *lines[i:]]), \
            "the carry is never set before SBC, so a clear carry subtracts one more"
    for i, (op, arg) in enumerate(ops):
        if op == "LDA" and re.fullmatch(r"#\$[0-9A-F]{4}", arg) and "SEP" in names[:i]:
            store = lines[i + 1]
            return "\n".join([*lines[:i - 1], "    REP #$20", lines[i], store, "    SEP #$20",
                              *lines[i + 2:]]), \
                "LDA with a 16-bit immediate runs with 8-bit A, so the high byte is executed " \
                "as an opcode"
    pushes = [op for op in names if op in ("PHA", "PHX", "PHY", "PHP")]
    if len(pushes) == 2 and "PHB" not in names:
        pull = {"PHA": "PLA", "PHX": "PLX", "PHY": "PLY", "PHP": "PLP"}[pushes[0]]
        return "\n".join([*lines[:-1], f"    {pull}", lines[-1]]), \
            f"two values are pushed but only one is pulled, so RTS returns to the wrong " \
            f"address; {pull} restores the first"
    for i, (op, arg) in enumerate(ops):
        if op == "STZ" and arg.endswith(",X") and "DEX" in names:
            base = _hex(arg.split(",")[0])
            return "\n".join([*lines[:i], f"    STZ ${base - 1:04X},X", *lines[i + 1:]]), \
                "X counts from the size down to 1, so the loop clears one byte too high"
        if op == "BCC" and "CMP" in names:
            j = names.index("CMP")
            return "\n".join([*lines[:j], f"    BMI {arg}", *lines[j:]]), \
                "BCC compares unsigned, so negative values count as large; BMI skips them"
        if op == "BNE" and "CMP" not in names:
            return "\n".join([*lines[:i], f"    BEQ {arg}", *lines[i + 1:]]), \
                "the branch is inverted: it skips the increment exactly when it should run"
    if "PHB" in names and lines[-1].strip() == "RTS":
        return "\n".join([*lines[:-1], "    RTL"]), \
            "the routine is called with JSL, so it must return with RTL, not RTS"
    return code, "I could not find the bug"


def _generated(prompt: str) -> str:
    from afs.models.classical_experts.nayru import answer

    text = answer(prompt)
    if _CODE.search(text):
        return text
    # A hardware register named in the prompt ($4212) is no place for a read-modify-write:
    # the fallback works on the first RAM address the prompt names.
    ram = [a for a in re.findall(r"\$([0-9A-F]{2,6})", prompt)
           if not 0x2100 <= int(a, 16) < 0x4400]
    address = f"${ram[0]}" if ram else "$7E0010"
    return ("Here is a compact routine.\n\n```asm\nTask:\n    PHP\n    SEP #$20\n"
            f"    LDA {address}\n    BEQ .done\n    DEC A\n    STA {address}\n.done:\n"
            "    PLP\n    RTS\n```\n\nIt saves and restores P, so the caller's register widths "
            "survive; A is changed.")


def _alttp(prompt: str) -> str:
    match = re.search(r"that (reads|sets|increments|clears|tests) (.+?) at \$([0-9A-F]{6})",
                      prompt)
    if match:
        verb, name, address = match.group(1), match.group(2), match.group(3)
        body = {
            "reads": ["LDA $" + address],
            "sets": ["LDA #$01", "STA $" + address],
            "increments": ["LDA $" + address, "INC A", "STA $" + address],
            "clears": ["LDA #$00", "STA $" + address],
            "tests": ["LDA $" + address, "BEQ .zero", "LDA #$01", ".zero:"],
        }[verb]
        code = "\n".join(["Routine:", "    PHP", "    SEP #$20",
                          *[line if line.endswith(":") else f"    {line}" for line in body],
                          "    PLP", "    RTL"])
        return (f"This routine {verb} {name} with 8-bit A (one byte at ${address}).\n\n"
                f"```asm\n{code}\n```\n\nPHP/PLP keep the caller's register widths; the long "
                "addressing works whatever the data bank is. Change it only at a point in the "
                "frame where the game does not rewrite it.")
    topic = re.search(r"(?:explain|change with care when touching|Describe) (.+?)(?: in A Link"
                      r"| \(|, and|\?|$)", prompt)
    subject = topic.group(1) if topic else "this part of the game"
    rng = random.Random(prompt)
    facts = rng.sample(_ALTTP_FACTS, 3)
    return (f"About {subject}: " + " ".join(facts)
            + f" When changing {subject}, test both the overworld and dungeons afterwards.")


_ALTTP_FACTS = (
    "The main loop runs once per frame and dispatches on the module index at $7E0010.",
    "The submodule index at $7E0011 selects the step inside the current module.",
    "The NMI handler uploads the OAM buffer and pending VRAM transfers during vblank.",
    "Link's coordinates are 16-bit values, with the high byte holding the area quadrant.",
    "Sprite slots are parallel tables indexed by X, sixteen slots wide.",
    "Ancillae use their own ten-slot tables, separate from the sprite slots.",
    "Save data is checksummed, so a hack that edits SRAM must fix the checksum too.",
    "The HUD is redrawn from shadow values, not directly from the inventory bytes.",
    "Room transitions reload graphics through the same decompression routine.",
    "Many routines assume the data bank is $7E or $00 on entry; check before calling them.",
    "Direct page is $0000 during gameplay, so $10 and $7E0010 name the same byte.",
    "Timers count down once per frame and are shared between several states.",
    "A change that moves a table must update every pointer to it, including long ones.",
    "Variables written by the NMI handler should be changed only with interrupts in mind.",
)


_ROLES = {
    "LDA": "loads A from", "STA": "stores A to", "STZ": "clears", "INC": "increments",
    "DEC": "decrements", "ADC": "adds with carry", "SBC": "subtracts with borrow",
    "CMP": "compares A with", "CPX": "compares X with", "LDX": "loads X with", "SEP": "sets the "
    "P bits", "REP": "clears the P bits", "CLC": "clears the carry", "SEC": "sets the carry",
    "INX": "increments X", "DEX": "decrements X", "RTS": "returns", "RTL": "returns long",
}


def _explained(code: str) -> str:
    parts = []
    for number, line in enumerate(_lines(code), 1):
        op, arg = _op(line)
        if op:
            role = _ROLES.get(op, f"runs {op} on")
            parts.append(f"line {number}: {op} {role} {arg}".rstrip())
        elif line.strip():
            parts.append(f"line {number}: the label {line.strip().rstrip(':')}")
    return ("Walking through the routine: " + "; ".join(parts)
            + ". Registers stay in the widths the routine sets; N and Z follow the last "
              "value loaded or computed.")


_NOTES = (
    "Cycle counts assume the code runs from fast ROM with no page crossings.",
    "With 8-bit A, immediate operands take one byte; with 16-bit A they take two.",
    "Direct-page operands save a byte and a cycle over absolute ones when D is zero.",
    "The carry flag is the only state ADC and SBC carry between bytes.",
    "Branches cost one more cycle when taken, and another when they cross a page in "
    "emulation mode.",
    "PHP and PLP around a routine keep the caller's register widths intact.",
    "A routine that changes the data bank must restore it before it returns.",
    "STZ exists for direct page and absolute addresses, with or without X indexing.",
    "Read-modify-write instructions such as INC and ASL also set N and Z.",
    "Keeping A in one width across a loop avoids paying for REP and SEP each time.",
    "An index that counts down lets the loop end on the flags DEX already sets.",
    "Long addressing costs a byte and a cycle more than absolute addressing.",
    "The assembler must know the register widths, or immediates get the wrong size.",
    "Interrupt handlers see whatever widths the interrupted code had set.",
    "Tables indexed by X should keep X 8-bit when they hold fewer than 256 entries.",
    "A 16-bit store writes the low byte first, then the byte after it.",
    "Testing with both edge values and random values catches most width mistakes.",
    "Comments stating the entry widths make a routine safer to call from elsewhere.",
)


def _notes(prompt: str) -> str:
    """Three notes chosen by the prompt, so answers to similar prompts are not near-copies
    (as a real teacher's are not)."""
    rng = random.Random(prompt)
    return "Notes: " + " ".join(rng.sample(_NOTES, 3))


def realistic_answer(prompt: str, system: str = "") -> str:
    """A teacher's answer to an AFS distillation prompt (see the module docstring)."""
    return f"{_answer(prompt, system)}\n\n{_notes(prompt)}"


def _answer(prompt: str, system: str) -> str:
    match = _CODE.search(prompt)
    code = match.group(1).rstrip("\n") if match else None
    tag = hashlib.sha256(prompt.encode()).hexdigest()[:8]
    if "You are Din" in system and code:
        better, changes = _optimised(code)
        listed = "\n".join(f"- {c}" for c in changes) or "- no change was needed"
        return (f"Optimised routine (review {tag}):\n\n```asm\n{better}\n```\n\nChanges:\n"
                f"{listed}\n\nThe behaviour for the live registers and memory is unchanged.")
    if "You are Farore" in system and code:
        fixed, why = _fixed(code, prompt)
        return (f"The bug: {why}.\n\nFixed routine (review {tag}):\n\n```asm\n{fixed}\n```\n\n"
                "Everything else is left as it was.")
    if "You are Nayru" in system:
        return _generated(prompt)
    if code:
        return _explained(code)
    return _alttp(prompt)


def failure_mix(rate: float, seed: int = 0, retry_after: float = 0.05) -> Any:
    """A `fault=` callable: `rate` of the requests fail, a third each with 429, 500 and 503."""
    from tests.support.provider_servers import Fault

    rng = random.Random(seed)
    lock = threading.Lock()

    def fault(_request: Any) -> Any:
        with lock:
            draw, kind = rng.random(), rng.randrange(3)
        if draw >= rate:
            return None
        return (Fault.rate_limited(retry_after=retry_after), Fault.http(500),
                Fault.http(503))[kind]

    return fault


def _reply(request: Any) -> str:
    system = next((m["content"] for m in request.messages if m["role"] == "system"), "")
    return realistic_answer(request.prompt, system)


def _serve(latency: float, failure_rate: float, seed: int, chunk_size: int, ports: Any,
           commands: Any, answers: Any) -> None:
    from tests.support.provider_servers import ProviderServer

    fault = failure_mix(failure_rate, seed) if failure_rate else None
    with ProviderServer(reply=_reply, latency=latency, api_key=API_KEY, fault=fault,
                        chunk_size=chunk_size) as server:
        ports.put(server.openai_base_url)
        while True:
            command = commands.get()
            if command == "stop":
                return
            with server._lock:
                statuses = Counter(str(r.fault.status) for r in server.requests
                                   if r.fault is not None and r.fault.status)
                answers.put({"requests": len(server.requests), **statuses,
                             "max_in_flight": server.max_in_flight})


def cpu_seconds(pid: int | None = None, *, exclude: Sequence[int] = ()) -> float:
    """CPU seconds (user + system) a process and its children have used so far.

    Without `pid`: this process, the children it has reaped and the live ones (worker pools;
    from /proc, on Linux). With `pid`: that process and its live descendants. The processes
    in `exclude` and their descendants are left out (the load server: its CPU is the
    network's). Unlike wall time, this barely moves when other jobs load the machine.
    """
    if pid is None:
        own = resource.getrusage(resource.RUSAGE_SELF)
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime
        root = os.getpid()
    else:
        total, root = _proc_cpu(pid), pid
    return total + sum(_proc_cpu(child) for child in _live_descendants(root, set(exclude)))


def _proc_stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except OSError:  # gone, or no /proc
        return None


def _proc_cpu(pid: int) -> float:
    fields = _proc_stat(pid)
    if fields is None:
        return 0.0
    # utime and stime, in clock ticks (fields 14 and 15 of proc(5), 12 and 13 here).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _live_descendants(root: int, exclude: set[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []
    for pid in pids:
        fields = _proc_stat(pid)
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(pid)
    found, stack = [], list(children.get(root, ()))
    while stack:
        pid = stack.pop()
        if pid in exclude:
            continue
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


class OverlapGate:
    """A `ProviderServer` `latency=` callable that proves requests overlap without a clock.

    Every request is held until `n` are held at once; from then on the gate stays open. A
    client that sends concurrently always gets there, however loaded the machine (the gate
    waits for an event, not for a deadline), and `opened` is then true. A serialised client
    never has two requests in the server: its first one waits `timeout` seconds (only so a
    broken client fails rather than hangs) and `opened` stays false.
    """

    def __init__(self, n: int = 2, *, timeout: float = 600.0) -> None:
        self.n = n
        self.timeout = timeout
        self.opened = False
        self._held = 0
        self._cond = threading.Condition()

    def __call__(self, _request: Any) -> float:
        with self._cond:
            self._held += 1
            if self._held >= self.n:
                self.opened = True
                self._cond.notify_all()
            self._cond.wait_for(lambda: self.opened, timeout=self.timeout)
            self._held -= 1
        return 0.0


class LoadServer:
    """`ProviderServer` with realistic answers in a child process; see the module docstring."""

    def __init__(self, *, latency: float = 0.2, failure_rate: float = 0.0, seed: int = 0,
                 chunk_size: int = 16) -> None:
        self.latency = latency
        self.chunk_size = chunk_size
        self.failure_rate = failure_rate
        self.seed = seed
        self.api_key = API_KEY
        self.openai_base_url = ""
        self._process: Any = None

    def start(self) -> LoadServer:
        context = multiprocessing.get_context("spawn")
        ports, self._commands, self._answers = context.Queue(), context.Queue(), context.Queue()
        self._process = context.Process(
            target=_serve, args=(self.latency, self.failure_rate, self.seed, self.chunk_size,
                                 ports, self._commands, self._answers), daemon=True)
        self._process.start()
        self.openai_base_url = ports.get(timeout=120)
        return self

    @property
    def pid(self) -> int:
        """The server process (to leave out of the client's CPU figures)."""
        return self._process.pid

    def counts(self) -> dict[str, int]:
        """Requests seen so far, and how many got each failure status."""
        self._commands.put("counts")
        return self._answers.get(timeout=60)

    def stop(self) -> None:
        if self._process is not None:
            self._commands.put("stop")
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.kill()
            self._process = None

    def __enter__(self) -> LoadServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class BareRun:
    """What the bare client did: requests per second, and CPU milliseconds per request of
    the process sending them (the load server left out)."""

    requests_per_s: float
    cpu_ms_per_request: float


async def bare_client_rate(base_url: str, api_key: str, requests: Sequence[Sequence[dict]],
                           concurrency: int, *, stream: bool = False,
                           exclude: Sequence[int] = ()) -> BareRun:
    """A bare `AsyncOpenAI` client sending `requests` (message lists) at `concurrency`,
    after one warm-up round that opens the connections; `exclude`: the server's pid."""
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=5,
                                timeout=120)
    try:
        async def run(batch: Sequence[Sequence[dict]]) -> None:
            pending = list(batch)

            async def worker() -> None:
                while pending:
                    messages = pending.pop()
                    if stream:
                        chunks = await client.chat.completions.create(
                            model="bench", messages=list(messages), stream=True)
                        async for _ in chunks:
                            pass
                    else:
                        await client.chat.completions.create(model="bench",
                                                             messages=list(messages))

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await run(requests[:concurrency])
        cpu, started = cpu_seconds(exclude=exclude), time.perf_counter()
        await run(requests)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(exclude=exclude) - cpu
        return BareRun(len(requests) / wall, 1000 * cpu / len(requests))
    finally:
        await client.close()
