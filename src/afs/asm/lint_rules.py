"""The lint rule catalogue and the data every check shares (findings, fixes, context).

Rule ids are stable: tools and tests refer to them. `afs.asm.lint_checks` implements the
checks, `afs.asm.lint` runs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from afs.asm.analysis import Analysis, Instr, State

SEVERITIES = ("info", "warning", "error")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    category: str
    severity: str
    summary: str


@dataclass(frozen=True)
class Fix:
    """Replace the flagged statement (on `line`) with `statements` (empty: delete it)."""

    line: int
    old: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    rule: str
    category: str
    severity: str
    file: str
    line: int
    message: str
    fix: Fix | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"rule": self.rule, "category": self.category,
                                  "severity": self.severity, "file": self.file,
                                  "line": self.line, "message": self.message}
        if self.fix is not None:
            out["fix"] = {"line": self.fix.line, "old": self.fix.old,
                          "new": list(self.fix.statements)}
        return out


_R = Rule
RULES: dict[str, Rule] = {r.id: r for r in (
    _R("M001", "immediate-width", "mode_mismatch", "error",
       "An immediate's assembled size differs from the tracked M/X width."),
    _R("M002", "width-unknown", "mode_mismatch", "warning",
       "Paths with different M/X widths meet before a width-dependent immediate."),
    _R("S001", "unbalanced-return", "stack_imbalance", "error",
       "A return executes with bytes still pushed by this routine."),
    _R("S002", "stack-merge-conflict", "stack_imbalance", "error",
       "Paths with different stack depths meet and provably stay apart: a loop's every pass "
       "changes the depth, or every path on reaches a return the same way."),
    _R("S003", "pull-size-mismatch", "stack_imbalance", "warning",
       "A pull takes a different number of bytes than the matching push left."),
    _R("S005", "stack-merge-conditional", "stack_imbalance", "warning",
       "Paths with different stack depths meet; right only if later pulls repeat the "
       "condition of the pushes."),
    _R("S004", "stack-underflow", "stack_imbalance", "warning",
       "A pull with nothing pushed by this routine takes the caller's return address."),
    _R("C001", "return-kind-mismatch", "subroutine_call", "error",
       "RTS in a routine reached by JSL, RTL after JSR, or RTI in a called routine."),
    _R("C002", "jsr-cross-bank", "subroutine_call", "error",
       "JSR/JMP absolute to a label in another bank jumps to the wrong bank."),
    _R("C003", "clobbered-across-call", "register_corruption", "warning",
       "A register set before a call and read after it is overwritten by the callee."),
    _R("C004", "falls-off-end", "subroutine_call", "warning",
       "Execution can run past the last instruction of a file that has returns."),
    _R("R001", "loop-counter-uninitialised", "initialization", "warning",
       "An index register counts a loop but is never set in this routine first."),
    _R("R002", "transfer-garbage-high-byte", "16bit_operations", "warning",
       "TAX/TAY/TCD/TCS copy B (the hidden high byte of A) that this routine never set."),
    _R("F001", "carry-unknown", "carry_flag", "warning",
       "ADC/SBC uses the caller's carry: no CLC/SEC or carry-setting instruction precedes it."),
    _R("F002", "carry-wrong-sense", "carry_flag", "warning",
       "SBC after CLC subtracts one more; ADC after SEC adds one more."),
    _R("D001", "dma-enable-before-setup", "dma_issues", "error",
       "MDMAEN ($420B) starts a channel whose $43x0-$43x6 setup is incomplete."),
    _R("D002", "dma-size-zero", "dma_issues", "warning",
       "A DMA byte count of 0 transfers 65,536 bytes."),
    _R("V001", "ppu-write-active-display", "vblank_timing", "warning",
       "VRAM/CGRAM/OAM data written with no forced blank, vblank wait or NMI context."),
    _R("I001", "interrupt-wrong-return", "interrupt_handling", "error",
       "An NMI/IRQ handler returns with RTS/RTL instead of RTI."),
    _R("I002", "interrupt-registers-not-saved", "interrupt_handling", "warning",
       "An interrupt handler changes A/X/Y without saving them for the interrupted code."),
    _R("B001", "absolute-wram-unknown-dbr", "bank_boundary", "warning",
       "Absolute $2000-$7FFF is WRAM only when DBR is $7E/$7F, which is not established."),
    _R("B002", "write-to-rom", "memory_access", "error",
       "A store targets ROM, so it has no effect."),
    _R("B003", "branch-out-of-range", "branch_range", "error",
       "A relative branch's target is farther than -128..+127 bytes."),
    _R("W001", "write-read-only-register", "memory_access", "error",
       "A store to a read-only hardware register has no effect."),
    _R("W002", "read-write-only-register", "memory_access", "error",
       "A read of a write-only hardware register returns open bus, not the value written."),
    _R("A001", "pointer-24bit-indirect-16", "addressing_mode", "warning",
       "(dp)/(dp),Y ignores the bank byte this routine stores at dp+2; use [dp]/[dp],Y."),
    _R("A002", "long-pointer-bank-unset", "pointer_bugs", "warning",
       "[dp]/[dp],Y reads a bank byte at dp+2 that this routine never sets."),
    _R("A003", "pointer-high-byte-unset", "pointer_bugs", "warning",
       "An indirect access uses a pointer whose high byte this routine never sets."),
    _R("A004", "direct-page-moved", "addressing_mode", "warning",
       "A direct-page operand used before D changed now reaches a different address."),
    _R("A005", "direct-page-not-restored", "addressing_mode", "warning",
       "The routine returns with D changed."),
    _R("N001", "signed-compare-sign-flag", "signed_arithmetic", "warning",
       "BMI/BPL after a compare tests the difference's sign, wrong when it overflows."),
    _R("Q001", "compare-result-unused", "comparison_logic", "warning",
       "A compare's flags are overwritten before any branch reads them."),
    _R("Q002", "carry-branch-after-inc", "comparison_logic", "warning",
       "INC/DEC/INX/... do not set carry, so this BCC/BCS tests a stale carry."),
    _R("Q003", "overflow-branch-after-compare", "comparison_logic", "warning",
       "CMP/CPX/CPY do not set V, so this BVC/BVS tests a stale overflow flag."),
    _R("L001", "loop-no-exit", "loop_termination", "warning",
       "A loop has no path out (no branch leaves it, no return inside)."),
    _R("L002", "loop-invariant-exit", "loop_termination", "error",
       "The loop's exit test reads only registers the loop never changes."),
    _R("O001", "loop-starts-negative", "off_by_one", "warning",
       "A DEX/DEY ... BPL loop starts with a negative index, so it runs once."),
    _R("O002", "countdown-skips-zero", "off_by_one", "info",
       "A DEX/BNE countdown indexes with X = N..1 and never touches element 0."),
    _R("Z001", "bit-immediate-nv", "bit_manipulation", "error",
       "BIT #imm sets only Z; the following BMI/BPL/BVS/BVC tests a stale flag."),
    _R("Z002", "mask-always-zero", "bit_manipulation", "warning",
       "AND #0 always yields zero."),
    _R("G001", "decimal-left-set", "flag_state", "warning",
       "The routine returns with decimal mode (SED) still on."),
    _R("G002", "width-not-restored", "flag_state", "warning",
       "The routine returns with a different M/X width than its code shows it was entered with."),
    _R("T001", "nmi-loop-too-long", "timing_issues", "warning",
       "A loop inside the NMI handler needs more CPU cycles than vblank provides."),
    _R("E001", "does-not-assemble", "syntax", "error",
       "The source does not assemble."),
)}

#: Categories a static rule cannot decide in general, and why.
UNDECIDABLE: dict[str, str] = {
    "off_by_one": "which bound was intended is not in the code (only the negative-start and "
                  "skip-zero shapes are flagged)",
    "signed_arithmetic": "whether a value is signed is intent; only the sign-flag-after-CMP "
                         "shape is flagged",
    "comparison_logic": "whether BCC or BCS (or BEQ/BNE) was meant is intent; only stale or "
                        "unused flags are flagged",
    "timing_issues": "frame budgets depend on what else runs that frame; only NMI loops with "
                     "a constant trip count are estimated",
    "initialization": "memory may be set by code outside the file; only loop counters are "
                      "checked",
    "register_corruption": "callee effects are known only for callees in the same file",
    "vblank_timing": "a routine's caller decides when it runs; only the routine's own evidence "
                     "(forced blank, vblank wait, NMI handler) counts",
    "16bit_operations": "whether a 16-bit value was meant is intent; only B leaking through "
                        "transfers and immediate widths are flagged",
}

# Write-only and read-only CPU-side registers (Anomie's register doc; snes.nesdev.org MMIO
# tables; the same facts as shared/data/alttp/snes_registers.tsv).
_WRITE_ONLY = ((0x2100, 0x2133), (0x2181, 0x2183), (0x4200, 0x420D))
_READ_ONLY = ((0x2134, 0x213F), (0x4210, 0x421F))
_PPU_DATA = {0x2118: "VMDATAL", 0x2119: "VMDATAH", 0x2122: "CGDATA", 0x2104: "OAMDATA"}
# A label that names the handler itself (`NMI`, `IRQ_Handler`, `VBlankISR`, `Vector_NMI`); not
# `NMI_UpdateScroll`, which by convention is a subroutine the handler calls.
_HANDLER_NAME = re.compile(
    r"^(?:nmi|irq|brk|cop|isr|interrupt)$"
    r"|(?:nmi|irq|brk|cop|vblank|interrupt)_?(?:handler|isr|vector|entry)$"
    r"|^(?:vector|interrupt)_?(?:nmi|irq|brk|cop)$",
    re.IGNORECASE)
VBLANK_CPU_CYCLES = 6000   # ~37 NTSC lines x 1364 master clocks / 8 per CPU cycle, rounded down


def in_ranges(ranges: tuple[tuple[int, int], ...], v: int) -> bool:
    return any(lo <= v <= hi for lo, hi in ranges)


@dataclass
class LintContext:
    an: Analysis
    handlers: set[int] = field(default_factory=set)        # routine entry indices
    nmi_context: set[int] = field(default_factory=set)     # entries running during vblank

    def st(self, i: int) -> State:
        return self.an.before[i] or State(m=None, x=None, e=None)

    def find(self, rule: str, ins: Instr, message: str, fix: Fix | None = None) -> Finding:
        r = RULES[rule]
        return Finding(rule, r.category, r.severity, ins.file, ins.line, message, fix)

    def routine_members(self, i: int) -> list[int]:
        members: set[int] = set()
        for e in self.an.routine_of[i]:
            members |= self.an.cfg.routines[e]
        return sorted(members)


def replace_fix(ins: Instr, *new: str) -> Fix:
    return Fix(ins.line, ins.text, tuple(new))
