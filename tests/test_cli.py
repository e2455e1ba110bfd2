"""The `adops-bot` command line, run as a real process."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from storage.secrets import Keyring

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_generate_key_prints_a_usable_key():
    result = run_cli("generate-key", env={})
    Keyring([result.stdout.strip()])


def test_migrate_creates_the_database_and_the_key_file(tmp_path: Path):
    result = run_cli("migrate", env={"ADOPS_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "adops.db").exists() and (tmp_path / "encryption.key").exists()


def test_bad_configuration_fails_with_the_variable_named(tmp_path: Path):
    result = run_cli("migrate", env={"ADOPS_DATA_DIR": str(tmp_path), "PORT": "http"})
    assert result.returncode == 2
    assert "PORT must be a TCP port number" in result.stderr


def test_run_without_slack_tokens_fails_at_boot(tmp_path: Path):
    result = run_cli("run", env={"ADOPS_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is required" in result.stderr
    assert "SLACK_SIGNING_SECRET is required in HTTP mode" in result.stderr


async def test_run_serves_health(tmp_path: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "PATH": os.environ["PATH"],
        "ADOPS_DATA_DIR": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "signing-secret",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "run"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/health") as response:
                        assert response.status == 200
                        assert await response.json() == {"status": "ok", "database": "ok"}
                        break
                except aiohttp.ClientConnectionError:
                    assert process.poll() is None, process.stderr.read()
                    assert time.monotonic() < deadline, "server did not start"
                    await asyncio.sleep(0.2)
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
