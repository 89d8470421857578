"""gunicorn settings for FacePass (`gunicorn -c gunicorn.conf.py project_config.wsgi`); each from the environment.

Worker model: threaded workers (gthread). A request waiting on Pixora holds one thread, not a process, and the
proxy lets at most PIXORA_MAX_CONCURRENT_CALLS of a worker's threads wait on Pixora at once (answering 503 past
that), so a burst of hung upstream calls always leaves threads free for the rest of the API.
"""

import glob
import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 8))
# The bulkhead only keeps threads free if it is smaller than the thread pool it protects: unless set, it is half
# the threads (settings.py reads it after this file has run).
os.environ.setdefault("PIXORA_MAX_CONCURRENT_CALLS", str(max(1, threads // 2)))
if int(os.environ["PIXORA_MAX_CONCURRENT_CALLS"]) >= threads:
    raise RuntimeError(
        "PIXORA_MAX_CONCURRENT_CALLS must be below GUNICORN_THREADS, or hung Pixora calls can hold them all"
    )
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 10
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
# Load the app before forking: workers answer as soon as they start, and share memory.
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn would trust X-Forwarded-Proto from those addresses on its own; like Django, only when told to.
secure_scheme_headers = (
    {"X-FORWARDED-PROTO": "https"}
    if os.environ.get("USE_X_FORWARDED_PROTO", "").lower() in {"1", "true", "yes", "on"}
    else {}
)

# Prometheus metrics are shared between workers through files; the directory must be set before the app
# (and prometheus_client) is imported. A directory of our own is removed on exit; one the operator gave is
# only emptied of metric files at start, so a restart does not add old counts.
_own_metrics_directory = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_directory:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="facepass-metrics-")


def on_starting(server):
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for stale in glob.glob(os.path.join(directory, "*.db")):
        os.remove(stale)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _own_metrics_directory:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
