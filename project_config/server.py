"""FacePass's HTTP server: granian serving the WSGI app, configured from the environment.

    python -m project_config.server [module:callable]   (default: project_config.wsgi:application)

Why granian and not gunicorn: measured side by side in `make bench` (docs/performance.md), granian's HTTP handling
(Rust) costs a bare Django view 0.09 CPU ms per request against gunicorn gthread's 0.21, and the same two cores
answer 70 % more cached validations. Each worker process runs the app on SERVER_THREADS threads. A request
waiting on Pixora holds one thread, and the proxy lets at most PIXORA_MAX_CONCURRENT_CALLS of a worker's threads
wait on Pixora at once (answering 503 past that), so a burst of hung upstream calls always leaves threads free for
the rest of the API.
"""

from __future__ import annotations

import glob
import os
import shutil
import sys
import tempfile
from collections.abc import MutableMapping
from typing import Any

from granian import Granian
from granian.constants import Interfaces
from granian.log import LogLevels

DEFAULT_TARGET = "project_config.wsgi:application"
# What the access log says of each request: the request line with its query string, as nginx's does.
ACCESS_LOG_FORMAT = '%(addr)s - [%(time)s] "%(method)s %(path)s?%(query_string)s %(protocol)s" %(status)d %(dt_ms).3f'


def server_options(environ: MutableMapping[str, str], target: str = DEFAULT_TARGET) -> dict[str, Any]:
    """granian's settings from the environment (ValueError if one is wrong); sets PIXORA_MAX_CONCURRENT_CALLS's default
    there, for the app."""
    host, _, port = environ.get("SERVER_BIND", "127.0.0.1:8000").rpartition(":")
    threads = int(environ.get("SERVER_THREADS", 8))
    # The bulkhead only keeps threads free if it is smaller than the thread pool it protects: unless set, it is half
    # the threads (settings.py reads it in each worker).
    environ.setdefault("PIXORA_MAX_CONCURRENT_CALLS", str(max(1, threads // 2)))
    if int(environ["PIXORA_MAX_CONCURRENT_CALLS"]) >= threads:
        raise ValueError(
            "PIXORA_MAX_CONCURRENT_CALLS must be below SERVER_THREADS, or hung Pixora calls can hold them all"
        )
    lifetime = int(environ.get("SERVER_WORKER_LIFETIME", 0))
    return {
        "target": target,
        "address": host or "127.0.0.1",
        "port": int(port),
        "interface": Interfaces.WSGI,
        "workers": int(environ.get("SERVER_WORKERS", os.cpu_count() or 1)),
        "blocking_threads": threads,
        "websockets": False,
        # A worker that dies (killed, out of memory) is replaced, as gunicorn's arbiter would.
        "respawn_failed_workers": True,
        "respawn_interval": 1.0,
        # Recycles each worker after this many seconds (its replacement starts first); 0: never.
        "workers_lifetime": lifetime or None,
        "workers_kill_timeout": int(environ.get("SERVER_GRACEFUL_TIMEOUT", 10)),
        "log_level": LogLevels(environ.get("SERVER_LOGLEVEL", "info")),
        **_access_log(environ.get("SERVER_ACCESSLOG", "")),
    }


def _access_log(destination: str) -> dict[str, Any]:
    """Off when empty, on standard output for "-", else appended to that file."""
    if not destination:
        return {"log_access": False}
    stream = {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
    handler = stream if destination == "-" else {"class": "logging.FileHandler", "filename": destination}
    return {
        "log_access": True,
        "log_access_format": ACCESS_LOG_FORMAT,
        "log_dictconfig": {
            "handlers": {
                "console": {"formatter": "generic", **stream},
                "access": {"formatter": "access", **handler},
            }
        },
    }


def prepare_metrics_directory(environ: MutableMapping[str, str]) -> bool:
    """Where the workers share Prometheus metrics: set before any worker imports the app.

    A directory of our own is made now (and removed on exit: returns True); one the operator gave is only emptied
    of metric files, so a restart does not add old counts.
    """
    if directory := environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(directory, exist_ok=True)
        for stale in glob.glob(os.path.join(directory, "*.db")):
            os.remove(stale)
        return False
    environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="facepass-metrics-")
    return True


def serve(environ: MutableMapping[str, str], argv: list[str]) -> None:
    try:
        options = server_options(environ, argv[0] if argv else DEFAULT_TARGET)
    except ValueError as exc:
        raise SystemExit(f"project_config.server: {exc}") from None
    own_metrics_directory = prepare_metrics_directory(environ)
    try:
        Granian(**options).serve()
    finally:
        if own_metrics_directory:
            shutil.rmtree(environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


if __name__ == "__main__":
    serve(os.environ, sys.argv[1:])
