"""Printing a command's results where the reader may go away: ``jiaokan eval ... | head``.

A reader that closes the pipe early wants no more output, and no traceback either: the
rest of the output is dropped (standard output is pointed at /dev/null, so nothing fails
again when the interpreter flushes it at exit) and the command carries on with its work.
"""
from __future__ import annotations

import os
import sys

#: the exit code of a command whose output the reader stopped reading (as a shell reports
#: a process ended by SIGPIPE: 128 + 13)
EXIT_CLOSED_PIPE = 141


def print_output(text: str) -> bool:
    """Print ``text`` (and flush it) on standard output; False, and nothing more is printed
    there, once the reader has closed it."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        drop_output()
        return False
    return True


def drop_output() -> None:
    """Send whatever standard output still holds, and all that is printed later, to /dev/null."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass  # no descriptor to redirect (a replaced sys.stdout): nothing will flush to the pipe
