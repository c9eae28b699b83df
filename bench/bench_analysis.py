"""Analysis performance: equivalence of a 20-instruction pair (64 trials), lint and optimiser
on a 2,000-line file. Targets: equivalence median <= 50 ms."""

from __future__ import annotations

import statistics
import time

ORIGINAL = """sep #$30
lda $10
clc
adc $11
sta $12
lda #$00
sta $13
lda $14
sec
sbc #$05
sta $14
ldx #$04
-
lda $20,x
sta $30,x
dex
bpl -
lda $16
and #$0F
ora #$80
sta $17"""

CANDIDATE = """sep #$30
lda $10
clc
adc $11
sta $12
stz $13
lda $14
sec
sbc #$05
sta $14
ldx #$04
-
lda $20,x
sta $30,x
dex
bpl -
lda $16
and #$0F
ora #$80
sta $17"""

ROUTINE = """Routine{n}:
  php
  sep #$20
  rep #$10
  lda #$00
  sta $10
  lda #$00
  sta $11
  ldx #$0010
.loop{n}
  lda $0200,x
  clc
  adc #$01
  sta $0200,x
  dex
  bpl .loop{n}
  lda $12
  cmp #$00
  beq .skip{n}
  bra .out{n}
.skip{n}
  inc $13
.out{n}
  sep #$20
  sep #$10
  lda $14
  sta $15
  lda $14
  sta $16
  plp
  rts
"""


def big_file(lines: int = 2000) -> str:
    parts = []
    n = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(ROUTINE.format(n=n))
        n += 1
    return "".join(parts)


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def run() -> dict:
    from afs.asm.equivalence import check_equivalent
    from afs.asm.lint import lint_source
    from afs.asm.optimizer import optimize

    n_instr = sum(1 for ln in ORIGINAL.splitlines() if ln.strip() not in ("-", ""))
    result = check_equivalent(ORIGINAL, CANDIDATE, live_out="x,y,mem", trials=64, seed=1)
    assert result.equivalent
    eq_ms = _time(lambda: check_equivalent(ORIGINAL, CANDIDATE, live_out="x,y,mem", trials=64,
                                           seed=1), 30)
    source = big_file()
    lint_ms = _time(lambda: lint_source(source), 3)
    opt_ms = _time(lambda: optimize(source), 2)
    rewrites = len(optimize(source).rewrites)
    return {
        "equivalence_20_instr_64_trials_median_ms": round(statistics.median(eq_ms), 2),
        "equivalence_min_ms": round(min(eq_ms), 2),
        "equivalence_instructions": n_instr,
        "equivalence_target_ms": 50,
        "lint_2000_lines_ms": round(statistics.median(lint_ms), 1),
        "optimize_2000_lines_ms": round(statistics.median(opt_ms), 1),
        "optimize_rewrites": rewrites,
        "file_lines": source.count("\n"),
    }
