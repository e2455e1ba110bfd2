"""`adops-bot shell`: scripted sessions through the real Bolt app, demo networks and OAuth routes,
asserted on the text a person would read."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from shell.console import Console
from shell.startup import main

ROOT = Path(__file__).resolve().parent.parent


async def run_script(tmp_path: Path, script: str, *args: str) -> str:
    out = io.StringIO()
    console = Console(io.StringIO(script), out)
    code = await main(["--demo", *args], {"ADOPS_DATA_DIR": str(tmp_path / "data")}, console)
    assert code == 0
    return out.getvalue()


def between(text: str, start: str, end: str) -> str:
    """The transcript from the prompt line `start` up to the next prompt `end`."""
    head = text.index(start)
    return text[head : text.index(end, head + len(start))]


FULL_TOUR = """\
/adops connect tiktok
:press Sign in with TikTok
/adops accounts northwind shoes
:press Edit tags
1,2
client-a, summer

:press Archive
/adops accounts
:press Bulk actions
1
retarget
1
2



:revoke northwind
:tick
:press Re-authenticate
:press Sign in with TikTok
:quit
"""


async def test_scripted_tour_from_connect_to_a_resolved_alert(tmp_path: Path):
    text = await run_script(tmp_path, FULL_TOUR)

    connected = between(text, "admin> :press Sign in with TikTok", "admin> /adops accounts")
    assert "🌐 Connected — TikTok 1 is connected and reaches 5 ad account(s)." in connected
    assert "DM from adops" in connected
    assert "Connected TikTok 1 (TikTok): 5 ad account(s) reachable, 5 new." in connected

    listed = between(text, "admin> /adops accounts northwind shoes", "admin> :press Edit tags")
    assert "Showing 1–2 of 2." in listed
    assert "Northwind Shoes DE  `7000000000000000001` · TikTok" in listed
    assert "Tags: EUR ⚙, Europe/Berlin ⚙" in listed

    tagged = between(text, "admin> :press Edit tags", "admin> :press Archive")
    assert "┌─ modal: Edit tags" in tagged
    assert "Tags of Northwind Shoes FR (7000000000000000002): client-a, summer, EUR" in tagged

    archived = between(text, "admin> :press Archive", "admin> /adops accounts\n")
    assert "✔ Northwind Shoes FR (7000000000000000002) archived." in archived
    assert "Showing 1–1 of 1." in archived  # the list message itself was replaced

    bulk = between(text, "admin> :press Bulk actions", "admin> :revoke")
    assert "Northwind US Retargeting (7000000000000000005)" in bulk
    assert "✔ Bulk disable: 1 done, 0 skipped." in bulk

    alerted = between(text, "admin> :tick", "admin> :press Re-authenticate")
    assert alerted.count("🚨 TikTok profile TikTok 1 stopped working") == 2  # channel + DM
    assert "── #ad-ops ──" in alerted and "── DM from adops ──" in alerted
    # Three ON accounts remain: one was archived and one turned OFF above.
    assert "3 ON ad account(s) stopped syncing" in alerted

    fixed = text[text.rindex("admin> :press Sign in with TikTok") :]
    assert "── ↻ updated in #ad-ops ──" in fixed
    assert "Resolved: TikTok profile TikTok 1 was fixed by @ada" in fixed


async def test_modal_errors_come_back_inline_and_a_member_is_refused(tmp_path: Path):
    script = """\
/adops connect mediago
Daily Brief
demo-key
wrong-secret


demo-key
demo-secret-not-real

:as member
/adops connect tiktok
:quit
"""
    text = await run_script(tmp_path, script)
    first = between(text, "admin> /adops connect mediago", "member> /adops connect tiktok")
    assert "⏳ Checking the credentials with MediaGo…" in first
    assert "⚠ MediaGo rejected these credentials" in first
    assert "text [Daily Brief]: " in first  # the name survives the refusal; the secret never
    assert first.count("wrong-secret") == 1  # only where it was typed
    assert "Connected Daily Brief (MediaGo): 3 ad account(s) reachable, 3 new." in first
    refused = text[text.index("member> /adops connect tiktok") :]
    assert "needs the adops admin permission" in refused
    assert "Sign in with TikTok" not in refused


async def test_a_demo_starts_from_its_own_fresh_database(tmp_path: Path):
    await run_script(tmp_path, "/adops connect tiktok\n:press Sign in\n:quit\n")
    again = await run_script(tmp_path, "/adops profiles\n:quit\n")
    assert (tmp_path / "data" / "shell-demo.db").exists()
    assert not (tmp_path / "data" / "adops.db").exists()
    assert "TikTok 1" not in again[again.index("admin> /adops profiles") :]


def test_the_command_line_entry_point_reads_stdin(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "app", "shell", "--demo"],
        input="/adops help\n:help\n:quit\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"ADOPS_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "`/adops connect tiktok`" in result.stdout
    assert ":revoke LOGIN" in result.stdout


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        (":bogus", "Unknown or incomplete shell command; :help lists them."),
        ("hello", "Type /adops …, a number to press, or :help."),
        ("999", "There is no [999] on screen."),
        (":press nothing-like-this", "Nothing shown has that label."),
        (":tick soon", "A duration looks like 30m, 4h or 1d."),
    ],
)
async def test_unknown_input_gets_a_hint_not_a_crash(tmp_path: Path, line: str, reply: str):
    text = await run_script(tmp_path, f"{line}\n:quit\n")
    assert f"admin> {line}\n{reply}\nadmin> :quit" in text
