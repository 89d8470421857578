"""Plain PostgreSQL helpers (no Django) for tests, the bench and the soak; clusters of our own to break.

cluster = PostgresCluster.create()     # initdb + pg_ctl start on a free port, superuser "postgres", trust
cluster.stop(); cluster.start(); cluster.restart(); cluster.destroy()
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2

from testing.services import free_port, postgres_test_url, service_missing

POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def database_url(server_url: str, name: str) -> str:
    """The URL of another database on the same server."""
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def autocommit(url: str) -> Iterator[psycopg2.extensions.cursor]:
    connection = psycopg2.connect(url, connect_timeout=3)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def postgres_server_available(url: str) -> str | None:
    """None when the server answers, else why not."""
    try:
        psycopg2.connect(url, connect_timeout=2).close()
    except psycopg2.OperationalError as exc:
        return f"no PostgreSQL server at {url}: {str(exc).strip()}"
    return None


@contextmanager
def new_database(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database named `prefix`_<random> on this server; dropped at the end."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with autocommit(server_url) as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(server_url, name)
    finally:
        with autocommit(server_url) as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A new, empty database on the test server (a test skips, or fails, without one); dropped after."""
    server_url = postgres_test_url()
    if reason := postgres_server_available(server_url):
        service_missing(reason)
    with new_database(server_url, prefix) as url:
        yield url


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries installed, or None."""
    candidates = sorted(glob.glob(POSTGRES_BIN_GLOB), key=lambda path: int(Path(path).parent.name.split(".")[0]))
    found = [Path(path) for path in candidates if (Path(path) / "initdb").exists()]
    return found[-1] if found else None


def postgres_cluster_missing() -> str | None:
    """Why a cluster of our own can't be created here, or None."""
    if postgres_bin_dir() is None:
        return f"no PostgreSQL server binaries under {POSTGRES_BIN_GLOB} (apt-get install postgresql)"
    return None


def _as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; as root we run it as the postgres account the Debian package creates.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class PostgresCluster:
    """A throwaway cluster on 127.0.0.1 and a free port, ours to stop and restart (never the machine's own)."""

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

    def execute(self, sql: str, params: tuple[Any, ...] = (), *, database: str = "postgres") -> list[tuple[Any, ...]]:
        connection = psycopg2.connect(self.url(database), connect_timeout=3)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def client_connections(self, database: str) -> int:
        """Client connections open on this database, our own query's excluded."""
        rows = self.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
            (database,),
        )
        count: int = rows[0][0]
        return count

    def terminate_connections(self, database: str) -> int:
        """pg_terminate_backend on every client connection to this database but ours; how many were ended."""
        rows = self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
            (database,),
        )
        return sum(1 for (ended,) in rows if ended)

    def destroy(self) -> None:
        if self.running():
            try:
                self.stop()
            except subprocess.SubprocessError:
                self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.directory.parent, ignore_errors=True)
