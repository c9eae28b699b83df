"""Din (optimisation) items: real ROM-hack routines with real waste, and a cheaper twin.

Each family (health and magic, rupees, sprite spawning, OAM, DMA/HDMA, joypad, BCD,
dispatch and lookup tables, pointer walking, decompression, bank switching, ...) builds a
routine from parts drawn from the seeded RNG: some parts are wasteful as a hacker would
write them in a hurry (a reload of the value just stored, a branch around a branch, 8-bit
halves of a 16-bit add, a compare chain where a table would do, ...), others are plain code
that must stay. `code` is the routine, `expected_output` the same routine with the waste
removed; `live_out` is exactly what the scorer compares (memory and I/O writes, plus the
registers or flags the routine returns), `preconditions` exactly the entry state it assumes:
decimal flag clear, D = $0000, a stated DBR, and M/X either stated or left free (then the
routine sets its own widths and every width is tested). The family name is in
`metadata.family`; the category is the one of the waste the routine's first wasteful part
holds. Requests are paraphrased from the RNG and never name the method.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from afs.benchmark.generation import Draft, GenerationError
from afs.benchmark.generation.din_common import MAX_ATTEMPTS, TARGET, _size, request


def drafts(rng: random.Random) -> list[Draft]:
    """TARGET distinct drafts, the families taken in turn; deterministic for a seeded rng."""
    from afs.asm.extract import normalize_code
    from afs.benchmark.generation.din_loops import FAMILIES as LOOPS
    from afs.benchmark.generation.din_resources import FAMILIES as RESOURCES
    from afs.benchmark.generation.din_sprites import FAMILIES as SPRITES
    from afs.benchmark.generation.din_system import FAMILIES as SYSTEM

    families: dict[str, tuple[str, Callable[[random.Random], Draft]]] = {
        **RESOURCES, **SPRITES, **SYSTEM, **LOOPS}
    names = sorted(families)
    out: list[Draft] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < TARGET:
        if attempts >= MAX_ATTEMPTS:
            raise GenerationError(f"din: only {len(out)} distinct drafts in {attempts} attempts")
        family = names[attempts % len(names)]
        attempts += 1
        what, make = families[family]
        draft = make(rng)
        key = normalize_code(draft.code)
        if key in seen:
            continue
        seen.add(key)
        if rng.random() < 0.25 and _size(draft.expected_output) < _size(draft.code):
            draft.metadata["objective"] = "bytes"
        draft.metadata["request"] = request(rng, draft.metadata["objective"], what)
        out.append(draft)
    return out
