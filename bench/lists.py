"""Typeahead, list pages and bulk archive at scale: 50 000 accounts with tags, in SQLite.

Run: `.venv/bin/python -m bench.lists` (add `--accounts N` to change the size). Prints a table of
timings next to the targets; exits non-zero only if the benchmark itself failed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench.table import print_table, verdict
from bot.accounts import AccountFilter
from bot.permissions import Actor, Role, Source
from bot.services import Services
from storage.db import Database
from storage.migrate import upgrade
from storage.models import (
    AccountTag,
    AdAccount,
    Profile,
    ProfileAccess,
    Tag,
    TagSource,
    fold,
    natural_key,
    search_text,
)
from storage.secrets import Keyring, Secret

ADMIN = Actor("UBENCH", "bench", Role.ADMIN, Source.CLI)
WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Wonka",
    "Soylent",
    "Tyrell",
]
REGIONS = ["EU", "US", "APAC", "LATAM", "MEA"]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] if len(samples) >= 20 else max(samples)


async def populate(db: Database, count: int, rng: random.Random) -> list[int]:
    now = datetime.now(UTC)
    async with db.transaction() as session:
        profile = Profile(
            provider="tiktok",
            name="Bench",
            status="active",
            secret=Secret("t" * 40),
            meta={},
            created_at=now,
            updated_at=now,
        )
        session.add(profile)
        await session.flush()
        tags = [
            Tag(name=n, name_key=fold(n), created_at=now) for n in [*REGIONS, "vip", "EUR", "USD"]
        ]
        session.add_all(tags)
        await session.flush()
        rows = []
        for n in range(count):
            name = f"{rng.choice(WORDS)} {rng.choice(REGIONS)} {n:05d}"
            external_id = f"7{n:018d}"
            rows.append(
                {
                    "provider": "tiktok",
                    "external_id": external_id,
                    "name": name,
                    "search_text": search_text(name, external_id),
                    "sort_key": natural_key(name),
                    "enabled": n % 7 != 0,
                    "archived": n % 50 == 0,
                    "profile_id": profile.id,
                    "currency": "EUR",
                    "timezone": "Europe/Berlin",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        await session.execute(insert(AdAccount), rows)
        ids = list(
            (
                await session.scalars(AdAccount.__table__.select().with_only_columns(AdAccount.id))
            ).all()
        )
        await session.execute(
            insert(ProfileAccess),
            [
                {
                    "profile_id": profile.id,
                    "account_id": i,
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for i in ids
            ],
        )
        links = []
        for i in ids:
            for tag in rng.sample(tags, 3):
                links.append(
                    {"account_id": i, "tag_id": tag.id, "source": TagSource.USER, "added_at": now}
                )
        await session.execute(insert(AccountTag), links)
    return ids


async def run(count: int) -> list[tuple[str, str, str, str]]:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(
            f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", Keyring([Keyring.generate_key()])
        )
        await upgrade(db)
        ids = await populate(db, count, rng)
        core = Services(db)
        queries = [
            "",
            "ac",
            "acme",
            "acme eu",
            "000",
            "12345",
            "hooli apac",
            "zzz",
            "7000",
            "wayne",
        ]
        option_times = []
        for _ in range(10):
            for q in queries:
                start = time.perf_counter()
                await core.accounts.options(ADMIN, q)
                option_times.append(time.perf_counter() - start)
        list_times = []
        filters = [
            AccountFilter(),
            AccountFilter(tags=("vip",)),
            AccountFilter(text="acme", enabled=True),
            AccountFilter(status="all", tags=("EU", "EUR")),
            AccountFilter(profile="Bench"),
        ]
        for flt in filters:
            for page in (1, 50, 400):
                start = time.perf_counter()
                await core.accounts.list_accounts(ADMIN, flt, page=page, page_size=10)
                list_times.append(time.perf_counter() - start)
        live = [i for n, i in enumerate(ids) if n % 50 != 0][:5000]
        start = time.perf_counter()
        result = await core.bulk.set_archived(ADMIN, live, True)
        bulk_time = time.perf_counter() - start
        assert len(result.done) == len(live)
        await db.dispose()
    return [
        (
            "option load (typeahead) p95",
            f"{p95(option_times) * 1000:.1f} ms",
            "≤ 50 ms",
            verdict(p95(option_times) <= 0.05),
        ),
        (
            "option load max (event loop held)",
            f"{max(option_times) * 1000:.1f} ms",
            "",
            "",
        ),
        (
            "accounts list page p95",
            f"{p95(list_times) * 1000:.1f} ms",
            "≤ 100 ms",
            verdict(p95(list_times) <= 0.1),
        ),
        (
            "bulk archive 5 000 (with audit)",
            f"{bulk_time * 1000:.0f} ms",
            "< 2 000 ms",
            verdict(bulk_time <= 2.0),
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=50_000)
    args = parser.parse_args()
    rows = asyncio.run(run(args.accounts))
    print(f"{args.accounts} accounts, SQLite")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
