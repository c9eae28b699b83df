"""`ModelSpec`: everything needed to build one chat model, as `afs.toml` declares it.

Its own module so that the providers (which read a spec) and the registry (which builds
providers from specs) both import it and neither imports the other.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from afs.models.base import Price

Provider = Literal["openai", "anthropic", "gemini", "transformers", "classical"]
PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "gemini", "transformers", "classical")

class ModelParams(BaseModel):
    """Default sampling parameters; a call's own arguments win over these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(None, gt=0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = None


class PriceSpec(BaseModel):
    """US dollars per one million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0.0)
    output: float = Field(ge=0.0)

    def to_price(self) -> Price:
        return Price(input=self.input, output=self.output)


class ModelSpec(BaseModel):
    """Everything needed to build one `ChatModel`. Holds key *names*, never keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Provider
    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key_env: tuple[str, ...] = ()
    params: ModelParams = ModelParams()
    system_prompt: str | None = None
    price: PriceSpec | None = None
    timeout: float = Field(120.0, gt=0.0, description="seconds per request")

    @field_validator("api_key_env", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            return (value,)
        return value

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/") if value else value

    def chat_model_options(self) -> dict[str, Any]:
        """The `ChatModel` constructor options this spec sets (defaults, system prompt, price)."""
        return {"defaults": self.params.model_dump(exclude_none=True),
                "system_prompt": self.system_prompt,
                "price": self.price.to_price() if self.price else None}

    def api_key(self) -> str | None:
        """The key from the first of `api_key_env` that is set, or None."""
        return next((os.environ[n] for n in self.api_key_env if os.environ.get(n)), None)
