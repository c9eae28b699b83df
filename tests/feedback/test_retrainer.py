from __future__ import annotations

import json
import shlex
import sqlite3
import sys
from pathlib import Path

import pytest

from afs.errors import InputError
from afs.feedback import FeedbackCollector, PeriodicRetrainer, RetrainConfig
from afs.feedback.retrainer import command_eval_fn, command_train_fn, load_callable

HOUR = 3600.0


def _rate(logger, collector, n: int, score: float = 1.0, prefix: str = "q") -> list[str]:
    ids = []
    for i in range(n):
        rid = logger.log(f"{prefix} {i} about sprites", f"answer {i}", "din-v3", expert="din")
        collector.record_feedback(rid, score)
        ids.append(rid)
    return ids


def _trainer(calls: list | None = None, ref: str = "din-v4"):
    def train(dataset_path: Path, output_dir: Path) -> str:
        if calls is not None:
            calls.append((dataset_path, output_dir, dataset_path.read_text()))
        assert output_dir.is_dir()
        return ref
    return train


@pytest.fixture
def collector(logger):
    return FeedbackCollector(logger)


def test_check_turns_true_exactly_at_both_thresholds(logger, collector, clock):
    retrainer = PeriodicRetrainer(
        logger, RetrainConfig(min_new_samples=3, retrain_interval_hours=2), clock=clock)
    [first, *_] = _rate(logger, collector, 2)
    collector.record_feedback(first, -1.0)  # a second vote on one record is still one record
    needed, reason = retrainer.check_retrain_needed()
    assert needed is False
    assert reason == ("2 records with new feedback so far (no successful job yet) (need 3); "
                      "no previous job, so the interval has passed")
    _rate(logger, collector, 1, prefix="third")
    assert retrainer.check_retrain_needed()[0] is True

    job = retrainer.run_retrain_cycle(train_fn=_trainer())
    assert job.status == "unevaluated" and job.succeeded
    assert job.new_feedback_records == 3
    needed, reason = retrainer.check_retrain_needed()
    assert needed is False
    assert reason.startswith("0 records with new feedback since the last successful job")

    _rate(logger, collector, 3, prefix="later")
    clock.advance(2 * HOUR - 1)
    needed, reason = retrainer.check_retrain_needed()
    assert needed is False
    assert "3 records with new feedback" in reason
    assert f"since job {job.id} started (need 2 h)" in reason
    clock.advance(1)
    needed, reason = retrainer.check_retrain_needed()
    assert needed is True and "2.00 h since job" in reason

    # Time alone is not enough.
    retrainer.run_retrain_cycle(train_fn=_trainer())
    _rate(logger, collector, 2, prefix="few")
    clock.advance(100 * HOUR)
    assert retrainer.check_retrain_needed()[0] is False


def test_spec_snippet_with_a_training_function(logger, collector):
    _rate(logger, collector, 100)
    retrainer = PeriodicRetrainer(logger, config=RetrainConfig(
        min_new_samples=100,
        retrain_interval_hours=168,  # 1 week
    ))
    calls: list = []
    my_training_function = _trainer(calls)
    needed, reason = retrainer.check_retrain_needed()
    assert needed, reason
    if needed:
        job = retrainer.run_retrain_cycle(train_fn=my_training_function)
    assert job.dataset_size == 100 and len(calls) == 1
    dataset_path, output_dir, text = calls[0]
    rows = [json.loads(line) for line in text.splitlines()]
    assert rows[0]["messages"][-1] == {"role": "assistant", "content": "answer 0"}
    assert Path(job.dataset_path) == dataset_path
    assert dataset_path.parent == output_dir.parent == logger.db_path.parent / "jobs" / (
        f"job-{job.id:06d}")
    # No gate: trained, recorded, not promoted, and the status says why.
    assert job.status == "unevaluated" and job.new_model == "din-v4"
    assert "no evaluation gate configured" in job.reason
    assert retrainer.current_model() is None


def test_gate_promotes_only_when_not_worse_and_records_the_numbers(logger, collector, clock):
    scores = {"din-v3": 0.60, "din-v4": 0.70, "din-v5": 0.65, "din-v6": 0.70}
    config = RetrainConfig(min_new_samples=1, retrain_interval_hours=0, base_model="din-v3",
                           eval_fn=scores.__getitem__)
    retrainer = PeriodicRetrainer(logger, config, clock=clock)
    _rate(logger, collector, 2)

    job = retrainer.run_retrain_cycle(train_fn=_trainer(ref="din-v4"))
    assert (job.status, job.base_model, job.old_score, job.new_score) == (
        "promoted", "din-v3", 0.60, 0.70)
    assert job.reason == "new score 0.7000 >= current din-v3 0.6000; promoted"
    assert retrainer.current_model() == "din-v4"

    worse = retrainer.run_retrain_cycle(train_fn=_trainer(ref="din-v5"))
    assert (worse.status, worse.base_model, worse.old_score, worse.new_score) == (
        "rejected", "din-v4", 0.70, 0.65)
    assert "new score 0.6500 < current din-v4 0.7000" in worse.reason
    assert retrainer.current_model() == "din-v4"

    equal = retrainer.run_retrain_cycle(train_fn=_trainer(ref="din-v6"))
    assert equal.status == "promoted" and retrainer.current_model() == "din-v6"

    # A gate passed to the call overrides the configured one; the numbers are in the table.
    strict = retrainer.run_retrain_cycle(train_fn=_trainer(ref="din-v7"),
                                         eval_fn=lambda ref: 0.1 if ref == "din-v7" else 0.9)
    assert strict.status == "rejected"
    conn = sqlite3.connect(logger.db_path)
    assert conn.execute("SELECT status, old_score, new_score FROM jobs ORDER BY id").fetchall() == [
        ("promoted", 0.6, 0.7), ("rejected", 0.7, 0.65), ("promoted", 0.7, 0.7),
        ("rejected", 0.9, 0.1)]


def test_gate_without_a_baseline(logger, collector):
    _rate(logger, collector, 1)
    no_baseline = PeriodicRetrainer(logger, RetrainConfig(eval_fn=lambda ref: 0.9))
    job = no_baseline.run_retrain_cycle(train_fn=_trainer())
    assert job.status == "rejected" and job.new_score == 0.9 and job.old_score is None
    assert "no current model (base_model) or min_eval_score" in job.reason

    floor = PeriodicRetrainer(logger, RetrainConfig(eval_fn=lambda ref: 0.9, min_eval_score=0.8))
    assert floor.run_retrain_cycle(train_fn=_trainer()).status == "promoted"
    too_low = PeriodicRetrainer(logger, RetrainConfig(eval_fn=lambda ref: 0.9,
                                                      min_eval_score=0.95))
    job = too_low.run_retrain_cycle(train_fn=_trainer())
    assert job.status == "rejected" and "< min_eval_score 0.9500" in job.reason


def test_a_failed_job_is_recorded_and_does_not_reset_the_schedule(logger, collector, clock):
    config = RetrainConfig(min_new_samples=2, retrain_interval_hours=24)
    retrainer = PeriodicRetrainer(logger, config, clock=clock)
    _rate(logger, collector, 2)

    def broken(dataset_path: Path, output_dir: Path) -> str:
        raise RuntimeError("CUDA out of memory")

    job = retrainer.run_retrain_cycle(train_fn=broken)
    assert job.status == "failed" and job.error == "RuntimeError: CUDA out of memory"
    assert job.dataset_size == 2 and job.finished_at == clock.now
    assert retrainer.last_successful_job() is None
    assert retrainer.check_retrain_needed()[0] is True

    nan_gate = retrainer.run_retrain_cycle(train_fn=_trainer(),
                                           eval_fn=lambda ref: float("nan"))
    assert nan_gate.status == "failed" and "must return a finite number" in nan_gate.error
    blank = retrainer.run_retrain_cycle(train_fn=_trainer(ref=" "))
    assert blank.status == "failed" and "must return the new model" in blank.error
    assert retrainer.check_retrain_needed()[0] is True
    assert [j.status for j in retrainer.jobs()] == ["failed"] * 3


def test_an_empty_dataset_fails_without_training(logger, collector):
    _rate(logger, collector, 2, score=-1.0)
    calls: list = []
    job = PeriodicRetrainer(logger).run_retrain_cycle(train_fn=_trainer(calls))
    assert job.status == "failed" and "dataset is empty" in job.error
    assert calls == [] and job.dataset_size == 0


def test_feedback_arriving_during_training_counts_for_the_next_job(logger, collector):
    _rate(logger, collector, 2)
    late = logger.log("late question", "late answer", "din-v3")
    retrainer = PeriodicRetrainer(logger, RetrainConfig(min_new_samples=1,
                                                        retrain_interval_hours=0))

    def train(dataset_path: Path, output_dir: Path) -> str:
        collector.record_feedback(late, 1.0)
        return "din-v4"

    job = retrainer.run_retrain_cycle(train_fn=train)
    assert job.dataset_size == 2  # the dataset is exactly what the watermark says
    needed, reason = retrainer.check_retrain_needed()
    assert needed and reason.startswith("1 records with new feedback since")


def test_an_interrupt_is_recorded_and_re_raised(logger, collector):
    _rate(logger, collector, 1)
    retrainer = PeriodicRetrainer(logger)

    def interrupted(dataset_path: Path, output_dir: Path) -> str:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        retrainer.run_retrain_cycle(train_fn=interrupted)
    [job] = retrainer.jobs()
    assert job.status == "failed" and job.error == "interrupted"


def test_command_train_and_eval_functions(logger, collector, tmp_path):
    _rate(logger, collector, 3)
    script = tmp_path / "train.py"
    script.write_text(
        "import pathlib, sys\n"
        "rows = pathlib.Path(sys.argv[1]).read_text().splitlines()\n"
        "out = pathlib.Path(sys.argv[2]); (out / 'weights.txt').write_text(str(len(rows)))\n"
        "print('training done'); print(out / 'merged')\n"
    )
    train = command_train_fn(f"{shlex.quote(sys.executable)} {script} {{dataset}} {{output}}")
    score = command_eval_fn(
        f"{shlex.quote(sys.executable)} -c \"import sys; print(0.9 if 'merged' in sys.argv[1] "
        f"else 0.5)\" {{model}}")
    retrainer = PeriodicRetrainer(logger, RetrainConfig(base_model="din-v3"))
    job = retrainer.run_retrain_cycle(train_fn=train, eval_fn=score)
    assert job.status == "promoted" and job.new_model.endswith("model/merged")
    assert (job.old_score, job.new_score) == (0.5, 0.9)
    assert (Path(job.dataset_path).parent / "model" / "weights.txt").read_text() == "3"

    failing = command_train_fn(f"{shlex.quote(sys.executable)} -c "
                               "\"import sys; sys.exit('no GPU found')\"")
    job = retrainer.run_retrain_cycle(train_fn=failing)
    assert job.status == "failed" and "exited with 1: no GPU found" in job.error
    with pytest.raises(InputError, match="placeholders are"):
        command_train_fn("train {datset}")(Path("d"), Path("o"))
    with pytest.raises(InputError, match="placeholders are"):
        command_eval_fn("eval {}")("m")


def test_load_callable():
    assert load_callable("json:dumps") is json.dumps
    assert load_callable("os.path:join.__call__") is not None
    for bad, message in [("json", "expected module:function"),
                         ("no_such_module_xyz:f", "cannot import"),
                         ("json:nope", "has no attribute"),
                         ("json:__doc__", "is not callable")]:
        with pytest.raises(InputError, match=message):
            load_callable(bad)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_new_samples": -1}, "min_new_samples must be a non-negative integer"),
        ({"min_new_samples": 1.5}, "min_new_samples must be a non-negative integer"),
        ({"retrain_interval_hours": -2}, "retrain_interval_hours must be a non-negative"),
        ({"quality_threshold": 2}, r"quality_threshold must be in \[0, 1\]"),
        ({"dataset_format": "csv"}, "dataset_format must be one of sft, dpo, kto"),
        ({"max_samples": 0}, "max_samples must be at least 1"),
    ],
)
def test_config_validation(kwargs, message):
    with pytest.raises(InputError, match=message):
        RetrainConfig(**kwargs)


_HUNG_RETRAIN = """
import sys, time
from pathlib import Path
from afs.feedback import InferenceLogger, PeriodicRetrainer, RetrainConfig

def train(dataset_path, output_dir):
    Path(sys.argv[2]).write_text("training")
    time.sleep(600)
    return "never"

with InferenceLogger(sys.argv[1]) as logger:
    PeriodicRetrainer(logger, RetrainConfig(min_new_samples=1)).run_retrain_cycle(train)
"""


def test_one_retrain_at_a_time_and_a_killed_one_is_marked_failed(logger, collector, tmp_path):
    import os
    import subprocess
    import time

    from afs.feedback.retrainer import RetrainBusyError

    _rate(logger, collector, 2)
    marker = tmp_path / "training-started"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    hung = subprocess.Popen([sys.executable, "-c", _HUNG_RETRAIN, str(logger.db_path.parent),
                             str(marker)], env=env)
    try:
        for _ in range(600):  # wait for the other process to be inside its training step
            if marker.exists() or hung.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the other retrain never started training"
        retrainer = PeriodicRetrainer(logger, RetrainConfig(min_new_samples=1))
        with pytest.raises(RetrainBusyError, match=r"another retrain \(job 1\) is running"):
            retrainer.run_retrain_cycle(train_fn=_trainer())
        retrainer.check_retrain_needed()
        assert [job.status for job in retrainer.jobs()] == ["running"]  # alive: left alone
    finally:
        hung.kill()
        hung.wait()

    retrainer.check_retrain_needed()
    [stale] = retrainer.jobs()
    assert stale.status == "failed" and stale.finished_at is not None
    assert "process running this job is gone" in stale.error
    job = retrainer.run_retrain_cycle(train_fn=_trainer())
    assert job.status == "unevaluated"
    assert [j.status for j in retrainer.jobs()] == ["unevaluated", "failed"]
