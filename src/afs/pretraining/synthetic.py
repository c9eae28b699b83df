"""A seeded generator of varied, realistic 65816 assembly for tests and benchmarks.

The routines follow what ALTTP hacks really do (refill counters with caps, walk sprite
slots, dispatch on the module index, read the joypad, run DMA, tables) in asar syntax
(`.asm`) and a lower-case, tab-indented ca65-like style (`.s`). The regularities are real
ones a model can learn: `SEP #$20` is followed by 8-bit `.b` operands, a `BNE .x` has a
`.x` label, `JSL`-entered routines end in `RTL`, a RAM address comes with its usual comment.
RAM addresses and names: `shared/data/alttp/alttp_ram.tsv` (US ROM); registers: the SNES
register map (`shared/data/alttp/snes_registers.tsv`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

# (address, name, comment) — facts from the ALTTP RAM map.
RAM: tuple[tuple[str, str, str], ...] = (
    ("$7EF36D", "Health", "current health, in eighths of a heart"),
    ("$7EF36C", "MaxHealth", "heart containers, in eighths"),
    ("$7EF360", "Rupees", "rupee count (16-bit)"),
    ("$7EF343", "Bombs", "bomb count"),
    ("$7EF377", "Arrows", "arrow count"),
    ("$7EF36E", "Magic", "magic power"),
    ("$7EF359", "Sword", "sword level"),
    ("$7EF35A", "Shield", "shield level"),
    ("$7EF35B", "Armor", "armor level"),
    ("$7EF340", "Bow", "bow item"),
)
WRAM: tuple[tuple[str, str, str], ...] = (
    ("$10", "Module", "main module index"),
    ("$11", "Submodule", "submodule index"),
    ("$1A", "FrameCounter", "frame counter"),
    ("$1B", "Indoors", "indoors flag"),
    ("$20", "LinkY", "Link Y coordinate"),
    ("$22", "LinkX", "Link X coordinate"),
    ("$2F", "LinkDirection", "Link facing direction"),
    ("$5D", "LinkState", "Link state handler"),
    ("$8A", "OverworldScreen", "overworld screen id"),
    ("$A0", "DungeonRoom", "dungeon room id"),
)
SPRITE_TABLES: tuple[tuple[str, str], ...] = (
    ("$0DD0", "sprite state"),
    ("$0E20", "sprite type"),
    ("$0E50", "sprite hit points"),
    ("$0D00", "sprite Y low"),
    ("$0D10", "sprite X low"),
    ("$0F50", "sprite OAM attributes"),
)
BUTTONS: tuple[tuple[str, str, str], ...] = (
    ("$F4", "#$80", "B"),
    ("$F4", "#$40", "Y"),
    ("$F4", "#$10", "Start"),
    ("$F6", "#$80", "A"),
    ("$F6", "#$40", "X"),
    ("$F6", "#$20", "L"),
    ("$F6", "#$10", "R"),
)
VERBS = ("Update", "Handle", "Check", "Refill", "Tick", "Draw", "Init", "Apply", "Reset")
AREAS = ("Overworld", "Dungeon", "Menu", "Sprite", "Link", "Ancilla", "Hud", "Palace", "Boss")


def _hex(rng: random.Random, digits: int) -> str:
    return f"${rng.randrange(16**digits):0{digits}X}"


def _name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = f"{rng.choice(AREAS)}_{rng.choice(VERBS)}{rng.choice(('', 'Main', 'Step', 'Now'))}"
        name = name if name not in used else f"{name}_{len(used)}"
        if name not in used:
            used.add(name)
            return name


def _opt(rng: random.Random, chance: float, *lines: str) -> list[str]:
    """`lines` with probability `chance`, else nothing: optional steps vary the routines."""
    return list(lines) if rng.random() < chance else []


def _sfx(rng: random.Random) -> list[str]:
    return _opt(rng, 0.4, f"    LDA.b #{_hex(rng, 2)} : STA.w $012F  ; sound effect")


def _refill(rng: random.Random, name: str) -> list[str]:
    address, what, comment = rng.choice(RAM)
    cap = rng.choice(("#$A0", "#$63", "#$32", "#$1E", "#$80", "#$28"))
    amount = rng.choice(("#$01", "#$05", "#$08", "#$0A", "#$10", "#$20"))
    label = rng.choice((".not_full", ".below_cap", ".store", ".ok"))
    wrap = rng.random() < 0.5
    return [
        f"; Adds {amount[1:]} to {comment}, capped at {cap[1:]}.",
        f"{name}:",
        "{",
        *(["    PHP"] if wrap else []),
        "    SEP #$20",
        f"    LDA.l {address}  ; {what}",
        *rng.choice(([f"    CLC : ADC.b {amount}"], ["    CLC", f"    ADC.b {amount}"])),
        f"    CMP.b {cap} : BCC {label}",
        f"    LDA.b {cap}",
        label,
        f"    STA.l {address}",
        *_sfx(rng),
        *(["    PLP"] if wrap else []),
        "    RTL",
        "}",
    ]


def _damage(rng: random.Random, name: str) -> list[str]:
    amount = rng.choice(("#$02", "#$04", "#$08", "#$10"))
    alive = rng.choice((".alive", ".still_alive", ".positive"))
    return [
        f"; Takes {amount[1:]} eighths of a heart from Link; zero means dead.",
        f"{name}:",
        "{",
        "    SEP #$20",
        *_opt(rng, 0.5, "    LDA.w $031F : BNE .done  ; still flashing from the last hit"),
        "    LDA.l $7EF36D  ; current health",
        f"    SEC : SBC.b {amount}",
        f"    BCS {alive}",
        "    LDA.b #$00",
        alive,
        "    STA.l $7EF36D",
        *_opt(rng, 0.5, f"    LDA.b #{_hex(rng, 2)} : STA.w $031F  ; invincibility frames"),
        "    LDA.l $7EF36D",
        "    BNE .done",
        "    LDA.b #$12 : STA.b $10  ; module 0x12: death",
        "    STZ.b $11",
        *_sfx(rng),
        ".done",
        "    RTL",
        "}",
    ]


def _sprite_loop(rng: random.Random, name: str) -> list[str]:
    table, comment = rng.choice(SPRITE_TABLES)
    value = _hex(rng, 2)
    action = rng.choice(
        (
            [f"    LDA.b #{value} : STA.w {table},x"],
            [f"    LDA.w {table},x : CMP.b #{value} : BNE .skip", "    STZ.w $0DD0,x"],
            ["    DEC.w $0E50,x  ; sprite hit points", "    BPL .skip", "    STZ.w $0DD0,x"],
            [f"    LDA.w {table},x : CLC : ADC.b #{value} : STA.w {table},x"],
            [
                f"    LDA.w {table},x : AND.b #{value} : BEQ .skip",
                f"    JSL {rng.choice(AREAS)}_Hook",
            ],
            ["    INC.w $0E20,x", f"    LDA.w {table},x : ORA.b #{value} : STA.w {table},x"],
        )
    )
    count = rng.choice(("#$0F", "#$07", "#$09"))
    loop, skip = rng.choice(((".next_slot", ".skip"), (".loop", ".skip"), (".slot", ".next")))
    lines = [
        f"; Walks the sprite slots ({int(count[2:], 16) + 1}) and updates {comment}.",
        f"{name}:",
        "{",
        *_opt(rng, 0.6, "    PHX"),
        f"    LDX.b {count}",
        ".next_slot",
        "    LDA.w $0DD0,x  ; sprite state",
        *rng.choice((["    BEQ .skip"], ["    CMP.b #$09 : BNE .skip  ; only active ones"])),
        *action,
        ".skip",
        "    DEX",
        "    BPL .next_slot",
    ]
    lines = [line.replace(".next_slot", loop).replace(".skip", skip) for line in lines]
    return [*lines, *(["    PLX"] if lines[3] == "    PHX" else []), "    RTS", "}"]


def _dispatch(rng: random.Random, name: str, used: set[str]) -> list[str]:
    address, _, comment = rng.choice(WRAM[:2] + WRAM[7:8])
    targets = [_name(rng, used) for _ in range(rng.randint(3, 7))]
    return [
        f"; Jumps to the handler for the current {comment}.",
        f"{name}:",
        "{",
        *rng.choice(
            (
                ["    REP #$30", f"    LDA.b {address} : AND.w #$00FF", "    ASL A", "    TAX",
                 "    SEP #$20"],
                ["    SEP #$30", f"    LDA.b {address}", "    ASL A", "    TAX"],
            )
        ),
        "    JMP (.handlers,x)",
        "",
        ".handlers",
        *(f"    dw {target}" for target in targets),
        "}",
    ]


def _joypad(rng: random.Random, name: str) -> list[str]:
    port, mask, button = rng.choice(BUTTONS)
    address, _, comment = rng.choice(WRAM)
    effect = rng.choice(
        (
            [f"    LDA.b {address}  ; {comment}", "    INC A", f"    STA.b {address}"],
            [f"    INC.b {address}  ; {comment}"],
            [f"    LDA.b #{_hex(rng, 2)} : STA.b {address}  ; {comment}"],
            [f"    STZ.b {address}  ; {comment}"],
            [f"    JSR {rng.choice(AREAS)}_{rng.choice(VERBS)}"],
        )
    )
    label = rng.choice((".no_press", ".return", ".not_pressed"))
    return [
        f"; Reacts to a new press of {button}.",
        f"{name}:",
        "{",
        "    SEP #$20",
        f"    LDA.b {port}  ; new presses",
        f"    AND.b {mask}  ; {button} button",
        f"    BEQ {label}",
        *effect,
        *_sfx(rng),
        label,
        "    RTS",
        "}",
    ]


def _dma(rng: random.Random, name: str) -> list[str]:
    source = f"${rng.randrange(0x10, 0x3F):02X}{rng.randrange(0x8000, 0x10000, 0x100):04X}"
    size = rng.choice(("#$0800", "#$1000", "#$0400", "#$0200", "#$0100", "#$2000"))
    vram = rng.choice(("#$4000", "#$5000", "#$6000", "#$7000", "#$2000", "#$0000"))
    channel = rng.choice((0, 1))
    base = f"$43{channel}"
    data_bank = rng.random() < 0.5
    return [
        f"; Copies {size[2:]} bytes from {source} to VRAM {vram[1:]} with DMA channel {channel}.",
        f"{name}:",
        "{",
        *(["    PHB : PHK : PLB"] if data_bank else []),
        "    REP #$20",
        f"    LDA.w {vram} : STA.w $2116  ; VMADD",
        f"    LDA.w #$1801 : STA.w {base}0  ; DMAP/BBAD: to VMDATA",
        f"    LDA.w #{source[3:]} : STA.w {base}2  ; A1T",
        f"    LDA.w {size} : STA.w {base}5  ; DAS",
        "    SEP #$20",
        f"    LDA.b #${source[1:3]} : STA.w {base}4  ; A1B",
        "    LDA.b #$80 : STA.w $2115  ; VMAIN: increment after high byte",
        f"    LDA.b #${1 << channel:02X} : STA.w $420B  ; MDMAEN: start channel {channel}",
        *(["    PLB"] if data_bank else []),
        "    RTL",
        "}",
    ]


def _timer(rng: random.Random, name: str) -> list[str]:
    timer = rng.choice(("$0F10,x", "$0DF0,x", "$0E10,x", "$0DF0,y"))
    return [
        "; Counts the slot's timer down and changes state when it runs out.",
        f"{name}:",
        "{",
        f"    LDA.w {timer}",
        "    BEQ .expired",
        f"    DEC.w {timer}",
        "    RTS",
        ".expired",
        f"    LDA.b #{_hex(rng, 2)} : STA.w {timer}",
        *rng.choice(
            (
                ["    INC.w $0D80,x  ; next AI phase"],
                [f"    LDA.b #{_hex(rng, 1)} : STA.w $0D80,x  ; AI phase"],
                ["    STZ.w $0DD0,x  ; despawn"],
            )
        ),
        *_sfx(rng),
        "    RTS",
        "}",
    ]


def _table(rng: random.Random, name: str, long: bool) -> list[str]:
    rows = rng.randint(40, 80) if long else rng.randint(2, 8)
    directive = rng.choice(("db", "dw"))
    digits = 2 if directive == "db" else 4
    what = rng.choice(("Speeds", "Offsets", "Tile ids", "Palettes"))
    lines = [f"; {what} per entry.", f"{name}:"]
    for _ in range(rows):
        lines.append(f"    {directive} " + ", ".join(_hex(rng, digits) for _ in range(8)))
    return lines


def _routine(rng: random.Random, name: str, used: set[str]) -> list[str]:
    makers: list[Callable[[random.Random, str], list[str]]] = [
        _refill, _damage, _sprite_loop, _joypad, _dma, _timer,
    ]
    roll = rng.random()
    if roll < 0.12:
        return _dispatch(rng, name, used)
    if roll < 0.2:
        return _table(rng, name, long=rng.random() < 0.3)
    return rng.choice(makers)(rng, name)


def _ca65_style(lines: list[str]) -> list[str]:
    """Rewrite asar-style lines into a tab-indented, lower-case-mnemonic `.s` dialect."""
    out = []
    for line in lines:
        if line in ("{", "}"):
            continue
        if line.startswith("."):
            out.append("@" + line[1:] + ":")
            continue
        if not line.startswith("    "):
            out.append(line)
            continue
        code, sep, comment = line.partition(";")
        parts = [part.strip() for part in code.split(" : ")]
        for index, part in enumerate(parts):
            mnemonic, _, operand = part.partition(" ")
            mnemonic = mnemonic.lower().split(".")[0]  # no size suffixes in this dialect
            mnemonic = {"dw": ".word", "db": ".byte"}.get(mnemonic, mnemonic)
            operand = operand.replace("(.", "(@")
            if operand.startswith("."):
                operand = "@" + operand[1:]
            text = f"\t{mnemonic} {operand}".rstrip()
            if sep and index == len(parts) - 1:
                text += f" ;{comment}"
            out.append(text)
    return out


def generate_assembly_corpus(
    directory: str | Path,
    *,
    files: int = 16,
    routines_per_file: tuple[int, int] = (10, 18),
    seed: int = 0,
) -> list[Path]:
    """Write `files` assembly files (mostly `.asm`, some `.s`) under `directory`; seeded.

    The default size is a few thousand lines. Returns the paths written, sorted.
    """
    rng = random.Random(seed)
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    written = []
    for index in range(files):
        bank = 0x08 + index
        lines = [
            f"; Bank ${bank:02X}: generated routines (seed {seed}).",
            "lorom",
            "",
            f"org ${bank:02X}8000",
            "",
        ]
        for _ in range(rng.randint(*routines_per_file)):
            lines.extend(_routine(rng, _name(rng, used), used))
            lines.append("")
        ca65 = index % 4 == 3
        path = root / f"bank_{bank:02X}.{'s' if ca65 else 'asm'}"
        path.write_text("\n".join(_ca65_style(lines) if ca65 else lines) + "\n")
        written.append(path)
    return sorted(written)
