"""Shared fixtures: a generated assembly corpus, built once per session, and its tokenizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from afs.pretraining import CorpusBuilder, CorpusConfig
from afs.pretraining.synthetic import generate_assembly_corpus

TEST_SEQ_LEN = 128


@pytest.fixture(scope="session")
def asm_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few thousand lines of generated, varied 65816 assembly (.asm and .s)."""
    root = tmp_path_factory.mktemp("asm_sources")
    generate_assembly_corpus(root, seed=0)
    return root


@pytest.fixture(scope="session")
def built_corpus(tmp_path_factory: pytest.TempPathFactory, asm_sources: Path) -> Path:
    """`asm_sources` built into a dataset with a 10% validation split."""
    output = tmp_path_factory.mktemp("corpus")
    config = CorpusConfig(
        source_dirs=[asm_sources], file_patterns=["*.asm", "*.s"], seq_len=TEST_SEQ_LEN,
        val_fraction=0.1, seed=0,
    )
    CorpusBuilder(config).build(output)
    return output


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory, built_corpus: Path) -> Path:
    """The domain tokenizer trained on `built_corpus`."""
    from afs.pretraining.corpus_builder import iter_texts
    from afs.pretraining.tokenizer import train_tokenizer

    output = tmp_path_factory.mktemp("tokenizer")
    train_tokenizer(iter_texts(built_corpus, "train"), vocab_size=2048, output_dir=output)
    return output
