"""Lint every routine of a disassembly written for asarmon (spannerisms/usdasm) and count the
findings per rule and severity.

usdasm builds with asarmon, an asar variant: `#_008000:` address annotations, `pool`
sections, `#Label:` labels that keep the sublabel scope. The AFS assembler reads asar 1.91,
so each routine (a global label up to the next) is linted on its own: annotations stripped,
assembled at the address the annotations give, with the other labels it references defined
at their annotated addresses, the `.sub` labels of its `pool` section (data kept apart from
the code) at theirs, and the register names from registers.asm. A routine that still does
not assemble (asarmon macros, another routine's sublabels) is counted, not linted.
What only the isolation causes is not counted: running off the end into the routine that
follows (C004), and pulls at entry of a routine only ever jumped to (S004: the jumping
routine's pushes are on the stack).

    python scripts/lint_disassembly.py /path/to/usdasm [--json out.json] [--examples N]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from afs.asm.isa import OPCODES
from afs.asm.lint import lint_source

MNEMONICS = {info.mnemonic for info in OPCODES}

ANNOTATION = re.compile(r"#_([0-9A-Fa-f]{6}):\s?")
GLOBAL = re.compile(r"^#?([A-Za-z_]\w*):?\s*(?:;.*)?$")
EQUATE = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*(\$[0-9A-Fa-f]+)\s*(?:;.*)?$")
WORD = re.compile(r"(?<![\w.$#!])([A-Za-z_]\w*)")
KEYWORDS = {"org", "base", "pool", "db", "dw", "dl", "dd", "incsrc", "incbin", "skip",
            "lorom", "arch", "check", "math", "macro", "endmacro", "if", "endif", "else"}


def routines(path: Path) -> list[tuple[str, int, list[str], str | None]]:
    """(label, address, body lines without annotations, the label that directly follows the
    body or None) of every code routine in a file. Code that runs off the end of a routine
    continues into the label that follows it, as in the assembled bank."""
    found: list[tuple[str, int, list[str], str | None]] = []
    label, address, body = None, None, []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        head = GLOBAL.match(raw)
        if head and head.group(1).lower() not in KEYWORDS and not raw.startswith((" ", "\t")):
            if label is not None and address is not None:
                found.append((label, address, body, head.group(1)))
            label, address, body = head.group(1), None, []
            continue
        if raw.startswith(("pool", "org", "base")):
            if label is not None and address is not None:
                found.append((label, address, body, None))
            label, address, body = None, None, []
            continue
        mark = ANNOTATION.search(raw)
        if mark and address is None:
            address = int(mark.group(1), 16)
        body.append(ANNOTATION.sub("", raw))
    if label is not None and address is not None:
        found.append((label, address, body, None))
    return found


POOL_SUBLABEL = re.compile(r"^\.([A-Za-z_]\w*)\s*(?:;.*)?$")
REFERENCE = re.compile(r"^\s*([A-Za-z]{3})(?:\.[bwl])?\s+([A-Za-z_]\w*)\b")
INDIRECT_JUMP = re.compile(r"^\s*JM[PL](?:\.\w)?\s+[(\[]", re.IGNORECASE)
TABLE_ENTRY = re.compile(r"^\s*d[wl]\s+(.*)$")


def pool_labels(path: Path) -> dict[str, dict[str, int]]:
    """Sublabels of `pool NAME` sections (the data a routine keeps apart from its code, whose
    `.sub` labels are in the routine's scope): {routine: {sub: address}}."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    parent, pending = None, []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if raw.startswith("pool"):
            words = raw.split()
            parent = words[1] if len(words) > 1 and words[1] != "off" else None
            pending = []
            continue
        if parent is None:
            continue
        if sub := POOL_SUBLABEL.match(raw):
            pending.append(sub.group(1))
        elif (mark := ANNOTATION.search(raw)) and pending:
            for name in pending:
                found[parent][name] = int(mark.group(1), 16)
            pending = []
    return found


def _jumped_to_only(files: list[Path]) -> set[str]:
    """Labels reached only by JMP/BRA/BRL/branches or from the table right after a
    `JMP (table,X)`: tails of other routines, so the stack at their entry holds what the
    jumping routine pushed (linted alone, its depth is unknown). A table entry anywhere else
    (`JSL JumpTableLocal` and its table) counts as called."""
    jumped: set[str] = set()
    called: set[str] = set()
    for path in files:
        after_indirect_jump = False
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = ANNOTATION.sub("", raw).partition(";")[0]
            if m := TABLE_ENTRY.match(line):
                (jumped if after_indirect_jump else called).update(WORD.findall(m.group(1)))
                continue
            words = line.split()
            if words and words[0].split(".")[0].upper() in MNEMONICS:
                after_indirect_jump = INDIRECT_JUMP.match(line) is not None
            if m := REFERENCE.match(line):
                op, target = m.group(1).upper(), m.group(2)
                if op in ("JSR", "JSL"):
                    called.add(target)
                elif op in ("JMP", "JML", "BRA", "BRL") or (op[0] == "B" and op in MNEMONICS):
                    jumped.add(target)
    return jumped - called


def _is_code(body: list[str]) -> bool:
    code = [line for line in body if line.strip() and not line.lstrip().startswith(";")]
    return any(line.split()[0].split(".")[0].upper() in MNEMONICS for line in code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--json", type=Path, help="write the counts and findings here")
    parser.add_argument("--examples", type=int, default=3, help="findings shown per rule")
    args = parser.parse_args(argv)
    if not (args.root / "main.asm").is_file():
        print(f"error: {args.root}: expected the usdasm checkout (main.asm)", file=sys.stderr)
        return 2
    equates = {m.group(1): m.group(2) for line in
               (args.root / "registers.asm").read_text().splitlines()
               if (m := EQUATE.match(line))}
    files = sorted(args.root.glob("bank_*.asm"))
    table = {name: address for path in files for name, address, *_ in routines(path)}
    has_code = {name for path in files for name, _, body, _ in routines(path) if _is_code(body)}
    tails = _jumped_to_only(files)
    pools = {name: subs for path in files for name, subs in pool_labels(path).items()}
    counts: Counter[tuple[str, str]] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    linted = skipped = 0
    for path in files:
        for name, address, body, after in routines(path):
            if not _is_code(body):
                continue  # data only
            text = "\n".join(body)
            used = {w for line in body for w in WORD.findall(line.partition(";")[0])}
            header = [f"{w} = {equates[w]}" for w in sorted(used & set(equates))]
            header += [f"{w} = ${table[w]:06X}" for w in sorted(used & set(table))
                       if w != name]
            header += [f"{name}_{sub} = ${at:06X}" for sub, at in pools.get(name, {}).items()]
            source = "\n".join([*header, f"org ${address:06X}", f"{name}:", text]) + "\n"
            report = lint_source(source, filename=f"{path.name}:{name}")
            if not report.assembled:
                skipped += 1
                continue
            linted += 1
            for finding in report.findings:
                if finding.rule == "C004" and after in has_code:
                    continue  # runs on into the routine that follows it in the bank
                if finding.rule == "S004" and name in tails:
                    continue  # the jumping routine's pushes are on the stack at entry
                counts[(finding.rule, finding.severity)] += 1
                if len(examples[finding.rule]) < args.examples:
                    line = source.splitlines()[finding.line - 1].strip() \
                        if finding.line <= len(source.splitlines()) else ""
                    examples[finding.rule].append(f"{path.name} {name}: {line} -- "
                                                  f"{finding.message}")
    print(f"{linted} routines linted, {skipped} did not assemble in isolation")
    for (rule, severity), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"{rule} {severity:<7} {n}")
        for example in examples[rule]:
            print(f"    {example}")
    if args.json:
        args.json.write_text(json.dumps({
            "linted": linted, "not_assembled": skipped,
            "counts": [{"rule": r, "severity": s, "count": n} for (r, s), n in counts.items()],
            "examples": examples}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
