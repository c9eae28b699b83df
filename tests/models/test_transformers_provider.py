"""The local Hugging Face backend on a tiny random Llama built in the test."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the transformers backend needs the train extra")
transformers = pytest.importorskip("transformers")

from afs.models.base import ModelUnavailableError  # noqa: E402
from afs.models.registry import ModelSpec, create_model  # noqa: E402

# The vocabulary: a few 65816 words plus the transcript cues the backend writes.
VOCABULARY = "LDA STA STZ REP SEP RTS BRK #$00 #$20 $10 $11 user: assistant: system:"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide Llama and a word-level tokenizer: random, tiny, fast."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    path = tmp_path_factory.mktemp("tiny-llama")
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.WordLevelTrainer(special_tokens=["<unk>", "<s>", "</s>"])
    tokenizer.train_from_iterator([VOCABULARY] * 4, trainer)
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="<unk>", bos_token="<s>", eos_token="</s>")
    fast.save_pretrained(path)
    config = transformers.LlamaConfig(
        vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
        bos_token_id=1, eos_token_id=2)
    torch.manual_seed(0)
    transformers.LlamaForCausalLM(config).save_pretrained(path)
    return path


def _reference(checkpoint: Path, prompt: str, max_new_tokens: int) -> tuple[str, int]:
    """Greedy generation straight through transformers, to compare against."""
    tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint)
    model = transformers.AutoModelForCausalLM.from_pretrained(checkpoint).eval()
    text = f"user: {prompt}\nassistant:"
    inputs = tokenizer(text, return_tensors="pt")
    output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                            pad_token_id=tokenizer.eos_token_id)
    new = output[0, inputs["input_ids"].shape[1]:]
    return tokenizer.decode(new, skip_special_tokens=True), inputs["input_ids"].shape[1]


async def test_greedy_completion_matches_transformers(checkpoint):
    model = create_model(ModelSpec(provider="transformers", model=str(checkpoint)))
    completion = await model.complete("LDA #$00", max_tokens=12)
    expected, prompt_tokens = _reference(checkpoint, "LDA #$00", 12)
    assert completion.text == expected
    assert completion.usage.prompt_tokens == prompt_tokens
    assert 0 < completion.usage.completion_tokens <= 12
    assert completion.provider == "transformers"


async def test_stream_matches_complete_and_honours_stop(checkpoint):
    model = create_model(ModelSpec(provider="transformers", model=str(checkpoint)))
    full = (await model.complete("STA $10", max_tokens=12)).text
    streamed = "".join([c async for c in model.stream("STA $10", max_tokens=12)])
    assert streamed.strip() == full.strip()
    words = full.split()
    assert len(words) >= 3, "the random model should produce a few words"
    stop = words[2]
    cut = full[: full.find(stop)]
    assert (await model.complete("STA $10", max_tokens=12, stop=[stop])).text == cut
    streamed = "".join([c async for c in model.stream("STA $10", max_tokens=12, stop=[stop])])
    assert streamed.strip() == cut.strip()


async def test_seeded_sampling_is_reproducible(checkpoint):
    model = create_model(ModelSpec(provider="transformers", model=str(checkpoint)))
    first = await model.complete("REP #$20", max_tokens=10, temperature=1.0, seed=11)
    again = await model.complete("REP #$20", max_tokens=10, temperature=1.0, seed=11)
    assert first.text == again.text


async def test_missing_checkpoint_is_unavailable(tmp_path):
    model = create_model(ModelSpec(provider="transformers", model=str(tmp_path / "nothing")))
    with pytest.raises(ModelUnavailableError, match="cannot load checkpoint"):
        await model.complete("x")
