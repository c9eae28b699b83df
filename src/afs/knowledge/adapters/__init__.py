"""Domain adapters of the knowledge graph: the ALTTP/SNES map and a personal graph."""

from afs.knowledge.adapters.alttp_adapter import (
    AddressMatch,
    ALTTPKnowledgeGraph,
    ContextEntity,
    ContextResult,
)
from afs.knowledge.adapters.alttp_validation import Finding
from afs.knowledge.adapters.personal_adapter import PersonalKnowledgeGraph

__all__ = [
    "ALTTPKnowledgeGraph",
    "AddressMatch",
    "ContextEntity",
    "ContextResult",
    "Finding",
    "PersonalKnowledgeGraph",
]
