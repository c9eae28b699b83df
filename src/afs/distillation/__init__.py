"""Multi-provider distillation: teacher ensembles, diverse prompts, filters, durable data.

    from afs.distillation import TeacherEnsemble, DistillationDataGenerator

    ensemble = TeacherEnsemble.default_ensemble()
    generator = DistillationDataGenerator(ensemble)
    samples = await generator.generate_batch(count=1000)
    generator.export_training_data(Path("train.jsonl"))
"""

from afs.distillation.checkpoint import Checkpoint
from afs.distillation.data_gen import (
    DistillationDataGenerator,
    DistillationStopped,
    GenerationStats,
    PromptSpaceExhausted,
    TooManyRejections,
)
from afs.distillation.ensemble import NoTeacherAvailableError, TeacherEnsemble, TeacherReply
from afs.distillation.export import FORMATS, ExportResult, export_records
from afs.distillation.filters import FilterInput, FilterPipeline, FilterReport
from afs.distillation.prompts import DOMAINS, PromptGenerator, PromptSpec
from afs.distillation.teacher import AnthropicTeacher, GeminiTeacher, OpenAITeacher, Teacher

__all__ = [
    "DOMAINS",
    "FORMATS",
    "AnthropicTeacher",
    "Checkpoint",
    "DistillationDataGenerator",
    "DistillationStopped",
    "ExportResult",
    "FilterInput",
    "FilterPipeline",
    "FilterReport",
    "GeminiTeacher",
    "GenerationStats",
    "NoTeacherAvailableError",
    "OpenAITeacher",
    "PromptGenerator",
    "PromptSpaceExhausted",
    "PromptSpec",
    "Teacher",
    "TeacherEnsemble",
    "TeacherReply",
    "TooManyRejections",
    "export_records",
]
