"""Listening sockets for several worker processes: one ``SO_REUSEPORT`` socket per worker.

uvicorn's supervisor binds one socket and hands it to every worker, so all workers share one
accept queue and race for it: the worker that wakes first accepts every pending connection, and
a client's keep-alive connections can all end up in one process while the others idle (with two
workers on two cores, throughput then drops to that of one). On Linux each worker can bind a
socket of its own to the same address with ``SO_REUSEPORT``; the kernel then spreads new
connections over the workers' queues by a hash of the connection's addresses.

`WorkerListener` stands for such a socket in the supervisor: pickled into each worker process
(uvicorn starts workers with ``spawn`` and passes them its list of sockets), it unpickles as a
socket that worker bound for itself, so a restarted worker binds a fresh one too.
"""
from __future__ import annotations

import logging
import socket
import sys

logger = logging.getLogger("uvicorn.error")


def balanced_listeners_supported() -> bool:
    """Whether the kernel spreads connections over ``SO_REUSEPORT`` sockets (Linux does; the BSDs
    and macOS accept the option but give every connection to one socket)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def address_family(host: str) -> socket.AddressFamily:
    """IPv6 for an address with a colon, IPv4 otherwise (as uvicorn decides)."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_address_free(host: str, port: int) -> None:
    """Raise `OSError` if something already listens on ``host:port``.

    A ``SO_REUSEPORT`` bind succeeds next to another listener of the same user (a second
    ``jiaokan serve`` on the same port would silently share its connections), so the
    supervisor first binds once without the option, exactly as a single uvicorn would.
    """
    with socket.socket(address_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def bind_reuse_port_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` with ``SO_REUSEPORT`` (the worker's server listens on it).

    A worker that cannot bind exits with uvicorn's start-up failure code, so the supervisor
    stops instead of restarting it forever.
    """
    from uvicorn.config import STARTUP_FAILURE

    listener = socket.socket(address_family(host), socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        logger.error("cannot listen on %s:%d: %s", host, port, error)
        sys.exit(STARTUP_FAILURE)
    return listener


class WorkerListener:
    """The address a worker listens on; unpickled in a worker process, a socket it bound itself."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def __reduce__(self):
        return (bind_reuse_port_socket, (self.host, self.port))

    def __repr__(self) -> str:
        return f"WorkerListener({self.host!r}, {self.port})"
