"""The batch benchmark's process-tree sampling (what its memory figures are summed over)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# bench/ is a top-level folder of the repository, not part of the installed package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_batch import process_tree  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux /proc")

#: a process that starts a child from a second thread, then waits: the tree is three deep
PARENT = """
import subprocess, sys, threading, time
def start():
    subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); time.sleep(30)"])
threading.Thread(target=start).start()
time.sleep(30)
"""


def test_process_tree_finds_descendants_started_by_any_thread():
    parent = subprocess.Popen([sys.executable, "-c", PARENT])
    try:
        deadline = time.monotonic() + 20
        tree, resident = process_tree(parent.pid)
        while len(tree) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
            tree, resident = process_tree(parent.pid)
        assert tree[0] == parent.pid and len(tree) == 3
        assert resident > 3 * 1_000_000  # three Python interpreters' resident pages
    finally:
        for pid in process_tree(parent.pid)[0][::-1]:
            os.kill(pid, signal.SIGKILL)
        parent.wait()
