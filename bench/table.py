"""The results table every benchmark prints: a verdict per target, never an exit code."""

from __future__ import annotations

from collections.abc import Iterable

Row = tuple[str, str, str, str]


def verdict(good: bool) -> str:
    return "met" if good else "MISSED"


def print_table(rows: Iterable[Row]) -> None:
    print(f"{'measure':<34} {'result':>10}  {'target':>10}  status")
    for name, value, target, status in rows:
        print(f"{name:<34} {value:>10}  {target:>10}  {status}")
