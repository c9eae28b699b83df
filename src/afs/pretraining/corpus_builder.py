"""Build the pre-training corpus: find files, parse them into documents, deduplicate, write.

`CorpusBuilder` streams: one file is in memory at a time, and what it keeps per document
for deduplication is a 16-byte digest and a 64-value MinHash signature. `build()` writes
JSONL shards that `datasets.load_dataset("json", ...)` reads directly, with a
train/validation split decided per document by a seeded hash, and `corpus.json` holding
the statistics and the shard lists.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from afs.errors import InputError
from afs.jsonl import iter_jsonl, write_jsonl
from afs.neardup import NearDuplicateIndex
from afs.paths import state_path
from afs.pretraining.parsers import (
    CommentMode,
    ConversationParser,
    DisassemblyParser,
    ParseResult,
)
from afs.pretraining.tokenizer import count_pretokens

MANIFEST = "corpus.json"
FORMAT = "afs-corpus/1"
PROSE_EXTENSIONS = frozenset((".md", ".markdown", ".txt", ".rst"))
SPLITS = ("train", "validation")


def pretraining_dir(*parts: str) -> Path:
    """Where pre-training state lives by default: `$AFS_HOME/pretraining/...`."""
    return state_path("pretraining", *parts)


@dataclass
class CorpusConfig:
    """What goes into the corpus and how it is cut.

    `seq_len` caps a document at that many pre-tokens, so one document fits one model
    window; `min_line_length`/`max_line_length` drop lines (stripped length) outside the
    range; `dedup` removes exact and near duplicates (estimated Jaccard similarity of word
    3-grams at least `near_dup_threshold`); `val_fraction` of documents, picked by a hash
    seeded with `seed`, form the validation split.
    """

    source_dirs: list[Path]
    file_patterns: list[str] = field(
        default_factory=lambda: ["*.asm", "*.s", "*.inc", "*.md", "*.txt"]
    )
    exclude_patterns: list[str] = field(
        default_factory=lambda: [".*", "__pycache__", "node_modules"]
    )
    min_line_length: int = 1
    max_line_length: int = 1000
    dedup: bool = True
    near_dup_threshold: float = 0.9
    seq_len: int = 512
    val_fraction: float = 0.05
    seed: int = 0
    comments: CommentMode = "keep"
    max_table_lines: int = 32
    table_keep_lines: int = 4
    min_doc_chars: int = 16
    shard_docs: int = 10_000

    def __post_init__(self) -> None:
        if isinstance(self.source_dirs, str | Path):
            self.source_dirs = [self.source_dirs]  # one directory given bare
        self.source_dirs = [Path(path).expanduser() for path in self.source_dirs]
        if not self.source_dirs:
            raise InputError("expected at least one source directory")
        if not self.file_patterns:
            raise InputError("expected at least one file pattern (e.g. *.asm)")
        if not 0 <= self.val_fraction < 1:
            raise InputError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if not 0 < self.near_dup_threshold <= 1:
            raise InputError(
                f"near_dup_threshold must be in (0, 1], got {self.near_dup_threshold}"
            )
        if self.comments not in ("keep", "strip"):
            raise InputError(f"comments must be 'keep' or 'strip', got {self.comments!r}")
        for name in ("seq_len", "max_line_length", "shard_docs"):
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be at least 1, got {getattr(self, name)}")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["source_dirs"] = [str(path) for path in self.source_dirs]
        return data


def _words(text: str) -> list[str]:
    """Whitespace-separated words, lower-cased: what corpus near-duplicates are compared on."""
    return text.lower().split()


@dataclass
class _Stats:
    total_files: int = 0
    total_lines: int = 0
    total_chars: int = 0
    total_bytes: int = 0
    skipped_files: int = 0
    documents: int = 0
    kept_lines: int = 0
    kept_chars: int = 0
    total_tokens: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    dropped_table_lines: int = 0
    dropped_long_lines: int = 0
    dropped_short_lines: int = 0
    by_extension: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["duplicates_removed"] = self.exact_duplicates + self.near_duplicates
        data["by_extension"] = {ext: dict(v) for ext, v in sorted(self.by_extension.items())}
        return data


class CorpusBuilder:
    """Stream documents out of `config.source_dirs` and write them as a dataset."""

    def __init__(self, config: CorpusConfig) -> None:
        self.config = config
        self._statistics: dict[str, Any] | None = None
        parser_args = {
            "min_line_length": config.min_line_length,
            "max_line_length": config.max_line_length,
            "max_pretokens": config.seq_len,
            "min_doc_chars": config.min_doc_chars,
        }
        self.assembly_parser = DisassemblyParser(
            comments=config.comments,
            max_table_lines=config.max_table_lines,
            table_keep_lines=config.table_keep_lines,
            **parser_args,
        )
        self.prose_parser = ConversationParser(**parser_args)

    def iter_files(self) -> Iterator[tuple[Path, str]]:
        """Yield (path, path relative to its source dir) for every matching file, sorted."""
        seen: set[Path] = set()
        for root in self.config.source_dirs:
            if not root.is_dir():
                raise InputError("expected a directory of source files", path=root)
            for directory, dirnames, filenames in os.walk(root):
                rel_dir = Path(directory).relative_to(root)
                dirnames[:] = sorted(d for d in dirnames if not self._excluded(rel_dir / d))
                for name in sorted(filenames):
                    rel = rel_dir / name
                    path = Path(directory) / name
                    if self._excluded(rel) or not self._wanted(rel):
                        continue
                    resolved = path.resolve()
                    if resolved in seen or not path.is_file():
                        continue
                    seen.add(resolved)
                    yield path, (Path(root.name) / rel).as_posix()

    def _wanted(self, rel: Path) -> bool:
        return any(_match(rel, pattern) for pattern in self.config.file_patterns)

    def _excluded(self, rel: Path) -> bool:
        return any(_match(rel, pattern) for pattern in self.config.exclude_patterns)

    def iter_documents(self) -> Iterator[dict[str, Any]]:
        """Yield each kept document as a record; recomputes the statistics as it goes."""
        stats = _Stats()
        # 16 bands of 4 rows: pairs above ~0.5 similarity become candidates; texts under 8
        # tokens are too short for shingles to mean anything (exact copies only).
        dedup = NearDuplicateIndex(self.config.near_dup_threshold, num_perm=64, bands=16,
                                   min_tokens=8, bucket_limit=8, tokenizer=_words,
                                   ) if self.config.dedup else None
        for path, rel in self.iter_files():
            data = path.read_bytes()
            ext = path.suffix.lower() or "(none)"
            stats.total_bytes += len(data)
            if b"\0" in data[:8192]:
                stats.skipped_files += 1  # binary: an .s or .inc name does not make it text
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("latin-1")  # old disassemblies: bytes are still chars
            lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
            per_ext = stats.by_extension.setdefault(
                ext, {"files": 0, "lines": 0, "chars": 0, "documents": 0}
            )
            stats.total_files += 1
            stats.total_lines += lines
            stats.total_chars += len(text)
            per_ext["files"] += 1
            per_ext["lines"] += lines
            per_ext["chars"] += len(text)
            result = self._parse(ext, text)
            stats.dropped_table_lines += result.dropped_table_lines
            stats.dropped_long_lines += result.dropped_long_lines
            stats.dropped_short_lines += result.dropped_short_lines
            for document in result.documents:
                found = None if dedup is None else dedup.match_and_add(
                    str(stats.documents), document.text)
                duplicate = found.kind if found else None
                if duplicate == "exact":
                    stats.exact_duplicates += 1
                    continue
                if duplicate == "near":
                    stats.near_duplicates += 1
                    continue
                stats.documents += 1
                per_ext["documents"] += 1
                stats.kept_lines += document.text.count("\n") + 1
                stats.kept_chars += len(document.text)
                stats.total_tokens += count_pretokens(document.text)
                yield {
                    "id": hashlib.blake2b(
                        f"{rel}:{document.start_line}".encode(), digest_size=8
                    ).hexdigest(),
                    "text": document.text,
                    "source": rel,
                    "ext": ext,
                    "kind": document.kind,
                    "name": document.name,
                    "start_line": document.start_line,
                    "end_line": document.end_line,
                    "address": getattr(document, "address", None),
                }
        self._statistics = stats.as_dict()

    def _parse(self, ext: str, text: str) -> ParseResult:
        if ext in PROSE_EXTENSIONS:
            return self.prose_parser.parse(text)
        return self.assembly_parser.parse(text)

    def get_statistics(self) -> dict[str, Any]:
        """Corpus statistics (one streaming pass over the sources, cached).

        Keys: total_files, total_lines, total_chars, total_bytes (what was read);
        documents, kept_lines, kept_chars, total_tokens (assembly-aware pre-tokens) of what
        was kept; duplicates_removed (= exact_duplicates + near_duplicates); dropped
        table/long/short lines; skipped_files (binary); by_extension counts.
        """
        if self._statistics is None:
            for _ in self.iter_documents():
                pass
        assert self._statistics is not None
        return dict(self._statistics)

    def split_of(self, doc_id: str) -> str:
        """The split a document belongs to: a seeded hash, stable as the corpus grows."""
        digest = hashlib.blake2b(f"{self.config.seed}:{doc_id}".encode(), digest_size=8)
        draw = int.from_bytes(digest.digest(), "little") / 2**64
        return "validation" if draw < self.config.val_fraction else "train"

    def build(self, output_dir: str | Path) -> dict[str, Any]:
        """Write the dataset to `output_dir`; return the manifest (statistics included).

        Shards are written to a staging folder and swapped in at the end, so an
        interrupted build leaves the previous dataset intact.
        """
        output = Path(output_dir).expanduser()
        staging = output / f".staging-{os.getpid()}"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        shards: dict[str, list[str]] = {split: [] for split in SPLITS}
        counts = dict.fromkeys(SPLITS, 0)
        buffers: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}

        def flush(split: str) -> None:
            name = f"{split}-{len(shards[split]):05d}.jsonl"
            write_jsonl(staging / name, buffers[split])
            shards[split].append(name)
            buffers[split] = []

        for record in self.iter_documents():
            split = self.split_of(record["id"])
            # Flush lazily (when the next record arrives), so the last train record is
            # still in memory if validation turns out empty and needs one.
            if len(buffers[split]) >= self.config.shard_docs:
                flush(split)
            buffers[split].append(record)
            counts[split] += 1
        if self.config.val_fraction > 0 and counts["validation"] == 0 and counts["train"] > 1:
            buffers["validation"].append(buffers["train"].pop())
            counts["train"] -= 1
            counts["validation"] += 1
        for split in SPLITS:
            if buffers[split]:
                flush(split)
        manifest = {
            "format": FORMAT,
            "config": self.config.to_json(),
            "statistics": self.get_statistics(),
            "splits": {
                split: {"documents": counts[split], "shards": shards[split]} for split in SPLITS
            },
        }
        _swap_in(output, staging, manifest)
        return manifest


def _swap_in(output: Path, staging: Path, manifest: dict[str, Any]) -> None:
    old = output / MANIFEST
    if old.is_file():
        previous = json.loads(old.read_text())
        for split in previous.get("splits", {}).values():
            for name in split.get("shards", []):
                (output / name).unlink(missing_ok=True)
    for shard in staging.iterdir():
        os.replace(shard, output / shard.name)
    staging.rmdir()
    tmp = output / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp, old)


def _match(rel: Path, pattern: str) -> bool:
    pattern = pattern.lower()
    if "/" in pattern:
        return fnmatch.fnmatchcase(rel.as_posix().lower(), pattern)
    return any(fnmatch.fnmatchcase(part.lower(), pattern) for part in rel.parts)


def read_manifest(corpus_dir: str | Path) -> dict[str, Any]:
    """Read `corpus.json` of a built corpus; InputError if `corpus_dir` is not one."""
    path = Path(corpus_dir).expanduser() / MANIFEST
    if not path.is_file():
        raise InputError(
            f"expected a corpus built by `afs corpus build` ({MANIFEST} is missing)",
            path=path.parent,
        )
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg})", path=path, line=exc.lineno) from None
    if manifest.get("format") != FORMAT:
        raise InputError(f"expected format {FORMAT!r}, got {manifest.get('format')!r}", path=path)
    return manifest


def shard_paths(corpus_dir: str | Path, split: str) -> list[Path]:
    """The JSONL shards of one split of a built corpus."""
    root = Path(corpus_dir).expanduser()
    names = read_manifest(root)["splits"].get(split, {}).get("shards", [])
    return [root / name for name in names]


def iter_texts(corpus_dir: str | Path, split: str = "train") -> Iterator[str]:
    """Stream the document texts of one split, shard by shard."""
    for shard in shard_paths(corpus_dir, split):
        for record in iter_jsonl(shard):
            yield record["text"]


def load_corpus_dataset(corpus_dir: str | Path, cache_dir: str | Path | None = None) -> Any:
    """Load a built corpus as a `datasets.DatasetDict` (its non-empty splits)."""
    from datasets import load_dataset

    data_files = {
        split: [str(path) for path in shard_paths(corpus_dir, split)] for split in SPLITS
    }
    data_files = {split: files for split, files in data_files.items() if files}
    if "train" not in data_files:
        raise InputError("the corpus has no training documents", path=corpus_dir)
    return load_dataset(
        "json", data_files=data_files, cache_dir=str(cache_dir) if cache_dir else None
    )
