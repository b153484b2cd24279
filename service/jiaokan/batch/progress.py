"""Progress bars (tqdm) for a run on a terminal; nothing at all when output is piped or logged."""
from __future__ import annotations

import os
import sys
from typing import TextIO


def terminal_attached(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (stderr by default) is a terminal, where bars make sense."""
    stream = stream or sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _terminal_width() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


class ProgressBar:
    """One stage's bar: a count of ``unit`` with rate and time left, plus a files counter."""

    def __init__(self, description: str, *, total: int, unit: str, total_files: int, enabled: bool) -> None:
        self.total_files = total_files
        self.files = 0
        self._bar = None
        if enabled:
            import shutil

            from tqdm import tqdm

            # a terminal that reports no width (some ptys) would get an empty bar: assume 80 columns there
            sized = _terminal_width() > 0
            self._bar = tqdm(
                total=total,
                unit=unit,
                unit_scale=True,
                desc=description,
                file=sys.stderr,
                dynamic_ncols=sized,
                ncols=None if sized else shutil.get_terminal_size().columns,
                leave=True,
            )

    def advance(self, amount: int, *, files: int = 1) -> None:
        """``amount`` more ``unit`` done, in ``files`` more files."""
        self.files += files
        if self._bar is not None:
            self._bar.set_postfix_str(f"{self.files:,}/{self.total_files:,} files", refresh=False)
            self._bar.update(amount)

    def close(self) -> None:
        """Leave the finished bar on screen."""
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *_exception: object) -> None:
        self.close()
