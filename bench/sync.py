"""Sync throughput: one scheduler cycle over 200 TikTok profiles × 50 advertisers each, against
the fake TikTok with 50 ms latency and TikTok's app-wide limit of 10 requests/s.

TikTok's QPS limit is per developer app, shared by every profile, so a full cycle can never beat
(API calls ÷ rate). What this measures is how close the real wiring (`build_runtime`'s scheduler,
its bounded concurrency, the provider's token bucket, the SQLite writes of each sync) gets to that
floor, whether it ever trips the limit (each refusal costs a retry after 1 s and, if refusals
persist, a warning to the team), and how much memory a cycle of 10 000 accounts needs.

Run: `.venv/bin/python -m bench.sync` (`--profiles N`, `--accounts M` change the size;
`--cprofile FILE` writes a cProfile of the cycle). Prints a table of results next to the targets;
exits non-zero only if the benchmark itself failed, never because the machine is slow.
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

from app import build_runtime
from bench.table import print_table, verdict
from bot.config import Settings
from bot.permissions import Actor, Role, Source
from bot.runtime import open_database
from fakes.slack import FakeSlack
from fakes.tiktok import FakeTikTok
from providers.base import AccountInfo, AccountListing
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


def listing_of(tiktok: FakeTikTok, login: str) -> AccountListing:
    """What TikTok's validation would have returned when this login was connected."""
    infos = []
    for ident in tiktok.logins[login].advertisers:
        adv = tiktok.advertisers[ident]
        infos.append(AccountInfo(ident, adv.name, adv.currency, adv.display_timezone, adv.status))
    return AccountListing(accounts=infos)


async def run(profiles: int, accounts: int, cprofile: str | None) -> dict[str, Any]:
    """Seed, then time one `run_cycle` of the scheduler `build_runtime` wires for production."""
    tiktok = FakeTikTok(rate_limit=RATE, latency=LATENCY)
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
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--cprofile", metavar="FILE")
    args = parser.parse_args()
    r = asyncio.run(run(args.profiles, args.accounts, args.cprofile))
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
    print(
        f"{args.profiles} TikTok profiles × {args.accounts} advertisers, fake TikTok at "
        f"{LATENCY * 1000:.0f} ms and {RATE:g} req/s, scheduler concurrency {r['concurrency']}, "
        f"SQLite"
    )
    print(f"synced: {outcomes}; {r['found']} accounts reachable")
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
