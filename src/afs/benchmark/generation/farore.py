"""Farore (debugging) items: a real ROM-hack routine with one injected bug, its fix, and a
behaviour test recorded from the fix that the buggy code fails.

The routines come in families of ALTTP hack work (`metadata.family`): bounded health, magic
and rupee updates on the save-RAM addresses, BCD scores, joypad edge detection, progress bit
flags (`farore_game`); sprite timers, slot search and spawn, OAM buffer writes, state jump
tables, signed velocities, 16-bit coordinate clamps, per-slot helpers (`farore_sprites`);
DMA and HDMA setup, forced blank, IRQ-safe updates, NMI register saving (`farore_hw`); ROM
tables behind a bank switch, long pointers, RLE decoding, checksums, unrolled code past a
branch's reach, JSR/JSL helpers with data tables, frame-periodic timers, 16-bit-index fills
(`farore_memory`). Each family takes several kinds of bug; a category's items are drawn
from every family that can make its kind of bug, with the constants, the routine's optional
steps and the request's wording all drawn from the seed's rng.

How a test is recorded, and why it also rejects near misses of the fix, is in
`farore_common`.
"""

from __future__ import annotations

import random
from typing import Any

from afs.benchmark.generation import Draft, GenerationError, build_domain, code_key
from afs.benchmark.generation.farore_common import Family, NotExposed, make_draft
from afs.benchmark.generation.farore_game import (
    bcd_score,
    damage,
    heal,
    joypad,
    magic_cost,
    progress_flags,
    rupees,
)
from afs.benchmark.generation.farore_hw import (
    dma_upload,
    forced_blank,
    hdma_setup,
    irq_safe,
    nmi_save,
)
from afs.benchmark.generation.farore_memory import (
    bank_table,
    frame_periodic,
    helper_call,
    long_pointer,
    rle_decode,
    sram_checksum,
    unrolled_clear,
    unrolled_loop,
    wide_fill,
)
from afs.benchmark.generation.farore_sprites import (
    link_clamp,
    oam_draw,
    slot_helper,
    sprite_spawn,
    sprite_timers,
    sprite_velocity,
    state_dispatch,
)

PER_CATEGORY = 7        # 22 categories x 7 = 154 items
MAX_ATTEMPTS = 200
# Audit each draft while drafting (see `_audited`). Tests of the templates themselves turn
# it off: they must show the recorded tests are strong without this safety net.
SELF_AUDIT = True

# The families that can make each category's kind of bug (a family offers it in some of
# its variants; an attempt whose variant does not is skipped).
FAMILIES: dict[str, tuple[Family, ...]] = {
    "mode_mismatch": (rupees, link_clamp, dma_upload, sram_checksum, wide_fill),
    "stack_imbalance": (state_dispatch, slot_helper, bank_table, nmi_save, irq_safe),
    "branch_range": (unrolled_clear, unrolled_loop),
    "dma_issues": (dma_upload, hdma_setup),
    "register_corruption": (progress_flags, sprite_velocity, slot_helper, helper_call),
    "carry_flag": (heal, damage, magic_cost, rupees, bcd_score, sprite_spawn, oam_draw,
                   link_clamp, sram_checksum),
    "vblank_timing": (forced_blank,),
    "interrupt_handling": (irq_safe, nmi_save),
    "addressing_mode": (heal, joypad, oam_draw, progress_flags, long_pointer, rle_decode,
                        frame_periodic),
    "comparison_logic": (heal, magic_cost, state_dispatch, link_clamp),
    "loop_termination": (sprite_timers, sprite_spawn, oam_draw, long_pointer, rle_decode,
                         sram_checksum),
    "16bit_operations": (rupees, link_clamp, sram_checksum),
    "off_by_one": (damage, rupees, progress_flags, sprite_timers, sprite_spawn, state_dispatch,
                   sprite_velocity, link_clamp, long_pointer, rle_decode, helper_call,
                   wide_fill, dma_upload),
    "pointer_bugs": (rupees, state_dispatch, rle_decode),
    "timing_issues": (joypad, sprite_timers, frame_periodic),
    "bank_boundary": (heal, oam_draw, bank_table, long_pointer, dma_upload, hdma_setup),
    "flag_state": (magic_cost, bcd_score, joypad, sprite_spawn),
    "initialization": (bcd_score, sprite_velocity, long_pointer, rle_decode, sram_checksum),
    "signed_arithmetic": (damage, sprite_velocity, sprite_spawn),
    "memory_access": (heal, sprite_timers, sprite_spawn, dma_upload, hdma_setup),
    "subroutine_call": (state_dispatch, slot_helper, helper_call),
    "bit_manipulation": (damage, joypad, progress_flags, hdma_setup),
}


_GRAPH: list[Any] = []


def _graph_errors(draft: Draft) -> bool:
    """Whether the knowledge graph rejects an address use in the code or the fix (the
    proof would: such a bug is left to templates that do not trip it)."""
    if not _GRAPH:
        from afs.knowledge.adapters import ALTTPKnowledgeGraph

        _GRAPH.append(ALTTPKnowledgeGraph())
    return any(f.severity == "error" for code in (draft.code, draft.expected_output)
               for f in _GRAPH[0].validate_output(code))


def _audited(draft: Draft) -> bool:
    """Whether the draft rejects the audit's whole battery. A recorded test is strong by
    construction, but its cases are drawn from the rng: on a rare seed they can miss what a
    near miss of the fix changes. Such a draft is skipped here, so that generation (which
    refuses any item a wrong answer passes) works for every seed."""
    if not SELF_AUDIT:
        return True
    from afs.benchmark.audit import audit_item

    return audit_item(build_domain("farore", [draft])[0]).ok


def category_drafts(rng: random.Random, category: str, count: int, seen: set[str]
                    ) -> list[Draft]:
    """`count` drafts of one category, from its families in turn, none with code in
    `seen`."""
    families = FAMILIES[category]
    out: list[Draft] = []
    for attempt in range(MAX_ATTEMPTS):
        if len(out) == count:
            return out
        routine, bugs = families[attempt % len(families)](rng)
        bugs = [b for b in bugs if b.category == category]
        if not bugs:
            continue
        try:
            draft = make_draft(routine, bugs[rng.randrange(len(bugs))], rng)
        except NotExposed:
            # A variant whose recorded cases happen not to expose this bug: the next
            # attempt draws other constants. Tests over several seeds keep this rare.
            continue
        if code_key(draft) in seen or _graph_errors(draft) or not _audited(draft):
            continue
        seen.add(code_key(draft))
        out.append(draft)
    if len(out) < count:
        raise GenerationError(f"farore {category}: only {len(out)} distinct drafts in "
                              f"{MAX_ATTEMPTS} attempts")
    return out


def drafts(rng: random.Random) -> list[Draft]:
    """PER_CATEGORY drafts per category; no two share normalised buggy code."""
    seen: set[str] = set()
    return [draft for category in FAMILIES
            for draft in category_drafts(rng, category, PER_CATEGORY, seen)]
