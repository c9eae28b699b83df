"""The README's runnable examples run as written, offline, and say what they show.

A block is runnable when its fence says so (` ```python runnable `, ` ```sh runnable `).
Python blocks run in a fresh namespace (top-level `await` allowed) in a temporary directory
with a temporary $AFS_HOME; an expression statement followed by a comment that is a Python
literal (`r.cycles   # 16`) is a claim, checked for equality. Shell blocks run line by line
with `afs` on PATH; every line must exit 0.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```(?P<lang>python|sh) runnable[^\n]*\n(?P<body>.*?)^```", re.M | re.S)
GATEWAY_URL = "http://127.0.0.1:8000"


def _blocks() -> list[tuple[str, str, int]]:
    text = README.read_text(encoding="utf-8")
    return [(m["lang"], m["body"], text.count("\n", 0, m.start()) + 1)
            for m in _BLOCK.finditer(text)]


BLOCKS = _blocks()


def _claim(source_lines: list[str], node: ast.stmt) -> ast.expr | None:
    """The literal in `expr  # literal` after an expression statement, else None."""
    line = source_lines[node.end_lineno - 1]
    comment = line[node.end_col_offset:].strip()
    if not comment.startswith("#"):
        return None
    try:
        ast.literal_eval(comment[1:].strip())
    except (ValueError, SyntaxError):
        return None
    return ast.parse(comment[1:].strip(), mode="eval").body


class _Claims(ast.NodeTransformer):
    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        self.count = 0

    def visit_Expr(self, node: ast.Expr) -> ast.stmt:
        expected = _claim(self.lines, node)
        if expected is None:
            return node
        self.count += 1
        check = ast.Call(ast.Name("__claim__", ast.Load()),
                         [node.value, expected, ast.Constant(node.lineno)], [])
        return ast.copy_location(ast.Expr(check), node)


def _check_claim(actual, expected, line: int) -> None:
    assert actual == expected, f"README claim on block line {line}: {actual!r} != {expected!r}"


async def _run_python(source: str) -> tuple[dict, int]:
    transformer = _Claims(source)
    tree = ast.fix_missing_locations(transformer.visit(ast.parse(source)))
    code = compile(tree, "<README>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace = {"__name__": "__readme__", "__claim__": _check_claim}
    result = eval(code, namespace)
    if result is not None:
        await result
    return namespace, transformer.count


def _ids() -> list[str]:
    return [f"{lang}-line{line}" for lang, _, line in BLOCKS]


def test_the_readme_has_runnable_blocks():
    langs = [lang for lang, _, _ in BLOCKS]
    assert langs.count("python") >= 5 and langs.count("sh") >= 2


@pytest.mark.parametrize(("lang", "body", "line"), BLOCKS, ids=_ids())
async def test_readme_block(lang, body, line, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    if lang == "sh":
        _run_shell(body, tmp_path)
        return
    gateway = None
    if GATEWAY_URL in body:
        gateway = _gateway(tmp_path)
        url = next(gateway)
        body = body.replace(GATEWAY_URL, url)
    try:
        namespace, claims = await _run_python(body)
    finally:
        if gateway is not None:
            gateway.close()
    out = capsys.readouterr().out
    # What each block visibly claims beyond its literal comments.
    if "get_model(\"din\")" in body:
        assert "stz $10" in namespace["answer"].text.lower()
        assert "stz $10" in out.lower()
    if "chat.completions.create" in body:
        assert "stz $10" in namespace["reply"].choices[0].message.content.lower()
    if "run_snippet" in body:
        assert claims == 2
    if "ALTTPKnowledgeGraph()" in body:
        findings = namespace["alttp"].validate_output("REP #$20\nSTA $7EF36D")
        assert any(f.kind == "width_clobber" and "$7EF36E" in f.message for f in findings)


def _gateway(tmp_path: Path):
    """The real app (default models: the offline din) on a free loopback port."""
    from afs.feedback import InferenceLogger
    from afs.gateway.app import create_app
    from tests.gateway.conftest import start_gateway

    logger = InferenceLogger(tmp_path / "gateway-log")
    try:
        for running in start_gateway(create_app(logger), logger):
            yield running.url
    finally:
        logger.close()


def _run_shell(body: str, workdir: Path) -> None:
    shim = workdir / "bin"
    shim.mkdir()
    (shim / "afs").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m afs "$@"\n')
    (shim / "afs").chmod(0o755)
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": os.pathsep.join(sys.path)}
    for command in body.replace("\\\n", " ").splitlines():
        if not command.strip() or command.lstrip().startswith("#"):
            continue
        done = subprocess.run(["bash", "-c", command], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, f"README: `{command}` exited {done.returncode}:\n" \
                                     f"{done.stdout[-500:]}{done.stderr[-1000:]}"
