"""Sync throughput: one scheduler cycle over 200 TikTok profiles × 50 advertisers each, against
the fake TikTok with 50 ms latency and TikTok's app-wide limit of 10 requests/s.

TikTok's QPS limit is per developer app, shared by every profile, so a full cycle can never beat
(API calls ÷ rate). What this measures is how close the real wiring (`build_runtime`'s scheduler,
its bounded concurrency, the provider's token bucket, the SQLite writes of each sync) gets to that
floor, whether it ever trips the limit (each refusal costs a retry after 1 s and, if refusals
persist, a warning to the team), and how much memory a cycle of 10 000 accounts needs.

With `--fault-rate F` (default 1 %) the fake answers that share of calls with one of the replies
issue 14 is about, at random: 40001 for a missing permission, 40002, a per-second limit of the app
or of an advertiser, code 0 without a list, 50002, a malformed body, a 504. Every call, refused or
not, counts towards the floor, as it does at TikTok. Nothing changes at the fake, so any account
that loses access and any profile that turns invalid is a false flag; the table counts them.
Per-minute and per-day limits are left out: by design they stop the cycle for 5 minutes or until
midnight, which is not a throughput to measure.

Run: `.venv/bin/python -m bench.sync` (`--profiles N`, `--accounts M` change the size;
`--fault-rate F`, and `--seed S` for which calls get the replies; `--cprofile FILE` writes a
cProfile of the cycle). Prints a table of results next to the targets; exits non-zero only if
the benchmark itself failed, never because the machine is slow.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app import build_runtime
from bench.table import print_table, verdict
from bot.config import Settings
from bot.permissions import Actor, Role, Source
from bot.runtime import open_database
from fakes._server import Fault
from fakes.slack import FakeSlack
from fakes.tiktok import FakeTikTok
from fakes.tiktok_replies import (
    advertiser_limit,
    app_limit,
    error_envelope,
    gateway_timeout,
    malformed,
    permission_denied,
    without_list,
)
from providers.base import AccountInfo, AccountListing
from storage.models import AdAccount, Profile, ProfileAccess
from storage.secrets import Keyring

ADMIN = Actor("UBENCH", "bench", Role.ADMIN, Source.CLI)
RATE = 10.0
LATENCY = 0.05
TARGET_RATIO = 1.15
TARGET_RSS_MB = 250.0


def peak_rss_mb() -> float:
    """ru_maxrss is in KiB on Linux (bytes on macOS); this process holds the bot and the fake."""
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def replies(app_id: str) -> tuple[Fault, ...]:
    return (
        permission_denied(),
        error_envelope(40002, "Time format should be %Y-%m-%d"),
        app_limit("QPS", app_id),
        advertiser_limit(),
        without_list("null"),
        error_envelope(50002, "Error processing request on TikTok side"),
        malformed(),
        gateway_timeout(),
    )


def listing_of(tiktok: FakeTikTok, login: str) -> AccountListing:
    """What TikTok's validation would have returned when this login was connected."""
    infos = []
    for ident in tiktok.logins[login].advertisers:
        adv = tiktok.advertisers[ident]
        infos.append(AccountInfo(ident, adv.name, adv.currency, adv.display_timezone, adv.status))
    return AccountListing(accounts=infos)


async def false_flags(db: Any) -> tuple[int, int]:
    """Accounts that lost access or were flagged, and profiles that turned invalid."""
    async with db.reader() as session:
        lost = await session.scalar(
            select(func.count())
            .select_from(ProfileAccess)
            .where(ProfileAccess.lost_at.is_not(None))
        )
        flagged = await session.scalar(
            select(func.count()).where(AdAccount.access_lost_at.is_not(None))
        )
        invalid = await session.scalar(select(func.count()).where(Profile.status != "active"))
    return (lost or 0) + (flagged or 0), invalid or 0


async def run(
    profiles: int, accounts: int, cprofile: str | None, fault_rate: float, seed: int
) -> dict[str, Any]:
    """Seed, then time one `run_cycle` of the scheduler `build_runtime` wires for production."""
    tiktok = FakeTikTok(rate_limit=RATE, latency=LATENCY, seed=seed)
    slack = FakeSlack()
    await tiktok.start()
    await slack.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **tiktok.env(),
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_API_URL": slack.url,
                "SLACK_SIGNING_SECRET": "bench-signing-secret",
                "DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
                "ADOPS_ENCRYPTION_KEYS": Keyring.generate_key(),
            }
            settings = Settings.from_env(env)
            db = await open_database(settings)  # migrates with storage.migrate.upgrade
            runtime = build_runtime(settings, db)
            try:
                # Connected as `Connector` does it: store the accepted token, then record the
                # listing its validation returned. No API calls, so the cycle starts clean.
                for n in range(profiles):
                    login = f"login{n:03d}"
                    tiktok.add_login(login, accounts, prefix=f"Shop{n:03d}")
                    card = await runtime.core.profiles.create(
                        ADMIN,
                        "tiktok",
                        secret=tiktok.issue_token(login),
                        name=f"TikTok {n + 1:03d}",
                        connected_by=ADMIN.id,
                    )
                    await runtime.deps.sync.record(ADMIN, card.id, listing_of(tiktok, login))
                tiktok.requests.clear()
                if fault_rate:
                    for path in ("oauth2/advertiser/get/", "advertiser/info/"):
                        tiktok.fail_rate(path, fault_rate, *replies(tiktok.app_id))
                profiler = cProfile.Profile() if cprofile else None
                started = time.perf_counter()
                if profiler:
                    profiler.enable()
                report = await runtime.scheduler.run_cycle()
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(cprofile)
                wall = time.perf_counter() - started
                await runtime.background.drain()
                flagged, invalid = await false_flags(db)
            finally:
                await runtime.close()
                await db.dispose()
    finally:
        await tiktok.close()
        await slack.close()
    outcomes: dict[str, int] = {}
    for synced in report.synced:
        outcomes[synced.outcome] = outcomes.get(synced.outcome, 0) + 1
    calls = len(tiktok.requests)
    floor = calls / RATE
    return {
        "wall": wall,
        "calls": calls,
        "floor": floor,
        "ratio": wall / floor if floor else float("inf"),
        "rate_limited": tiktok.rate_limited,
        "rss": peak_rss_mb(),
        "outcomes": outcomes,
        "found": sum(s.found for s in report.synced),
        "concurrency": runtime.scheduler.concurrency,
        "faults": tiktok.faults_served,
        "flagged": flagged,
        "invalid": invalid,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--fault-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0, help="which calls get the replies")
    parser.add_argument("--cprofile", metavar="FILE")
    args = parser.parse_args()
    r = asyncio.run(run(args.profiles, args.accounts, args.cprofile, args.fault_rate, args.seed))
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
    print(
        f"{args.profiles} TikTok profiles × {args.accounts} advertisers, fake TikTok at "
        f"{LATENCY * 1000:.0f} ms and {RATE:g} req/s, scheduler concurrency {r['concurrency']}, "
        f"SQLite"
    )
    print(f"synced: {outcomes}; {r['found']} accounts reachable")
    print(f"replies injected at {args.fault_rate:.1%}: {r['faults']} of the calls")
    rows = [
        ("API calls (counted at the fake)", f"{r['calls']}", "", ""),
        ("floor (calls ÷ rate)", f"{r['floor']:.1f} s", "", ""),
        ("cycle wall time", f"{r['wall']:.1f} s", "", ""),
        (
            "wall ÷ floor",
            f"{r['ratio']:.3f}×",
            f"≤ {TARGET_RATIO}×",
            verdict(r["ratio"] <= TARGET_RATIO),
        ),
        (
            "rate-limit errors from TikTok",
            f"{r['rate_limited']}",
            "0",
            verdict(not r["rate_limited"]),
        ),
        (
            "accounts falsely flagged",
            f"{r['flagged']}",
            "0",
            verdict(not r["flagged"]),
        ),
        (
            "profiles falsely invalid",
            f"{r['invalid']}",
            "0",
            verdict(not r["invalid"]),
        ),
        (
            "peak RSS",
            f"{r['rss']:.0f} MB",
            f"≤ {TARGET_RSS_MB:.0f} MB",
            verdict(r["rss"] <= TARGET_RSS_MB),
        ),
    ]
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
