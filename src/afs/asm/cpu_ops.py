"""Generated handlers for the 65816's memory-operand instructions (part of `afs.asm.cpu`).

Every opcode of `afs.asm.isa.OPCODES` that loads, stores, computes on or modifies an operand
(immediate, accumulator or memory) gets one straight-line Python function per register-width
mode, composed from two pieces of source text: the addressing mode (how `ea` and the dynamic
extra cycles `ex` are found) and the operation (what is read, computed and written). This keeps
the 600-odd combinations consistent while each generated function stays branch-free on M/X/E.

Address rules (WDC datasheet, checked against SingleStepTests and bsnes):
- direct page: bank 0, wraps at $FFFF; in emulation mode with D's low byte 0, `d,x`/`d,y` and
  the pointers of `(d)`, `(d,x)`, `(d),y` wrap inside the direct page; `[d]` pointers never do;
- the second byte of a 16-bit direct-page or stack-relative operand wraps inside bank 0;
  every other 16-bit operand carries into the next bank;
- `d,s` and `(d,s),y` pointers are in bank 0.
"""

from __future__ import annotations

from collections.abc import Callable

from afs.asm.isa import OPCODES, Mode

M_OPS = frozenset({"ORA", "AND", "EOR", "ADC", "SBC", "CMP", "LDA", "STA", "STZ", "BIT",
                   "ASL", "LSR", "ROL", "ROR", "INC", "DEC", "TSB", "TRB"})
X_OPS = frozenset({"LDX", "LDY", "CPX", "CPY", "STX", "STY"})
_RMW = frozenset({"ASL", "LSR", "ROL", "ROR", "INC", "DEC", "TSB", "TRB"})
_WRITES = frozenset({"STA", "STZ", "STX", "STY"})
_DIRECT_WRAP = frozenset({Mode.DIRECT, Mode.DIRECT_X, Mode.DIRECT_Y, Mode.STACK_RELATIVE})


def add_with_carry(c, v: int, wide: bool, subtract: bool, nz: tuple) -> None:
    """ADC/SBC in either width, binary or decimal, with the 65816's N V Z C results.

    Decimal mode adds digit by digit, adjusting each digit as it goes; V is taken before the
    top digit's adjustment, as on the W65C816S (no 65C02 extra cycle or flag fix-up).
    """
    mask = 0xFFFF if wide else 0xFF
    a = c.a & mask
    p = c.p
    if subtract:
        v ^= mask
    carry = p & 1
    digits = 4 if wide else 2
    if p & 0x08:
        r = 0
        for k in range(digits):
            sh = 4 * k
            r = (a & (0xF << sh)) + (v & (0xF << sh)) + (carry << sh) + (r & ((1 << sh) - 1))
            if k == digits - 1:
                break
            limit = (0x10 << sh) - 1
            if subtract:
                if r <= limit:
                    r -= 6 << sh
            elif r > (0xA << sh) - 1:
                r += 6 << sh
            carry = 1 if r > limit else 0
    else:
        r = a + v + carry
    top = 0x8000 if wide else 0x80
    overflow = ~(a ^ v) & (a ^ r) & top
    if p & 0x08:
        sh = 4 * (digits - 1)
        if subtract:
            if r <= mask:
                r -= 6 << sh
        elif r > (0xA << sh) - 1:
            r += 6 << sh
    result = r & mask
    c.a = result if wide else (c.a & 0xFF00) | result
    c.p = (p & 0x3C) | nz[result] | (0x40 if overflow else 0) | (1 if r > mask else 0)


def _dp_pointer(offset: str, emulation: bool) -> list[str]:
    """Lines setting `ptr` (16-bit pointer read from direct page) and `ex` (D-low-byte cycle)."""
    native = ["d = c.d",
              f"p0 = (d + {offset}) & 0xFFFF",
              "ptr = rd(p0) | rd((p0 + 1) & 0xFFFF) << 8",
              "ex = 1 if d & 0xFF else 0"]
    if not emulation:
        return native
    return ["d = c.d",
            "if d & 0xFF:",
            f"    p0 = (d + {offset}) & 0xFFFF",
            "    ptr = rd(p0) | rd((p0 + 1) & 0xFFFF) << 8",
            "    ex = 1",
            "else:",
            f"    p0 = ({offset}) & 0xFF",
            "    ptr = rd(d | p0) | rd(d | (p0 + 1) & 0xFF) << 8",
            "    ex = 0"]


def _address(mode: Mode, emulation: bool, x8: bool, read: bool) -> list[str]:
    """Lines that set `ea` (24-bit effective address) and `ex` (dynamic extra cycles)."""
    page = read and x8   # X=0 makes the index cycle static (already in the base count)
    if mode is Mode.DIRECT:
        return ["d = c.d", "ea = (d + o) & 0xFFFF", "ex = 1 if d & 0xFF else 0"]
    if mode in (Mode.DIRECT_X, Mode.DIRECT_Y):
        index = "c.x" if mode is Mode.DIRECT_X else "c.y"
        if not emulation:
            return ["d = c.d", f"ea = (d + o + {index}) & 0xFFFF", "ex = 1 if d & 0xFF else 0"]
        return ["d = c.d",
                "if d & 0xFF:",
                f"    ea = (d + o + {index}) & 0xFFFF",
                "    ex = 1",
                "else:",
                f"    ea = d | (o + {index}) & 0xFF",
                "    ex = 0"]
    if mode is Mode.DIRECT_INDIRECT:
        return [*_dp_pointer("o", emulation), "ea = c.dbr << 16 | ptr"]
    if mode is Mode.DIRECT_X_INDIRECT:
        return [*_dp_pointer("o + c.x", emulation), "ea = c.dbr << 16 | ptr"]
    if mode is Mode.DIRECT_INDIRECT_Y:
        lines = [*_dp_pointer("o", emulation), "y = c.y",
                 "ea = ((c.dbr << 16) + ptr + y) & 0xFFFFFF"]
        return [*lines, "ex += ((ptr & 0xFF) + y) >> 8"] if page else lines
    if mode in (Mode.DIRECT_INDIRECT_LONG, Mode.DIRECT_INDIRECT_LONG_Y):
        lines = ["d = c.d", "p0 = (d + o) & 0xFFFF",
                 "ea = rd(p0) | rd((p0 + 1) & 0xFFFF) << 8 | rd((p0 + 2) & 0xFFFF) << 16",
                 "ex = 1 if d & 0xFF else 0"]
        if mode is Mode.DIRECT_INDIRECT_LONG_Y:
            lines.append("ea = (ea + c.y) & 0xFFFFFF")
        return lines
    if mode is Mode.ABSOLUTE:
        return ["ea = c.dbr << 16 | o", "ex = 0"]
    if mode in (Mode.ABSOLUTE_X, Mode.ABSOLUTE_Y):
        index = "c.x" if mode is Mode.ABSOLUTE_X else "c.y"
        return [f"i = {index}", "ea = ((c.dbr << 16) + o + i) & 0xFFFFFF",
                "ex = ((o & 0xFF) + i) >> 8" if page else "ex = 0"]
    if mode is Mode.ABSOLUTE_LONG:
        return ["ea = o", "ex = 0"]
    if mode is Mode.ABSOLUTE_LONG_X:
        return ["ea = (o + c.x) & 0xFFFFFF", "ex = 0"]
    if mode is Mode.STACK_RELATIVE:
        return ["ea = (c.s + o) & 0xFFFF", "ex = 0"]
    if mode is Mode.STACK_RELATIVE_INDIRECT_Y:
        return ["p0 = (c.s + o) & 0xFFFF", "ptr = rd(p0) | rd((p0 + 1) & 0xFFFF) << 8",
                "ea = ((c.dbr << 16) + ptr + c.y) & 0xFFFFFF", "ex = 0"]
    raise ValueError(f"no memory addressing for {mode}")


def _read_op(mnemonic: str, wide: bool) -> list[str]:
    """Lines that consume the operand value `v`."""
    nz = "NZ16" if wide else "NZ8"
    mask = "0xFFFF" if wide else "0xFF"
    if mnemonic == "LDA":
        return ["c.a = v" if wide else "c.a = (c.a & 0xFF00) | v",
                f"c.p = (c.p & 0x7D) | {nz}[v]"]
    if mnemonic in ("LDX", "LDY"):
        return [f"c.{mnemonic[2].lower()} = v", f"c.p = (c.p & 0x7D) | {nz}[v]"]
    if mnemonic in ("ORA", "AND", "EOR"):
        operator = {"ORA": "|", "AND": "&", "EOR": "^"}[mnemonic]
        operand = "(v | 0xFF00)" if mnemonic == "AND" and not wide else "v"
        return [f"a = c.a = c.a {operator} {operand}", f"c.p = (c.p & 0x7D) | {nz}[a & {mask}]"]
    if mnemonic in ("ADC", "SBC"):
        return [f"add_with_carry(c, v, {wide}, {mnemonic == 'SBC'}, {nz})"]
    if mnemonic in ("CMP", "CPX", "CPY"):
        reg = {"CMP": "a", "CPX": "x", "CPY": "y"}[mnemonic]
        return [f"r = (c.{reg} & {mask}) - v",
                f"c.p = (c.p & 0x7C) | {nz}[r & {mask}] | (r >= 0)"]
    if mnemonic == "BIT":
        top = "v >> 8" if wide else "v"
        return [f"c.p = (c.p & 0x3D) | ({top}) & 0xC0 | (0 if c.a & v else 2)"]
    raise ValueError(mnemonic)


def _modify_op(mnemonic: str, wide: bool) -> list[str]:
    """Lines that compute `r` from `v` for a read-modify-write (and set the flags)."""
    nz = "NZ16" if wide else "NZ8"
    mask = "0xFFFF" if wide else "0xFF"
    top = 15 if wide else 7
    if mnemonic == "ASL":
        return [f"r = (v << 1) & {mask}", f"c.p = (c.p & 0x7C) | {nz}[r] | v >> {top}"]
    if mnemonic == "LSR":
        return ["r = v >> 1", f"c.p = (c.p & 0x7C) | {nz}[r] | (v & 1)"]
    if mnemonic == "ROL":
        return [f"r = ((v << 1) | (c.p & 1)) & {mask}",
                f"c.p = (c.p & 0x7C) | {nz}[r] | v >> {top}"]
    if mnemonic == "ROR":
        return [f"r = v >> 1 | (c.p & 1) << {top}", f"c.p = (c.p & 0x7C) | {nz}[r] | (v & 1)"]
    if mnemonic in ("INC", "DEC"):
        sign = "+" if mnemonic == "INC" else "-"
        return [f"r = (v {sign} 1) & {mask}", f"c.p = (c.p & 0x7D) | {nz}[r]"]
    if mnemonic in ("TSB", "TRB"):
        combine = "v | a" if mnemonic == "TSB" else "v & ~a"
        return [f"a = c.a & {mask}", "c.p = (c.p & 0xFD) | (0 if a & v else 2)",
                f"r = ({combine}) & {mask}"]
    raise ValueError(mnemonic)


def _store_value(mnemonic: str, wide: bool) -> str:
    if mnemonic == "STZ":
        return "0"
    reg = {"STA": "a", "STX": "x", "STY": "y"}[mnemonic]
    return f"c.{reg}" if wide or reg != "a" else "c.a & 0xFF"


def _body(info, m8: bool, x8: bool, emulation: bool) -> list[str]:
    name, mode = info.mnemonic, info.mode
    wide = not (x8 if name in X_OPS else m8)
    second = "(ea + 1) & " + ("0xFFFF" if mode in _DIRECT_WRAP else "0xFFFFFF")
    if mode in (Mode.IMMEDIATE_M, Mode.IMMEDIATE_X):
        if name == "BIT":   # BIT #imm changes only Z
            return ["c.p = (c.p & 0xFD) | (0 if c.a & o else 2)", "return 0"]
        return ["v = o", *_read_op(name, wide), "return 0"]
    if mode is Mode.ACCUMULATOR:
        load = "v = c.a" if wide else "v = c.a & 0xFF"
        store = "c.a = r" if wide else "c.a = (c.a & 0xFF00) | r"
        return [load, *_modify_op(name, wide), store, "return 0"]
    lines = ["rd = c.rd", *_address(mode, emulation, x8, read=info.access == "read")]
    read = ["v = rd(ea) | rd(" + second + ") << 8"] if wide else ["v = rd(ea)"]
    if name in _WRITES:
        value = _store_value(name, wide)
        if wide:
            lines += [f"v = {value}", "c.wr(ea, v & 0xFF)", f"c.wr({second}, v >> 8)"]
        else:
            lines += [f"c.wr(ea, {value})"]
    elif name in _RMW:
        lines += read + _modify_op(name, wide)
        # 16-bit read-modify-write writes the high byte first, as the hardware does.
        lines += [f"c.wr({second}, r >> 8)", "c.wr(ea, r & 0xFF)"] if wide else ["c.wr(ea, r)"]
    else:
        lines += read + _read_op(name, wide)
    return [*lines, "return ex"]


def _is_memory_op(info) -> bool:
    return info.mnemonic in M_OPS or info.mnemonic in X_OPS


def generate_memory_ops(namespace: dict[str, object]) -> dict[tuple[int, int], Callable]:
    """{(opcode, width mode): handler} for every memory-operand opcode in every mode.

    Width modes: 0-3 = native (M << 1 | X), 4 = emulation. `namespace` supplies the NZ tables.
    Identical bodies share one compiled function.
    """
    env: dict[str, object] = {**namespace, "add_with_carry": add_with_carry}
    compiled: dict[str, Callable] = {}
    out: dict[tuple[int, int], Callable] = {}
    for info in OPCODES:
        if not _is_memory_op(info):
            continue
        for mode in range(5):
            emulation = mode == 4
            m8, x8 = (True, True) if emulation else (bool(mode & 2), bool(mode & 1))
            body = _body(info, m8, x8, emulation)
            text = "\n    ".join(body)
            fn = compiled.get(text)
            if fn is None:
                fname = f"op_{info.opcode:02x}_{mode}"
                exec(f"def {fname}(c, o):\n    {text}\n", env)
                fn = compiled[text] = env[fname]
            out[info.opcode, mode] = fn
    return out
