"""Start-up failures from outside the bot (a port taken, a database it cannot reach, a data
folder it cannot write, half a TikTok app) end the real command line with one clear line on
stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.secrets import Keyring
from tests.harness import free_port

ROOT = Path(__file__).resolve().parent.parent
SLACK = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "signing-secret"}
# In a private mount namespace, the folder is bound onto itself read-only; the mount goes away
# with the process.
READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'


def run(
    *args: str, env: dict[str, str], prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def ends_with_one_line(result: subprocess.CompletedProcess[str], line: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.rstrip("\n").splitlines()[-1] == line, result.stderr


@pytest.fixture
def port_in_use() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_a_port_in_use(tmp_path: Path, port_in_use: int):
    result = run("run", env={**SLACK, "ADOPS_DATA_DIR": str(tmp_path), "PORT": str(port_in_use)})
    ends_with_one_line(
        result,
        f"adops-bot: port {port_in_use} is already in use by another program; stop it or set "
        "PORT to a free port",
    )
    assert result.returncode == 1


def test_an_unreachable_database_without_its_password(tmp_path: Path):
    port = free_port()  # nothing listens there
    env = {
        **SLACK,
        "ADOPS_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"postgresql+asyncpg://adops:pw-never-shown@127.0.0.1:{port}/adops",
        "ADOPS_ENCRYPTION_KEYS": Keyring.generate_key(),
    }
    for command in ("run", "migrate"):
        result = run(command, env=env)
        ends_with_one_line(
            result,
            f"adops-bot: cannot reach the database postgresql+asyncpg://adops:***@127.0.0.1:{port}"
            f"/adops (DATABASE_URL): Connect call failed ('127.0.0.1', {port})",
        )
        assert "pw-never-shown" not in result.stderr + result.stdout


def read_only(folder: Path) -> tuple[str, ...]:
    """What makes `folder` read-only for the command: its mode, or for root (whom modes do not
    stop) a read-only bind mount of it in a mount namespace of the command's own."""
    folder.chmod(0o555)
    if os.geteuid() != 0:
        return ()
    unshare = shutil.which("unshare")
    prefix = (unshare or "unshare", "--mount", "sh", "-c", READ_ONLY, str(folder))
    probe = subprocess.run([*prefix, "touch", str(folder / "probe")], capture_output=True)
    if unshare is None or probe.returncode == 0 or b"Read-only" not in probe.stderr:
        pytest.skip("running as root without unshare and mount: cannot make a folder read-only")
    return prefix


@pytest.mark.parametrize("keys", ["generated", "configured"])
def test_a_read_only_data_folder(tmp_path: Path, keys: str):
    data = tmp_path / "data"
    data.mkdir()
    env = {**SLACK, "ADOPS_DATA_DIR": str(data), "PORT": str(free_port())}
    if keys == "configured":
        env["ADOPS_ENCRYPTION_KEYS"] = Keyring.generate_key()
    reason = "it is read-only" if keys == "configured" else "Read-only file system"
    prefix = read_only(data)
    if not prefix:
        reason = "it is read-only" if keys == "configured" else "Permission denied"
    result = run("run", env=env, prefix=prefix)
    ends_with_one_line(
        result, f"adops-bot: cannot write to the data folder {data} (ADOPS_DATA_DIR): {reason}"
    )
    assert result.returncode == 1


@pytest.mark.parametrize(
    ("given", "missing"),
    [("TIKTOK_APP_ID", "TIKTOK_APP_SECRET"), ("TIKTOK_APP_SECRET", "TIKTOK_APP_ID")],
)
def test_half_a_tiktok_app_is_refused_naming_the_other_half(
    tmp_path: Path, given: str, missing: str
):
    result = run("run", env={**SLACK, "ADOPS_DATA_DIR": str(tmp_path), given: "1234567890"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{missing} is required when {given} is set" in result.stderr
    assert not (tmp_path / "adops.db").exists()  # refused before anything was done
