"""The shell's own database file in the data folder, and the lock that keeps a second `--demo`
shell from recreating the database a first one is using.

The lock is the operating system's (`flock` on a file next to the database): it is released
whenever the process that holds it ends, by `:quit`, Ctrl-C or a crash, so it can never be left
behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from bot.runtime import StartupError

DEMO_DATABASE = "shell-demo.db"
DEMO_LOCK = "shell-demo.lock"


class DemoLock:
    """Held for as long as a demo shell runs in a data folder."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / DEMO_LOCK
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode(errors="replace").strip()
            os.close(self._fd)
            raise StartupError(
                f"another `adops-bot shell --demo` is running in {data_dir}"
                + (f" (process {holder})" if holder.isdigit() else "")
                + "; quit it first, or give this one another ADOPS_DATA_DIR"
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, str(os.getpid()).encode(), 0)

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing the file gives the lock up
            self._fd = -1


def own_database(data_dir: Path, *, fresh: bool) -> str:
    """The shell never opens the server's database unless told to. A demo starts from nothing,
    since the demo networks it talked to last time are gone; only call this for one while
    holding its `DemoLock`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / (DEMO_DATABASE if fresh else "shell.db")
    if fresh:
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path}"
