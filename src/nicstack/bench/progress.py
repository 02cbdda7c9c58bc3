"""A one-line progress bar on stderr for the long steps of the benchmark."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

WIDTH = 28


class Progress:
    """Redraws one line in place on a terminal; elsewhere prints one line when the step ends."""

    def __init__(self, label: str, total: float, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 1e-9)
        self.stream = stream if stream is not None else sys.stderr
        self.live = self.stream.isatty()
        self.done = 0.0
        self.started = time.monotonic()
        self._drawn = 0.0
        self._draw(force=True)

    def update(self, done: float) -> None:
        self.done = min(max(done, 0.0), self.total)
        self._draw()

    def advance(self, step: float = 1.0) -> None:
        self.update(self.done + step)

    def finish(self, note: str = "") -> None:
        elapsed = time.monotonic() - self.started
        tail = f" {note}" if note else ""
        if self.live:
            self.stream.write(f"\r\x1b[2K  {self.label}: done in {elapsed:.1f} s{tail}\n")
        else:
            self.stream.write(f"  {self.label}: done in {elapsed:.1f} s{tail}\n")
        self.stream.flush()

    def abandon(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()

    def _draw(self, force: bool = False) -> None:
        if not self.live:
            return
        now = time.monotonic()
        # Redrawing more often than 10 times a second only costs CPU the measurement needs.
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        share = self.done / self.total
        filled = int(share * WIDTH)
        bar = "#" * filled + "." * (WIDTH - filled)
        elapsed = now - self.started
        self.stream.write(f"\r\x1b[2K  {self.label} [{bar}] {share * 100:3.0f}% {elapsed:5.1f} s")
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.finish()
        else:
            self.abandon()


def note(text: str, stream: TextIO | None = None) -> None:
    """A one-off status line (a section starting)."""
    out = stream if stream is not None else sys.stderr
    out.write(f"{text}\n")
    out.flush()
