"""Nayru: writes 65816 code for common SNES tasks from parameterised templates.

First `nayru_tasks` reads the request as a user's, clause by clause (set, add or subtract
with bounds, copy, fill, bit changes, refill, over addresses or knowledge-graph variables),
and answers exactly or says which clause it cannot follow. Then, for a one-clause request,
the keyword templates here: DMA to VRAM, DMA/palette upload to CGRAM, joypad read, memory
fill and copy with MVN, OAM entry write (to ALTTP's OAM buffer at $0800), wait for vblank.
Their parameters (addresses, sizes, channel, values) are read from the request; a template
missing one says which instead of guessing. Each template assembles, lints clean and is
checked on the emulator by the test suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from afs.models.classical_experts.common import fence, parse_request
from afs.models.classical_experts.nayru_tasks import (
    TASKS,
    CannotDo,
    clauses,
    code_for,
    describe,
    understand,
)

_NUM = r"(\$[0-9A-Fa-f]+|0x[0-9A-Fa-f]+|\d+)"


def _int(text: str) -> int:
    text = text.strip()
    if text.startswith("$"):
        return int(text[1:], 16)
    return int(text, 0)


def _find(pattern: str, text: str) -> int | None:
    m = re.search(pattern, text, re.IGNORECASE)
    return _int(m.group(1)) if m else None


@dataclass
class Params:
    text: str

    def get(self, default: int, *patterns: str) -> tuple[int, bool]:
        for p in patterns:
            v = _find(p, self.text)
            if v is not None:
                return v, True
        return default, False


def _size(p: Params, default: int) -> tuple[int, bool]:
    return p.get(default, rf"{_NUM}\s*bytes", rf"(?:size|length|count)\s*(?:of|=|:)?\s*{_NUM}")


def _src(p: Params, default: int) -> tuple[int, bool]:
    return p.get(default, rf"from\s+(?:wram\s+|rom\s+|address\s+)?{_NUM}",
                 rf"source\s*(?:=|:|address)?\s*{_NUM}")


def _channel(p: Params) -> tuple[int, bool]:
    ch, given = p.get(0, rf"channel\s*{_NUM}")
    return ch & 7, given


def _h(v: int, digits: int) -> str:
    return f"${v:0{digits}X}"


def dma_vram(p: Params) -> tuple[str, list[str]]:
    src, s_given = _src(p, 0x7E2000)
    dest, d_given = p.get(0x0000, rf"vram\s*(?:word\s+)?(?:address\s*)?{_NUM}",
                          rf"to\s+{_NUM}")
    size, z_given = _size(p, 0x0800)
    ch, c_given = _channel(p)
    r = 0x4300 + ch * 16
    code = f"""; DMA {size} bytes from {_h(src, 6)} to VRAM word address {_h(dest, 4)} (channel
; {ch}).
; Call during vblank (NMI) or forced blank.
DmaToVram:
    php
    sep #$20
    rep #$10
    lda #$80
    sta $2115           ; VMAIN: increment after the high byte ($2119)
    ldx #{_h(dest & 0xFFFF, 4)}
    stx $2116           ; VMADD: VRAM word address
    lda #$01
    sta {_h(r, 4)}           ; DMAP: A-bus -> B-bus, two registers ($2118/$2119)
    lda #$18
    sta {_h(r + 1, 4)}           ; BBAD: VMDATAL
    ldx #{_h(src & 0xFFFF, 4)}
    stx {_h(r + 2, 4)}           ; A1T: source address
    lda #{_h(src >> 16, 2)}
    sta {_h(r + 4, 4)}           ; A1B: source bank
    ldx #{_h(size & 0xFFFF, 4)}
    stx {_h(r + 5, 4)}           ; DAS: byte count (0 would mean 65,536)
    lda #{_h(1 << ch, 2)}
    sta $420B           ; MDMAEN: start channel {ch}
    plp
    rts"""
    return code, _defaults([("source", s_given, _h(src, 6)), ("VRAM address", d_given,
                                                                 _h(dest, 4)),
                            ("size", z_given, str(size)), ("channel", c_given, str(ch))])


def dma_cgram(p: Params) -> tuple[str, list[str]]:
    src, s_given = _src(p, 0x7EC500)
    color, k_given = p.get(0, rf"colou?r\s*(?:index\s*)?{_NUM}", rf"cgram\s*(?:address\s*)?{_NUM}")
    size, z_given = _size(p, 0x0200)
    colours = _find(rf"{_NUM}\s*colou?rs\b", p.text)
    if colours is not None and not z_given:
        size, z_given = 2 * colours, True
    ch, c_given = _channel(p)
    r = 0x4300 + ch * 16
    code = f"""; Upload {size} bytes of palette from {_h(src, 6)} to CGRAM from colour {color}
; (channel {ch}).
; Call during vblank (NMI) or forced blank.
UploadPalette:
    php
    sep #$20
    rep #$10
    lda #{_h(color & 0xFF, 2)}
    sta $2121           ; CGADD: first colour
    stz {_h(r, 4)}           ; DMAP: A-bus -> B-bus, one register
    lda #$22
    sta {_h(r + 1, 4)}           ; BBAD: CGDATA
    ldx #{_h(src & 0xFFFF, 4)}
    stx {_h(r + 2, 4)}           ; A1T: source address
    lda #{_h(src >> 16, 2)}
    sta {_h(r + 4, 4)}           ; A1B: source bank
    ldx #{_h(size & 0xFFFF, 4)}
    stx {_h(r + 5, 4)}           ; DAS: byte count (2 per colour)
    lda #{_h(1 << ch, 2)}
    sta $420B           ; MDMAEN: start channel {ch}
    plp
    rts"""
    return code, _defaults([("source", s_given, _h(src, 6)), ("first colour", k_given,
                                                                 str(color)),
                            ("size", z_given, str(size)), ("channel", c_given, str(ch))])


def joypad(p: Params) -> tuple[str, list[str]]:
    dest, given = p.get(0x00F0,
                        rf"(?:store|save|put|into|to)\s+(?:it\s+)?(?:in|at|to)?\s*{_NUM}")
    pad, pad_given = p.get(1, rf"(?:joypad|controller|pad)\s*{_NUM}")
    port = 0x4218 if pad != 2 else 0x421A
    which = 2 if port == 0x421A else 1
    code = f"""; Read joypad {which} (auto-read) into {_h(dest, 4)}-{_h(dest + 1, 4)}.
ReadJoypad:
    php
    sep #$20
-   lda $4212           ; HVBJOY
    and #$01
    bne -               ; wait until the auto-joypad read has finished
    rep #$20
    lda {_h(port, 4)}           ; JOY{which}L/H: BYsS udlr AXLR 0000
    sta {_h(dest, 4)}
    plp
    rts"""
    return code, _defaults([("destination", given, _h(dest, 4)),
                            ("joypad", pad_given, "1" if port == 0x4218 else "2")])


def fill(p: Params) -> tuple[str, list[str]]:
    dest, d_given = p.get(0x7E2000, rf"\b(?:at|to|from)\s+(?:memory\s+)?{_NUM}",
                          rf"(?:fill|clear)\s+(?:memory\s+)?{_NUM}(?!\s*bytes)")
    size, z_given = _size(p, 0x0100)
    value, v_given = p.get(0, rf"(?:with|value)\s+{_NUM}")
    size = max(size, 2)
    bank = dest >> 16 or 0x7E
    dest = bank << 16 | (dest & 0xFFFF)
    code = f"""; Fill {size} bytes at {_h(dest, 6)} with {_h(value & 0xFF, 2)} (MVN copies the
; first byte forward).
FillMemory:
    php
    phb
    sep #$20
    lda #{_h(value & 0xFF, 2)}
    sta.l {_h(dest, 6)}     ; the first byte
    rep #$30
    ldx #{_h(dest & 0xFFFF, 4)}       ; source: the first byte
    ldy #{_h((dest + 1) & 0xFFFF, 4)}       ; destination: the next byte
    lda #{_h(size - 2, 4)}       ; MVN moves A+1 bytes
    mvn {_h(bank, 2)},{_h(bank, 2)}
    plb
    plp
    rts"""
    return code, _defaults([("address", d_given, _h(dest, 6)), ("size", z_given, str(size)),
                            ("value", v_given, _h(value & 0xFF, 2))])


def copy(p: Params) -> tuple[str, list[str]]:
    src, s_given = _src(p, 0x7E2000)
    dest, d_given = p.get(0x7E4000, rf"to\s+{_NUM}",
                          rf"dest(?:ination)?\s*(?:=|:)?\s*{_NUM}")
    size, z_given = _size(p, 0x0100)
    size = max(size, 1)
    sb, db = src >> 16 or 0x7E, dest >> 16 or 0x7E
    src, dest = sb << 16 | src & 0xFFFF, db << 16 | dest & 0xFFFF
    code = f"""; Copy {size} bytes from {_h(src, 6)} to {_h(dest, 6)} with MVN (ascending).
CopyMemory:
    php
    phb
    rep #$30
    ldx #{_h(src & 0xFFFF, 4)}       ; source
    ldy #{_h(dest & 0xFFFF, 4)}       ; destination
    lda #{_h(size - 1, 4)}       ; MVN moves A+1 bytes
    mvn {_h(db, 2)},{_h(sb, 2)}      ; asar order: destination bank, source bank
    plb
    plp
    rts"""
    return code, _defaults([("source", s_given, _h(src, 6)), ("destination", d_given,
                                                                  _h(dest, 6)),
                            ("size", z_given, str(size))])


def oam_entry(p: Params) -> tuple[str, list[str]]:
    index, i_given = p.get(0, rf"(?:sprite|entry|slot|index)\s*{_NUM}")
    x, x_given = p.get(0x80, rf"\bx\s*(?:=|:|position)?\s*{_NUM}")
    y, y_given = p.get(0x70, rf"\by\s*(?:=|:|position)?\s*{_NUM}")
    tile, t_given = p.get(0, rf"tile\s*(?:=|:)?\s*{_NUM}")
    attr, a_given = p.get(0x30, rf"attr(?:ibutes?)?\s*(?:=|:)?\s*{_NUM}")
    index &= 0x7F
    base = 0x0800 + 4 * index
    code = f"""; Write OAM entry {index} into ALTTP's OAM buffer ($7E0800, sent to OAM by the
; NMI DMA).
WriteOamEntry:
    php
    sep #$20
    lda #{_h(x & 0xFF, 2)}
    sta {_h(base, 4)}           ; X position (low 8 bits)
    lda #{_h(y & 0xFF, 2)}
    sta {_h(base + 1, 4)}           ; Y position
    lda #{_h(tile & 0xFF, 2)}
    sta {_h(base + 2, 4)}           ; tile number
    lda #{_h(attr & 0xFF, 2)}
    sta {_h(base + 3, 4)}           ; vhoopppN: flip, priority, palette, name table
    lda {_h(0x0A00 + index // 4, 4)}
    and #{_h(~(3 << (2 * (index % 4))) & 0xFF, 2)}   ; high table: X bit 8 = 0, small size
    sta {_h(0x0A00 + index // 4, 4)}
    plp
    rts"""
    return code, _defaults([("entry", i_given, str(index)), ("x", x_given, str(x)),
                            ("y", y_given, str(y)), ("tile", t_given, _h(tile, 2)),
                            ("attributes", a_given, _h(attr, 2))])


def wait_vblank(p: Params) -> tuple[str, list[str]]:
    code = """; Wait for the start of the next vertical blank.
WaitForVblank:
    php
    sep #$20
-   lda $4212           ; HVBJOY: bit 7 = in vblank
    bmi -               ; if already in vblank, wait for it to end first
-   lda $4212
    bpl -               ; wait until vblank begins
    plp
    rts"""
    return code, []


def _defaults(params: list[tuple[str, bool, str]]) -> list[str]:
    return [f"{name} = {value}" for name, given, value in params if not given]


@dataclass(frozen=True)
class Template:
    name: str
    keywords: tuple[str, ...]
    build: Callable[[Params], tuple[str, list[str]]]


TEMPLATES: tuple[Template, ...] = (
    Template("palette upload (CGRAM DMA)", ("cgram", "palette", "colour", "color", "dma"),
             dma_cgram),
    Template("DMA to VRAM", ("vram", "tile", "tilemap", "graphics", "dma"), dma_vram),
    Template("joypad read", ("joypad", "controller", "input", "buttons", "gamepad"), joypad),
    Template("OAM entry write", ("oam", "sprite entry", "sprite slot", "oam entry"),
             oam_entry),
    Template("memory fill (MVN)", ("fill", "clear", "zero out", "memset"), fill),
    Template("memory copy (MVN)", ("copy", "move", "memcpy", "mvn"), copy),
    Template("wait for vblank", ("vblank", "v-blank", "vertical blank"), wait_vblank),
)


# Requests that mention a template's topic but ask for something else entirely.
_OTHER_TASKS = ("sort", "search", "multiply", "divide", "random", "collision", "compress",
                "hash", "square root", "sqrt", "pathfind", "animate", "animation", "menu",
                "music", "sound", "text box", "dialog", "checksum", "save file")


def pick(request: str) -> Template | None:
    """The template a request asks for, or None (including requests for other tasks)."""
    text = request.lower()
    if any(k in text for k in _OTHER_TASKS):
        return None

    def has(word: str) -> bool:  # whole words: "refill" is not "fill"
        return re.search(rf"\b{re.escape(word)}\b", text) is not None

    scored = [(sum(map(has, t.keywords)), -n, t) for n, t in enumerate(TEMPLATES)]
    best = max(scored, key=lambda s: (s[0], s[1]))
    return best[2] if best[0] else None


def _extra_results(live_out: str | None) -> list[str]:
    """Registers or flags the request wants as results: none of the steps produce them."""
    if not live_out:
        return []
    return [n for n in live_out.split(",") if n.strip() and n.strip() not in ("mem", "s")]


def answer(request: str) -> str:
    parsed = parse_request(request)
    ask = parsed.ask.strip()
    extra = _extra_results(parsed.live_out)
    try:
        steps = understand(ask)
    except CannotDo as exc:
        reason = str(exc)
    else:
        if extra:
            return (f"Nayru (offline templates) cannot write this exactly: it asks for "
                    f"results in {', '.join(extra)}, which my steps do not produce.")
        return f"{fence(code_for(steps))}\n\nSteps: {describe(steps)}."
    # A keyword template covers one request of its kind, not a sentence among others.
    template = pick(ask) if len(clauses(ask)) == 1 else None
    if template is None or extra:
        names = ", ".join([t.name for t in TEMPLATES] + list(TASKS))
        return (f"Nayru (offline templates) cannot write this exactly: {reason}. I can write "
                f"only these routines: {names}, so I cannot write it.")
    code, missing = template.build(Params(ask))
    if missing:  # guessing a parameter would be a wrong answer, not a partial one
        return (f"Nayru (offline templates) cannot write this exactly: the {template.name} "
                f"needs {', '.join(m.split(' = ')[0] for m in missing)}, which the request "
                "does not give.")
    return f"{fence(code)}\n\nTemplate: {template.name}."
