"""The offline experts through the chat interface, and Nayru's templates on the emulator."""

from __future__ import annotations

import pytest

from afs.asm.assembler import assemble
from afs.asm.cpu import CpuState
from afs.asm.lint import lint_source
from afs.asm.machine import Machine
from afs.models.base import ModelUnavailableError
from afs.models.classical import create_classical_model, route
from afs.models.classical_experts import nayru
from afs.models.registry import ModelSpec, get_model


async def _ask(alias: str, text: str):
    return await get_model(alias).complete(text)


async def test_din_optimises_and_reports_savings() -> None:
    c = await _ask("din", "Optimize:\n```asm\nsep #$20\nLDA #$00\nSTA $10\nLDA #$00\nSTA $11\n```")
    assert c.provider == "classical" and c.finish_reason == "stop"
    assert "```asm\nsep #$20\nstz $10\nstz $11\n```" in c.text
    assert "Saved 4 bytes" in c.text and "checked equivalent" in c.text


async def test_din_keeps_registers_of_a_routine() -> None:
    c = await _ask("din", "```asm\nsep #$20\nlda #$00\nsta $10\nrts\n```")
    assert "No rewrite" in c.text      # A may be a return value: STZ would change it


async def test_farore_names_the_bug_and_fixes_it() -> None:
    c = await _ask("farore", "This crashes:\n```asm\nSub:\n  pha\n  lda #$01\n  sta $10\n"
                             "  rts\n```")
    assert "line 5, category stack_imbalance" in c.text
    fixed = c.text.split("```asm\n")[1].split("```")[0]
    assert "pla" in fixed and not lint_source(fixed).findings


async def test_farore_says_when_no_rule_applies() -> None:
    c = await _ask("farore", "```asm\nsep #$20\nlda $10\nsta $11\nrts\n```")
    assert c.text.startswith("No lint rule finds a bug") and "off_by_one" in c.text


async def test_veran_explains_each_line() -> None:
    c = await _ask("veran", "Explain:\n```asm\nrep #$20\nlda $10\nsta $2118\nrts\n```")
    lines = [ln for ln in c.text.splitlines() if ln.startswith("- line")]
    assert len(lines) == 4
    assert "16-bit A" in lines[1] and "hardware register $2118" in lines[2]
    assert "returns with RTS" in c.text


async def test_experts_refuse_plainly() -> None:
    assert "cannot write it" in (await _ask("nayru", "write a sorting routine for the sprite "
                                                     "table")).text
    assert "found none" in (await _ask("din", "make my game faster")).text
    assert "cannot answer" in (await _ask("veran", "tell me a story")).text


async def test_generalist_routes_and_stream_matches() -> None:
    assert route("optimize this\n```asm\nnop\n```") == "din"
    assert route("find the bug:\n```asm\nnop\n```") == "farore"
    assert route("write code to read the joypad") == "nayru"
    model = get_model("generalist")
    c = await model.complete("explain\n```asm\nnop\n```")
    assert c.metadata["expert"] == "veran"
    chunks = [chunk async for chunk in model.stream("explain\n```asm\nnop\n```")]
    assert "".join(chunks) == c.text


async def test_stop_and_max_tokens() -> None:
    model = get_model("nayru")
    c = await model.complete("wait for vblank", stop=["plp"])
    assert "plp" not in c.text and "lda $4212" in c.text
    c = await model.complete("wait for vblank", max_tokens=5)
    assert c.finish_reason == "length" and len(c.text.split(" ")) == 5


def test_unknown_expert_is_unavailable() -> None:
    with pytest.raises(ModelUnavailableError):
        create_classical_model(ModelSpec(provider="classical", model="zelda"))


def _run(code: str, io=None) -> object:
    asm = assemble(code, base=0x008000)
    machine = Machine()
    machine.load_program([(s.address, bytes(s.data)) for s in asm.segments])
    machine.cpu.load_state(CpuState(s=0x01FF, p=0x34, pc=0x8000))
    if io is not None:
        machine.memory._slow_read = io      # hardware reads for the polling templates
    return machine.run(max_instructions=100_000)


REQUESTS = {
    "DMA to VRAM": "DMA $1000 bytes from $7F8000 to VRAM $4000 using channel 1",
    "palette upload (CGRAM DMA)": "upload a palette of 32 bytes from $7EC500 to cgram colour 16",
    "joypad read": "read joypad 1 and store it at $F4",
    "memory fill (MVN)": "fill $200 bytes at $7E3000 with $FF",
    "memory copy (MVN)": "copy $40 bytes from $7E2000 to $7F1000",
    "OAM entry write": "write OAM entry 5 with x=$40 y=$30 tile $24 attr $32",
    "wait for vblank": "wait for vblank",
}


def test_every_template_is_requested() -> None:
    assert {t.name for t in nayru.TEMPLATES} == set(REQUESTS)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_template_lints_clean(name: str) -> None:
    template = nayru.pick(REQUESTS[name])
    assert template is not None and template.name == name
    code, _ = template.build(nayru.Params(REQUESTS[name]))
    assert lint_source(code).findings == []


def _code(name: str) -> str:
    return nayru.pick(REQUESTS[name]).build(nayru.Params(REQUESTS[name]))[0]


def test_vram_dma_programs_the_channel() -> None:
    r = _run(_code("DMA to VRAM"))
    io = [(a, v) for a, v, _ in r.io_writes]
    assert io == [(0x2115, 0x80), (0x2116, 0x00), (0x2117, 0x40), (0x4310, 0x01),
                  (0x4311, 0x18), (0x4312, 0x00), (0x4313, 0x80), (0x4314, 0x7F),
                  (0x4315, 0x00), (0x4316, 0x10), (0x420B, 0x02)]


def test_palette_dma_programs_cgram() -> None:
    io = [(a, v) for a, v, _ in _run(_code("palette upload (CGRAM DMA)")).io_writes]
    assert io[0] == (0x2121, 16) and (0x4301, 0x22) in io and (0x4305, 32) in io
    assert io[-1] == (0x420B, 0x01)


def test_fill_and_copy_move_the_bytes() -> None:
    r = _run(_code("memory fill (MVN)"))
    assert all(r.final_memory(0x7E3000 + k) == 0xFF for k in range(0x200))
    assert r.final_memory(0x7E3200) != 0xFF or 0x7E3200 not in r.written()
    code = _code("memory copy (MVN)")
    asm = assemble(code, base=0x008000)
    machine = Machine()
    machine.load_program([(s.address, bytes(s.data)) for s in asm.segments])
    machine.set_memory({0x7E2000 + k: k + 1 for k in range(0x40)})
    machine.cpu.load_state(CpuState(s=0x01FF, p=0x34, pc=0x8000))
    r = machine.run()
    assert [r.final_memory(0x7F1000 + k) for k in range(0x40)] == list(range(1, 0x41))


def test_joypad_and_vblank_poll_hardware() -> None:
    reads = iter([0x01, 0x01, 0x00, 0x34, 0x12])
    r = _run(_code("joypad read"), io=lambda a: next(reads))
    assert (r.final_memory(0xF4), r.final_memory(0xF5)) == (0x34, 0x12)
    flags = iter([0x80, 0x80, 0x00, 0x00, 0x80])
    r = _run(_code("wait for vblank"), io=lambda a: next(flags))
    assert r.stop_reason == "rts" and r.instructions > 6


def test_oam_entry_lands_in_the_buffer() -> None:
    r = _run(_code("OAM entry write"))
    assert [r.final_memory(0x7E0814 + k) for k in range(4)] == [0x40, 0x30, 0x24, 0x32]
