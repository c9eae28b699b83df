"""What the `afs` entry point does at start-up: the collector off while it imports, on again
for the command, and `afs asm build` without rich (the reasons for them: `afs.cli.main`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _python(code: str, cwd: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_leaves_the_collector_as_it_was(tmp_path: Path) -> None:
    # (tests and embedders import `afs.cli.main`: the collector must be on after it)
    seen = _python("import gc, json\nimport afs.cli.main\nprint(json.dumps(gc.isenabled()))",
                   tmp_path)
    assert seen is True
    seen = _python("import gc, json\ngc.disable()\nimport afs.cli.main\n"
                   "print(json.dumps(gc.isenabled()))", tmp_path)
    assert seen is False


def test_a_command_runs_with_the_collector_on_and_build_without_rich(tmp_path: Path) -> None:
    (tmp_path / "p.asm").write_text("lorom\norg $008000\ndb 1\n")
    code = (
        "import gc, json, sys\n"
        "import afs.cli.asm as cli_asm\n"
        "from afs.asm import build as b\n"
        "seen = {}\n"
        "real = b.build\n"
        "def spy(*a, **k):\n"
        "    seen['collector'] = gc.isenabled()\n"
        "    return real(*a, **k)\n"
        "b.build = spy\n"
        "sys.argv = ['afs', 'asm', 'build', 'p.asm', '-o', 'p.sfc']\n"
        "from afs.cli.main import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    seen['code'] = exc.code\n"
        "seen['rich'] = 'rich' in sys.modules\n"
        "print(json.dumps(seen))\n")
    seen = _python(code, tmp_path)
    assert seen == {"collector": True, "code": 0, "rich": False}
    assert (tmp_path / "p.sfc").read_bytes()[:1] == b"\x01"
