"""Throwaway PostgreSQL and Redis servers on free ports, ours to restart and stop (never the machine's own).

cluster = PostgresCluster.create()            # initdb + pg_ctl start, superuser "postgres", trust on 127.0.0.1
cluster.restart(); cluster.stop(); cluster.start(); cluster.destroy()
redis = RedisServer(workdir); redis.start(); redis.stop()
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import redis as redis_client

from testing.services import free_port

POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
REDIS_SERVER = "redis-server"


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries installed, or None."""
    candidates = sorted(glob.glob(POSTGRES_BIN_GLOB), key=lambda path: int(Path(path).parent.name.split(".")[0]))
    found = [Path(path) for path in candidates if (Path(path) / "initdb").exists()]
    return found[-1] if found else None


def missing_tools() -> str | None:
    """Why our own servers can't be started here, or None."""
    if postgres_bin_dir() is None:
        return f"no PostgreSQL server binaries under {POSTGRES_BIN_GLOB} (apt-get install postgresql)"
    if shutil.which(REDIS_SERVER) is None:
        return "no redis-server (apt-get install redis-server)"
    return None


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; as root we run it as the postgres account the Debian package creates.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class PostgresCluster:
    directory: Path
    port: int
    bin_dir: Path

    @classmethod
    def create(cls) -> PostgresCluster:
        """A new cluster in its own directory under the system temp dir (the postgres account must reach it)."""
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries not found")
        workdir = Path(tempfile.mkdtemp(prefix="facepass-pg-"))
        directory = workdir / "pgdata"
        if os.geteuid() == 0:
            shutil.chown(workdir, user="postgres")
            workdir.chmod(0o700)
        subprocess.run(
            _as_postgres_user(
                [str(bin_dir / "initdb"), "-D", str(directory), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        cluster = cls(directory=directory, port=free_port(), bin_dir=bin_dir)
        with open(directory / "postgresql.auto.conf", "a") as conf:
            conf.write(
                f"port = {cluster.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{workdir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
            )
        cluster.start()
        return cluster

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres_user(
                [str(self.bin_dir / "pg_ctl"), "-D", str(self.directory), "-l", str(self.directory / "log.txt"), *args]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        self._pg_ctl("-w", "start")

    def stop(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "stop")

    def restart(self) -> None:
        self._pg_ctl("-w", "-m", "fast", "restart")

    def running(self) -> bool:
        return (self.directory / "postmaster.pid").exists()

    def execute(self, sql: str, params: tuple = (), *, database: str = "postgres") -> list[tuple]:
        connection = psycopg2.connect(self.url(database), connect_timeout=3)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def destroy(self) -> None:
        if self.running():
            try:
                self.stop()
            except subprocess.SubprocessError:
                self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.directory.parent, ignore_errors=True)


@dataclass
class RedisServer:
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

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

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
