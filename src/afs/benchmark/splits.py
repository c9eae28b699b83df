"""Test splits: the shipped `dev` items, and fresh sets generated from any other seed.

A model (or a rule set) tuned on the shipped items could score by memory. A fresh split is
generated from the same families with other constants and other request wording, proven and
audited like the shipped one, and kept under `$AFS_HOME/benchmark/fresh/seed-N` so that
later runs on the same seed reuse it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.paths import state_path

METADATA_FILE = "metadata.json"


def dataset_split(dataset: str | Path) -> dict[str, Any]:
    """What a dataset folder is: `{"split": "dev" | "fresh-N" | "custom", "seed": ...}`, with
    the audit figures its generator recorded, when it recorded them."""
    path = Path(dataset)
    folder = path if path.is_dir() else path.parent.parent
    meta_path = folder / METADATA_FILE
    if not meta_path.is_file():
        return {"split": "custom", "seed": None}
    try:
        metadata = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path=meta_path, line=exc.lineno) from None
    seed = metadata.get("seed")
    split = metadata.get("split") or ("dev" if seed == 0 else f"fresh-{seed}")
    out: dict[str, Any] = {"split": split, "seed": seed}
    if "audit" in metadata:
        out["audit"] = metadata["audit"]
    return out


def fresh_dataset_dir(seed: int) -> Path:
    return state_path("benchmark", "fresh", f"seed-{seed}", METADATA_FILE).parent


def fresh_dataset(seed: int, *, workers: int = 2) -> Path:
    """The fresh split for `seed`, generated (proven and audited) on first use.

    The set is written to a temporary folder and renamed into place, so an interrupted
    generation leaves nothing half-written behind.
    """
    from afs.benchmark.generation import GENERATOR_VERSION, generate, write_datasets

    if seed == 0:
        raise InputError("seed 0 is the shipped dev split; a fresh split needs another seed")
    target = fresh_dataset_dir(seed)
    meta_path = target / METADATA_FILE
    if meta_path.is_file():
        metadata = json.loads(meta_path.read_text())
        if metadata.get("generator_version") == GENERATOR_VERSION and \
                metadata.get("seed") == seed:
            return target
    items = generate(seed, workers=workers)
    staging = Path(tempfile.mkdtemp(prefix=f".seed-{seed}-", dir=target.parent))
    try:
        write_datasets(staging, items, seed)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
