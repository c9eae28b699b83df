"""AFS: build, ground and evaluate domain-expert language models for SNES 65816 assembly."""

__version__ = "0.2.0"
