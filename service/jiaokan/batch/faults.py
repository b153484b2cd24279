"""Fault injection for the kill-and-restart tests: makes a run die or slow down at a known point.

Read from the environment, so a test can drive the real command in a subprocess:

``JIAOKAN_TEST_KILL_AFTER=N``
    after N documents are finished in this run, SIGKILL the process while the next
    document's text sits written in its temporary file, just before the rename (the
    worst moment: a temporary file is left behind, nothing is recorded).
``JIAOKAN_TEST_DELAY=SECONDS``
    sleep this long after each finished document, so a kill from outside lands mid-run.

Both are unset in normal use, and then cost nothing.
"""
from __future__ import annotations

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

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] | None = None) -> "FaultInjection":
        """The faults the environment asks for (none by default)."""
        environment = os.environ if environment is None else environment
        kill_after = environment.get("JIAOKAN_TEST_KILL_AFTER")
        delay = environment.get("JIAOKAN_TEST_DELAY")
        return cls(kill_after=int(kill_after) if kill_after else None, delay_seconds=float(delay) if delay else 0.0)

    def before_replace(self, finished_in_this_run: int, _temporary: Path) -> None:
        """Called with a document's text in its temporary file; may kill the process."""
        if self.kill_after is not None and finished_in_this_run >= self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    def after_document(self) -> None:
        """Called after each finished document."""
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
