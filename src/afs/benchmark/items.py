"""Benchmark items: the spec's format plus what verification needs, and dataset loading.

Every item has `id, category, difficulty, code, expected_output, metadata{description,
task}`. Each domain adds its own proof material:

* din: `live_out`, `preconditions`, `reference_metrics` (cycles and bytes of `code` and of
  `expected_output`);
* farore: `bug{category, line, description}` and `test` (a behaviour test, below);
* nayru: `spec` (a behaviour test the answer must pass); `code` holds the task's context;
* veran: `rubric{concepts[{name, synonyms, weight}], wrong_claims[{claim, patterns,
  penalty}]}`.

A behaviour test is `{"cases": [{"init": {register: value}, "memory": {addr: byte},
"expect": {"registers": {...}, "flags": {...}, "memory": {addr: byte},
"io": {addr: [values written in order]}}}], "max_instructions": N}`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from afs.errors import InputError
from afs.jsonl import iter_jsonl

Domain = Literal["din", "farore", "nayru", "veran"]
DOMAINS: tuple[str, ...] = ("din", "farore", "nayru", "veran")

CATEGORIES: dict[str, tuple[str, ...]] = {
    "din": ("redundant_loads", "register_mode", "branch_optimization", "increment_decrement",
            "loop_optimization", "multiplication", "addressing_mode", "16bit_optimization",
            "stack_optimization", "dead_code", "strength_reduction"),
    "farore": ("mode_mismatch", "stack_imbalance", "branch_range", "dma_issues",
               "register_corruption", "carry_flag", "vblank_timing", "interrupt_handling",
               "addressing_mode", "comparison_logic", "loop_termination", "16bit_operations",
               "off_by_one", "pointer_bugs", "timing_issues", "bank_boundary", "flag_state",
               "initialization", "signed_arithmetic", "memory_access", "subroutine_call",
               "bit_manipulation"),
    "nayru": ("generation", "basic_ops", "link_state", "sprite_oam", "ppu_registers",
              "dma_channels", "joypad", "intermediate_ops", "advanced_ops", "alttp_specific"),
    "veran": ("explanation", "instruction", "pattern", "asar_address_operators", "asar_labels",
              "asar_data_directives", "hardware_register", "advanced_pattern", "alttp_pattern",
              "complete_routine", "oracle_docs"),
}
MINIMUM_COUNTS = {"din": 130, "farore": 130, "nayru": 130, "veran": 130}


class ItemMetadata(BaseModel):
    model_config = ConfigDict(extra="allow")

    description: str
    task: str
    #: din: what the optimisation must not worsen and is scored on
    objective: Literal["cycles", "bytes"] = "cycles"
    #: the request shown to the model (nayru's task text); a domain default otherwise
    request: str | None = None


class Expectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registers: dict[str, int] = Field(default_factory=dict)
    flags: dict[str, int] = Field(default_factory=dict)
    memory: dict[str, int] = Field(default_factory=dict)
    io: dict[str, list[int]] = Field(default_factory=dict)


class TestCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    init: dict[str, int] = Field(default_factory=dict)
    memory: dict[str, int] = Field(default_factory=dict)
    expect: Expectation


class BehaviourTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cases: list[TestCase] = Field(min_length=1)
    max_instructions: int = 20_000


class Bug(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str
    line: int = Field(ge=1)
    description: str


class Concept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    synonyms: list[str] = Field(min_length=1)
    weight: float = 1.0


class WrongClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claim: str
    patterns: list[str] = Field(min_length=1)
    penalty: float = 0.5


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")

    concepts: list[Concept] = Field(min_length=1)
    wrong_claims: list[WrongClaim] = Field(default_factory=list)


class BenchmarkItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    domain: Domain
    category: str
    difficulty: int = Field(ge=1, le=3)
    code: str
    expected_output: str
    metadata: ItemMetadata
    # din
    live_out: str | None = None
    preconditions: dict[str, int] = Field(default_factory=dict)
    reference_metrics: dict[str, dict[str, float]] | None = None
    # farore
    bug: Bug | None = None
    test: BehaviourTest | None = None
    # nayru
    spec: BehaviourTest | None = None
    # veran
    rubric: Rubric | None = None

    def model_post_init(self, _: Any) -> None:
        if self.category not in CATEGORIES[self.domain]:
            raise ValueError(f"category {self.category!r} is not a {self.domain} category")
        needed = {"din": ("live_out", "reference_metrics"), "farore": ("bug", "test"),
                  "nayru": ("spec",), "veran": ("rubric",)}[self.domain]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.domain} items need {', '.join(missing)}")


def parse_item(data: dict[str, Any], *, path: Path | str = "<item>", line: int | None = None
               ) -> BenchmarkItem:
    try:
        return BenchmarkItem.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in error["loc"]) or "item"
        raise InputError(f"{where}: {error['msg']}", path=path, line=line) from None


def dataset_file(path: str | Path, domain: str) -> Path:
    """`benchmarks/` → `benchmarks/<domain>/benchmark.jsonl`; a domain dir or a file as is."""
    path = Path(path)
    if path.is_file():
        return path
    for candidate in (path / domain / "benchmark.jsonl", path / "benchmark.jsonl"):
        if candidate.is_file():
            return candidate
    raise InputError(f"no {domain} benchmark under {path} (expected {domain}/benchmark.jsonl)")


def load_items(path: str | Path, domain: str | None = None) -> list[BenchmarkItem]:
    """Read a benchmark JSONL; errors name the file, line and field."""
    file = dataset_file(path, domain) if domain else Path(path)
    items = [parse_item(record, path=file, line=index)
             for index, record in enumerate(iter_jsonl(file), start=1)]
    if domain:
        wrong = [i.id for i in items if i.domain != domain]
        if wrong:
            raise InputError(f"items of another domain in a {domain} file: {wrong[:3]}",
                             path=file)
    return items


def default_dataset_dir() -> Path:
    """The shipped datasets: `benchmarks/` of the source tree."""
    return Path(__file__).resolve().parents[3] / "benchmarks"
