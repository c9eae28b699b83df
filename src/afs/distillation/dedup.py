"""Near-duplicate detection (MinHash + LSH banding) and code normalisation.

Prompts and teacher answers are compared by the Jaccard similarity of their word 3-shingles,
estimated from a MinHash signature; LSH bands find candidate pairs without comparing every
pair, so checking one text against 100K others costs about the same as against ten. Hashes are
keyed BLAKE2b, never Python's salted `hash()`, so an index rebuilt on resume is identical.

Memory is about 1 KB per indexed text (signature plus six band entries).
"""

from __future__ import annotations

import hashlib
import random
import re
from array import array
from collections.abc import Iterable

_WORD = re.compile(r"[A-Za-z0-9_$#]+|[^\sA-Za-z0-9_$#]")
_MERSENNE = (1 << 61) - 1


def shingles(text: str, size: int = 3) -> set[bytes]:
    """Word `size`-grams of lower-cased text (the whole text when it is shorter)."""
    words = _WORD.findall(text.lower())
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)}


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class MinHasher:
    """MinHash signatures of `num_perm` universal hash functions (fixed seed)."""

    def __init__(self, num_perm: int = 30, seed: int = 1) -> None:
        rng = random.Random(seed)
        self.params = [(rng.randrange(1, _MERSENNE), rng.randrange(0, _MERSENNE))
                       for _ in range(num_perm)]

    @property
    def num_perm(self) -> int:
        return len(self.params)

    def signature(self, text: str) -> array:
        hashes = [_hash64(s) for s in shingles(text)] or [0]
        return array("Q", (min((a * h + b) % _MERSENNE for h in hashes) for a, b in self.params))


def similarity(left: array, right: array) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return sum(1 for x, y in zip(left, right, strict=True) if x == y) / len(left)


class NearDuplicateIndex:
    """Texts seen so far; `find` returns the key of a near-duplicate (similarity >=
    `threshold`) or None, `add` indexes a text under a key."""

    def __init__(self, threshold: float = 0.85, *, num_perm: int = 30, bands: int = 6) -> None:
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.threshold = threshold
        self.bands = bands
        self.rows = num_perm // bands
        self.hasher = MinHasher(num_perm)
        self._signatures: dict[str, array] = {}
        self._buckets: dict[tuple[int, bytes], list[str]] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def _band_keys(self, signature: array) -> Iterable[tuple[int, bytes]]:
        for band in range(self.bands):
            yield band, signature[band * self.rows:(band + 1) * self.rows].tobytes()

    def find(self, text: str, signature: array | None = None) -> str | None:
        signature = signature if signature is not None else self.hasher.signature(text)
        seen: set[str] = set()
        for band_key in self._band_keys(signature):
            for key in self._buckets.get(band_key, ()):
                if key in seen:
                    continue
                seen.add(key)
                if similarity(signature, self._signatures[key]) >= self.threshold:
                    return key
        return None

    def add(self, key: str, text: str, signature: array | None = None) -> None:
        signature = signature if signature is not None else self.hasher.signature(text)
        self._signatures[key] = signature
        for band_key in self._band_keys(signature):
            self._buckets.setdefault(band_key, []).append(key)

    def check_and_add(self, key: str, text: str) -> str | None:
        """Add `text` unless it is a near-duplicate; return the duplicate's key if it is."""
        signature = self.hasher.signature(text)
        duplicate = self.find(text, signature)
        if duplicate is None:
            self.add(key, text, signature)
        return duplicate


