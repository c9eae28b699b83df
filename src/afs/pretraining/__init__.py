"""Pre-training: corpus, domain tokenizer, MLM encoder, contrastive stage, code search.

    from afs.pretraining import CorpusBuilder, CorpusConfig, EncoderPretrainer

    corpus = CorpusBuilder(CorpusConfig(source_dirs=[Path("~/src/alttp")]))
    stats = corpus.get_statistics()
    result = EncoderPretrainer(corpus, PretrainConfig(preset="tiny")).train()

Everything loads on first use: the trainer and embeddings import torch and transformers,
and even the corpus side (numpy, tokenizers) is more than `afs pretrain query` needs when
it only asks a running query server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from afs.pretraining.codesearch import build_benchmark
    from afs.pretraining.contrastive import ContrastiveConfig, train_contrastive
    from afs.pretraining.corpus_builder import CorpusBuilder, CorpusConfig, load_corpus_dataset
    from afs.pretraining.embeddings import EmbeddingIndex, TextEncoder, export_embeddings
    from afs.pretraining.encoder_trainer import EncoderPretrainer, PretrainConfig
    from afs.pretraining.parsers import ConversationParser, DisassemblyParser, Document
    from afs.pretraining.search import CodeSearch

_LAZY = {
    "CorpusBuilder": "afs.pretraining.corpus_builder",
    "CorpusConfig": "afs.pretraining.corpus_builder",
    "load_corpus_dataset": "afs.pretraining.corpus_builder",
    "ConversationParser": "afs.pretraining.parsers",
    "DisassemblyParser": "afs.pretraining.parsers",
    "Document": "afs.pretraining.parsers",
    "EncoderPretrainer": "afs.pretraining.encoder_trainer",
    "PretrainConfig": "afs.pretraining.encoder_trainer",
    "EmbeddingIndex": "afs.pretraining.embeddings",
    "TextEncoder": "afs.pretraining.embeddings",
    "export_embeddings": "afs.pretraining.embeddings",
    "train_tokenizer": "afs.pretraining.tokenizer",
    "load_tokenizer": "afs.pretraining.tokenizer",
    "CodeSearch": "afs.pretraining.search",
    "ContrastiveConfig": "afs.pretraining.contrastive",
    "train_contrastive": "afs.pretraining.contrastive",
    "build_benchmark": "afs.pretraining.codesearch",
}

__all__ = [
    "CodeSearch",
    "ContrastiveConfig",
    "ConversationParser",
    "CorpusBuilder",
    "CorpusConfig",
    "DisassemblyParser",
    "Document",
    "EmbeddingIndex",
    "EncoderPretrainer",
    "PretrainConfig",
    "TextEncoder",
    "build_benchmark",
    "export_embeddings",
    "load_corpus_dataset",
    "load_tokenizer",
    "train_contrastive",
    "train_tokenizer",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'afs.pretraining' has no attribute {name!r}")
