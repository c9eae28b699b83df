"""Every module path and name the Phase 2 spec's examples use exists (the spec is a contract)."""

from __future__ import annotations

import importlib

import pytest

SPEC_NAMES = {
    "afs.knowledge.graph_core": ["KnowledgeGraph", "GraphNode", "GraphEdge", "GraphConstraint"],
    "afs.knowledge.adapters": ["ALTTPKnowledgeGraph", "PersonalKnowledgeGraph"],
    "afs.knowledge.adapters.alttp_adapter": ["ALTTPKnowledgeGraph"],
    "afs.knowledge.adapters.personal_adapter": ["PersonalKnowledgeGraph"],
    "afs.pretraining": ["CorpusBuilder", "CorpusConfig", "EncoderPretrainer"],
    "afs.pretraining.corpus_builder": ["DisassemblyParser", "ConversationParser"],
    "afs.pretraining.encoder_trainer": ["EncoderPretrainer"],
    "afs.moe.generalist": ["GeneralistModel", "ExpertToken", "InvocationDataGenerator"],
    "afs.moe.fusion": ["ExpertFusion", "ExpertOutput", "FusionStrategy", "FusionConfig"],
    "afs.moe.critic_loop": ["CriticLoop", "FaroreCritic", "create_din_farore_loop"],
    "afs.feedback": ["InferenceLogger", "FeedbackCollector", "PeriodicRetrainer",
                     "RetrainConfig"],
    "afs.feedback.logger": ["InferenceLogger"],
    "afs.feedback.sampler": [],
    "afs.feedback.retrainer": ["PeriodicRetrainer", "RetrainConfig"],
    "afs.distillation": ["TeacherEnsemble", "DistillationDataGenerator"],
    "afs.distillation.teacher": [],
    "afs.distillation.data_gen": ["DistillationDataGenerator"],
    "afs.cli.distillation": [],
}


@pytest.mark.parametrize("module", sorted(SPEC_NAMES))
def test_spec_module_and_names(module):
    imported = importlib.import_module(module)
    missing = [name for name in SPEC_NAMES[module] if not hasattr(imported, name)]
    assert not missing, f"{module} lacks {missing}"
