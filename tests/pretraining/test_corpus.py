"""CorpusBuilder: the spec snippet, statistics, deduplication, the dataset it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from afs.errors import InputError
from afs.jsonl import read_jsonl
from afs.pretraining import CorpusBuilder, CorpusConfig
from afs.pretraining.corpus_builder import MANIFEST, iter_texts, load_corpus_dataset
from afs.pretraining.synthetic import generate_assembly_corpus

ROUTINE = """\
; Adds one to the rupee counter, capped at 999.
AddRupee:
{
    REP #$20
    LDA.l $7EF360 : INC A
    CMP.w #$03E7 : BCC .ok
    LDA.w #$03E7
.ok
    STA.l $7EF360
    SEP #$20
    RTL
}
"""


def test_spec_snippet_on_a_directory_of_asm_and_s_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    generate_assembly_corpus(home / "src" / "hobby" / "alttp-disassembly", files=6, seed=3)
    monkeypatch.setenv("HOME", str(home))

    config = CorpusConfig(
        source_dirs=[Path("~/src/hobby/alttp-disassembly")],
        file_patterns=["*.asm", "*.s"],
    )
    corpus = CorpusBuilder(config)
    stats = corpus.get_statistics()

    sources = sorted((home / "src" / "hobby" / "alttp-disassembly").iterdir())
    assert stats["total_files"] == len(sources) == 6
    assert stats["total_lines"] == sum(len(p.read_text().splitlines()) for p in sources)
    assert stats["total_chars"] == sum(len(p.read_text()) for p in sources)
    assert stats["by_extension"][".asm"]["files"] + stats["by_extension"][".s"]["files"] == 6
    assert stats["documents"] > 0 and stats["total_tokens"] > stats["documents"]
    assert stats["duplicates_removed"] == stats["exact_duplicates"] + stats["near_duplicates"]


def test_exact_and_near_duplicates_are_removed(tmp_path: Path) -> None:
    (tmp_path / "a.asm").write_text(ROUTINE)
    (tmp_path / "copy.asm").write_text(ROUTINE.replace("    ", "\t"))  # same after whitespace
    (tmp_path / "near.asm").write_text(ROUTINE.replace("capped at 999", "capped at 999 (max)"))
    other = ROUTINE.replace("AddRupee", "AddBomb").replace("$7EF360", "$7EF343")
    other = other.replace("REP #$20", "SEP #$20").replace("#$03E7", "#$32").replace(
        "rupee counter", "bomb count"
    )
    (tmp_path / "other.asm").write_text(other)
    stats = CorpusBuilder(CorpusConfig(source_dirs=[tmp_path])).get_statistics()
    assert stats["total_files"] == 4
    assert stats["exact_duplicates"] == 1
    assert stats["near_duplicates"] == 1
    assert stats["documents"] == 2
    without = CorpusBuilder(CorpusConfig(source_dirs=[tmp_path], dedup=False)).get_statistics()
    assert without["documents"] == 4 and without["duplicates_removed"] == 0


def test_patterns_excludes_binary_files_and_prose(tmp_path: Path) -> None:
    (tmp_path / "code.asm").write_text(ROUTINE)
    (tmp_path / "notes.md").write_text("# Rupees\n\nThe counter at $7EF360 is 16-bit.\n")
    (tmp_path / "blob.s").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "hidden.asm").write_text(ROUTINE.replace("AddRupee", "Hidden"))
    (tmp_path / "skip").mkdir()
    (tmp_path / "skip" / "x.asm").write_text(ROUTINE.replace("AddRupee", "Skipped"))
    corpus = CorpusBuilder(CorpusConfig(source_dirs=[tmp_path], exclude_patterns=[".*", "skip"]))
    records = list(corpus.iter_documents())
    stats = corpus.get_statistics()
    assert sorted(r["source"] for r in records) == [
        f"{tmp_path.name}/code.asm", f"{tmp_path.name}/notes.md",
    ]
    assert stats["skipped_files"] == 1
    assert set(stats["by_extension"]) == {".asm", ".md"}  # the binary .s was skipped
    assert next(r for r in records if r["ext"] == ".md")["kind"] == "section"


def test_bad_input_is_reported_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expected a directory") as caught:
        CorpusBuilder(CorpusConfig(source_dirs=[tmp_path / "missing"])).get_statistics()
    assert str(tmp_path / "missing") in str(caught.value)
    with pytest.raises(InputError, match="val_fraction"):
        CorpusConfig(source_dirs=[tmp_path], val_fraction=1.5)
    with pytest.raises(InputError, match=r"corpus\.json"):
        load_corpus_dataset(tmp_path)


def test_built_dataset_loads_with_datasets_and_has_both_splits(built_corpus: Path) -> None:
    from datasets import load_dataset

    manifest = json.loads((built_corpus / MANIFEST).read_text())
    files = {
        split: [str(built_corpus / name) for name in info["shards"]]
        for split, info in manifest["splits"].items()
    }
    dataset = load_dataset("json", data_files=files)
    assert set(dataset) == {"train", "validation"}
    assert len(dataset["train"]) == manifest["splits"]["train"]["documents"]
    assert len(dataset["validation"]) == manifest["splits"]["validation"]["documents"] > 0
    assert {"id", "text", "source", "kind", "name", "start_line"} <= set(
        dataset["train"].column_names
    )
    ids = list(dataset["train"]["id"]) + list(dataset["validation"]["id"])
    assert len(set(ids)) == len(ids) == manifest["statistics"]["documents"]
    assert manifest["statistics"]["total_lines"] >= 3000  # "a few thousand lines"
    assert list(iter_texts(built_corpus, "validation")) == list(dataset["validation"]["text"])


def test_build_is_deterministic_and_replaces_the_previous_build(
    tmp_path: Path, asm_sources: Path
) -> None:
    config = CorpusConfig(source_dirs=[asm_sources], val_fraction=0.2, seed=7, shard_docs=50)
    first = CorpusBuilder(config).build(tmp_path / "a")
    second = CorpusBuilder(config).build(tmp_path / "b")
    assert first["splits"] == second["splits"]
    assert len(first["splits"]["train"]["shards"]) > 1
    for name in first["splits"]["train"]["shards"] + first["splits"]["validation"]["shards"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # Another seed gives another split; a rebuild in place leaves no stale shard behind.
    reseeded = CorpusConfig(source_dirs=[asm_sources], val_fraction=0.2, seed=8)
    third = CorpusBuilder(reseeded).build(tmp_path / "a")
    assert third["splits"]["validation"] != first["splits"]["validation"]
    assert sorted(p.name for p in (tmp_path / "a").glob("*.jsonl")) == sorted(
        third["splits"]["train"]["shards"] + third["splits"]["validation"]["shards"]
    )
    records = read_jsonl(tmp_path / "a" / third["splits"]["validation"]["shards"][0])
    assert all(CorpusBuilder(reseeded).split_of(r["id"]) == "validation" for r in records)
