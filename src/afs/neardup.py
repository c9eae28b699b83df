"""Near-duplicate detection, the one way AFS does it: word n-gram shingles and their Jaccard
similarity, found two ways over the same definition.

- `NearDuplicateIndex` — streaming and approximate, for scale (distillation prompts and
  answers, the pre-training corpus): exact copies (same token sequence) by digest, near copies
  by MinHash signatures with LSH banding, so checking one text against 100K costs about the
  same as against ten. Hashes are CRC-32 of tokens combined in numpy, never Python's salted
  `hash()`, so an index rebuilt on resume is identical.
- `keep_distinct` — batch and exact, for small sets where a threshold must hold exactly
  (feedback datasets): prefix filtering, every pair above the threshold is compared.

Ours rather than `datasketch`: the resume guarantee needs hashing that is stable across
processes, the corpus needs the exact-copy digest path, feedback needs the exact mode, and
this is ~150 lines of numpy with no new dependency. Shared by several layer-4 packages, so it
lives in the shared bottom layer.
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# Assembly-aware tokens: `$7EF36D`, `#$00` and `.loop` stay whole; punctuation is a token.
_TOKEN = re.compile(r"[A-Za-z0-9_$#]+|[^\sA-Za-z0-9_$#]")
_PRIME = (1 << 61) - 1


def tokens(text: str) -> list[str]:
    """Lower-cased tokens of `text`."""
    return _TOKEN.findall(text.lower())


def shingles(text: str, size: int = 3) -> frozenset[tuple[str, ...]]:
    """Token `size`-grams of `text` (the whole text when it is shorter)."""
    words = tokens(text)
    if len(words) <= size:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i:i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[Hashable], b: frozenset[Hashable]) -> float:
    """|a ∩ b| / |a ∪ b|; two empty sets are identical (1.0)."""
    if not a and not b:
        return 1.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


class MinHasher:
    """MinHash signatures of token `shingle_size`-grams, `num_perm` hash functions."""

    def __init__(self, num_perm: int = 64, *, shingle_size: int = 3, seed: int = 0x65816) -> None:
        rng = np.random.default_rng(seed)  # fixed: signatures are compared across runs
        self.a = rng.integers(1, 1 << 31, num_perm, dtype=np.uint64)
        self.b = rng.integers(0, 1 << 31, num_perm, dtype=np.uint64)
        self.shingle_size = shingle_size

    @property
    def num_perm(self) -> int:
        return len(self.a)

    def signature(self, text: str, words: list[str] | None = None) -> np.ndarray:
        words = tokens(text) if words is None else words
        hashes = np.fromiter((zlib.crc32(w.encode()) for w in words), np.uint64, len(words))
        n = min(self.shingle_size, len(hashes)) or 1
        if not len(hashes):
            hashes = np.zeros(1, np.uint64)
        # Each n-gram hashed as a polynomial over its tokens' hashes, kept to 32 bits so that
        # a * h + b stays inside uint64.
        grams = hashes[: len(hashes) - n + 1].copy()
        for k in range(1, n):
            grams = grams * np.uint64(1_000_003) + hashes[k: len(hashes) - n + 1 + k]
        grams &= np.uint64(0xFFFFFFFF)
        mixed = (self.a[:, None] * grams[None, :] + self.b[:, None]) % np.uint64(_PRIME)
        return mixed.min(axis=1).astype(np.uint32)


def similarity(left: np.ndarray, right: np.ndarray) -> float:
    """Estimated Jaccard similarity of two MinHash signatures."""
    return float(np.count_nonzero(left == right)) / len(left)


@dataclass(frozen=True)
class Match:
    """The indexed text a new one duplicates: its key, how (exact or near), the similarity."""

    key: str
    kind: str
    similarity: float


class NearDuplicateIndex:
    """Texts seen so far. `match` finds an exact or near duplicate (estimated Jaccard of token
    3-grams >= `threshold`), `add` indexes a text, `check_and_add` does both. `tokenizer`
    turns a text into the tokens compared (default: assembly-aware `tokens`)."""

    def __init__(self, threshold: float = 0.85, *, num_perm: int = 64, bands: int = 16,
                 shingle_size: int = 3, min_tokens: int = 0,
                 bucket_limit: int | None = None,
                 tokenizer: Callable[[str], list[str]] = tokens) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.threshold = threshold
        self.bands = bands
        self.rows = num_perm // bands
        self.hasher = MinHasher(num_perm, shingle_size=shingle_size)
        self.min_tokens = min_tokens  # shorter texts: exact copies only
        self.bucket_limit = bucket_limit  # candidates read per LSH bucket (None: all)
        self.tokenizer = tokenizer
        self._digests: dict[bytes, str] = {}
        self._signatures: dict[str, np.ndarray] = {}
        self._buckets: dict[bytes, list[str]] = {}

    def __len__(self) -> int:
        return len(self._digests)

    def _band_keys(self, signature: np.ndarray) -> list[bytes]:
        return [band.to_bytes(2, "little")
                + signature[band * self.rows:(band + 1) * self.rows].tobytes()
                for band in range(self.bands)]

    def _prepare(self, text: str, signature: np.ndarray | None = None
                 ) -> tuple[bytes, np.ndarray | None]:
        """The text's digest and signature; a `signature` computed elsewhere (a worker
        process, with a `MinHasher` of the same `num_perm`) is used as given."""
        words = self.tokenizer(text)
        digest = hashlib.blake2b(" ".join(words).encode(), digest_size=16).digest()
        if len(words) < self.min_tokens:
            return digest, None
        return digest, self.hasher.signature(text, words) if signature is None else signature

    def _match(self, digest: bytes, signature: np.ndarray | None) -> Match | None:
        if digest in self._digests:
            return Match(self._digests[digest], "exact", 1.0)
        if signature is None:
            return None
        seen: set[str] = set()
        for band_key in self._band_keys(signature):
            for key in self._buckets.get(band_key, ())[:self.bucket_limit]:
                if key in seen:
                    continue
                seen.add(key)
                score = similarity(signature, self._signatures[key])
                if score >= self.threshold:
                    return Match(key, "near", score)
        return None

    def _add(self, key: str, digest: bytes, signature: np.ndarray | None) -> None:
        self._digests.setdefault(digest, key)
        if signature is not None:
            self._signatures[key] = signature
            for band_key in self._band_keys(signature):
                self._buckets.setdefault(band_key, []).append(key)

    def match(self, text: str) -> Match | None:
        return self._match(*self._prepare(text))

    def find(self, text: str, signature: np.ndarray | None = None) -> str | None:
        """The key of an indexed duplicate of `text`, or None."""
        found = self._match(*self._prepare(text, signature))
        return found.key if found else None

    def add(self, key: str, text: str, signature: np.ndarray | None = None) -> None:
        self._add(key, *self._prepare(text, signature))

    def match_and_add(self, key: str, text: str) -> Match | None:
        """Add `text` unless it duplicates an indexed one; return that match if it does."""
        digest, signature = self._prepare(text)
        found = self._match(digest, signature)
        if found is None:
            self._add(key, digest, signature)
        return found

    def check_and_add(self, key: str, text: str) -> str | None:
        """Add `text` unless it is a duplicate; return the duplicate's key if it is."""
        found = self.match_and_add(key, text)
        return found.key if found else None


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a set's rarest n-grams must be indexed so that any set with Jaccard
    >= `threshold` to it shares at least one of them (the prefix filter of Bayardo et al.,
    "Scaling up all pairs similarity search", WWW 2007). The epsilon keeps float error in
    `threshold * size` from shortening the prefix."""
    return size - math.ceil(threshold * size - 1e-9) + 1


def keep_distinct(sets: Sequence[frozenset[Hashable]], order: Iterable[int],
                  threshold: float) -> list[int]:
    """Exact: walk `order` and keep each set whose Jaccard with every set kept before it is
    below `threshold`; return the kept indices in walk order. Each set's n-grams are ordered
    rarest first and only a short prefix of each kept set is indexed; a set is compared only
    with kept sets whose prefix shares an n-gram with its own, which every pair above the
    threshold does."""
    frequency = Counter(gram for grams in sets for gram in grams)
    index: dict[Hashable, list[int]] = defaultdict(list)
    kept: list[int] = []
    kept_empty = False
    for i in order:
        mine = sets[i]
        prefix = sorted(mine, key=lambda gram: (frequency[gram], repr(gram)))
        prefix = prefix[:_prefix_length(len(mine), threshold)] if mine else []
        if not mine:
            duplicate, kept_empty = kept_empty, True
        else:
            candidates = {k for gram in prefix for k in index.get(gram, ())}
            duplicate = any(jaccard(mine, sets[k]) >= threshold for k in candidates)
        if not duplicate:
            kept.append(i)
            for gram in prefix:
                index[gram].append(i)
    return kept
