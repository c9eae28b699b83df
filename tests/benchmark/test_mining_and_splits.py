"""Mining private items from a disassembly, and the splits reports name."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from afs.benchmark.audit import audit_items
from afs.benchmark.items import load_items
from afs.benchmark.mining import find_routines, mine
from afs.benchmark.splits import dataset_split, fresh_dataset
from afs.benchmark.verify import verify_items
from afs.errors import InputError

from .conftest import DATASET

# A small disassembly in the style of the US one (address-prefixed lines), written for this
# test: two self-contained routines and three that mining must skip.
DISASSEMBLY = """\
;===================================================================
; Adds the pending rupees to the wallet, one step at a time.
AddPendingRupee:
#_0DF000: LDA.w $0360
#_0DF003: BEQ .done
#_0DF005: DEC A
#_0DF006: STA.w $0360
#_0DF009: INC.w $0362
.done
#_0DF00C: RTS

;===================================================================
ClearSlots:
#_0DF00D: LDX.b #$07
.next
#_0DF00F: STZ.w $0DD0,X
#_0DF012: LDA.b #$FF
#_0DF014: STA.w $0E20,X
#_0DF017: DEX
#_0DF018: BPL .next
#_0DF01A: RTL

;===================================================================
CallsOut:
#_0DF01B: JSR AddPendingRupee
#_0DF01E: LDA.b #$01
#_0DF020: STA.b $10
#_0DF022: RTS

UsesExternalTable:
#_0DF023: LDX.b $10
#_0DF025: LDA.w SomeTable,X
#_0DF028: STA.b $11
#_0DF02A: RTS

TooShort:
#_0DF02B: RTS
"""


@pytest.fixture()
def disassembly(tmp_path):
    folder = tmp_path / "disasm"
    folder.mkdir()
    (folder / "bank_0d.asm").write_text(DISASSEMBLY)
    return folder


def test_find_routines_keeps_only_self_contained_ones(disassembly):
    routines = find_routines(disassembly)
    assert [r.name for r in routines] == ["AddPendingRupee", "ClearSlots"]
    first = routines[0]
    assert "#_" not in first.code
    assert first.code.splitlines()[:2] == ["AddPendingRupee:", "LDA.w $0360"]
    assert first.comment.startswith("Adds the pending rupees")
    assert first.line == 3


def test_mined_items_are_proven_audited_and_catch_the_bug(disassembly):
    report = mine(disassembly, domains=("farore", "nayru"))
    assert report.routines == 2
    farore, nayru = report.items["farore"], report.items["nayru"]
    assert len(farore) == 2 and len(nayru) == 2
    everything = farore + nayru
    assert all(i.id.startswith("mined_") for i in everything)
    assert verify_items(everything, check_counts=False).ok
    audit = audit_items(everything, check_counts=False)
    assert not audit.failures
    for item in farore:  # the injected bug is on the line the item names
        original = item.expected_output.splitlines()
        buggy = item.code.splitlines()
        changed = [n for n, (a, b) in enumerate(zip(original, buggy, strict=False), 1)
                   if a != b]
        assert item.bug.line in changed or len(buggy) != len(original)


def test_mined_veran_items_ask_what_running_the_routine_gives(disassembly):
    report = mine(disassembly, domains=("veran",))
    items = report.items["veran"]
    assert len(items) == 2 and all(len(i.questions) >= 2 for i in items)
    assert verify_items(items, check_counts=False).ok
    assert not audit_items(items, check_counts=False).failures
    rupees = next(i for i in items if "AddPendingRupee" in i.expected_output)
    assert "$7E0360" in rupees.expected_output


def test_mine_cli_writes_a_dataset_that_runs(disassembly, tmp_path):
    out = tmp_path / "mined"
    env_home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "afs", "benchmark", "mine", "--source", str(disassembly),
         "--output", str(out), "--domains", "nayru", "--json"],
        capture_output=True, text=True, timeout=300, env={**_env(), "AFS_HOME": str(env_home)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["items"] == {"nayru": 2}
    assert len(load_items(out, "nayru")) == 2
    assert dataset_split(out)["split"] == "mined"


def test_mine_cli_names_a_missing_source(tmp_path):
    result = subprocess.run([sys.executable, "-m", "afs", "benchmark", "mine", "--source",
                             str(tmp_path / "nope")], capture_output=True, text=True,
                            timeout=120, env=_env())
    assert result.returncode == 2
    assert "nope" in result.stderr and "Traceback" not in result.stderr


def test_the_shipped_items_are_the_dev_split():
    assert dataset_split(DATASET)["split"] == "dev"
    assert dataset_split(DATASET / "din" / "benchmark.jsonl")["split"] == "dev"


def test_seed_zero_is_not_a_fresh_split():
    with pytest.raises(InputError, match="dev split"):
        fresh_dataset(0)


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("AFS_")}
