"""A retrain cycle end to end: logged answers, feedback, AFS's LoRA trainer, the benchmark
gate on the old and the new model, and the job recorded in the feedback database."""

from __future__ import annotations

from afs.benchmark.gate import benchmark_eval_fn
from afs.feedback import FeedbackCollector, InferenceLogger, PeriodicRetrainer, RetrainConfig
from afs.training.retrain import make_train_fn

from .conftest import SFT_EXAMPLES, SYSTEM


def test_retrain_cycle_trains_gates_and_records(tiny_base, tmp_path):
    logger = InferenceLogger(tmp_path / "log")
    collector = FeedbackCollector(logger)
    for prompt, answer in SFT_EXAMPLES:
        record = logger.log(prompt=prompt, response=answer, model="din", expert="din",
                            system=SYSTEM)
        collector.record_feedback(record, score=1.0)
    retrainer = PeriodicRetrainer(logger, config=RetrainConfig(
        min_new_samples=len(SFT_EXAMPLES), retrain_interval_hours=0,
        base_model=str(tiny_base)))
    needed, reason = retrainer.check_retrain_needed()
    assert needed, reason

    gate_calls = []
    gate = benchmark_eval_fn(["nayru"], limit=2, max_tokens=8)

    def recorded_gate(model_ref: str) -> float:
        gate_calls.append(model_ref)
        return gate(model_ref)

    job = retrainer.run_retrain_cycle(
        train_fn=make_train_fn(str(tiny_base), name="din-test", max_steps=10, lr=1e-2),
        eval_fn=recorded_gate,
    )
    assert job.error is None, job.error
    assert job.status in ("promoted", "rejected")
    assert job.dataset_size == len(SFT_EXAMPLES)
    assert job.new_model.endswith("merged") and gate_calls == [job.new_model, str(tiny_base)]
    assert job.old_score is not None and job.new_score is not None
    needed, _ = retrainer.check_retrain_needed()
    assert not needed  # the successful job consumed the feedback
