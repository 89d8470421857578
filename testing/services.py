"""Real services for tests: find them or explain why not, start processes, wait until they answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEST_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


# Rates no single load generator reaches, for runs that measure something other than the throttles.
UNREACHED_RATE = "100000000/min"


class ThrottleRates(TypedDict):
    THROTTLE_RATE_SESSIONS: str
    THROTTLE_RATE_FACE_SEARCH_CLIENT: str
    THROTTLE_RATE_FACE_SEARCH_SESSION: str


# A TypedDict, so that type checkers match its keys to a function's **environment overrides.
THROTTLES_UNREACHED: ThrottleRates = {
    "THROTTLE_RATE_SESSIONS": UNREACHED_RATE,
    "THROTTLE_RATE_FACE_SEARCH_CLIENT": UNREACHED_RATE,
    "THROTTLE_RATE_FACE_SEARCH_SESSION": UNREACHED_RATE,
}


def services_required() -> bool:
    """Whether a missing service fails the test (CI) instead of skipping it."""
    return os.environ.get("REQUIRE_SERVICES") == "1"


def service_missing(reason: str) -> None:
    """Skip with a visible reason, or fail when REQUIRE_SERVICES=1."""
    if services_required():
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def postgres_test_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)


def redis_test_url() -> str:
    return os.environ.get("TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(url: str, *, timeout: float = 30.0, process: subprocess.Popen[Any] | None = None) -> None:
    """Wait until `url` answers with any HTTP status (the app has loaded, not just the port)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError as exc:
            last_error = exc
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s: {last_error}")


def stop_process(process: subprocess.Popen[Any], *, timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def manage(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run manage.py in a child process with this environment; fail loudly with its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=dict(env), capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def base_environment(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """An environment for a FacePass child process with its own SQLite databases under tmp_path."""
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_SETTINGS_MODULE"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "project_config.settings",
            "SECRET_KEY": "test-only-not-a-secret",
            "DEBUG": "false",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'facepass.sqlite3'}",
            "MAIN_APP_DATABASE_URL": f"sqlite:///{tmp_path / 'pixora.sqlite3'}",
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            # Tasks go to an in-memory broker nobody reads; tests with a real worker give a Redis URL.
            "CELERY_BROKER_URL": "memory://",
            "CELERY_BROKER_DIRECTORY": str(tmp_path / "broker"),
            "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "celerybeat-schedule"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


@dataclass(frozen=True)
class ServerProcess:
    """A server running as our child: its base URL and its root process (a master, when it has workers)."""

    url: str
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def worker_pids(self) -> list[int]:
        """The root process's children (the server's or uvicorn's workers)."""
        pid = self.process.pid
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@contextmanager
def server_process(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
    port: int,
    ready_path: str,
    timeout: float = 30.0,
    logs: Sequence[Path] = (),
) -> Iterator[ServerProcess]:
    """`argv` as a child process serving on 127.0.0.1:`port`, once `ready_path` answers; stopped at the end.

    Its output goes to `log_path`; if it doesn't start, the error quotes that and `logs`.
    """
    base_url = f"http://127.0.0.1:{port}"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(list(argv), cwd=REPO_ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_http(f"{base_url}{ready_path}", timeout=timeout, process=process)
        except (RuntimeError, TimeoutError) as exc:
            quoted = "".join(f"\n{path}:\n{log_tail(path)}" for path in (log_path, *logs))
            raise type(exc)(f"{exc}{quoted}") from exc
        yield ServerProcess(base_url, process)
    finally:
        stop_process(process)


@contextmanager
def app_server_process(
    env: Mapping[str, str],
    *,
    log_path: Path,
    app: str = "project_config.wsgi:application",
    ready_path: str = "/api/healthz/",
    timeout: float = 30.0,
) -> Iterator[ServerProcess]:
    """`app` (FacePass unless told) under the production server (project_config/server.py) on a free port, answering."""
    port = free_port()
    argv = [sys.executable, "-m", "project_config.server", app]
    env = {**env, "SERVER_BIND": f"127.0.0.1:{port}"}
    with server_process(argv, env=env, log_path=log_path, port=port, ready_path=ready_path, timeout=timeout) as server:
        yield server


@contextmanager
def app_server(env: Mapping[str, str], *, log_path: Path) -> Iterator[str]:
    """FacePass under the production server on a free port; yields its base URL."""
    with app_server_process(env, log_path=log_path) as server:
        yield server.url
