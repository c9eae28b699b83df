from __future__ import annotations

from pathlib import Path

import pytest

from afs.feedback import InferenceLogger


class FakeClock:
    """A settable clock in Unix seconds, for exact schedule tests."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def logger(tmp_path: Path, clock: FakeClock) -> InferenceLogger:
    with InferenceLogger(tmp_path / "logs", clock=clock) as log:
        yield log
