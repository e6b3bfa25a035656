"""Progress of a transfer, per phase.

On a terminal: one line redrawn in place on stderr. In GitHub Actions: a
`::group::` per phase and plain lines at most every few seconds. Elsewhere
(logs, pipes): plain lines, less often. All text goes through console.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time

from herokufly.base import console, masking


def _human_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


class Progress:
    """Base: records nothing, prints nothing (for library callers and tests)."""

    def phase(self, name: str, total: float | None = None, unit: str = "bytes"):
        return contextlib.nullcontext()

    def advance(self, amount: float = 0, detail: str | None = None) -> None:
        pass

    def note(self, text: str) -> None:
        pass


class ConsoleProgress(Progress):
    def __init__(self, *, tty: bool | None = None, actions: bool | None = None,
                 interval: float | None = None):
        self.actions = masking.in_github_actions() if actions is None else actions
        self.tty = (sys.stderr.isatty() and not self.actions) if tty is None else tty
        self.interval = interval if interval is not None else (0.2 if self.tty else
                                                               5.0 if self.actions else 10.0)
        self._lock = threading.Lock()
        self._name = ""
        self._total: float | None = None
        self._unit = "bytes"
        self._done = 0.0
        self._detail = ""
        self._started = 0.0
        self._last_print = 0.0
        self._drawn = False

    @contextlib.contextmanager
    def phase(self, name: str, total: float | None = None, unit: str = "bytes"):
        with self._lock:
            self._name, self._total, self._unit = name, total, unit
            self._done, self._detail = 0.0, ""
            self._started = self._last_print = time.monotonic()
        # Groups go to stderr like every progress line: stdout carries only the report
        # (which may be --json); the Actions runner reads workflow commands on both.
        cm = self._group(name) if self.actions else contextlib.nullcontext()
        with cm:
            if not self.tty and not self.actions:
                console.err(f"{name} ...")
            try:
                yield self
            except BaseException:
                with self._lock:
                    self._clear_line()
                raise
            elapsed = time.monotonic() - self._started
            with self._lock:
                self._clear_line()
                console.err(f"{name}: done in {elapsed:.1f}s" + (
                    f" ({self._amount(self._done)})" if self._done else ""))

    @staticmethod
    @contextlib.contextmanager
    def _group(name: str):
        console.err(f"::group::{name}")
        try:
            yield
        finally:
            console.err("::endgroup::")

    def advance(self, amount: float = 0, detail: str | None = None) -> None:
        with self._lock:
            self._done += amount
            if detail:
                self._detail = detail
            now = time.monotonic()
            if now - self._last_print < self.interval:
                return
            self._last_print = now
            line = self._line(now)
            if self.tty:
                sys.stderr.write("\r\033[K" + masking.redact(line))
                sys.stderr.flush()
                self._drawn = True
            else:
                console.err(line)

    def note(self, text: str) -> None:
        with self._lock:
            self._clear_line()
            console.err(text)

    def _amount(self, n: float) -> str:
        return _human_bytes(n) if self._unit == "bytes" else f"{n:.0f} {self._unit}"

    def _line(self, now: float) -> str:
        elapsed = max(now - self._started, 1e-6)
        text = f"{self._name}: {self._amount(self._done)}"
        if self._total:
            text += f" of {self._amount(self._total)} ({min(100.0, 100 * self._done / self._total):.0f}%)"
        if self._unit == "bytes":
            text += f", {_human_bytes(self._done / elapsed)}/s"
        if self._detail:
            text += f" - {self._detail}"
        return text

    def _clear_line(self) -> None:
        if self._drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._drawn = False
