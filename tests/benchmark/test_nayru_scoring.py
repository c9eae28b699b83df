"""Nayru specs reject answers that do not do the task (the issue's examples)."""

from __future__ import annotations

import pytest

from afs.benchmark.audit import audit_item
from afs.benchmark.audit_nayru import domain_wrong_answers
from afs.benchmark.scoring import score_answer

from .conftest import reference_answer


def _fence(code: str) -> str:
    return f"```asm\n{code}\n```"


def test_every_shipped_spec_rejects_doing_nothing(shipped_items):
    for item in shipped_items["nayru"]:
        assert score_answer(item, reference_answer(item)).passed, item.id
        for nothing in ("NOP", "RTS"):
            assert not score_answer(item, _fence(nothing)).passed, (item.id, nothing)
        assert item.live_out and item.preconditions.get("d") == 0


def test_heal_writing_the_maximum_instead_of_current_health_fails(shipped_items):
    item = next(i for i in shipped_items["nayru"] if i.metadata.model_extra.get("family")
                == "heal_capped")
    wrong = reference_answer(item).replace("STA.l $7EF36D", "STA.l $7EF36C")
    assert not score_answer(item, wrong).passed


@pytest.mark.parametrize("family", ["heal_capped", "spawn_sprite", "jump_table"])
def test_domain_battery_is_rejected(shipped_items, family):
    item = next(i for i in shipped_items["nayru"]
                if i.metadata.model_extra.get("family") == family)
    battery = domain_wrong_answers(item)
    assert {w.label for w in battery} >= {"mutant:nayru:wrong_address",
                                          "mutant:nayru:no_final_store"}
    assert not any(score_answer(item, w.answer).passed for w in battery)
    assert audit_item(item).passed == []
