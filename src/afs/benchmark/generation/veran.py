"""Veran (explanation) items: real ROM-hack code, a reference explanation, a rubric and
prediction questions answered by running the code.

Each family (`veran_game`, `veran_cpu`, `veran_asar`) writes one realistic routine with its
constants, structure and wording drawn from the rng: bounded health/magic/rupee updates with
the real ALTTP addresses, sprite-slot search and spawn, OAM buffer writes, joypad edge
detection, DMA/HDMA and PPU setup, 16-bit and BCD arithmetic, jump and lookup tables,
pointer walking, decompression-style loops, bank switching, asar syntax. A family returns a
`Spec`; `build` turns it into a draft whose questions' answers come from the emulator (or the
assembler), never from the family's own arithmetic. The rubric names the concepts a correct
explanation states and the known-false claims (role swaps such as maximum vs current health,
wrong widths) that cost the answer its pass.
"""

from __future__ import annotations

import random
from typing import Any

from afs.benchmark.generation import Draft, GenerationError
from afs.benchmark.generation.veran_common import PER_CATEGORY, Family, category_drafts, h6


def drafts(rng: random.Random) -> list[Draft]:
    """PER_CATEGORY drafts per category, distinct code, mostly distinct shapes."""
    from afs.benchmark.generation.veran_asar import ASAR_FAMILIES
    from afs.benchmark.generation.veran_cpu import CPU_FAMILIES
    from afs.benchmark.generation.veran_game import GAME_FAMILIES

    families: dict[str, list[Family]] = {}
    for group in (GAME_FAMILIES, CPU_FAMILIES, ASAR_FAMILIES):
        for category, members in group.items():
            families.setdefault(category, []).extend(members)
    seen_code: set[str] = set()
    seen_shape: set[str] = set()
    out: list[Draft] = []
    for category, members in families.items():
        out += category_drafts(rng, category, members, PER_CATEGORY, seen_code, seen_shape)
    from afs.knowledge.adapters import ALTTPKnowledgeGraph

    disagreements = check_against_graph(ALTTPKnowledgeGraph())
    if disagreements:
        raise GenerationError("veran templates disagree with the knowledge graph:\n"
                              + "\n".join(disagreements))
    return out


def check_against_graph(graph: Any) -> list[str]:
    """ALTTP names the families use that disagree with the knowledge graph."""
    from afs.benchmark.generation.veran_game import NAMES

    problems = []
    for address, name in NAMES.items():
        match = graph.resolve(address)
        found = match.node.name if match.node is not None else None
        if found != name:
            problems.append(f"{h6(address)}: generator says {name}, graph says {found}")
    return problems
