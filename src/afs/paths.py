"""Where AFS keeps its state: one directory, `$AFS_HOME` (default `~/.local/share/afs`)."""

from __future__ import annotations

import os
from pathlib import Path


def afs_home() -> Path:
    """Return the state directory, creating it if needed."""
    root = os.environ.get("AFS_HOME")
    path = Path(root).expanduser() if root else Path.home() / ".local" / "share" / "afs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_path(*parts: str) -> Path:
    """A path under `$AFS_HOME`; parent directories are created."""
    path = afs_home().joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
