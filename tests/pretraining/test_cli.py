"""`afs corpus` and `afs pretrain` end to end, and bad input exiting 2 with a location."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from afs.cli.main import app
from afs.pretraining.synthetic import generate_assembly_corpus

runner = CliRunner()


def _run(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return json.loads(result.stdout)


def test_corpus_tokenizer_train_embed_query_chain(tmp_path: Path, _isolated_afs_state) -> None:
    sources = tmp_path / "src"
    generate_assembly_corpus(sources, files=5, seed=11)
    (sources / "notes.md").write_text("# DMA\n\nChannel 0 copies graphics to VRAM.\n")

    built = _run("corpus", "build", "--source", str(sources), "--val-fraction", "0.2")
    corpus = Path(built["output"])
    assert corpus == _isolated_afs_state / "pretraining" / "corpus"  # the default location
    assert built["statistics"]["by_extension"][".md"]["files"] == 1
    assert built["splits"]["validation"]["documents"] > 0

    stored = _run("corpus", "stats", str(corpus))
    assert stored["statistics"] == built["statistics"]
    scanned = _run("corpus", "stats", str(sources))
    assert scanned["statistics"]["total_lines"] == built["statistics"]["total_lines"]
    assert scanned["splits"] is None

    tokenizer = _run("pretrain", "tokenizer", "--vocab-size", "1024")
    assert Path(tokenizer["output"]) == _isolated_afs_state / "pretraining" / "tokenizer"
    assert "<INVOKE_EXPERT:din>" in tokenizer["special_tokens"]

    trained = _run("pretrain", "train", "--preset", "tiny", "--max-steps", "3", "--eval-every", "3")
    assert trained["global_step"] == 3
    assert trained["history"][0]["step"] == 0 and trained["history"][-1]["step"] == 3
    again = _run("pretrain", "train", "--preset", "tiny", "--max-steps", "4")
    assert again["resumed_from_step"] == 3 and again["global_step"] == 4

    index = _run("pretrain", "embed")
    assert index["count"] == built["statistics"]["documents"]
    hits = _run("pretrain", "query", "LDA.b #$80 : STA.w $2115", "-k", "2")
    assert len(hits) == 2 and hits[0]["score"] >= hits[1]["score"]


def test_bad_input_exits_2_naming_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    result = subprocess.run(
        [sys.executable, "-m", "afs", "corpus", "build", "--source", str(missing)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert f"{missing}: expected a directory of source files" in result.stderr
    assert "Traceback" not in result.stderr
    not_a_corpus = subprocess.run(
        [sys.executable, "-m", "afs", "pretrain", "tokenizer", "--corpus", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert not_a_corpus.returncode == 2
    assert "corpus.json is missing" in not_a_corpus.stderr
