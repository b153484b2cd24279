"""Fault injection for the kill-and-restart tests: makes a run die or slow down at a known point.

Read from the environment, so a test can drive the real command in a subprocess:

``JIAOKAN_TEST_KILL_AFTER=N``
    after N documents are finished in this run, SIGKILL the process while the next
    document's text sits written in its temporary file, just before the rename (the
    worst moment: a temporary file is left behind, nothing is recorded).
``JIAOKAN_TEST_DELAY=SECONDS``
    sleep this long after each finished document, so a kill from outside lands mid-run.
``JIAOKAN_TEST_DISK_FULL_AFTER=N``
    after N documents are written in this run, writing a document's outputs fails as on a
    full disk (``OSError`` ENOSPC).

All are unset in normal use, and then cost nothing.
"""
from __future__ import annotations

import errno
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class FaultInjection:
    """The faults to inject into one run."""

    kill_after: int | None = None
    delay_seconds: float = 0.0
    disk_full_after: int | None = None

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] | None = None) -> "FaultInjection":
        """The faults the environment asks for (none by default)."""
        environment = os.environ if environment is None else environment
        kill_after = environment.get("JIAOKAN_TEST_KILL_AFTER")
        delay = environment.get("JIAOKAN_TEST_DELAY")
        disk_full_after = environment.get("JIAOKAN_TEST_DISK_FULL_AFTER")
        return cls(
            kill_after=int(kill_after) if kill_after else None,
            delay_seconds=float(delay) if delay else 0.0,
            disk_full_after=int(disk_full_after) if disk_full_after else None,
        )

    def before_write(self, finished_in_this_run: int, path: str) -> None:
        """Called before a document's outputs are written; may fail as a full disk does."""
        if self.disk_full_after is not None and finished_in_this_run >= self.disk_full_after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    def before_replace(self, finished_in_this_run: int, _temporary: Path) -> None:
        """Called with a document's text in its temporary file; may kill the process."""
        if self.kill_after is not None and finished_in_this_run >= self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def after_document(self) -> None:
        """Called after each finished document."""
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
