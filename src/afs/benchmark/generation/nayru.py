"""Nayru (generation) items: a request in words, a reference routine, and a behaviour spec.

The families (modules `nayru_game`, `nayru_sprites`, `nayru_hardware`, `nayru_algo`) are
ROM-hack tasks on the real ALTTP RAM map: bounded health/magic/rupee updates, sprite-slot
search and spawn, OAM buffer writes, DMA/HDMA setup, joypad edge detection, 16-bit and BCD
arithmetic, lookup and jump tables, pointer walking, decompression loops, bank switching.
Each draws its constants and one of several phrasings from the rng, so any seed gives a
fresh, equally checked set; `nayru_common` builds the specs (expectations from a Python
model of the task, poisoned outputs, guard bytes, junk registers, varied carry) and refuses
a family whose spec cannot tell the reference from doing nothing.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from afs.benchmark.audit import shape_key
from afs.benchmark.generation import Draft, GenerationError
from afs.benchmark.generation.nayru_algo import (
    ADVANCED_FAMILIES,
    BASIC_FAMILIES,
    GENERATION_FAMILIES,
    INTERMEDIATE_FAMILIES,
)
from afs.benchmark.generation.nayru_game import ALTTP_FAMILIES, LINK_FAMILIES
from afs.benchmark.generation.nayru_hardware import DMA_FAMILIES, JOYPAD_FAMILIES, PPU_FAMILIES
from afs.benchmark.generation.nayru_sprites import SPRITE_FAMILIES

PER_CATEGORY = 15  # 10 categories x 15 = 150
#: at most this many items of a category may repeat a code shape already in it
SHAPE_REPEATS = 5
MAX_ATTEMPTS = 400

FAMILIES: dict[str, tuple[Callable[[random.Random], Draft], ...]] = {
    "generation": GENERATION_FAMILIES,
    "basic_ops": BASIC_FAMILIES,
    "link_state": LINK_FAMILIES,
    "sprite_oam": SPRITE_FAMILIES,
    "ppu_registers": PPU_FAMILIES,
    "dma_channels": DMA_FAMILIES,
    "joypad": JOYPAD_FAMILIES,
    "intermediate_ops": INTERMEDIATE_FAMILIES,
    "advanced_ops": ADVANCED_FAMILIES,
    "alttp_specific": ALTTP_FAMILIES,
}

def drafts(rng: random.Random) -> list[Draft]:
    """PER_CATEGORY distinct drafts per category, families taken in turn, few repeated
    shapes; a category whose families cannot fill it is a bug."""
    out: list[Draft] = []
    seen: set[tuple[str, str]] = set()
    for category, families in FAMILIES.items():
        shapes: Counter[str] = Counter()
        made = attempts = 0
        while made < PER_CATEGORY:
            if attempts >= MAX_ATTEMPTS:
                raise GenerationError(f"nayru/{category}: only {made} distinct items in "
                                      f"{attempts} attempts")
            draft = families[attempts % len(families)](rng)
            attempts += 1
            key = (draft.metadata["request"], draft.expected_output)
            form = shape_key(draft.expected_output)
            repeats = sum(n - 1 for n in shapes.values() if n > 1)
            if key in seen or (shapes[form] and repeats >= SHAPE_REPEATS):
                continue
            seen.add(key)
            shapes[form] += 1
            out.append(draft)
            made += 1
    return out
