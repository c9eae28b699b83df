"""Knowledge graphs: a domain-agnostic core and the ALTTP/SNES and personal adapters.

`from afs.knowledge.graph_core import KnowledgeGraph` for the core;
`from afs.knowledge.adapters import ALTTPKnowledgeGraph, PersonalKnowledgeGraph` for the
adapters (imported lazily so that `afs.knowledge` stays cheap to import).
"""
