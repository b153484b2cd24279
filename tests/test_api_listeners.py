"""Worker processes of `jiaokan serve --workers N` listen on sockets of their own (Linux), so the
kernel spreads connections over them; a taken port still fails at start; and a lexicon change
made through one worker reaches the corrections of all of them."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from jiaokan.api.listeners import WorkerListener, balanced_listeners_supported, bind_reuse_port_socket, check_address_free

linux_only = pytest.mark.skipif(not balanced_listeners_supported(), reason="the kernel balances SO_REUSEPORT sockets on Linux only")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@linux_only
def test_two_reuse_port_sockets_on_one_port_share_its_connections():
    port = free_port()
    listeners = [bind_reuse_port_socket("127.0.0.1", port) for _ in range(2)]
    clients = []
    try:
        for listener in listeners:
            listener.listen(64)
            listener.setblocking(False)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
        accepted = [accept_all(listener) for listener in listeners]
        assert sum(accepted) == 32
        assert min(accepted) > 0, f"one socket got every connection: {accepted}"
    finally:
        for connection in clients + listeners:
            connection.close()


def accept_all(listener: socket.socket) -> int:
    count = 0
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            if count:
                return count
            time.sleep(0.01)
            continue
        connection.close()
        count += 1
    return count


@linux_only
def test_a_worker_listener_pickles_into_a_socket_of_its_own():
    import pickle

    port = free_port()
    listener = WorkerListener("127.0.0.1", port)
    first, second = pickle.loads(pickle.dumps(listener)), pickle.loads(pickle.dumps(listener))
    try:
        assert isinstance(first, socket.socket) and first.fileno() != second.fileno()
        assert first.getsockname() == second.getsockname() == ("127.0.0.1", port)
    finally:
        first.close()
        second.close()


def test_a_port_someone_listens_on_is_refused():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(OSError):
            check_address_free("127.0.0.1", taken.getsockname()[1])
    check_address_free("127.0.0.1", free_port())


def listening_sockets(port: int) -> int:
    """Sockets in state LISTEN on ``port`` (from /proc/net/tcp)."""
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A")


@linux_only
@pytest.mark.slow
def test_serve_with_two_workers_balances_and_shares_lexicon_changes(tmp_path):
    port = free_port()
    environment = os.environ | {"JIAOKAN_DATABASE_URL": f"sqlite:///{tmp_path / 'jiaokan.db'}"}
    command = [sys.executable, "-m", "jiaokan.cli", "serve", "--port", str(port), "--workers", "2", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(server, base, workers=2, port=port)
        assert listening_sockets(port) == 2, "each worker listens on a socket of its own"
        second = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "cannot listen" in second.stderr

        text = "新建的墨子巡夭望远镜性能优良。"
        # a fresh connection per request: the kernel spreads them over both workers
        assert not any(corrected(base, text) for _ in range(12)), "no term yet: nothing to match"
        # each worker prepares a change in the background, serving the lexicon before meanwhile
        assert httpx.post(f"{base}/v1/lexicon/terms", json={"term": "墨子巡天望远镜"}).status_code == 201
        assert eventually(lambda: all(corrected(base, text) for _ in range(12))), "every worker sees the new term"
        assert httpx.delete(f"{base}/v1/lexicon/terms/墨子巡天望远镜").status_code == 204
        assert eventually(lambda: not any(corrected(base, text) for _ in range(12))), "every worker sees the removal"
    finally:
        server.terminate()
        server.wait(timeout=30)


def eventually(condition, within: float = 120.0) -> bool:
    """Whether ``condition()`` holds within ``within`` seconds (asked every half second)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def corrected(base: str, text: str) -> bool:
    response = httpx.post(f"{base}/v1/correct", json={"text": text}, timeout=30)
    assert response.status_code == 200, response.text
    return "墨子巡天望远镜" in response.json()["text"]


def wait_until_ready(server: subprocess.Popen, base: str, *, workers: int, port: int) -> None:
    """Until /healthz answers and every worker listens."""
    deadline = time.monotonic() + 120
    while True:
        assert server.poll() is None, server.stdout.read().decode(errors="replace")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200 and listening_sockets(port) == workers:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.3)
