"""The asar bridge: finding the binary, assembling, and parsing its error lines."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from afs.asm.asar import AsarError, asar_assemble, find_asar, parse_messages
from tests.asm.difftools import ASAR, SKIP_REASON


def test_parse_messages() -> None:
    out = ("/tmp/x/a.asm:3: error: (Eunknown_command): Unknown command. [ldq]\n"
           "b.asm:7: warning: (Wfeature_deprecated): old. [rep 3]\nnoise\n")
    errors = parse_messages(out)
    assert [(m.file, m.line, m.level, m.code) for m in errors] == [
        ("/tmp/x/a.asm", 3, "error", "Eunknown_command"),
        ("b.asm", 7, "warning", "Wfeature_deprecated")]
    assert errors[0].message == "Unknown command. [ldq]"


def test_afs_asar_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "asar"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setenv("AFS_ASAR", str(fake))
    assert find_asar() == fake


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_assemble_and_errors() -> None:
    assert asar_assemble("org $008000\nlda #$12\n") == bytes.fromhex("a9 12")
    with pytest.raises(AsarError) as info:
        asar_assemble("org $008000\nnop\nldq #1\n")
    (err,) = info.value.errors
    assert (err.line, err.code) == (3, "Eunknown_command")
    assert os.path.basename(err.file) == "patch.asm"


@pytest.mark.skipif(ASAR is None, reason=SKIP_REASON)
def test_extra_files_for_incsrc() -> None:
    rom = asar_assemble("org $008000\nincsrc lib/x.asm\n", files={"lib/x.asm": "db 7\n"})
    assert rom == b"\x07"
