"""A throwaway redis-server of our own: on a free loopback port, in a folder we choose, with AOF on.

Why here and not only in the tests: the fault tests, the scale bench (``make bench``) and the
Redis tests all start their own Redis, never a system one, and restart it to see what a Redis
restart does to CareChat. Plain Python (sockets and a subprocess), so either environment can use it.
"""
from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Optional

REDIS_SERVER = "redis-server"
START_TIMEOUT_SECONDS = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _encode(*args: str) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RedisServer:
    """One redis-server process we own; ``restart`` keeps its folder, so data in the AOF comes back."""

    def __init__(self, port: int, data_dir: Path, executable: str = REDIS_SERVER) -> None:
        self.port = port
        self.data_dir = Path(data_dir)
        self.executable = executable
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> "RedisServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
            "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no",
            "--logfile", str(self.data_dir / "redis.log"),
        ]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited at start (code {self.process.returncode}); "
                                   f"see {self.data_dir / 'redis.log'}")
            try:
                if self.command("PING") == "+PONG":
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer within {START_TIMEOUT_SECONDS:.0f} s")

    def stop(self) -> None:
        """Stop it (SIGTERM: Redis flushes the AOF and exits) and wait until the port is free."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=START_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> "RedisServer":
        """Stop and start again on the same port and folder (what a Redis restart looks like)."""
        self.stop()
        return self.start()

    def ensure_running(self) -> "RedisServer":
        return self if self.running else self.start()

    def command(self, *args: str) -> str:
        """Send one command over a fresh connection; the first line of the raw reply (``+OK``, ``:1``, ...)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            conn.sendall(_encode(*args))
            reply = b""
            while not reply.endswith(b"\r\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
        return reply.split(b"\r\n", 1)[0].decode()

    def flush(self) -> None:
        """Empty every database, so each test starts from nothing."""
        self.command("FLUSHALL")


def start_redis(port: int, data_dir: Path, executable: str = REDIS_SERVER) -> RedisServer:
    """Start redis-server on ``127.0.0.1:port`` keeping its files in ``data_dir``; the running handle."""
    return RedisServer(port, data_dir, executable).start()
