"""Code search: address normalisation, verified clones, BM25, the benchmark generator."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

from afs.errors import InputError
from afs.pretraining.bm25 import BM25, search_terms
from afs.pretraining.clones import make_clone, parse_code, read_constants, render, verify_clone
from afs.pretraining.codesearch import build_benchmark, evaluate, training_pairs
from afs.pretraining.parsers import DisassemblyParser, LineKind, classify, strip_address
from afs.pretraining.routine_text import code_only, descriptions, label_words
from afs.pretraining.search import fuse, query_kind, rank_of, retrieval_metrics, top_k
from afs.pretraining.translation import TermTranslation

# Written for these tests (usdasm's layout: an address before every line).
PREFIXED = """\
; Takes a heart of health away from Link
Link_LoseHealth:
#_07A000: LDA.l $7EF36D
#_07A004: SEC
#_07A005: SBC.b #$08
#_07A007: STA.l $7EF36D
#_07A00B: RTS

HealthTable:
""" + "".join(f"#_07A{0x10 + i:03X}: dw ${i:04X}\n" for i in range(40))

ROUTINE = """\
Refill_Meters:
  LDA.w $0EF0,X
  ASL A
  STA.b $00
  STZ.w $0B89,X
  STZ.w $0B8A,X
  LDA.b #$01
  STA.w VMAIN
  JSR Helper_Sub
.done
  BNE .done2
.done2
  RTS
"""
CONSTANTS = {"VMAIN": "$002115"}


def test_address_prefixes_become_metadata_and_tables_get_capped():
    assert strip_address("#_01DEA0: dw $191C") == ("  dw $191C", "01DEA0")
    assert classify("#_01DEA0: dw $191C") is LineKind.DATA
    result = DisassemblyParser(max_table_lines=32, table_keep_lines=4).parse(PREFIXED)
    routine = next(d for d in result.documents if d.name == "Link_LoseHealth")
    assert routine.address == "07A000"
    assert "#_07A" not in routine.text and "  LDA.l $7EF36D" in routine.text
    assert result.dropped_table_lines == 36


def test_clone_is_renamed_rewritten_and_verified_equivalent():
    lines = parse_code(ROUTINE)
    assert lines is not None
    clone = make_clone(lines, random.Random(3), constants=CONSTANTS, forms=1.0)
    text = render(clone.lines)
    assert "Refill_Meters" not in text and "Helper_Sub" not in text and ".done" not in text
    assert "VMAIN" in text  # constants keep their names
    assert "ASL A" not in text and ".w $0EF0" not in text  # equivalent forms
    assert verify_clone(lines, clone, constants=CONSTANTS)


def test_a_clone_that_changes_behaviour_is_rejected():
    lines = parse_code(ROUTINE)
    clone = make_clone(lines, random.Random(3), constants=CONSTANTS)
    broken = [line for line in clone.lines if line.mnemonic != "ASL"]
    assert not verify_clone(lines, type(clone)(broken, clone.renamed), constants=CONSTANTS)


def test_constants_and_descriptions():
    assert read_constants("VMAIN = $002115\nfoo: db 1\nX = 3 ; three\n") == {
        "VMAIN": "$002115", "X": "3"}
    assert label_words("Link_HandleSwordCooldown") == "link handle sword cooldown"
    text = "; Takes a heart of health away from Link\n" + ROUTINE
    assert descriptions(text, "Refill_Meters") == [
        "Takes a heart of health away from Link", "refill meters"]
    stripped = code_only(text, "Refill_Meters")
    assert "Takes" not in stripped and "Refill_Meters:" not in stripped and "RTS" in stripped
    assert descriptions("; a data table of many words here\n  db $00", "Data_Table") == []


def test_bm25_ranks_by_rare_shared_terms():
    docs = ["LDA $10\nSTA $7EF36D", "LDA $10\nSTA $20", "JSL Sprite_SpawnDynamically"]
    index = BM25.build(docs)
    scores = index.scores("STA.l $7EF36D")
    assert int(top_k(scores, 1)[0]) == 0
    assert int(top_k(index.scores("spawn a sprite"), 1)[0]) == 2
    assert "spawn" in search_terms("Sprite_SpawnDynamically")
    assert search_terms("LDA.w $0EF0,X") == ["lda", "w", "0ef0", "x"]
    assert rank_of(np.array([0.5, 0.9, 0.5]), 2) == 3  # ties count as ahead
    metrics = retrieval_metrics([1, 2, 10])
    assert metrics["recall@1"] == pytest.approx(1 / 3) and metrics["recall@5"] == pytest.approx(
        2 / 3)
    assert metrics["mrr"] == pytest.approx((1 + 0.5 + 0.1) / 3)
    # Second on the encoder but far ahead on keywords: first overall.
    fused = fuse(np.array([0.0, 0.0, 3.0]), np.array([0.6, 0.1, 0.5]))
    assert int(top_k(fused, 1)[0]) == 2


def test_query_kind_tells_code_from_prose():
    assert query_kind("LDA.l $7EF36D : SEC : SBC.b #$08") == "code"
    assert query_kind("Routine_1:\n  lda $10\n  sta $11\n.loop\n  RTS") == "code"
    assert query_kind("decrement link's health") == "prose"
    assert query_kind("link handle sword cooldown") == "prose"


def test_translation_model_links_words_to_code_that_never_spells_them(tmp_path: Path):
    pairs = [("take health away", "LDA.l $7EF36D\nSEC\nSBC.b #$08\nSTA.l $7EF36D"),
             ("restore health", "LDA.l $7EF36C\nSTA.l $7EF36D"),
             ("play a sound", "LDA.b #$2C\nSTA.w $012E"),
             ("play the sound again", "LDA.b #$1B\nSTA.w $012E"),
             ("spawn a sprite", "JSL Sprite_SpawnDynamically\nBMI .exit")]
    documents = ["LDA.l $7EF36D\nDEC A\nSTA.l $7EF36D", "LDA.b #$10\nSTA.w $012E",
                 "LDA.b $22\nSTA.b $20"]
    model = TermTranslation.build(pairs, documents)
    # Neither "health" nor "sound" occurs in any document: BM25 has nothing to go on.
    assert not BM25.build(documents).scores("health").any()
    assert int(top_k(model.scores("health"), 1)[0]) == 0
    assert int(top_k(model.scores("sound"), 1)[0]) == 1
    assert not model.scores("unheard words").any()  # unknown words add nothing
    model.save(tmp_path)
    again = TermTranslation.load(tmp_path)
    assert again is not None and np.allclose(again.scores("health"), model.scores("health"))
    assert TermTranslation.load(tmp_path / "elsewhere") is None
    # The hybrid with a translation share ranks what only the model found.
    fused = fuse(BM25.build(documents).scores("health"), translation=model.scores("health"),
                 weight=0.0, translation_weight=0.8)
    assert int(top_k(fused, 1)[0]) == 0


def test_bm25_index_round_trips(tmp_path: Path):
    index = BM25.build(["LDA $10", "STA $20", "LDA $10\nLDA $10"])
    index.save(tmp_path)
    again = BM25.load(tmp_path)
    assert np.array_equal(index.scores("LDA $10"), again.scores("LDA $10"))


@pytest.fixture(scope="module")
def small_bench(asm_sources: Path):
    # The generated corpus is small: queries from its training split, to have enough.
    return build_benchmark([asm_sources], max_clones=20, max_descriptions=20, trials=6,
                           split="train")


def test_benchmark_generator_makes_verified_queries_with_targets(small_bench):
    counts = small_bench.counts()
    assert counts["clone"] >= 5 and counts["description"] >= 5
    for query in small_bench.queries:
        target = small_bench.documents[query["target"]]
        assert target["id"] == query["target_id"] and target["split"] == "train"
        if query["kind"] == "description":
            assert query["text"] not in target["text"]  # comments and own label removed
    report = evaluate(small_bench)  # no encoder: BM25, translation and their hybrid
    assert set(report["modes"]) == {"bm25", "translation", "hybrid"}
    assert report["hybrid_weights"]["code"]["dense"] == 0
    assert 0 < report["modes"]["bm25"]["clone"]["mrr"] <= 1


def test_training_pairs_cover_both_kinds(built_corpus: Path):
    from afs.jsonl import iter_jsonl
    from afs.pretraining.corpus_builder import shard_paths

    records = [r for shard in shard_paths(built_corpus, "train") for r in iter_jsonl(shard)]
    pairs = training_pairs(records, clones_per_routine=1)
    assert len(pairs) > len(records) // 2
    assert all(query != document for query, document in pairs)


USDASM = Path(os.environ.get("AFS_USDASM", "/work/ext/usdasm"))


@pytest.mark.skipif(not (USDASM / "bank_00.asm").is_file(),
                    reason="the US disassembly is not checked out (set AFS_USDASM)")
def test_usdasm_benchmark_has_both_query_kinds():
    bench = build_benchmark([USDASM], max_clones=10, max_descriptions=10, trials=4)
    assert bench.counts()["clone"] == 10 and bench.counts()["description"] == 10
    assert all("#_" not in doc["text"][:40] for doc in bench.documents[:50])


def test_contrastive_stage_pulls_pairs_together(built_corpus: Path, tokenizer_dir: Path,
                                                tmp_path: Path):
    from afs.pretraining import EncoderPretrainer, PretrainConfig
    from afs.pretraining.contrastive import ContrastiveConfig, corpus_pairs, train_contrastive
    from afs.pretraining.embeddings import TextEncoder

    mlm = EncoderPretrainer(built_corpus, PretrainConfig(
        preset="tiny", seq_len=64, max_steps=1, output_dir=tmp_path / "mlm"),
        tokenizer=tokenizer_dir).train()
    config = ContrastiveConfig(steps=30, batch_size=8, max_length=64, lr=2e-3)
    pairs = corpus_pairs(built_corpus, config)
    result = train_contrastive(mlm["model_dir"], pairs, tmp_path / "retrieval", config)
    assert result["last_loss"] < result["first_loss"]

    # The objective at work: a training pair's query ranks its own document higher.
    probe = pairs[:16]

    def mean_rank(model_dir) -> float:
        encoder = TextEncoder(model_dir)
        queries = encoder.encode([q for q, _ in probe])
        docs = encoder.encode([d for _, d in probe])
        scores = queries @ docs.T
        return float(np.mean([rank_of(scores[i], i) for i in range(len(probe))]))

    assert mean_rank(tmp_path / "retrieval") < mean_rank(mlm["model_dir"])

    # Texts are batched by length; each row still belongs to its own text.
    encoder = TextEncoder(tmp_path / "retrieval")
    texts = [probe[0][1], "LDA $10", probe[1][1] * 3, probe[2][0]]
    together = encoder.encode(texts, batch_size=2)
    alone = np.stack([encoder.encode([text])[0] for text in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_embed_query_and_benchmark_from_the_command_line(asm_sources: Path, tmp_path: Path,
                                                         _isolated_afs_state):
    import json

    from typer.testing import CliRunner

    from afs.cli.main import app

    runner = CliRunner()

    def run(*args: str, stdin: str | None = None):
        result = runner.invoke(app, [*args, "--json"], input=stdin)
        assert result.exit_code == 0, (args, result.output, result.exception)
        return json.loads(result.stdout)

    run("corpus", "build", "--source", str(asm_sources), "--val-fraction", "0.2")
    run("pretrain", "tokenizer", "--vocab-size", "1024")
    run("pretrain", "train", "--preset", "tiny", "--max-steps", "2", "--seq-len", "128")
    tuned = run("pretrain", "contrastive", "--steps", "3", "--batch-size", "4",
                "--max-length", "64")
    assert Path(tuned["model_dir"]) == _isolated_afs_state / "pretraining" / "retrieval"
    from afs.pretraining.embeddings import TextEncoder

    # Embedded as long as the contrastive stage saw texts (the MLM context is 128).
    assert TextEncoder(tuned["model_dir"]).max_length == 64
    index = run("pretrain", "embed")
    assert Path(index["model_dir"]) == Path(tuned["model_dir"]).resolve()
    for mode in ("bm25", "dense", "translation", "hybrid"):
        hits = run("pretrain", "query", "LDA.b #$80 : STA.w $2115", "-k", "3", "--mode", mode)
        assert len(hits) == 3 and hits[0]["score"] >= hits[2]["score"]
    answers = run("pretrain", "query", "-", "-k", "2", stdin="LDA $10\nrefill the meters\n")
    assert [a["query"] for a in answers] == ["LDA $10", "refill the meters"]
    assert all(a["mode"] == "hybrid" and len(a["hits"]) == 2 for a in answers)
    report = run("pretrain", "benchmark", "--source", str(asm_sources), "--clones", "3",
                 "--descriptions", "3", "--tune-fraction", "0.5",
                 "--output", str(tmp_path / "report.json"))
    assert set(report["modes"]) == {"bm25", "dense", "translation", "hybrid"}
    assert set(report["tuning"]) == set(report["modes"]) and report["translation_pairs"] > 0
    assert report["tuning_queries"] >= 1
    assert set(report["hybrid_weights"]) == {"code", "prose"}
    stored = json.loads((_isolated_afs_state / "pretraining" / "embeddings" /
                         "index.json").read_text())
    assert stored["hybrid_weights"] == report["hybrid_weights"]
    assert json.loads((tmp_path / "report.json").read_text()) == report
    _query_server_answers_for_the_cli(run, _isolated_afs_state)


def _query_server_answers_for_the_cli(run, state: Path) -> None:
    import threading
    import time

    from afs.cli.main import run as cli
    from afs.pretraining.query_server import QueryServer, ask, server_file

    index = state / "pretraining" / "embeddings"
    local = run("pretrain", "query", "LDA $10", "-k", "2", "--no-server")
    server = QueryServer(index)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server_file().is_file() and time.monotonic() < deadline:
            time.sleep(0.05)
        answers = run("pretrain", "query", "-", "-k", "2", stdin="LDA $10\nrefill the meters\n")
        assert [a["served"] for a in answers] == [True, True]
        assert [h["row"] for h in answers[0]["hits"]] == [h["row"] for h in local]
        assert ask("LDA $10", 2, None, state / "elsewhere") is None  # another index
        with pytest.raises(InputError, match="mode must be one of"):
            ask("LDA $10", 2, "nonsense", index)
        assert cli(["pretrain", "query", "LDA $10", "--mode", "nonsense"]) == 2
    finally:
        server.shutdown()
        thread.join(timeout=30)
    assert not server_file().exists()
    # No server any more: the CLI answers by itself.
    answers = run("pretrain", "query", "-", "-k", "2", stdin="LDA $10\nSTA $20\n")
    assert [a["served"] for a in answers] == [False, False]
