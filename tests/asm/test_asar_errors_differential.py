"""Bad input: AFS stops at the same file and line as the asar 1.91 binary, with one error.

(Deliberate difference: for an `if` or `macro` left open, asar names a line past the end of
the file; AFS names the line that opened it.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.asm.difftools import ASAR, SKIP_REASON, assert_refused_as_asar

CASES = [
    "lda Nope",
    "nop\nL:\nfill 200\nbra L",
    "foo $12",
    "db !undefined",
    "assert 0",
    "lda #$12 : bogus",
    "L:\nL:",
    'error "x"',
    'incsrc "missing.asm"',
    'incbin "missing.bin"',
    "db 1/0",
    "endif",
    "jsr $123456",
    "lda ($12,y)",
    "nop\nfunction f(x) = x*2\ndb f(1, 2)",
    "arch spc700\nmov a,#$12\nbne Nowhere",
    "struct S $0000\n.a: skip 2\nendstruct\ndb sizeof(T)",
    '!n = "LINK"\ndb !n',
    "X=$10",
    "!a=1\ndb 2",
    "!a = 1 + 2",
    "!b += 1",
]


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
@pytest.mark.parametrize("body", CASES, ids=[c.splitlines()[-1][:30] for c in CASES])
def test_error_at_the_line_asar_names(body: str, tmp_path: Path) -> None:
    src = tmp_path / "e.asm"
    src.write_text(f"org $008000\n{body}\n")
    assert "\n" not in str(assert_refused_as_asar(src))
