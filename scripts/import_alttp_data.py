"""Convert the shared ALTTP RAM map and SNES register table into AFS's own package data.

Development-time only: reads `../shared/data/alttp/{alttp_ram,snes_registers}.tsv` (or the
directory given with `--source`) and writes `src/afs/knowledge/data/alttp_facts.json`. Every
column of every row is kept verbatim (the `source` column included); the script only adds
derived layout fields (byte/word/per-slot table/buffer, register group) that the knowledge
graph needs. Facts are never edited here: a correction goes into CORRECTIONS with a citation.

    python scripts/import_alttp_data.py [--source DIR] [--output FILE] [--check]

`--check` exits 1 when the data file is out of date with the TSV files.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "alttp"
DEFAULT_OUTPUT = ROOT / "src" / "afs" / "knowledge" / "data" / "alttp_facts.json"

RAM_COLUMNS = ("address", "size_bytes", "name", "category", "description", "source", "confidence")
REG_COLUMNS = ("address", "name", "access", "size", "description", "source")

SOURCES = {
    "snesrev/zelda3": "src/variables.h, game code, snes/snes_regs.h (MIT)",
    "spannerisms/jpdasm": "symbols_wram.asm, symbols_sram.asm, registers.asm (GPL-3.0; facts only)",
    "walkingeyerobot/alttp-disassembly": "MathOnNapkins RAM/SRAM logs, Anomie register doc",
    "wiki.superfamicom.org/registers": "register pages",
    "snes.nesdev.org": "MMIO tables",
}

CONVENTIONS = (
    "US release. WRAM $7E0000-$7E1FFF is mirrored at $0000-$1FFF of banks $00-$3F/$80-$BF and "
    "the direct page is $0000, so $10, $0010, $000010, $800010 and $7E0010 are one byte. "
    "Per-slot tables run from their base address (slot n = base + n * slot_size). "
    "16-bit values are little-endian. Health is in 1/8-heart units."
)

# Per-slot tables: name -> (slots, bytes per slot, what a slot is). The sprite/ancilla/
# overlord/garnish counts come from the data README; the others from each row's description.
TABLES: dict[str, tuple[int, int, str]] = {
    "ancilla_aux_timer": (5, 1, "ancilla"),
    "torch_timers": (16, 1, "torch"),
    "room_history": (4, 2, "room"),
    "follower_y_lo_history": (20, 1, "follower_step"),
    "follower_y_hi_history": (20, 1, "follower_step"),
    "follower_x_lo_history": (20, 1, "follower_step"),
    "follower_x_hi_history": (20, 1, "follower_step"),
    "keys_per_dungeon": (14, 1, "dungeon"),
    "deaths_per_dungeon": (14, 2, "dungeon"),
    "player_name": (6, 2, "character"),
    "save_room_flags": (296, 2, "room"),
    "save_overworld_flags": (128, 1, "area"),
    "oam_buffer_low": (128, 4, "oam_sprite"),
    "palette_buffer_main": (256, 2, "color"),
    "garnish_type": (30, 1, "garnish"),
}
SLOT_KIND_BY_SIZE = {("sprite_table", 16): "sprite", ("sprite_table", 8): "overlord",
                     ("ancilla", 10): "ancilla"}
# Object tables are always reached through a slot index; an unindexed access is suspicious.
INDEXED_SLOT_KINDS = {"sprite", "overlord", "ancilla", "garnish"}

# Rows we believe wrong and corrected, with the source that settles it:
# {"table": "ram", "address": "...", "field": "...", "old": ..., "new": ..., "source": "..."}.
# Empty: doubtful rows are reported in the knowledge README section instead of edited.
CORRECTIONS: list[dict[str, Any]] = []


def _layout(row: dict[str, Any]) -> dict[str, Any]:
    size = row["size_bytes"]
    name = row["name"]
    if name in TABLES:
        slots, slot_size, kind = TABLES[name]
    elif (row["category"], size) in SLOT_KIND_BY_SIZE:
        slots, slot_size, kind = size, 1, SLOT_KIND_BY_SIZE[(row["category"], size)]
    elif size == 1:
        return {"kind": "byte"}
    elif size == 2:
        return {"kind": "word"}
    else:
        return {"kind": "buffer"}
    if slots * slot_size != size:
        raise SystemExit(f"{name}: {slots} slots x {slot_size} bytes != size {size}")
    return {"kind": "table", "slots": slots, "slot_size": slot_size, "slot_kind": kind,
            "requires_index": kind in INDEXED_SLOT_KINDS}


def _register_group(address: int) -> str:
    if 0x2100 <= address <= 0x213F:
        return "ppu"
    if 0x2140 <= address <= 0x217F:
        return "apu"
    if 0x2180 <= address <= 0x2183:
        return "wram_port"
    if 0x4016 <= address <= 0x4017:
        return "joypad_serial"
    if 0x4200 <= address <= 0x421F:
        return "cpu"
    if 0x4300 <= address <= 0x437F:
        return "dma"
    raise SystemExit(f"register ${address:04X} is outside every known register block")


def _read_tsv(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != columns:
            raise SystemExit(f"{path}: expected columns {columns}, got {reader.fieldnames}")
        rows = []
        for line, row in enumerate(reader, start=2):
            if any(row[c] in (None, "") for c in columns):
                raise SystemExit(f"{path}:{line}: empty field in {row}")
            rows.append(row)
    return rows


def build(source: Path) -> dict[str, Any]:
    """Return the data-file document for the TSV files in `source`."""
    ram_path, reg_path = source / "alttp_ram.tsv", source / "snes_registers.tsv"
    ram = []
    for row in _read_tsv(ram_path, RAM_COLUMNS):
        entry: dict[str, Any] = dict(row)
        entry["size_bytes"] = int(row["size_bytes"])
        entry["layout"] = _layout(entry)
        ram.append(entry)
    registers = []
    for row in _read_tsv(reg_path, REG_COLUMNS):
        entry = dict(row)
        entry["group"] = _register_group(int(row["address"], 16))
        registers.append(entry)
    return {
        "format": 1,
        "generated_by": "scripts/import_alttp_data.py",
        "inputs": {
            p.name: {"rows": n, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
            for p, n in ((ram_path, len(ram)), (reg_path, len(registers)))
        },
        "sources": SOURCES,
        "conventions": CONVENTIONS,
        "corrections": CORRECTIONS,
        "ram": ram,
        "registers": registers,
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the output is stale")
    args = parser.parse_args(argv)
    text = render(build(args.source))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date; rerun scripts/import_alttp_data.py")
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
