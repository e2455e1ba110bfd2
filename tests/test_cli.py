"""The `adops-bot` command line, run as a real process."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl

import aiohttp

from fakes import slack_payloads as payloads
from fakes.slack import FakeSlack
from handlers.ids import Action
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


async def until_healthy(port: int, process: subprocess.Popen[str]) -> dict:
    """/health once it says ok: the web process listens first, and it is healthy once the
    scheduler it started has shown it is alive."""
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as http:
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the bot never became healthy"
            try:
                async with http.get(f"http://127.0.0.1:{port}/health") as response:
                    if response.status == 200:
                        found: dict = await response.json()
                        return found
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)


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
        health = await until_healthy(port, process)
        assert health == {"status": "ok", "database": "ok", "scheduler": "ok"}
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0


async def test_run_over_socket_mode_answers_commands_and_stops_cleanly(tmp_path: Path):
    """No signing secret, no public HTTP endpoint for Slack: requests arrive over the fake Slack's
    WebSocket, and the port still serves /health (and would serve the OAuth routes)."""
    slack = FakeSlack()
    await slack.start()
    slack.add_user("UADMIN1", name="ada")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "PATH": os.environ["PATH"],
        "ADOPS_DATA_DIR": str(tmp_path),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-1-A0APP-test",
        "SLACK_API_URL": slack.url,
        "ADOPS_ADMINS": "UADMIN1",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "run"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not slack.sockets:
            assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "never connected over Socket Mode"
            await asyncio.sleep(0.1)

        def command(text: str) -> dict[str, str]:
            return dict(
                parse_qsl(
                    payloads.slash_command(
                        text,
                        user_id="UADMIN1",
                        team_id="T0TEAM",
                        channel_id="C0GENERAL",
                        response_url=slack.response_url(),
                        trigger_id=slack.trigger(),
                    )
                )
            )

        ack = await slack.socket_ack(await slack.push("slash_commands", command("frobnicate")))
        assert ack["payload"]["response_type"] == "ephemeral"
        assert "/adops connect tiktok" in json.dumps(ack["payload"])  # the help, with the error
        await slack.socket_ack(await slack.push("slash_commands", command("help")))
        (helped,) = await slack.wait_for("response_url")
        assert "/adops connect tiktok" in json.dumps(helped.args)

        clicked = json.loads(
            parse_qs(
                payloads.block_actions(
                    payloads.button(Action.BULK_OPEN, "not-a-list-state"),
                    user_id="UADMIN1",
                    team_id="T0TEAM",
                    trigger_id=slack.trigger(),
                    channel_id="C0GENERAL",
                    response_url=slack.response_url(),
                )
            )["payload"][0]
        )
        assert "envelope_id" in await slack.socket_ack(await slack.push("interactive", clicked))

        assert (await until_healthy(port, process))["scheduler"] == "ok"
        events = f"http://127.0.0.1:{port}/slack/events"
        async with aiohttp.ClientSession() as http, http.post(events, data="x") as response:
            assert response.status == 404  # no HTTP endpoint for Slack in Socket Mode
    finally:
        process.terminate()
        code = process.wait(timeout=20)
        await slack.close()
    assert code == 0
    assert slack.refusals == []
