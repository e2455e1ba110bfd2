"""Where the shell reads lines from and writes text to: a person at a terminal, or a script on
stdin (each line is echoed after its prompt, so the output reads as a transcript)."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO


class Console:
    def __init__(self, source: TextIO | None = None, sink: TextIO | None = None) -> None:
        self._source = source or sys.stdin
        self._sink = sink or sys.stdout
        self.interactive = self._source.isatty() and self._sink.isatty()

    def say(self, *lines: str) -> None:
        for line in lines:
            self._sink.write(line + "\n")
        self._sink.flush()

    async def ask(self, prompt: str) -> str | None:
        """The next line without its newline, or None at the end of input."""
        if self.interactive:
            try:
                return await asyncio.to_thread(input, prompt)
            except EOFError:
                return None
        line = await asyncio.to_thread(self._source.readline)
        if not line:
            return None
        line = line.rstrip("\n")
        self._sink.write(f"{prompt}{line}\n")
        self._sink.flush()
        return line
