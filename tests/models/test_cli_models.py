"""`afs models list`, `afs models ping` and `afs doctor`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from afs.cli.main import app
from tests.support.provider_servers import Fault, Reply

runner = CliRunner()


@pytest.fixture
def config_with_server(provider_server, tmp_path, monkeypatch) -> Path:
    path = tmp_path / "afs.toml"
    path.write_text(f"""
[models.local]
provider = "openai"
model = "din-v3"
base_url = "{provider_server.openai_base_url}"

[models.claude]
provider = "anthropic"
model = "claude-test"
base_url = "{provider_server.anthropic_base_url}"
api_key_env = "AFS_TEST_CLAUDE_KEY"
""")
    monkeypatch.setenv("AFS_CONFIG", str(path))
    return path


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_list_json_reports_readiness_without_keys(config_with_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-list-secret-123")
    result = runner.invoke(app, ["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["config"] == str(config_with_server)
    rows = {row["alias"]: row for row in data["models"]}
    assert rows["local"]["configured"] and rows["local"]["model"] == "din-v3"
    assert not rows["claude"]["configured"]
    assert rows["claude"]["detail"].startswith("needs AFS_TEST_CLAUDE_KEY")
    assert rows["openai"]["configured"] and rows["openai"]["detail"] == "key from OPENAI_API_KEY"
    assert rows["din"]["provider"] == "classical"
    assert "sk-list-secret-123" not in result.output


def test_list_table(config_with_server):
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0
    assert "local" in result.stdout and "din-v3" in result.stdout


def test_ping_success(config_with_server, provider_server):
    provider_server.reply = Reply("pong", prompt_tokens=6, completion_tokens=1)
    result = runner.invoke(app, ["models", "ping", "local", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] and data["reply"] == "pong" and data["latency_ms"] > 0
    assert (data["prompt_tokens"], data["completion_tokens"]) == (6, 1)
    assert provider_server.requests[0].model == "din-v3"
    text = runner.invoke(app, ["models", "ping", "local"])
    assert text.exit_code == 0 and text.stdout.startswith("ok local (openai din-v3): ")


def test_ping_makes_exactly_one_attempt(config_with_server, provider_server):
    provider_server.fail_next(Fault.http(503))
    result = runner.invoke(app, ["models", "ping", "local", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert not data["ok"] and data["error_type"] == "TransientError"
    assert len(provider_server.requests) == 1


def test_ping_missing_key_says_which_variable(config_with_server, provider_server):
    result = runner.invoke(app, ["models", "ping", "claude"])
    assert result.exit_code == 1
    assert "set AFS_TEST_CLAUDE_KEY" in result.stderr
    assert provider_server.requests == []


def _afs(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "afs", *args], capture_output=True, text=True,
                          env={**os.environ, **env, "COLUMNS": "60"}, timeout=60)


def test_ping_closed_port_prints_one_actionable_line(tmp_path):
    port = _closed_port()
    config = tmp_path / "afs.toml"
    config.write_text(f'[models.dead]\nprovider = "openai"\nmodel = "m"\n'
                      f'base_url = "http://localhost:{port}/v1"\n')
    result = _afs("models", "ping", "dead", env={"AFS_CONFIG": str(config)})
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (f"error: cannot reach http://localhost:{port}/v1: connection "
                             "refused — is the server running and the URL right?\n")


def test_ping_ollama_port_names_ollama(tmp_path):
    # 11434 is Ollama's port; if something really listens there, the hint is not asserted.
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 11434)) == 0:
            pytest.skip("a server is listening on 127.0.0.1:11434")
    config = tmp_path / "afs.toml"
    config.write_text('[models.o]\nprovider = "openai"\nmodel = "m"\n'
                      'base_url = "http://127.0.0.1:11434/v1"\n')
    result = _afs("models", "ping", "o", env={"AFS_CONFIG": str(config)})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: cannot reach http://127.0.0.1:11434/v1: connection refused — is Ollama running?"]


def test_doctor_json():
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"]
    assert report["python"]["version"].startswith(f"{sys.version_info.major}.")
    assert set(report["asar"]) == {"found", "path", "version"}
    assert isinstance(report["torch"]["found"], bool)
    assert report["config"]["file"] is None  # conftest points $AFS_CONFIG at a missing file
    assert report["afs_home"] == os.environ["AFS_HOME"]
    assert {"din", "openai", "gemini", "anthropic"} <= set(report["models"])


def test_doctor_reports_a_broken_config(tmp_path, monkeypatch):
    config = tmp_path / "afs.toml"
    config.write_text('[models.x]\nprovider = "openai"\nmodel = "m"\ntemprature = 1\n')
    monkeypatch.setenv("AFS_CONFIG", str(config))
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert not report["ok"]
    assert report["config"]["error"] == (f"{config}: key 'models.x.temprature': unknown key "
                                         "(check the spelling)")


def test_bad_config_exits_2_with_one_line(tmp_path):
    config = tmp_path / "afs.toml"
    config.write_text("[models.x]\nprovider = \n")
    result = _afs("models", "list", env={"AFS_CONFIG": str(config)})
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: {config}:2:")
