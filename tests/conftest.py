"""Project-wide test fixtures."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_ROOT.parent / "shared"

# Property tests. CI ("ci", the default) is derandomised: the same examples every run, so a
# submission never fails at random; failures found once are pinned with `@example` beside the
# test. `make fuzz` ("fuzz") searches at random with many more examples, and keeps what it
# finds in .hypothesis/ so the next fuzz run replays it first.
FUZZ_EXAMPLES = int(os.environ.get("AFS_FUZZ_EXAMPLES", "5000"))
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile(
    "fuzz",
    max_examples=FUZZ_EXAMPLES,
    derandomize=False,
    deadline=None,
    database=DirectoryBasedExampleDatabase(str(PROJECT_ROOT / ".hypothesis" / "fuzz")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every Hypothesis test `property`; under `fuzz`, lift per-test example caps."""
    fuzzing = settings.default.max_examples == FUZZ_EXAMPLES
    for item in items:
        test = getattr(item, "obj", None)
        if not getattr(test, "is_hypothesis_test", False):
            continue
        item.add_marker(pytest.mark.property)
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if fuzzing and own is not None and own.max_examples < FUZZ_EXAMPLES:
            # A test's own @settings(max_examples=...) is its CI budget; fuzzing overrides it.
            # Hypothesis reads the settings from this attribute when the test runs.
            test._hypothesis_internal_use_settings = settings(
                own, max_examples=FUZZ_EXAMPLES, derandomize=False,
                database=settings.default.database,
            )


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


@pytest.fixture
def snes_oracle(shared_dir: Path):
    """The bsnes reference executor (`../shared/oracle`); skips when it cannot run here."""
    sys.path.insert(0, str(shared_dir / "oracle"))
    oracle = pytest.importorskip("snes_oracle")
    ok, why = oracle.available()
    if not ok:
        pytest.skip(f"oracle unavailable: {why}")
    return oracle
