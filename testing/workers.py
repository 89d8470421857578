"""Real Celery workers and a FacePass database on PostgreSQL that web and workers share, for end-to-end tests.

with celery_worker(env, log_path=tmp_path / "worker.log") as worker:   # ready to take tasks
    ...
    worker_kill(worker)                                                  # SIGKILL, the whole process group
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from testing.services import REPO_ROOT, stop_process

READY_MARK = b" ready."


@contextmanager
def celery_worker(
    env: Mapping[str, str],
    *,
    log_path: Path,
    queues: str = "search,index",
    concurrency: int = 2,
    ready_timeout: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """`celery -A project_config worker` as deployed (prefork), in its own process group; stopped at the end."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "project_config",
                "worker",
                "-Q",
                queues,
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "--hostname",
                f"test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=REPO_ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for_ready(process, log_path, ready_timeout)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        stop_process(process, timeout=20)


def _wait_for_ready(process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> None:
    start = log_path.stat().st_size if log_path.exists() else 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"celery worker exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        with open(log_path, "rb") as log:
            log.seek(start)
            if READY_MARK in log.read():
                return
        time.sleep(0.1)
    raise TimeoutError(f"celery worker not ready within {timeout} s:\n{log_path.read_text()[-3000:]}")


def worker_kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool processes at once, as when its machine dies."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
