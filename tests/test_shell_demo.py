"""The offline shell types as Slack does (mentions and channels escaped, as `should_escape`
sends them), its MediaGo demo can break and be fixed again, and two demo shells cannot share a
data folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.test_shell import ROOT, between, run_script


async def test_mentions_and_channels_reach_the_bot_as_slack_sends_them(tmp_path: Path):
    script = """\
/adops admins add @mo
/adops alerts #ad-ops
:as member
/adops connect tiktok
:quit
"""
    text = await run_script(tmp_path, script)
    added = between(text, "admin> /adops admins add @mo", "admin> /adops alerts")
    assert "✔ @mo is now an admin." in added
    routed = between(text, "admin> /adops alerts #ad-ops", "admin> :as member")
    assert "✔ Token alerts now go to #ad-ops." in routed
    member = text[text.index("member> /adops connect tiktok") :]
    assert "[1] Sign in with TikTok ↗" in member  # mo is an admin now


MEDIAGO_BREAKS_AND_IS_FIXED = """\
/adops connect mediago
Daily Brief
demo-key
demo-secret-not-real

:revoke mediago
:tick
:press Update credentials


demo-secret-2-not-real

:grant 2 mediago
:tick
/adops profiles mediago
:quit
"""


async def test_the_mediago_demo_can_be_revoked_fixed_and_granted_more(tmp_path: Path):
    text = await run_script(tmp_path, MEDIAGO_BREAKS_AND_IS_FIXED)
    revoked = between(text, "admin> :revoke mediago", "admin> :tick")
    assert "API secret `demo-secret-2-not-real`" in revoked
    alerted = between(text, "admin> :tick", "admin> :press Update credentials")
    assert "🚨 MediaGo profile Daily Brief stopped working" in alerted

    fixed = between(text, "admin> :press Update credentials", "admin> :grant 2 mediago")
    assert "✔ Updated Daily Brief (MediaGo): 3 ad account(s) reachable." in fixed
    assert "── ↻ updated in #ad-ops ──" in fixed
    assert "Resolved: MediaGo profile Daily Brief was fixed by" in fixed

    granted = between(text, "admin> :grant 2 mediago", "admin> /adops profiles")
    assert "2 more account(s): Daily Brief Extra 004, Daily Brief Extra 005" in granted
    assert "2 account change(s)" in granted
    profiles = text[text.index("admin> /adops profiles mediago") :]
    assert "Accounts using it 5" in profiles and "✔ active" in profiles


def shell(data: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "shell", "--demo"],
        cwd=ROOT,
        env={"ADOPS_DATA_DIR": str(data), "PATH": os.environ["PATH"]},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_second_demo_shell_in_the_same_folder_refuses_until_the_first_is_gone(tmp_path: Path):
    first = shell(tmp_path)
    try:
        assert first.stdout is not None
        banner = first.stdout.readline()  # written once its database is ready
        assert banner.startswith("adops-bot shell — "), first.stderr.read() if first.stderr else ""
        database = tmp_path / "shell-demo.db"
        made = database.stat().st_ino

        second = shell(tmp_path)
        out, err = second.communicate("/adops help\n:quit\n", timeout=60)
        assert second.returncode == 1
        assert err.strip().splitlines() == [
            f"adops-bot shell: another `adops-bot shell --demo` is running in {tmp_path} "
            f"(process {first.pid}); quit it first, or give this one another ADOPS_DATA_DIR"
        ]
        assert out == ""
        assert database.stat().st_ino == made  # the first one's database was left alone
    finally:
        first.send_signal(signal.SIGKILL)  # a crash: no chance to clean anything up
        first.wait(timeout=20)

    third = shell(tmp_path)
    out, err = third.communicate("/adops help\n:quit\n", timeout=60)
    assert third.returncode == 0, err
    assert "`/adops connect tiktok`" in out
