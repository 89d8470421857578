"""A throwaway redis-server on 127.0.0.1 and a free port, ours to stop and start again (never the machine's own).

redis = RedisServer(workdir); redis.start(); redis.url; redis.stop(); redis.start()   # same port again
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis as redis_client

from testing.services import free_port

REDIS_SERVER = "redis-server"


def redis_server_missing() -> str | None:
    """Why a redis-server of our own can't be started here, or None."""
    if shutil.which(REDIS_SERVER) is None:
        return f"no {REDIS_SERVER} (apt-get install redis-server)"
    return None


@dataclass
class RedisServer:
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 10.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                redis_client.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis_client.RedisError:
                time.sleep(0.05)
        raise TimeoutError(f"redis-server on port {self.port} did not answer")

    def client_connections(self) -> int:
        """Clients connected now, not counting the connection that asks."""
        client = redis_client.Redis(port=self.port, socket_connect_timeout=1)
        try:
            return int(client.info("clients")["connected_clients"]) - 1
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
