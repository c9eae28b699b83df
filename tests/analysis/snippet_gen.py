"""Random 65816 snippets for the optimiser property test: rule-triggering fragments + filler.

Widths are set at the top (SEP/REP) and tracked, so every immediate is assembled at the width
the CPU will use; the fragments are the shapes the peephole rules look for, mixed with
instructions that keep registers and flags live or kill them.
"""

from __future__ import annotations

import random

_DP = ("$10", "$11", "$12", "$13", "$20", "$21")
_ABS = ("$0300", "$0301", "$0302")


def _imm(rng: random.Random, wide: bool) -> str:
    v = rng.choice((0, 1, 0x7F, 0x80, 0xFF, rng.randrange(0x100)))
    if wide:
        v = rng.choice((v, v | 0x1200, 0xFFFF, 0x8000))
        return f"#${v:04X}"
    return f"#${v:02X}"


def random_snippet(rng: random.Random) -> str:
    """One snippet that falls off its end (labels are local to it)."""
    m16 = rng.random() < 0.3
    x16 = rng.random() < 0.4
    lines = [f"rep #${(0x20 if m16 else 0) | (0x10 if x16 else 0):02X}" if (m16 or x16) else
             "sep #$30"]
    if m16 != x16 and (m16 or x16):
        lines.append(f"sep #${0x10 if m16 else 0x20:02X}")
    label = 0
    subs: list[str] = []
    for _ in range(rng.randrange(3, 10)):
        d, d2 = rng.choice(_DP), rng.choice(_DP)
        a = rng.choice(_ABS)
        kind = rng.randrange(22)
        wide = m16
        if kind == 0:
            lines += ["lda #$0000" if wide else "lda #$00", f"sta {d}"]
        elif kind == 1:
            lines += ["lda #$0000" if wide else "lda #$00", f"sta {d}", f"sta {a}"]
        elif kind == 2:
            lines += [f"lda {d}", "clc", "adc #$0001" if wide else "adc #$01", f"sta {d}"]
        elif kind == 3:
            lines += ["clc", "adc #$0001" if wide else "adc #$01"]
        elif kind == 4:
            lines += ["sec", "sbc #$0001" if wide else "sbc #$01"]
        elif kind == 5:
            lines += [f"lda {d}", "cmp #$0000" if wide else "cmp #$00"]
        elif kind == 6:
            lines += [f"lda {d}", f"sta {d2}", f"lda {d}"]
        elif kind == 7:
            lines += [f"sta {d}", f"lda {d}"]
        elif kind == 8:
            lines += [f"lda {_imm(rng, wide)}", f"sta {d}", f"lda {_imm(rng, wide)}", f"sta {d}"]
        elif kind == 9:
            lines += [rng.choice(("sep #$20", "sep #$10")), rng.choice(("sep #$20", "sep #$10"))]
            if not m16 and not x16:
                pass
            lines += [f"rep #${(0x20 if m16 else 0) | (0x10 if x16 else 0):02X}",
                      f"sep #${(0 if m16 else 0x20) | (0 if x16 else 0x10):02X}"]
        elif kind == 10:
            label += 2
            lines += [f"lda {d}", f"{rng.choice(('beq', 'bne', 'bcc', 'bmi'))} L{label}",
                      f"bra L{label + 1}", f"L{label}:", f"inc {d2}", f"L{label + 1}:"]
        elif kind == 11 and not m16:
            lines += [f"sta {d}", "clc", f"adc {d}"]
        elif kind == 12 and not m16 and x16:
            lo, hi = rng.randrange(256), rng.randrange(256)
            base = rng.choice(("$10", "$12", "$20"))
            nxt = f"${int(base[1:], 16) + 1:02X}"
            lines += [f"lda #${lo:02X}", f"sta {base}", f"lda #${hi:02X}", f"sta {nxt}"]
        elif kind == 13:
            lines += [f"lda {_imm(rng, wide)}", f"lda {_imm(rng, wide)}"]
        elif kind == 14:
            lines += [rng.choice(("tax", "tay", "txa", "tya", "inx", "dey", "xba"))]
        elif kind == 15:
            # Small indexes: a large X would read the snippet's own code bytes in bank $00.
            index = rng.randrange(0x40)
            lines += [f"ldx #${index:04X}" if x16 else f"ldx #${index:02X}", f"lda {d},x",
                      f"sta {d2}"]
        elif kind == 16:
            lines += [rng.choice(("and #$FFFF" if wide else "and #$FF", "ora #$00" if not wide
                                  else "ora #$0000", "eor #$00" if not wide else "eor #$0000"))]
        elif kind == 17:
            n = len(subs)
            subs += [f"Sub{n}:", f"inc {d}", f"lda {d2}", "rts"]
            lines += [f"jsr Sub{n}"]
        elif kind == 18:
            n = len(subs)
            subs += [f"Outer{n}:", f"jsr Inner{n}", "rts", f"Inner{n}:", f"dec {d}", "rts"]
            lines += [f"jsr Outer{n}"]
        elif kind == 19:
            lines += [f"stz {d}", f"lda {_imm(rng, wide)}", f"sta {d}"]
        elif kind == 20:
            lines += [rng.choice(("clc", "sec")), f"lda {d}"]
        else:
            lines += [f"{rng.choice(('lda', 'ldy', 'inc', 'asl', 'lsr', 'rol'))} {d}"]
    if subs:
        lines += ["bra End", *subs, "End:"]
    return "\n".join(lines)
