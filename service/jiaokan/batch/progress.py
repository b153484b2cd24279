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


#: the size assumed where the terminal reports none (some ptys report 0 x 0)
FALLBACK_SIZE = (80, 24)


def _terminal_size() -> tuple[int, int]:
    """(columns, lines) of the terminal on stderr; 0 for what it does not report."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return 0, 0
    return max(size.columns, 0), max(size.lines, 0)


def bar_size() -> tuple[int | None, int | None]:
    """(columns, lines) to give the bar: None for what the terminal reports (the bar then
    follows it as it changes), and for what it does not, the size ``COLUMNS`` and ``LINES``
    or another terminal give (`shutil.get_terminal_size`), else `FALLBACK_SIZE`: a
    terminal of 0 lines would hide the bar (tqdm draws nothing below its last line)."""
    import shutil

    columns, lines = _terminal_size()
    fallback = shutil.get_terminal_size(FALLBACK_SIZE)
    return (None if columns else fallback.columns or FALLBACK_SIZE[0],
            None if lines else fallback.lines or FALLBACK_SIZE[1])


class ProgressBar:
    """One stage's bar: a count of ``unit`` with rate and time left, plus a files counter."""

    def __init__(self, description: str, *, total: int, unit: str, total_files: int, enabled: bool) -> None:
        self.total_files = total_files
        self.files = 0
        self._bar = None
        if enabled:
            from tqdm import tqdm

            columns, lines = bar_size()
            self._bar = tqdm(
                total=total,
                unit=unit,
                unit_scale=True,
                desc=description,
                file=sys.stderr,
                dynamic_ncols=columns is None and lines is None,
                ncols=columns,
                nrows=lines,
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
