"""`arch superfx`: every SuperFX instruction form, accepted and encoded as asar 1.91 does."""

from __future__ import annotations

from pathlib import Path

import pytest

from afs.asm.asar import AsarError, asar_assemble, parse_messages, run_asar
from afs.asm.assembler import assemble
from afs.asm.errors import AsmError
from afs.asm.superfx import BRANCHES, CONSTANT, INDIRECT, NO_OPERAND, REGISTER
from tests.asm.difftools import ASAR, SKIP_REASON, first_difference

_HEAD = "lorom\narch superfx\n"


def superfx_lines() -> list[str]:
    """Every mnemonic with every register operand, branches, and the two-operand forms."""
    lines = list(NO_OPERAND)
    for mnem in sorted({*REGISTER, *CONSTANT, *INDIRECT}):
        for reg in range(16):
            lines += [f"{mnem} r{reg}", f"{mnem} #{reg}", f"{mnem} (r{reg})"]
    lines += [f"{mnem} {target}" for mnem in BRANCHES for target in ("$12", "+", "-")]
    for reg in (0, 1, 7, 15):
        lines += [f"move r{reg},r3", f"moves r{reg},r3", f"ibt r{reg},#$12", f"ibt r{reg},#-3",
                  f"iwt r{reg},#$1234", f"move r{reg},#$7F", f"move r{reg},#$FF80",
                  f"moveb r{reg},(r4)", f"movew r{reg},(r4)", f"moveb (r{reg}),r5",
                  f"movew (r{reg}),r5", f"lm r{reg},($1234)", f"lms r{reg},($1FE)",
f"sm ($1234),r{reg}", f"sms ($20),r{reg}", f"sms ($21),r{reg}",
                  f"move r{reg},($20)", f"move ($20),r{reg}", f"move ($1235),r{reg}",
                  f"lea r{reg},$1234", f"move r{reg},r{reg}", f"moveb r{reg},r4"]
    return lines


def _source(lines: list[str]) -> str:
    out = [_HEAD.rstrip("\n")]
    for i, line in enumerate(lines):
        out.append(f"org ${0x8000 + i * 8:06X}")
        out.append(f"- : nop : {line} : nop : + : nop" if line.endswith(("+", "-"))
                   else line)
    return "\n".join(out) + "\n"


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_every_form_as_asar(tmp_path: Path) -> None:
    lines = superfx_lines()
    src = tmp_path / "all.asm"
    src.write_text(_source(lines))
    try:
        run_asar(src, tmp_path / "all.sfc", fix_checksum=False,
                 extra_args=("--error-limit=1000000",))
        rejected: set[int] = set()
    except AsarError as exc:
        rejected = {(m.line - 4) // 2 for m in parse_messages(exc.output)
                    if m.level == "error"}
    mine = set()
    for i, line in enumerate(lines):
        try:
            assemble(_source([line]))
        except AsmError:
            mine.add(i)
    assert {lines[i] for i in mine} == {lines[i] for i in rejected}
    accepted = [line for i, line in enumerate(lines) if i not in rejected]
    source = _source(accepted)
    ours = assemble(source).rom(fix_checksum=False)
    theirs = asar_assemble(source)
    where = first_difference(ours, theirs)
    assert where is None, (where, accepted[(where - 0) // 8] if where is not None else None)


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_long_move_that_asar_sizes_short_first_is_refused(tmp_path: Path) -> None:
    source = _HEAD + "org $008000\nmove r1,#$1234\nLabel: nop\ndw Label\n"
    with pytest.raises(AsarError):
        asar_assemble(source)
    with pytest.raises(AsmError, match="iwt"):
        assemble(source)


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_odd_short_load_address_fails_as_in_asar() -> None:
    source = _HEAD + "org $008000\nlms r1,($11)\n"
    with pytest.raises(AsarError):
        asar_assemble(source)
    with pytest.raises(AsmError, match="even"):
        assemble(source)


def test_superfx_without_asar() -> None:
    asm = assemble(_HEAD + "org $008000\nstop\nadc r3\nibt r1,#$12\nsm ($1234),r2\n"
                   "loop_: bne loop_\nrpix\n")
    assert asm.binary() == bytes.fromhex("00 3d53 a112 3ef23412 08fe 3d4c".replace(" ", ""))
    with pytest.raises(AsmError, match="valid: 8-13"):
        assemble(_HEAD + "org $008000\njmp r2\n")
