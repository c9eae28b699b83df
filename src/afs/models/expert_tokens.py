"""The expert-invocation protocol's special tokens, shared by every layer that needs them.

A generalist hands a task to an expert by writing::

    <INVOKE_EXPERT:din>request for the expert</INVOKE_EXPERT>

and the expert's reply is injected after it as::

    <EXPERT_RESPONSE>reply</EXPERT_RESPONSE>

Tokenizers (pre-training, student fine-tuning) add these strings as special tokens.
"""

from __future__ import annotations

EXPERT_NAMES: tuple[str, ...] = ("din", "farore", "nayru", "veran")

INVOKE_PREFIX = "<INVOKE_EXPERT:"
INVOKE_CLOSE = "</INVOKE_EXPERT>"
RESPONSE_OPEN = "<EXPERT_RESPONSE>"
RESPONSE_CLOSE = "</EXPERT_RESPONSE>"


def invoke_open(expert: str) -> str:
    """The opening tag that invokes `expert`."""
    return f"{INVOKE_PREFIX}{expert}>"


SPECIAL_TOKENS: tuple[str, ...] = (
    *(invoke_open(name) for name in EXPERT_NAMES),
    INVOKE_CLOSE,
    RESPONSE_OPEN,
    RESPONSE_CLOSE,
)
