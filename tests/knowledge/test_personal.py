"""PersonalKnowledgeGraph: facts, preferences, style rules, memories, notes, persistence."""

from __future__ import annotations

import pytest

from afs.errors import InputError
from afs.knowledge.adapters import PersonalKnowledgeGraph


def _person() -> PersonalKnowledgeGraph:
    p = PersonalKnowledgeGraph()
    p.add_fact("name", "scawful", "identity")
    p.add_fact("editor", "emacs", "tools")
    p.add_preference("65816 assembly", "like", 0.9)
    p.add_preference("meetings", "dislike", 0.7, context="before noon")
    p.add_style_rule("avoid: corporate jargon")
    p.add_style_rule("avoid: exclamation marks, basically")
    p.add_style_rule("tone: dry and precise")
    p.add_memory("Finished the sprite engine rewrite in 65816 assembly", "2024-05-01")
    return p


def test_spec_calls_and_persona_prompt() -> None:
    p = _person()
    prompt = p.export_persona_prompt()
    assert "name: scawful (identity)" in prompt
    assert prompt.index("likes 65816 assembly") < prompt.index("dislikes meetings")
    assert "- avoid: corporate jargon" in prompt and "tone: dry and precise" in prompt
    assert "2024-05-01: Finished the sprite engine rewrite" in prompt
    memory = p.nodes("memory")[0]
    assert [n.name for n in p.get_neighbors(memory.id, "mentions")] == ["65816 assembly"]


def test_bad_inputs_are_rejected() -> None:
    p = PersonalKnowledgeGraph()
    with pytest.raises(InputError, match="sentiment"):
        p.add_preference("x", "adore", 0.5)
    with pytest.raises(InputError, match="strength"):
        p.add_preference("x", "like", 1.5)
    with pytest.raises(InputError, match="style rule"):
        p.add_style_rule("never: say hi")
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        p.add_memory("x", "May 1st")


def test_context_for_prompt_picks_relevant_items() -> None:
    p = _person()
    context = p.get_context_for_prompt("write some 65816 assembly for a sprite")
    first = context.splitlines()[1]
    assert "65816 assembly" in first
    assert "meetings" not in context
    assert "avoid: corporate jargon" in context  # style always applies


def test_validate_output_reports_spans() -> None:
    p = _person()
    text = "Great news!\nWe can leverage synergies and basically ship."
    found = p.validate_output(text)
    assert [(v.matched, v.line) for v in found] == [
        ("!", 1), ("leverage", 2), ("synergies", 2), ("basically", 2)]
    for v in found:
        assert text[v.start:v.end] == v.matched
    assert found[1].column == 8
    assert p.validate_output("A dry, precise sentence.") == []


def test_load_from_notes(tmp_path) -> None:
    (tmp_path / "profile.md").write_text(
        "# Me\n\n## Facts\n- name: scawful [identity]\n- home: the desert\n\n"
        "## Preferences\n- like: ROM hacking (0.95) -- weekends\n- dislike: YAML\n\n"
        "## Style\n- avoid: emoji\n- prefer: short sentences\n\n"
        "## Journal\n- 2023-02-03: Beat the game with one heart.\n"
        "A paragraph about\nthe overworld map.\n")
    (tmp_path / "2024-01-09-notes.md").write_text("Spent the day on HDMA gradients.\n")
    p = PersonalKnowledgeGraph()
    counts = p.load_from_notes(tmp_path)
    assert counts == {"fact": 2, "preference": 2, "style_rule": 2, "memory": 3}
    dates = sorted((n.properties["date"] or "-", n.properties["text"]) for n in p.nodes("memory"))
    assert dates == [("-", "A paragraph about the overworld map."),
                     ("2023-02-03", "Beat the game with one heart."),
                     ("2024-01-09", "Spent the day on HDMA gradients.")]
    pref = p.find_nodes("preference", "ROM hacking")[0]
    assert pref.properties == {"sentiment": "like", "strength": 0.95, "context": "weekends"}
    assert p.validate_output("ok 🎉")[0].rule == "avoid: emoji"


def test_bad_note_names_file_and_line(tmp_path) -> None:
    (tmp_path / "bad.md").write_text("## Preferences\n- like: fine\n- adore: things\n")
    with pytest.raises(InputError, match=r"bad.md:3"):
        PersonalKnowledgeGraph().load_from_notes(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        PersonalKnowledgeGraph().load_from_notes(tmp_path / "missing")


def test_persistence_round_trip(tmp_path, _isolated_afs_state) -> None:
    p = _person()
    path = p.save()
    assert path == _isolated_afs_state / "knowledge" / "personal.json"
    loaded = PersonalKnowledgeGraph.load()
    assert isinstance(loaded, PersonalKnowledgeGraph)
    assert loaded.to_dict() == p.to_dict()
    assert loaded.validate_output("circle back") != []
    explicit = p.save(tmp_path / "p.json")
    assert PersonalKnowledgeGraph.load(explicit).to_dict() == p.to_dict()


def test_the_spec_example_finds_the_name_by_intent() -> None:
    personal = PersonalKnowledgeGraph()
    personal.add_fact("name", "scawful", "identity")
    personal.add_preference("65816 assembly", "like", 0.9)
    personal.add_style_rule("avoid: corporate jargon")
    context = personal.get_context_for_prompt("who am I and what do I like?")
    assert "name: scawful (identity)" in context
    assert "likes 65816 assembly" in context
    assert "avoid: corporate jargon" in context


def test_intents_call_up_the_right_kind_of_item() -> None:
    personal = PersonalKnowledgeGraph()
    personal.add_fact("name", "scawful", "identity")
    personal.add_fact("editor", "emacs", "tools")
    personal.add_preference("65816 assembly", "like", 0.9)
    personal.add_preference("meetings", "dislike", 0.8)
    personal.add_memory("shipped the sprite randomiser", "2024-05-01")
    personal.add_memory("started the ALTTP music hack", "2025-02-10")
    assert personal.intents("who am I and what do I like?") == ["identity", "likes"]
    assert personal.intents("explain DMA transfers") == []     # not about the person
    about = personal.get_context_for_prompt("tell me about myself")
    assert "scawful" in about and "emacs" not in about
    hated = personal.get_context_for_prompt("what do I hate?")
    assert "meetings" in hated and "65816" not in hated
    recent = personal.get_context_for_prompt("what did I do recently?")
    assert recent.index("music hack") < recent.index("sprite randomiser")
    assert "scawful" not in personal.get_context_for_prompt("how do I write a DMA routine?")
