"""The 65816 toolchain: asar-syntax parser and assembler, opcode table, emulator, analysis.

Pure Python; no LLM or network code lives here.
"""
