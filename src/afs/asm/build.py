"""`afs asm build`: assemble a file and write a ROM (as asar does) or a flat binary."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from afs.asm.assembler import Assembly, assemble_file
from afs.asm.errors import AsmError
from afs.asm.mapping import title_is_garbage


@dataclass
class BuildResult:
    """What `build` wrote."""

    output: Path
    size: int
    patched: bool          # an existing file was patched in place
    flat: bool             # --base: a flat binary
    assembly: Assembly


def _atomic_write(path: Path, data: bytes) -> None:
    # A failed write must not leave a half-written ROM behind.
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)         # what a plain open() would give, as asar's files have
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(source: str | Path, output: str | Path | None = None, *, base: int | None = None,
          fix_checksum: bool = True, title_check: bool = True,
          include_dirs: tuple[str | Path, ...] = (), listing: bool = True,
          defines: dict[str, str] | None = None) -> BuildResult:
    """Assemble `source` and write `output` (default: the source with `.sfc`).

    Without `base`: a new output is exactly the file asar 1.91 writes; an existing one is
    patched in place (asar's title check included; a `.smc` file's 512-byte copier header
    is kept out of the ROM, as asar keeps it). With `base`: a flat binary of the code.
    `listing=False` skips the listing (less time and memory for large sources); `defines`
    are set before the source runs (asar's -D).
    """
    src = Path(source)
    out = Path(output) if output is not None else src.with_suffix(".bin" if base is not None
                                                                  else ".sfc")
    existing = out.read_bytes() if base is None and out.exists() else None
    header = b""
    if base is None and out.suffix.lower() == ".smc":
        # asar takes a .smc file to start with a 512-byte copier header: it patches what
        # follows and keeps the header (a new file gets one of zeros).
        header = (existing or b"")[:512].ljust(512, b"\x00")
        existing = existing[512:] if existing is not None else None
    asm = assemble_file(src, base=base, include_dirs=include_dirs, listing=listing,
                        rom=existing, defines=defines)
    if base is not None:
        data = asm.binary()
        _atomic_write(out, data)
        return BuildResult(out, len(data), False, True, asm)
    if existing is not None and title_check and title_is_garbage(existing):
        raise AsmError("the ROM title of the file to patch looks like garbage; pass "
                       "--no-title-check to patch it anyway (asar refuses too)", str(out), 1, 1)
    data = header + asm.rom(existing, fix_checksum=fix_checksum)
    _atomic_write(out, data)
    return BuildResult(out, len(data), existing is not None, False, asm)
