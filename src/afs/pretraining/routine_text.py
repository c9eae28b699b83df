"""What a routine's text says: its code without comments, and its descriptions in words.

Shared by the code-search benchmark (`afs.pretraining.codesearch`) and the index's
translation model (`afs.pretraining.embeddings`).
"""

from __future__ import annotations

import re

from afs.pretraining.parsers import LineKind, classify, split_comment

_PROSE_WORD = re.compile(r"[A-Za-z]{3,}")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
MIN_DESCRIPTION_WORDS = 4


def code_only(text: str, name: str = "") -> str:
    """A document without its comments and without the definition of its own label."""
    kept = []
    own = f"{name}:" if name else None
    for line in text.splitlines():
        if classify(line) in (LineKind.COMMENT, LineKind.SEPARATOR):
            continue
        code = split_comment(line)[0].rstrip()
        if own and code.strip() == own:
            continue
        kept.append(code)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")


def label_words(name: str) -> str:
    """A label read as words: `Link_HandleSwordCooldown` -> "link handle sword cooldown"."""
    parts = [p.lower() for piece in re.split(r"[_.]", name) for p in _CAMEL.findall(piece)]
    return " ".join(parts)


def _is_code(text: str) -> bool:
    return sum(classify(line) is LineKind.CODE for line in text.splitlines()) >= 3


def descriptions(text: str, name: str = "") -> list[str]:
    """What a code document is said to do: its prose comment blocks (a few words at
    least) and its label read as words (two words at least)."""
    if not _is_code(text):
        return []
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if classify(line) is LineKind.COMMENT:
            blocks[-1].append(line.strip().lstrip(";").strip())
        elif blocks[-1]:
            blocks.append([])
    found = []
    for block in blocks:
        prose = " ".join(block).strip()
        if len(_PROSE_WORD.findall(prose)) >= MIN_DESCRIPTION_WORDS:
            found.append(prose)
    words = label_words(name)
    if len(_PROSE_WORD.findall(words)) >= 2:
        found.append(words)
    return found
