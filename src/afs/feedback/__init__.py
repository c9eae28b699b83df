"""Continuous learning: a durable inference log, feedback joined to it, samplers that turn
rated answers into SFT/DPO/KTO data, and gated periodic retraining.

    from afs.feedback import InferenceLogger, FeedbackCollector
    logger = InferenceLogger(log_dir=Path("inference_logs"))
    record_id = logger.log(prompt="...", response="...", model="din-v3")
    FeedbackCollector(logger).record_feedback(record_id, score=1.0, text="Good optimization")
"""

from afs.feedback.collector import Example, Feedback, FeedbackCollector
from afs.feedback.importer import ImportResult, export_lines, import_jsonl
from afs.feedback.logger import InferenceLogger, LogRecord, SearchHit
from afs.feedback.retrainer import PeriodicRetrainer, RetrainConfig, RetrainJob
from afs.feedback.sampler import build_dataset, uncertainty_queue

__all__ = [
    "Example",
    "Feedback",
    "FeedbackCollector",
    "ImportResult",
    "InferenceLogger",
    "LogRecord",
    "PeriodicRetrainer",
    "RetrainConfig",
    "RetrainJob",
    "SearchHit",
    "build_dataset",
    "export_lines",
    "import_jsonl",
    "uncertainty_queue",
]
