"""The blocking wrapper for scripts."""

from __future__ import annotations

import asyncio

from afs.models.registry import ModelSpec, create_model
from afs.models.sync import SyncChatModel, get_sync_model
from tests.support.provider_servers import ProviderServer, Reply


def _model(server: ProviderServer) -> SyncChatModel:
    spec = ModelSpec(provider="openai", model="m", base_url=server.openai_base_url)
    return SyncChatModel(create_model(spec))


def test_complete_and_stream_block(provider_server):
    provider_server.reply = Reply("STZ $10", prompt_tokens=3, completion_tokens=2)
    with _model(provider_server) as model:
        completion = model.complete("optimise", max_tokens=8)
        assert (completion.text, completion.usage.completion_tokens) == ("STZ $10", 2)
        assert "".join(model.stream("optimise")) == "STZ $10"
        assert "".join(model.stream("optimise", stop=[" $"])) == "STZ"


def test_works_inside_a_running_event_loop(provider_server):
    provider_server.reply = "from a notebook"

    async def notebook_cell() -> str:
        with _model(provider_server) as model:
            return model.complete("hi").text

    assert asyncio.run(notebook_cell()) == "from a notebook"


def test_get_sync_model_uses_the_registry(provider_server, tmp_path, monkeypatch):
    config = tmp_path / "afs.toml"
    config.write_text(f'[models.local]\nprovider = "openai"\nmodel = "m"\n'
                      f'base_url = "{provider_server.openai_base_url}"\n')
    monkeypatch.setenv("AFS_CONFIG", str(config))
    provider_server.reply = "registry"
    with get_sync_model("local") as model:
        assert model.complete("x").text == "registry"
        assert model.model.alias == "local"


def test_one_model_survives_several_event_loops(provider_server):
    provider_server.reply = "again"
    spec = ModelSpec(provider="openai", model="m", base_url=provider_server.openai_base_url)
    model = create_model(spec)
    # A script calling asyncio.run twice with the same model object.
    assert asyncio.run(model.complete("1")).text == "again"
    assert asyncio.run(model.complete("2")).text == "again"
