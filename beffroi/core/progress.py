"""A small progress bar for long commands (imports), with no dependency.

On a terminal it redraws one line (percentage, count, rate) at most ten times a second; in a
log file or a CI job it prints a few milestone lines instead of thousands of carriage returns.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_MILESTONES = (25, 50, 75, 100)


class ProgressBar:
    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        width: int = 30,
        unit: str = "",
        interval: float = 0.1,
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.unit = unit
        self.interval = interval
        isatty = getattr(self.stream, "isatty", None)
        self.interactive = bool(isatty()) if callable(isatty) else False
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._next_milestone = 0
        self._finished = False

    def _line(self, done: int, total: int) -> str:
        fraction = min(1.0, done / total) if total > 0 else 1.0
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = done / elapsed
        filled = int(fraction * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        unit = f" {self.unit}" if self.unit else ""
        return (
            f"{self.label} [{bar}] {fraction * 100:5.1f}% {done}/{total}{unit} "
            f"({rate:,.0f}{unit}/s)"
        )

    def update(self, done: int, total: int) -> None:
        """Show ``done`` of ``total``; cheap enough to call on every item."""
        if self._finished:
            return
        now = time.monotonic()
        if self.interactive:
            if now - self._last_draw < self.interval and done < total:
                return
            self._last_draw = now
            self.stream.write("\r" + self._line(done, total))
            self.stream.flush()
            return
        percent = 100 * done / total if total > 0 else 100
        reached = None
        while (
            self._next_milestone < len(_MILESTONES) and percent >= _MILESTONES[self._next_milestone]
        ):
            reached = self._next_milestone
            self._next_milestone += 1
        if reached is not None:
            self.stream.write(self._line(done, total) + "\n")
            self.stream.flush()

    def finish(self) -> None:
        """End the line on a terminal (so the next output starts on its own line)."""
        if self.interactive and not self._finished:
            self.stream.write("\n")
            self.stream.flush()
        self._finished = True
