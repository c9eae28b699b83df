"""Code pasted inline in chat: ` / `, ` : `, `;`, backticks, a prose lead, a fence or none."""

from __future__ import annotations

import pytest

from afs.asm.extract import extract_code
from afs.models.registry import get_model

FORMS = [
    "Optimize: LDA #$00 / STA $10",
    "Optimise: LDA #$00 : STA $10",
    "Optimize: LDA #$00; STA $10",
    "Optimize this code: LDA #$00 ; STA $10",
    "Optimize: `LDA #$00 / STA $10`",
    "Optimize `LDA #$00` then `STA $10`",
    "Optimize:\nLDA #$00\nSTA $10",
    "Optimize:\n```\nLDA #$00 / STA $10\n```",
    "LDA #$00 / STA $10",
]


@pytest.mark.parametrize("request_text", FORMS)
def test_every_inline_form_gives_the_two_statements(request_text):
    assert extract_code(request_text).split("\n") == ["LDA #$00", "STA $10"]


@pytest.mark.parametrize("request_text", FORMS)
async def test_din_rewrites_every_inline_form(request_text):
    answer = await get_model("din").complete(request_text)
    assert "stz $10" in answer.text.lower(), answer.text


@pytest.mark.parametrize(("text", "code"), [
    ("LDA #$00 ; clear A\nSTA $10", "LDA #$00 ; clear A\nSTA $10"),    # a comment stays
    ("```asm\nLDA #$00 ; STA $10\n```", "LDA #$00 ; STA $10"),          # in a fence ; comments
    ("LDA #$10/2", "LDA #$10/2"),                                       # division
    ("Store it: LDA #$00 and then store it", None),                     # prose
    ("We should AND the value; then store it", None),
])
def test_what_is_not_an_inline_separator(text, code):
    assert extract_code(text) == code
