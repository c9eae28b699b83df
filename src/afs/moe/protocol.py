"""The expert-invocation protocol: grammar, a streaming parser, and rendering.

Grammar (whitespace inside the request is kept verbatim)::

    invocation := "<INVOKE_EXPERT:" name ">" request "</INVOKE_EXPERT>"
    response   := "<EXPERT_RESPONSE>" reply "</EXPERT_RESPONSE>"
    name       := [a-z][a-z0-9_-]*

A generalist writes prose and invocations; generation is stopped at each closing
`</INVOKE_EXPERT>` (it is a stop sequence), the expert runs, and its reply is appended
after the invocation as a response block. A request may not contain another invocation.
Tags can arrive split across stream chunks at any byte, so the parser buffers only the
shortest suffix that could still become a tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from afs.models.expert_tokens import (
    INVOKE_CLOSE,
    INVOKE_PREFIX,
    RESPONSE_CLOSE,
    RESPONSE_OPEN,
    invoke_open,
)

_NAME = re.compile(r"[a-z][a-z0-9_-]*\Z")
_MAX_NAME = 64


@dataclass(frozen=True)
class TextEvent:
    text: str


@dataclass(frozen=True)
class InvocationEvent:
    expert: str
    request: str
    #: set when the invocation is malformed (bad name, nested invocation); the caller
    #: answers it with an error response instead of running an expert.
    error: str | None = None

    def render(self) -> str:
        return f"{invoke_open(self.expert)}{self.request}{INVOKE_CLOSE}"


Event = TextEvent | InvocationEvent


def render_response(reply: str) -> str:
    return f"{RESPONSE_OPEN}{reply}{RESPONSE_CLOSE}"


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class InvocationParser:
    """Incremental parser: `feed()` chunks, get complete events; `finish()` at the end."""

    def __init__(self) -> None:
        self._buffer = ""
        self._expert: str | None = None  # inside an invocation when set
        self._request = ""

    @property
    def inside_invocation(self) -> bool:
        return self._expert is not None

    def feed(self, chunk: str) -> list[Event]:
        self._buffer += chunk
        events: list[Event] = []
        while True:
            if self._expert is None:
                if not self._scan_text(events):
                    break
            elif not self._scan_request(events):
                break
        return events

    def _scan_text(self, events: list[Event]) -> bool:
        start = self._buffer.find(INVOKE_PREFIX)
        if start < 0:
            keep = _partial_suffix(self._buffer, INVOKE_PREFIX)
            emit = self._buffer[: len(self._buffer) - keep]
            if emit:
                events.append(TextEvent(emit))
            self._buffer = self._buffer[len(emit):]
            return False
        if start:
            events.append(TextEvent(self._buffer[:start]))
        end = self._buffer.find(">", start + len(INVOKE_PREFIX))
        if end < 0:
            if len(self._buffer) - start > len(INVOKE_PREFIX) + _MAX_NAME:
                # Not a tag after all: pass the text through.
                events.append(TextEvent(self._buffer[start:]))
                self._buffer = ""
            else:
                self._buffer = self._buffer[start:]
            return False
        self._expert = self._buffer[start + len(INVOKE_PREFIX): end]
        self._request = ""
        self._buffer = self._buffer[end + 1:]
        return True

    def _scan_request(self, events: list[Event]) -> bool:
        end = self._buffer.find(INVOKE_CLOSE)
        if end < 0:
            keep = _partial_suffix(self._buffer, INVOKE_CLOSE)
            self._request += self._buffer[: len(self._buffer) - keep]
            self._buffer = self._buffer[len(self._buffer) - keep:]
            return False
        self._request += self._buffer[:end]
        self._buffer = self._buffer[end + len(INVOKE_CLOSE):]
        events.append(self._invocation())
        return True

    def _invocation(self) -> InvocationEvent:
        expert, request = self._expert or "", self._request
        self._expert, self._request = None, ""
        error = None
        if not _NAME.match(expert):
            error = f"invalid expert name {expert!r}"
        elif INVOKE_PREFIX in request:
            error = "nested invocations are not allowed; invoke experts one at a time"
        return InvocationEvent(expert=expert, request=request.strip("\n"), error=error)

    def finish(self) -> list[Event]:
        """Flush at end of stream. An open invocation cut off by the stop sequence is complete."""
        events: list[Event] = []
        if self._expert is not None:
            self._request += self._buffer
            self._buffer = ""
            events.append(self._invocation())
        elif self._buffer:
            events.append(TextEvent(self._buffer))
            self._buffer = ""
        return events


def parse_invocations(text: str) -> list[Event]:
    """Parse a whole text at once."""
    parser = InvocationParser()
    return [*parser.feed(text), *parser.finish()]
