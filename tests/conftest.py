"""Project-wide test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_afs_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own $AFS_HOME and no user config or real API keys."""
    home = tmp_path_factory.mktemp("afs_home")
    monkeypatch.setenv("AFS_HOME", str(home))
    monkeypatch.setenv("AFS_CONFIG", str(home / "no-such-afs.toml"))
    for var in (
        "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "CLAUDE_API_KEY",
        "ANTHROPIC_API_KEY", "AFS_GATEWAY_KEY",
    ):
        monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` beside the checkout; tests that need it skip cleanly on a user's clone."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} is absent (it exists only in the AFS development workspace)")
    return SHARED_DIR
