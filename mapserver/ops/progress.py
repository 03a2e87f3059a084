"""A progress line on stderr for long admin commands (backup, restore).

On a terminal the line is rewritten in place; into a log (cron, systemd) a line is written
at most every ``every`` seconds, so a 100,000-project restore leaves a readable trail.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``label: text`` lines, throttled; ``done`` always prints."""

    def __init__(self, label: str, stream: TextIO | None = None, every: float = 5.0) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.tty = self.stream.isatty()
        self._last = 0.0
        self._width = 0

    def update(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last < (0.2 if self.tty else self.every):
            return
        self._last = now
        self._write(text, final=False)

    def done(self, text: str) -> None:
        self._last = 0.0
        self._write(text, final=True)

    def _write(self, text: str, final: bool) -> None:
        line = f"{self.label}: {text}"
        if self.tty:
            pad = " " * max(0, self._width - len(line))
            self._width = 0 if final else len(line)
            self.stream.write(f"\r{line}{pad}" + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
