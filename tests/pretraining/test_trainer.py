"""EncoderPretrainer: the spec snippet, learning on the generated corpus, resume, embeddings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from afs.errors import InputError
from afs.pretraining import (
    CorpusBuilder,
    CorpusConfig,
    EmbeddingIndex,
    EncoderPretrainer,
    PretrainConfig,
    export_embeddings,
)
from afs.pretraining.corpus_builder import iter_texts
from afs.pretraining.synthetic import generate_assembly_corpus

from .conftest import TEST_SEQ_LEN

LEARN_STEPS = 300


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, built_corpus: Path, tokenizer_dir: Path):
    """The tiny preset trained on the generated corpus (shared by the tests below)."""
    output = tmp_path_factory.mktemp("tiny_run")
    # The corpus's documents are capped at TEST_SEQ_LEN pre-tokens; so are its blocks here.
    config = PretrainConfig(
        preset="tiny", seq_len=TEST_SEQ_LEN, max_steps=LEARN_STEPS, eval_every=100,
        save_every=LEARN_STEPS,
        output_dir=output, seed=0,
    )
    result = EncoderPretrainer(built_corpus, config, tokenizer=tokenizer_dir).train()
    return output, result


def test_spec_snippet_trains_from_a_directory_of_sources(tmp_path: Path) -> None:
    sources = tmp_path / "alttp-disassembly"
    generate_assembly_corpus(sources, files=4, seed=5)
    config = CorpusConfig(source_dirs=[sources], file_patterns=["*.asm", "*.s"])
    corpus = CorpusBuilder(config)
    stats = corpus.get_statistics()
    assert {"total_files", "total_lines", "total_chars"} <= set(stats)

    trainer = EncoderPretrainer(corpus)
    result = trainer.train()

    # Defaults: the tiny preset, one epoch, everything under $AFS_HOME/pretraining/run.
    assert result["global_step"] == result["total_steps"] >= 1
    run = Path(result["output_dir"])
    assert run.is_relative_to(tmp_path.parent) or "afs_home" in str(run)
    assert (run / "corpus" / "corpus.json").is_file()
    assert (run / "tokenizer" / "tokenizer.json").is_file()
    assert (Path(result["model_dir"]) / "config.json").is_file()
    assert np.isfinite(result["final_val_loss"])


def test_tiny_preset_learns_beyond_the_unigram_baseline(trained) -> None:
    _, result = trained
    history = result["history"]
    assert [h["step"] for h in history] == [0, 100, 200, 300]
    start, end = result["initial_val_loss"], result["final_val_loss"]
    # The loss falls well below its start, and below what token frequencies alone give:
    # the model uses context.
    assert end < 0.6 * start, (start, end)
    assert end < result["unigram_loss"] - 1.0, (end, result["unigram_loss"])
    assert result["val_accuracy"] > result["unigram_accuracy"] + 0.2, result
    assert result["tokens_per_second"] > 0
    metrics = [json.loads(line) for line in (trained[0] / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [0, 100, 200, 300]


def test_interrupted_run_resumes_and_matches_an_uninterrupted_one(
    tmp_path: Path, built_corpus: Path, tokenizer_dir: Path
) -> None:
    def config(name: str) -> PretrainConfig:
        return PretrainConfig(
            preset="tiny", max_steps=8, eval_every=4, save_every=4, log_every=1,
            output_dir=tmp_path / name, seed=1,
        )

    straight = EncoderPretrainer(built_corpus, config("a"), tokenizer=tokenizer_dir).train()

    def stop_at_5(event: dict) -> None:
        if event["event"] == "step" and event["step"] == 5:
            raise KeyboardInterrupt

    interrupted = EncoderPretrainer(built_corpus, config("b"), tokenizer=tokenizer_dir)
    with pytest.raises(KeyboardInterrupt):
        interrupted.train(stop_at_5)
    saved = sorted(p.name for p in (tmp_path / "b" / "checkpoints").iterdir())
    assert saved == ["step-00000004", "step-00000005"]

    resumed = EncoderPretrainer(built_corpus, config("b"), tokenizer=tokenizer_dir).train()
    assert resumed["resumed_from_step"] == 5
    assert resumed["global_step"] == 8
    assert [h["step"] for h in resumed["history"]] == [0, 4, 8]
    # Same seed, same data order, same masks, same RNG state: the same model.
    assert resumed["final_val_loss"] == pytest.approx(straight["final_val_loss"], abs=1e-5)
    assert resumed["initial_val_loss"] == straight["initial_val_loss"]
    # Checkpoints kept: the newest `save_total_limit` (2).
    kept = sorted(p.name for p in (tmp_path / "b" / "checkpoints").iterdir())
    assert kept == ["step-00000005", "step-00000008"]

    other_seed = EncoderPretrainer(
        built_corpus,
        PretrainConfig(preset="tiny", max_steps=8, output_dir=tmp_path / "c", seed=2),
        tokenizer=tokenizer_dir,
    ).train()
    assert other_seed["final_val_loss"] != straight["final_val_loss"]

    with pytest.raises(InputError, match="cannot resume"):
        EncoderPretrainer(
            built_corpus,
            PretrainConfig(preset="tiny", seq_len=64, max_steps=8, output_dir=tmp_path / "a"),
            tokenizer=tokenizer_dir,
        ).train()
    with pytest.raises(InputError, match="holds checkpoints"):
        EncoderPretrainer(
            built_corpus,
            PretrainConfig(preset="tiny", max_steps=8, output_dir=tmp_path / "a", resume=False),
            tokenizer=tokenizer_dir,
        ).train()


def test_data_loader_workers_do_not_change_the_run(
    tmp_path: Path, built_corpus: Path, tokenizer_dir: Path
) -> None:
    # 12 steps of 16 blocks cross an epoch boundary of the ~150-block training split: the
    # persistent workers must mask with the new epoch, exactly as the main process does.
    results = [
        EncoderPretrainer(
            built_corpus,
            PretrainConfig(preset="tiny", max_steps=12, output_dir=tmp_path / str(workers),
                           dataloader_workers=workers),
            tokenizer=tokenizer_dir,
        ).train()
        for workers in (0, 2)
    ]
    assert results[0]["final_val_loss"] == pytest.approx(results[1]["final_val_loss"], abs=1e-6)


def test_export_embeddings_and_query(trained, built_corpus: Path, tmp_path: Path) -> None:
    _, result = trained
    info = export_embeddings(result["model_dir"], built_corpus, tmp_path / "index", batch_size=16)
    texts = list(iter_texts(built_corpus, "train")) + list(iter_texts(built_corpus, "validation"))
    assert info["count"] == len(texts) and info["dim"] == 128

    index = EmbeddingIndex.load(tmp_path / "index")
    assert len(index) == len(texts)
    norms = np.linalg.norm(np.asarray(index.vectors), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)
    assert [m["text"] for m in index.metadata] == texts
    assert {"id", "source", "name", "kind", "start_line", "split"} <= set(index.metadata[0])

    # A document's own text finds itself first (cosine 1), through the model.
    target = index.metadata[7]
    hits = index.query(target["text"], k=3)
    assert hits[0].metadata["id"] == target["id"] and hits[0].score == pytest.approx(1, abs=1e-4)
    assert hits[0].score >= hits[1].score >= hits[2].score
    # The vector API needs no model; results come best first.
    by_vector = index.search(np.asarray(index.vectors[3]) * 5, k=len(index) + 10)
    assert len(by_vector) == len(index) and by_vector[0].row == 3
    with pytest.raises(InputError, match="dimension"):
        index.search(np.ones(7))
    with pytest.raises(InputError, match=r"index\.json"):
        EmbeddingIndex.load(tmp_path / "nowhere")
