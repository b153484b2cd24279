"""The engine lane: corrections too large for the event loop run in worker processes, each
within a time budget.

The engine holds the interpreter lock for most of its work, so a long correction in a thread
would still slow every other request of the process, and a thread cannot be stopped. A process
can: `EngineLane.run` hands the work to a pebble process pool and waits at most the budget,
queueing included. Past it the task is cancelled, which stops its process (the pool starts a
fresh one), and the caller gets `OverloadedError` (a 503): the lane is free for the next request.

The pool starts with the first correction sent to it. Where the platform can fork, its
processes are forked from the server's worker, which has loaded the engine's tables by then,
so they start warm; elsewhere they are spawned and load the tables themselves. A call names
the ``generation`` of the tables it needs (the lexicon version serving): when it moves on, new
work goes to a fresh pool forked from the worker that has prepared the new tables, and the old
pool finishes what it has and ends (a process forked before would build them itself, within
the request's budget).
"""
from __future__ import annotations

import asyncio
import multiprocessing
import threading
from typing import Any, Callable

from jiaokan.errors import OverloadedError

#: seconds `close` waits for the pool's processes to end
CLOSE_TIMEOUT = 5.0


class EngineLane:
    """Run functions in ``processes`` worker processes, each call within ``budget`` seconds."""

    def __init__(self, *, processes: int, budget: float) -> None:
        self.processes = processes
        self.budget = budget
        self._pool = None
        self._generation: Any = None
        self._lock = threading.Lock()

    async def run(self, function: Callable[..., Any], *args: Any, generation: Any = None) -> Any:
        """``function(*args)`` in a worker process; `OverloadedError` past the budget.

        The function and its arguments must pickle; an exception it raises is raised here.
        """
        from pebble import ProcessExpired

        future = self._started_pool(generation).schedule(function, args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.budget)
        except TimeoutError:
            future.cancel()  # stops the process running it; the pool replaces it
            raise OverloadedError(
                f"the correction did not finish within its time budget of {self.budget:g} s and was stopped; "
                "send long texts to POST /v1/documents or correct folders with `jiaokan clean`"
            ) from None
        except ProcessExpired as error:
            raise OverloadedError(f"the process correcting this request ended abnormally (exit code {error.exitcode})") from None

    def close(self) -> None:
        """Stop the pool's processes (work in flight is abandoned), waiting a bounded time."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop()
            pool.join(timeout=CLOSE_TIMEOUT)

    def _started_pool(self, generation: Any):
        from pebble import ProcessPool

        with self._lock:
            if self._pool is not None and generation != self._generation:
                self._pool.close()  # no new work; what it has finishes, then its processes end
                self._pool = None
            if self._pool is None:
                self._pool = ProcessPool(max_workers=self.processes, context=_process_context())
                self._generation = generation
            return self._pool


def _process_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
