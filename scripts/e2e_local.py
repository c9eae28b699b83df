"""The whole student path with a real inference engine, offline, on loopback.

tiny student (`--base tiny`) -> short SFT -> `afs train export --format gguf` -> served by
llama-cpp-python's OpenAI-compatible server on 127.0.0.1 -> `afs train register` as the
`din` alias -> `afs benchmark din --model din` and `afs run` against it.

Every step is the CLI a user types; state lives in a temporary folder. Needs the `e2e`
extra (gguf, llama-cpp-python[server]). Exits 0 when every step worked.

    python scripts/e2e_local.py [--keep]
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ALIAS = "din"  # the expert alias `afs run` hands optimisation requests to


def _afs(*args: str, env: dict[str, str], cwd: Path) -> dict:
    command = [sys.executable, "-m", "afs", *args, "--json"]
    print("$ afs " + " ".join(args), flush=True)
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=900)
    if done.returncode not in (0, 1):  # 1: the benchmark found failures; that is a result
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"step failed ({done.returncode}): afs {' '.join(args)}")
    return json.loads(done.stdout) if done.stdout.strip() else {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the llama.cpp server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"the llama.cpp server did not answer at {url} in {seconds:.0f} s")


def main(keep: bool) -> int:
    missing = [m for m in ("gguf", "llama_cpp") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"missing {', '.join(missing)}: pip install -e '.[e2e]'", file=sys.stderr)
        return 2
    from afs.jsonl import write_jsonl
    from afs.training.tiny import synthetic_sft_rows

    root = Path(tempfile.mkdtemp(prefix="afs-e2e-"))
    env = {**os.environ, "AFS_HOME": str(root / "home"), "AFS_CONFIG": str(root / "afs.toml")}
    server = None
    try:
        write_jsonl(root / "train.jsonl", synthetic_sft_rows(32))
        _afs("train", "sft", "--base", "tiny", "--data", str(root / "train.jsonl"),
             "--output", str(root / "run"), "--max-steps", "30", "--lr", "5e-3",
             "--add-expert-tokens", env=env, cwd=root)
        exported = _afs("train", "export", str(root / "run"), "--output", str(root / "out"),
                        "--name", ALIAS, "--expert", "din", "--format", "gguf",
                        "--quant", "q8_0", env=env, cwd=root)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", exported["gguf"],
             "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port),
             # Benchmark prompts carry knowledge-graph context: past the tiny model's
             # 512 trained positions, which llama.cpp allows (it warns).
             "--n_ctx", "4096"],
            stdout=subprocess.DEVNULL, stderr=open(root / "server.log", "w"))  # noqa: SIM115
        base_url = f"http://127.0.0.1:{port}/v1"
        _wait_for(f"{base_url}/models", server)
        _afs("train", "register", str(root / "out"), "--alias", ALIAS, "--server", base_url,
             "--config", str(root / "afs.toml"), env=env, cwd=root)
        report = _afs("benchmark", "din", "--model", ALIAS, "--limit", "3", "--concurrency",
                      "1", "--output", str(root / "bench"), env=env, cwd=root)
        answer = _afs("run", "Optimize this: LDA #$00 : STA $10", "--no-log", env=env, cwd=root)
        samples = (root / "bench" / "samples.jsonl").read_text().splitlines() \
            if (root / "bench" / "samples.jsonl").exists() else []
        print(json.dumps({"gguf": exported["gguf"], "server": base_url,
                          "benchmark_samples": len(samples), "benchmark": report,
                          "run_answer": answer.get("answer", "")[:200]}))
        # The engine must really have answered: scored samples and a non-empty answer.
        if not samples or not answer.get("answer"):
            print(f"no answers from the engine; see {root / 'server.log'}", file=sys.stderr)
            return 1
        return 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main("--keep" in sys.argv))
