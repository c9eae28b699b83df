"""Loop and arithmetic shapes for Din's whole-routine pass (`afs.asm.superopt_routine`):
each function proposes edits; the pass keeps one only when the checker confirms it.

- `count-down loop`: `LDX #0 / L: ... / INX*k / CPX #n / BNE L` runs the same iterations
  backwards: `LDX #n-k / L: ... / DEX*k / BPL L` (one compare fewer per iteration); and
  `DEX / CPX #$FF / BNE L` is `DEX / BPL L` when X starts below $80.
- `loop fusion`: two adjacent count-down loops over the same range become one.
- `hoist loop constant`: a constant load the loop never changes moves in front of it.
- `block move`: a forward byte-copy loop between long addresses becomes MVN.
- `16-bit loop`: a loop moving a byte pair through an index moves a word in 16-bit A.
- `multiply by shifts`: A times a constant by shifts and adds.
"""

from __future__ import annotations

from collections.abc import Iterator

from afs.asm.isa import Mode
from afs.asm.superopt_context import (
    _BRANCHES,
    _PLAIN,
    _STACK,
    _WRITES,
    _bytes,
    _Ctx,
    _imm,
    _index_at,
    _operand,
    _pairs,
)


def _count_down(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    instrs = ctx.instrs
    for k, bne in enumerate(instrs):
        if bne.mnemonic != "BNE" or k < 2:
            continue
        cmp = instrs[k - 1]
        head = _index_at(ctx, bne.target())
        if head is None or head >= k or cmp.mnemonic not in ("CPX", "CPY"):
            continue
        reg = cmp.mnemonic[-1]
        bound = _imm(cmp, "CP" + reg)
        if bound is None:
            continue
        wide = cmp.size == 3
        sign = 0x8000 if wide else 0x80
        steps = 0
        while k - 2 - steps > head and instrs[k - 2 - steps].mnemonic in ("IN" + reg,
                                                                           "DE" + reg):
            steps += 1
        step_names = {instrs[k - 2 - s].mnemonic for s in range(steps)}
        if steps and step_names == {"DE" + reg} and bound == (0xFFFF if wide else 0xFF):
            # DEX / CPX #$FF / BNE L -> DEX / BPL L (X below $80 on every path: checked)
            yield "count-down loop", bne.line, {k - 1: (), k: (f"bpl {_operand(bne)}",)}
            continue
        init = head - 1
        if not steps or step_names != {"IN" + reg} or init < 0 or \
                _imm(instrs[init], "LD" + reg) != 0 or bound % steps or not \
                0 < bound - steps < sign:
            continue
        start = bound - steps
        width = 4 if wide else 2
        changes = {init: (f"ld{reg.lower()} #${start:0{width}X}",), k - 1: (),
                   k: (f"bpl {_operand(bne)}",)}
        for s in range(steps):
            changes[k - 2 - s] = (f"de{reg.lower()}",)
        yield "count-down loop", instrs[init].line, changes


def _fusion(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """`LDX #n / A: body1 / DEX / BPL A / LDX #n / B: body2 / DEX / BPL B` -> one loop."""
    instrs = ctx.instrs
    for k, first in enumerate(instrs):
        if first.mnemonic not in ("BPL", "BNE") or k + 1 >= len(instrs):
            continue
        head = _index_at(ctx, first.target())
        if head is None or head < 1 or head >= k:
            continue
        dec, init = instrs[k - 1], instrs[head - 1]
        reg = init.mnemonic[-1]
        if init.mnemonic not in ("LDX", "LDY") or dec.mnemonic != "DE" + reg:
            continue
        again = instrs[k + 1]
        if again.text.replace(" ", "").lower() != init.text.replace(" ", "").lower():
            continue
        for end in range(k + 2, len(instrs)):
            last = instrs[end]
            if last.mnemonic in _BRANCHES or last.mnemonic in _STACK:
                break
        else:
            continue
        if last.mnemonic != first.mnemonic or _index_at(ctx, last.target()) != k + 2 or \
                instrs[end - 1].mnemonic != dec.mnemonic:
            continue
        yield "loop fusion", first.line, {k - 1: (), k: (), k + 1: (),
                                          end: (f"{first.mnemonic.lower()} {_operand(first)}",)}


def _chain(k: int, addend: str, clc: bool) -> tuple[str, ...]:
    """A = v * k from A = v and `addend` (an ADC of v): shift and add, high bit first."""
    out: list[str] = []
    for bit in bin(k)[3:]:
        out.append("asl a")
        if bit == "1":
            out += ["clc", addend] if clc else [addend]
    return tuple(out)


def _multiply(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """A times a constant by shifts and adds: `STA m` then n times `CLC / ADC m`, and the
    loop `LDY m / LDA #0 / L: CPY #0 / BEQ D / CLC / ADC #k / DEY / BRA L`. Each with and
    without the CLCs (the checker decides whether a carry can come out of the shifts)."""
    instrs = ctx.instrs
    for i, sta in enumerate(instrs):
        if sta.mnemonic == "STA" and sta.mode in _PLAIN:
            n = 0
            while i + 2 * n + 2 < len(instrs) and instrs[i + 2 * n + 1].mnemonic == "CLC" and \
                    instrs[i + 2 * n + 2].mnemonic == "ADC" and \
                    instrs[i + 2 * n + 2].mode is sta.mode and \
                    instrs[i + 2 * n + 2].operand == sta.operand:
                n += 1
            if n >= 2:
                for clc in (False, True):
                    chain = _chain(n + 1, _with_size(sta), clc)
                    changes = {i + 1 + j: () for j in range(2 * n)}
                    changes[i + 1] = chain
                    yield "multiply by shifts", sta.line, changes
        if sta.mnemonic in ("LDY", "LDX") and sta.mode in _PLAIN and i + 8 <= len(instrs):
            reg = sta.mnemonic[-1]
            body = instrs[i + 1:i + 8]
            names = [ins.mnemonic for ins in body]
            if names != ["LDA", "CP" + reg, "BEQ", "CLC", "ADC", "DE" + reg, "BRA"] or \
                    _imm(body[0], "LDA") != 0 or _imm(body[1], "CP" + reg) != 0 or \
                    _imm(body[4], "ADC") is None or body[6].target() != body[1].address or \
                    body[2].target() != body[6].end:
                continue
            k = _imm(body[4], "ADC") or 0
            if not 2 <= k <= 0x40:
                continue
            load = "lda" + _with_size(sta)[3:]
            for clc in (False, True):
                changes = {j: () for j in range(i, i + 8)}
                changes[i] = (load, *_chain(k, _with_size(sta), clc))
                yield "multiply by shifts", sta.line, changes


def _with_size(ins: object) -> str:
    """`adc.b $04` / `adc.w $0202`: the operand of `ins` in its own addressing size."""
    from afs.asm.optimizer import _same_operand

    return _same_operand("adc", ins) or ""  # type: ignore[arg-type]


def _indexed_pair(instrs: list, k: int) -> bool:
    """`LDA src,X / STA dst / INX / LDA src,X / STA dst+1 / INX` (or with Y) at k."""
    if k + 6 > len(instrs):
        return False
    a, b, c, d, e, f = instrs[k:k + 6]
    reg = c.mnemonic[-1] if c.mnemonic in ("INX", "INY") else None
    return reg is not None and f.mnemonic == c.mnemonic and a.mnemonic == d.mnemonic == "LDA" \
        and a.mode is d.mode and a.operand == d.operand and a.mode in (
            Mode.ABSOLUTE_X if reg == "X" else Mode.ABSOLUTE_Y, Mode.ABSOLUTE_LONG_X) and \
        b.mnemonic == e.mnemonic == "STA" and b.mode is e.mode and b.mode in _PLAIN and \
        int(e.operand) == int(b.operand) + 1


def _widen_loop(ctx: _Ctx, pre: dict[str, int]
                ) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """A loop whose body moves a byte pair through an index (`LDA t,X / STA r / INX` twice)
    moves a word per step in 16-bit A: `REP #$20` before it (taking in the constant byte
    pairs stored just before its index is set), `SEP #$20` after its closing branch."""
    instrs = ctx.instrs
    runs = _bytes(ctx, pre)
    for end, close in enumerate(instrs):
        head = _index_at(ctx, close.target()) if close.mnemonic in ("BNE", "BPL", "BCC") \
            else None
        if head is None or head >= end or head < 1:
            continue
        pairs = [k for k in range(head, end) if _indexed_pair(instrs, k)]
        if len(pairs) != 1:
            continue
        k = pairs[0]
        init = head - 1
        changes: dict[int, tuple[str, ...]] = {k + 3: (), k + 4: ()}
        before: list[str] = []
        run = next((r for r in runs if r[-1].indices[-1] == init - 1), None)
        if run is not None:
            j = len(run)
            while j >= 2 and (pair := _pairs(run[j - 2], run[j - 1])) is not None and \
                    not run[j - 2].bare:
                before[:0] = pair
                j -= 2
            for step in run[j:]:
                changes.update({idx: () for idx in step.indices})
        changes[init] = ("rep #$20", *before, instrs[init].text)
        changes[end] = (close.text, "sep #$20")
        yield "16-bit loop", instrs[init].line, changes


def _hoist(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """A constant load at the top of a loop whose body never changes that register moves in
    front of the loop."""
    instrs = ctx.instrs
    for end, close in enumerate(instrs):
        if close.mnemonic not in ("BNE", "BPL", "BMI", "BEQ", "BCC", "BCS", "BRA"):
            continue
        head = _index_at(ctx, close.target())
        if head is None or head >= end or head < 1:
            continue
        load = instrs[head]
        reg = load.mnemonic[-1] if load.mnemonic in ("LDA", "LDX", "LDY") else None
        if reg is None or load.mode not in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X):
            continue
        writes = _WRITES[reg] | ({"TCD", "TSC"} if reg == "A" else set())
        body = instrs[head + 1:end]
        if any(ins.mnemonic in writes or (reg == "A" and ins.mode is Mode.ACCUMULATOR) or
               ins.mnemonic in _STACK or ins.mnemonic in ("JSR", "JSL", "REP", "SEP", "PLP",
                                                          "MVN", "MVP")
               for ins in body):
            continue
        # In front of the instruction before the loop (usually the counter's set-up, which
        # the count-down rewrite looks for right before the loop).
        before = instrs[head - 1]
        yield "hoist loop constant", load.line, {head - 1: (load.text, before.text), head: ()}


def _block_move(ctx: _Ctx) -> Iterator[tuple[str, int, dict[int, tuple[str, ...]]]]:
    """`LDX #0 / L: LDA src,X / STA dst,X / INX / CPX #n / BNE L` (8-bit A and X) copies n
    bytes forwards: MVN does it at 7 cycles a byte (DBR ends as the destination bank, and A,
    X, Y as MVN leaves them: the checker decides whether that is allowed here)."""
    instrs = ctx.instrs
    for k in range(1, len(instrs) - 4):
        init, load, store, step, cmp = instrs[k - 1:k + 4]
        close = instrs[k + 4] if k + 4 < len(instrs) else None
        n = _imm(cmp, "CPX")
        if close is None or _imm(init, "LDX") != 0 or n is None or not 1 < n <= 0x100 or \
                cmp.size != 2 or close.mnemonic != "BNE" or close.target() != load.address or \
                step.mnemonic != "INX" or load.mnemonic != "LDA" or store.mnemonic != "STA" or \
                load.mode is not Mode.ABSOLUTE_LONG_X or store.mode is not Mode.ABSOLUTE_LONG_X:
            continue
        src, dst = int(load.operand), int(store.operand)
        if (src & 0xFFFF) + n > 0x10000 or (dst & 0xFFFF) + n > 0x10000:
            continue
        changes = {j: () for j in range(k - 1, k + 5)}
        changes[k - 1] = ("rep #$30", f"lda #${n - 1:04X}", f"ldx #${src & 0xFFFF:04X}",
                          f"ldy #${dst & 0xFFFF:04X}", f"mvn ${dst >> 16:02X},${src >> 16:02X}",
                          "sep #$30")
        yield "block move", init.line, changes
