"""The offline, tool-based experts behind the `classical` provider (see `afs.models.classical`).

Each expert is a function `answer(request: str) -> str` built on `afs.asm`: Din optimises,
Farore lints and fixes, Nayru fills code templates, Veran explains line by line.
"""
