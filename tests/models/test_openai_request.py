"""How the OpenAI backend shapes a request for api.openai.com vs a compatible server."""

from __future__ import annotations

from afs.models.base import Message
from afs.models.registry import ModelSpec, create_model

MESSAGES = [Message("user", "hi")]
PARAMS = {"stop": ["a", "b", "c", "d", "e"], "max_tokens": 5, "seed": 1}


def test_official_reasoning_model_gets_max_completion_tokens_and_no_stop():
    model = create_model(ModelSpec(provider="openai", model="gpt-5.2"))
    request = model._request(MESSAGES, PARAMS)
    assert request["max_completion_tokens"] == 5 and "max_tokens" not in request
    assert "stop" not in request  # enforced client-side by ChatModel instead
    assert request["seed"] == 1


def test_compatible_server_gets_max_tokens_and_at_most_four_stops():
    spec = ModelSpec(provider="openai", model="gpt-5.2", base_url="http://localhost:1234/v1")
    request = create_model(spec)._request(MESSAGES, PARAMS)
    assert request["max_tokens"] == 5 and "max_completion_tokens" not in request
    assert request["stop"] == ["a", "b", "c", "d"]
