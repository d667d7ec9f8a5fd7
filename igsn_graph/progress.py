"""Progress of a long command (`igsn-graph load`): a one-line bar with rate and ETA on a terminal, plain log
lines now and then otherwise (a log file or a pipe gets no carriage returns)."""

from __future__ import annotations

import tempfile
import time
from typing import IO, Iterator, TextIO

__all__ = ["Progress", "Lines"]

#: seconds between redraws of the bar
BAR_EVERY_S = 0.2
#: seconds between plain log lines when the stream is not a terminal
LOG_EVERY_S = 10.0


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Progress:
    """Records done, their rate, and (when the share of the input read is known) a bar and the time left."""

    def __init__(
        self,
        stream: TextIO,
        *,
        bar: bool,
        log_every_s: float = LOG_EVERY_S,
    ) -> None:
        self.stream = stream
        self.bar = bar
        self.log_every_s = log_every_s
        self.start = time.monotonic()
        self._last = self.start
        self._drawn = False

    def line(self, done: int, invalid: int, part: int | None = None, whole: int | None = None) -> str:
        """The state in words: ``part`` of ``whole`` (files read of all) gives the share done and the ETA."""
        elapsed = max(time.monotonic() - self.start, 1e-9)
        text = f"{done:,} records, {invalid:,} invalid, {done / elapsed:,.0f}/s"
        if part is not None and whole:
            share = min(part / whole, 1.0)
            text += f", {part:,}/{whole:,} files"
            if share > 0:
                text += f", {_duration(elapsed / share - elapsed)} left"
        return text + f", {_duration(elapsed)} elapsed"

    def update(self, done: int, invalid: int, part: int | None = None, whole: int | None = None) -> None:
        now = time.monotonic()
        if now - self._last < (BAR_EVERY_S if self.bar else self.log_every_s):
            return
        self._last = now
        text = self.line(done, invalid, part, whole)
        if self.bar:
            if part is not None and whole:
                width = 30
                filled = int(width * min(part / whole, 1.0))
                text = "[" + "#" * filled + "-" * (width - filled) + "] " + text
            self.stream.write("\r" + text + "\x1b[K")
            self._drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


class Lines:
    """Report lines collected during a long command and printed at its end, in bounded memory: past
    ``in_memory`` lines they go to a temporary file (a load of millions may warn about every record; none is
    dropped)."""

    def __init__(self, in_memory: int = 10_000) -> None:
        self._held: list[str] = []
        self._in_memory = in_memory
        self._spill: IO[str] | None = None
        self.count = 0

    def append(self, line: str) -> None:
        self.count += 1
        if self._spill is None and len(self._held) < self._in_memory:
            self._held.append(line)
            return
        if self._spill is None:
            self._spill = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._spill.write(line.replace("\n", " ") + "\n")

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[str]:
        yield from self._held
        if self._spill is not None:
            self._spill.flush()
            self._spill.seek(0)
            for line in self._spill:
                yield line.rstrip("\n")
            self._spill.seek(0, 2)  # appends go on at the end

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()
            self._spill = None
