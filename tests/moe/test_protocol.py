from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from afs.moe.protocol import InvocationEvent, InvocationParser, TextEvent, parse_invocations

TRANSCRIPT = ("Let me ask Din.\n<INVOKE_EXPERT:din>Optimize:\nLDA #$00\nSTA $10"
              "</INVOKE_EXPERT> and then <INVOKE_EXPERT:veran>Explain STZ</INVOKE_EXPERT>done")


def _collapse(events):
    """Merge adjacent text events (chunking may split text anywhere)."""
    out = []
    for event in events:
        if isinstance(event, TextEvent) and out and isinstance(out[-1], TextEvent):
            out[-1] = TextEvent(out[-1].text + event.text)
        else:
            out.append(event)
    return out


def test_whole_text():
    assert parse_invocations(TRANSCRIPT) == [
        TextEvent("Let me ask Din.\n"),
        InvocationEvent("din", "Optimize:\nLDA #$00\nSTA $10"),
        TextEvent(" and then "),
        InvocationEvent("veran", "Explain STZ"),
        TextEvent("done"),
    ]


@given(st.lists(st.integers(min_value=1, max_value=len(TRANSCRIPT) - 1), max_size=30))
def test_any_chunking_gives_the_same_events(cuts):
    points = sorted(set(cuts))
    chunks = [TRANSCRIPT[a:b] for a, b in zip([0, *points], [*points, len(TRANSCRIPT)],
                                              strict=True)]
    parser = InvocationParser()
    events = [e for chunk in chunks for e in parser.feed(chunk)] + parser.finish()
    assert _collapse(events) == parse_invocations(TRANSCRIPT)


def test_byte_by_byte_never_leaks_a_partial_tag():
    parser = InvocationParser()
    texts = []
    for char in TRANSCRIPT:
        texts += [e.text for e in parser.feed(char) if isinstance(e, TextEvent)]
    assert not any("<INVOKE" in t or "</INV" in t for t in texts)


def test_invocation_cut_by_stop_sequence_is_complete_at_finish():
    parser = InvocationParser()
    events = parser.feed("Sure. <INVOKE_EXPERT:nayru>Write a joypad read")
    assert events == [TextEvent("Sure. ")]
    assert parser.inside_invocation
    assert parser.finish() == [InvocationEvent("nayru", "Write a joypad read")]


def test_nested_and_bad_names_are_errors():
    nested = parse_invocations("<INVOKE_EXPERT:din>a <INVOKE_EXPERT:veran>b</INVOKE_EXPERT>")
    assert nested[0].error and "nested" in nested[0].error
    bad = parse_invocations("<INVOKE_EXPERT:Din Optimizer>x</INVOKE_EXPERT>")
    assert bad[0].error == "invalid expert name 'Din Optimizer'"


def test_lookalike_text_passes_through():
    text = "compare a < b and <INVOKE not a tag " + "x" * 100
    events = _collapse(parse_invocations(text))
    assert events == [TextEvent(text)]


def test_random_fuzz_never_loses_text():
    rng = random.Random(7)
    alphabet = ["<", ">", "/", "INVOKE_EXPERT:", "din", "</INVOKE_EXPERT>", "a", "\n"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        events = parse_invocations(text)
        rebuilt = "".join(e.text if isinstance(e, TextEvent) else "" for e in events)
        if not any(isinstance(e, InvocationEvent) for e in events):
            assert rebuilt == text
