"""The one near-duplicate detector (`afs.neardup`) and its three users."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from afs import neardup
from afs.neardup import NearDuplicateIndex, jaccard, keep_distinct, shingles

SRC = Path(__file__).resolve().parent.parent / "src" / "afs"


def test_no_other_module_has_its_own_detector():
    own = re.compile(r"class \w*MinHash\w*|def jaccard\(|def _prefix_length\(|_buckets\b")
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                 if p.name != "neardup.py" and own.search(p.read_text())]
    assert offenders == []


def test_the_three_users_use_it():
    for module in ("distillation/data_gen.py", "pretraining/corpus_builder.py",
                   "feedback/sampler.py"):
        assert "afs.neardup" in (SRC / module).read_text() or \
            "from afs import neardup" in (SRC / module).read_text(), module


def test_exact_and_near_copies():
    index = NearDuplicateIndex(0.8, min_tokens=8)
    text = ("LDA $0E50,X ; sprite hp\nSEC\nSBC #$04\nSTA $0E50,X\nBCS .alive\n"
            "JSR Sprite_Kill\n.alive\nRTS")
    assert index.match_and_add("a", text) is None
    exact = index.match(text.upper().replace("\n", "  \n"))
    assert exact is not None and (exact.key, exact.kind) == ("a", "exact")
    near = index.match(text.replace("#$04", "#$08"))
    assert near is not None and near.kind == "near" and near.similarity >= 0.8
    assert index.match("LDA #$00\nSTA $10\nRTS ; clear the module index, then return") is None
    assert index.check_and_add("b", "short") is None and index.find("short") == "b"
    assert len(index) == 2


def test_signatures_are_the_same_in_every_process():
    a, b = neardup.MinHasher(), neardup.MinHasher()
    text = "the same text hashes the same way"
    assert (a.signature(text) == b.signature(text)).all()


def _brute_force(sets, threshold):
    kept: list[int] = []
    for i in range(len(sets)):
        if all(jaccard(sets[i], sets[k]) < threshold for k in kept):
            kept.append(i)
    return kept


@given(texts=st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=6)
                      .map(" ".join), max_size=12),
       threshold=st.sampled_from([0.3, 0.5, 2 / 3, 0.8, 1.0]))
def test_keep_distinct_is_exact(texts, threshold):
    sets = [shingles(t, 2) for t in texts]
    assert keep_distinct(sets, range(len(sets)), threshold) == _brute_force(sets, threshold)
