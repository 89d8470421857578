"""`make soak`: a fixed-rate mixed load on nginx + gunicorn while faults are injected in turn; writes a report.

Everything it breaks is its own: two PostgreSQL clusters (Pixora's and FacePass's), a redis-server and a Pixora
API, each on a free port of 127.0.0.1. Nothing else on the machine is touched. Settings (environment):

    SOAK_RATE=20            requests per second, fixed
    SOAK_GAP_SECONDS=20     quiet load between two faults (recovery is measured there)
    SOAK_WARMUP_SECONDS=15  load before the first fault
    SOAK_TAIL_SECONDS=25    more load after the last fault's gap
    SOAK_SCHEMATHESIS_EXAMPLES=200   examples per operation for the longer schemathesis run (0: skip it)
    SOAK_REPORT=reliability/results/latest.md
"""

from __future__ import annotations

import io
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import requests
from PIL import Image
from psycopg2.extras import execute_values

from reliability.services import PostgresCluster, RedisServer, missing_tools
from reliability.upstream import ControllableUpstream
from sessions_app.demo import COLUMNS, session_row
from testing.nginx import nginx_server
from testing.production import production_environment
from testing.services import REPO_ROOT, free_port, manage, stop_process, wait_for_http

RATE = float(os.environ.get("SOAK_RATE", "20"))
GAP_SECONDS = float(os.environ.get("SOAK_GAP_SECONDS", "20"))
WARMUP_SECONDS = float(os.environ.get("SOAK_WARMUP_SECONDS", "15"))
SCHEMATHESIS_EXAMPLES = int(os.environ.get("SOAK_SCHEMATHESIS_EXAMPLES", "200"))
REPORT_PATH = Path(os.environ.get("SOAK_REPORT", REPO_ROOT / "reliability" / "results" / "latest.md"))
SESSIONS = 3000
# After the last fault: longer than the proxy breaker's reset (30 s), so its recovery is seen whole.
TAIL_SECONDS = float(os.environ.get("SOAK_TAIL_SECONDS", "25"))
REQUEST_TIMEOUT = (3.0, 20.0)
# The answers the API documents for a dependency that is down or slow; any other 5xx is a failure.
DOCUMENTED_5XX = {503, 504}
FACEPASS_ENABLED_SHARE = 0.8

# What the FacePass page and its users send, with each request's share of the load.
MIX = {
    "validate": 0.20,
    "validate_unknown": 0.05,
    "details": 0.15,
    "facepass_status": 0.05,
    "services": 0.25,
    "batch_validate": 0.05,
    "upload": 0.20,
    "logs": 0.05,
}
POD_NAME = "soak-0"


@dataclass
class Result:
    kind: str
    started: float
    finished: float
    status: int | None
    error: str = ""
    accepted_id: str = ""

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500


@dataclass
class Fault:
    name: str
    description: str
    started: float = 0.0
    ended: float = 0.0


@dataclass
class Stack:
    base_url: str
    pixora_cluster: PostgresCluster
    facepass_cluster: PostgresCluster
    pixora_database: str
    redis: RedisServer
    upstream: ControllableUpstream
    gunicorn: subprocess.Popen
    enabled_ids: list[str] = field(default_factory=list)
    disabled_ids: list[str] = field(default_factory=list)
    token: str = ""


def log(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} soak: {message}", flush=True)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 150, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- the stack ---------------------------------------------------------------------------------


def pixora_rows(count: int) -> list[dict]:
    return [session_row(facepass_enabled=random.random() < FACEPASS_ENABLED_SHARE) for _ in range(count)]


@contextmanager
def gunicorn_process(env: dict[str, str], workdir: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn with the repository's gunicorn.conf.py; the process handle is needed to kill one of its workers."""
    port = free_port()
    with open(workdir / "gunicorn.log", "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "project_config.wsgi", "-c", str(REPO_ROOT / "gunicorn.conf.py")],
            cwd=REPO_ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/api/healthz/", process=process)
            yield f"http://127.0.0.1:{port}", process
        finally:
            stop_process(process)


@contextmanager
def soak_stack(workdir: Path) -> Iterator[Stack]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_config.settings_test")
    django.setup()
    from testing.pixora import PostgresPixora  # needs Django's apps loaded

    with ExitStack() as stack:
        log("starting PostgreSQL (Pixora's and FacePass's clusters), Redis, the Pixora API")
        pixora_cluster = PostgresCluster.create()
        stack.callback(pixora_cluster.destroy)
        facepass_cluster = PostgresCluster.create()
        stack.callback(facepass_cluster.destroy)
        pixora = PostgresPixora(server_url=pixora_cluster.url())
        rows = pixora_rows(SESSIONS)
        connection = psycopg2.connect(pixora.url)
        with connection, connection.cursor() as cursor:
            execute_values(
                cursor,
                f"INSERT INTO photo_sessions ({', '.join(COLUMNS)}) VALUES %s",  # noqa: S608 (our column names)
                [tuple(json.dumps(row[c]) if c == "settings" and row[c] else row[c] for c in COLUMNS) for row in rows],
            )
        connection.close()
        facepass_cluster.execute("CREATE DATABASE facepass")
        redis = RedisServer(workdir / "redis")
        redis.start()
        stack.callback(redis.stop)
        upstream = ControllableUpstream()
        upstream.serve()
        stack.callback(upstream.close)

        env = production_environment(
            workdir,
            DATABASE_URL=facepass_cluster.url("facepass"),
            MAIN_APP_DATABASE_URL=pixora.url,
            REDIS_URL=redis.url,
            # Uploads queue their search on the same Redis (no worker runs: the soak checks they are stored).
            CELERY_BROKER_URL=redis.url,
            MAIN_API_URL=upstream.url,
            # nginx here listens on plain http (no certificate in a soak); TLS is not what is measured.
            SECURE_SSL_REDIRECT="false",
            # One load generator is one client: the soak measures faults, not the enumeration throttle.
            THROTTLE_RATE_SESSIONS="1000000/min",
            THROTTLE_RATE_FACE_SEARCH_CLIENT="1000000/min",
            PIXORA_SERVICES_CACHE_TTL="0",
            THROTTLE_RATE_FACE_SEARCH_SESSION="1000000/min",
            GUNICORN_WORKERS="2",
            GUNICORN_THREADS="8",
            GUNICORN_LOGLEVEL="warning",
            POD_NAME=POD_NAME,
        )
        manage("migrate", "--noinput", env=env)
        password = secrets.token_urlsafe(24)
        manage(
            "createsuperuser",
            "--noinput",
            "--username",
            "soak",
            "--email",
            "soak@example.invalid",
            env={**env, "DJANGO_SUPERUSER_PASSWORD": password},
        )
        manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
        log("starting gunicorn and nginx")
        backend_url, gunicorn = stack.enter_context(gunicorn_process(env, workdir))
        base_url = stack.enter_context(
            nginx_server(backend_url=backend_url, workdir=workdir / "nginx", static_root=Path(env["STATIC_ROOT"]))
        )
        login = requests.post(
            f"{base_url}/api/v1/auth/login", json={"username": "soak", "password": password}, timeout=10
        )
        login.raise_for_status()
        yield Stack(
            base_url=base_url,
            pixora_cluster=pixora_cluster,
            facepass_cluster=facepass_cluster,
            pixora_database=pixora.name,
            redis=redis,
            upstream=upstream,
            gunicorn=gunicorn,
            enabled_ids=[str(row["id"]) for row in rows if row["facepass_enabled"]],
            disabled_ids=[str(row["id"]) for row in rows if not row["facepass_enabled"]],
            token=login.json()["token"],
        )


# --- the load ----------------------------------------------------------------------------------


class Load:
    """Requests at a fixed rate from a pool of threads with pooled keep-alive connections, until stopped."""

    def __init__(self, stack: Stack, *, rate: float, max_seconds: float) -> None:
        self.stack = stack
        self.rate = rate
        self.max_seconds = max_seconds
        self.results: list[Result] = []
        self.started = 0.0
        self._stop = threading.Event()
        self._local = threading.local()
        self._image = png_bytes()
        self._kinds = list(MIX)
        self._weights = list(MIX.values())
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> float:
        return time.monotonic() - self.started

    def start(self) -> None:
        self.started = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def _run(self) -> None:
        # Enough threads for every request of the longest hang to be in flight without delaying the schedule.
        with ThreadPoolExecutor(max_workers=int(self.rate * REQUEST_TIMEOUT[1]) + 16) as pool:
            sent = 0
            while not self._stop.is_set() and sent < self.rate * self.max_seconds:
                due = self.started + sent / self.rate
                delay = due - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
                    continue
                pool.submit(self._one, random.choices(self._kinds, self._weights)[0])
                sent += 1

    def _request(self, kind: str) -> requests.Response:
        base, session = self.stack.base_url + "/api/v1", self._session()
        enabled = random.choice(self.stack.enabled_ids)
        any_id = random.choice(self.stack.enabled_ids + self.stack.disabled_ids)
        timeout = REQUEST_TIMEOUT
        if kind == "validate":
            return session.get(f"{base}/sessions/validate/{any_id}", timeout=timeout)
        if kind == "validate_unknown":
            return session.get(f"{base}/sessions/validate/{uuid.uuid4()}", timeout=timeout)
        if kind == "details":
            return session.get(f"{base}/sessions/{any_id}", timeout=timeout)
        if kind == "facepass_status":
            return session.get(f"{base}/sessions/{any_id}/facepass-status", timeout=timeout)
        if kind == "services":
            # The proxy calls Pixora only for sessions FacePass serves; its cache is off in the soak, so it can't
            # hide the upstream's faults.
            return session.get(f"{base}/remote-services/{random.choice(self.stack.enabled_ids)}", timeout=timeout)
        if kind == "batch_validate":
            ids = random.sample(self.stack.enabled_ids, 10) + [str(uuid.uuid4())]
            return session.post(f"{base}/sessions/validate", json={"session_ids": ids}, timeout=timeout)
        if kind == "upload":
            files = {"image": ("selfie.png", self._image, "image/png")}
            data = {"consent": "true"}
            return session.post(f"{base}/sessions/{enabled}/face-search", files=files, data=data, timeout=timeout)
        if kind == "logs":
            headers = {"Authorization": f"Bearer {self.stack.token}"}
            return session.get(f"{base}/logs/{POD_NAME}?limit=20", headers=headers, timeout=timeout)
        raise ValueError(kind)

    def _one(self, kind: str) -> None:
        started = self.now()
        try:
            response = self._request(kind)
        except requests.RequestException as exc:
            self.results.append(Result(kind, started, self.now(), None, error=type(exc).__name__))
            return
        accepted_id = ""
        if kind == "upload" and response.status_code == 202:
            accepted_id = response.json()["id"]
        error = response.text[:200] if response.status_code >= 500 else ""
        self.results.append(Result(kind, started, self.now(), response.status_code, error, accepted_id))


# --- the faults --------------------------------------------------------------------------------


def gunicorn_workers(master: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.05)


def terminate_backends(cluster: PostgresCluster, database: str) -> int:
    rows = cluster.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
        (database,),
    )
    return len(rows)


def faults_for(stack: Stack) -> list[tuple[Fault, Callable[[], None]]]:
    def pixora_restart() -> None:
        stack.pixora_cluster.restart()

    def kill_connections() -> None:
        killed = terminate_backends(stack.pixora_cluster, stack.pixora_database)
        killed += terminate_backends(stack.facepass_cluster, "facepass")
        log(f"terminated {killed} database connections")

    def upstream_hang_then_refuse() -> None:
        stack.upstream.hang()
        time.sleep(20)
        stack.upstream.refuse()
        time.sleep(10)
        stack.upstream.serve()

    def redis_down() -> None:
        stack.redis.stop()
        time.sleep(10)
        stack.redis.start()

    def kill_worker() -> None:
        workers = gunicorn_workers(stack.gunicorn)
        victim = random.choice(workers)
        os.kill(victim, signal.SIGKILL)
        log(f"SIGKILL gunicorn worker {victim}")
        wait_for(lambda: len([pid for pid in gunicorn_workers(stack.gunicorn) if pid != victim]) >= len(workers))

    return [
        (Fault("pixora-db-restart", "Pixora's PostgreSQL restarted (pg_ctl restart -m fast)"), pixora_restart),
        (
            Fault("db-connections-killed", "pg_terminate_backend on every app connection, both databases"),
            kill_connections,
        ),
        (Fault("redis-down", "Redis stopped for 10 s"), redis_down),
        (Fault("worker-sigkill", "one gunicorn worker killed with SIGKILL"), kill_worker),
        # Last: the proxy's circuit breaker stays open up to PIXORA_BREAKER_RESET_SECONDS after Pixora is back,
        # which would otherwise be counted against the next fault.
        (
            Fault("upstream-hang-refuse", "Pixora API hangs 20 s, then refuses connections 10 s"),
            upstream_hang_then_refuse,
        ),
    ]


# --- the report --------------------------------------------------------------------------------

COLUMNS_SHOWN = ["2xx", "4xx", "429", "503", "504", "other 5xx", "no answer"]


def status_column(result: Result) -> str:
    if result.status is None:
        return "no answer"
    if result.status in (429, 503, 504):
        return str(result.status)
    if result.status >= 500:
        return "other 5xx"
    return f"{result.status // 100}xx"


def windows(faults: list[Fault], finished: float) -> list[tuple[str, float, float]]:
    spans = [("before the faults", 0.0, faults[0].started)]
    for index, fault in enumerate(faults):
        following = faults[index + 1].started if index + 1 < len(faults) else finished
        spans.append((f"**{fault.name}** (during)", fault.started, fault.ended))
        label = "after the last fault" if index + 1 == len(faults) else f"after {fault.name}"
        spans.append((label, fault.ended, following))
    return spans


def recovery_seconds(results: list[Result], fault: Fault, until: float) -> tuple[float, int]:
    """Seconds from the fault's end until the last failed request of its span ended, and how many failed."""
    failed = [r for r in results if fault.started <= r.finished < until and r.failed]
    if not failed:
        return 0.0, 0
    return max(0.0, max(r.finished for r in failed) - fault.ended), len(failed)


def uploads_stored(stack: Stack, accepted: set[str]) -> set[str]:
    """The accepted uploads that are in the database with their selfie readable (no worker runs in the soak)."""
    rows = stack.facepass_cluster.execute(
        "SELECT r.id::text FROM face_search_app_facesearchrequest r "
        "JOIN face_search_app_selfie s ON s.request_id = r.id WHERE length(s.data) > 0",
        database="facepass",
    )
    return {row[0] for row in rows} & accepted


def schemathesis_run(examples: int) -> str:
    if examples <= 0:
        return "skipped (SOAK_SCHEMATHESIS_EXAMPLES=0)"
    log(f"schemathesis: {examples} examples per operation and mode")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_schemathesis.py"],
        cwd=REPO_ROOT,
        env={**os.environ, "SCHEMATHESIS_MAX_EXAMPLES": str(examples)},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else "no output"
    outcome = "passed" if result.returncode == 0 else "FAILED"
    (REPORT_PATH.parent / "schemathesis-latest.log.tmp").write_text(result.stdout + result.stderr)
    return f"{outcome}: `{summary}` ({examples} examples per operation and mode, {time.monotonic() - started:.0f} s)"


def report(
    load: Load, faults: list[Fault], stored: set[str], accepted: set[str], finished: float, schemathesis: str
) -> tuple[str, bool]:
    results = sorted(load.results, key=lambda r: r.started)
    other_5xx = [r for r in results if r.status is not None and r.status >= 500 and r.status not in DOCUMENTED_5XX]
    no_answer = [r for r in results if r.status is None]
    lost = accepted - stored
    met = not other_5xx and not no_answer and not lost
    lines = [
        "# Soak: mixed load with faults injected",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores "
        f"(load average {os.getloadavg()[0]:.1f} at the end). `make soak`; "
        f"SOAK_RATE={RATE:g}/s, SOAK_GAP_SECONDS={GAP_SECONDS:g}, {finished:.0f} s of load, {len(results)} requests.",
        "",
        "Stack: nginx (deploy/nginx/facepass.conf) → gunicorn (gunicorn.conf.py, 2 gthread workers × 8 threads) → "
        "FacePass with the production settings (testing/production.py), FacePass's and Pixora's PostgreSQL as two "
        "clusters of our own, our own Redis, a controllable Pixora API. Mix: "
        + ", ".join(f"{kind} {share:.0%}" for kind, share in MIX.items())
        + ".",
        "",
        "## Targets",
        "",
        "| target | result |",
        "| --- | --- |",
        f"| 5xx other than the documented 503/504 | **{len(other_5xx)}** (target 0) |",
        f"| requests with no HTTP answer (connection error or client timeout) | **{len(no_answer)}** (target 0) |",
        f"| face-search uploads answered 202 and missing from the database | **{len(lost)}** of {len(accepted)} "
        "(target 0) |",
        f"| schemathesis, longer run | {schemathesis} |",
        "",
        "## Requests by status, per window",
        "",
        "| window | seconds | requests | " + " | ".join(COLUMNS_SHOWN) + " |",
        "| --- | --- | --- | " + " | ".join("---" for _ in COLUMNS_SHOWN) + " |",
    ]
    for label, start, end in windows(faults, finished):
        counts = Counter(status_column(r) for r in results if start <= r.finished < end)
        row = " | ".join(str(counts.get(column, 0)) for column in COLUMNS_SHOWN)
        lines.append(f"| {label} | {end - start:.1f} | {sum(counts.values())} | {row} |")
    lines += [
        "",
        "## Requests by kind, whole run",
        "",
        "| kind | requests | " + " | ".join(COLUMNS_SHOWN) + " |",
        "| --- | --- | " + " | ".join("---" for _ in COLUMNS_SHOWN) + " |",
    ]
    for kind in MIX:
        counts = Counter(status_column(r) for r in results if r.kind == kind)
        row = " | ".join(str(counts.get(column, 0)) for column in COLUMNS_SHOWN)
        lines.append(f"| {kind} | {sum(counts.values())} | {row} |")
    lines += [
        "",
        "## Recovery after each fault",
        "",
        "Recovery: from the end of the fault (dependency back, worker replaced) until the last failed answer "
        "(5xx or no answer) before the next fault; 0 when nothing failed. Requests are counted in the window "
        "in which they were answered.",
        "",
        "| fault | what was done | lasted | failed requests | recovery | failed by kind |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for index, fault in enumerate(faults):
        until = faults[index + 1].started if index + 1 < len(faults) else finished
        seconds, failed = recovery_seconds(results, fault, until)
        kinds = Counter(
            f"{r.kind} {r.status or 'no answer'}" for r in results if fault.started <= r.finished < until and r.failed
        )
        by_kind = ", ".join(f"{name}: {count}" for name, count in kinds.most_common()) or "none"
        lines.append(
            f"| {fault.name} | {fault.description} | {fault.ended - fault.started:.1f} s | {failed} | "
            f"{seconds:.1f} s | {by_kind} |"
        )
    latencies = sorted(r.finished - r.started for r in results if r.status is not None and r.status < 500)
    if latencies:
        lines += [
            "",
            f"Successful answers: median {latencies[len(latencies) // 2] * 1000:.0f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms (all windows, client side).",
        ]
    if other_5xx or no_answer:
        lines += ["", "## Unexpected answers", ""]
        for r in (other_5xx + no_answer)[:30]:
            lines.append(f"- t={r.started:.1f} s {r.kind}: {r.status or 'no answer'} {r.error!r}")
    if lost:
        lines += ["", "## Lost uploads", "", *[f"- {accepted_id}" for accepted_id in sorted(lost)[:30]]]
    lines.append("")
    return "\n".join(lines), met


def main() -> int:
    if reason := missing_tools():
        print(f"soak: cannot run: {reason}", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="facepass-soak-"))
    faults: list[Fault] = []
    with soak_stack(workdir) as stack:
        planned = faults_for(stack)
        max_seconds = WARMUP_SECONDS + len(planned) * (GAP_SECONDS + 35) + TAIL_SECONDS + 60
        load = Load(stack, rate=RATE, max_seconds=max_seconds)
        log(f"load at {RATE:g}/s on {stack.base_url}; warm-up {WARMUP_SECONDS:g} s")
        load.start()
        time.sleep(WARMUP_SECONDS)
        for fault, inject in planned:
            log(f"fault: {fault.description}")
            fault.started = load.now()
            inject()
            fault.ended = load.now()
            faults.append(fault)
            time.sleep(GAP_SECONDS)
        time.sleep(TAIL_SECONDS)
        finished = load.now()
        load.stop()  # waits for the requests in flight (each ends within the client timeout)
        accepted = {r.accepted_id for r in load.results if r.accepted_id}
        stored = uploads_stored(stack, accepted)
    shutil.rmtree(workdir, ignore_errors=True)
    schemathesis = schemathesis_run(SCHEMATHESIS_EXAMPLES)
    text, met = report(load, faults, stored, accepted, finished, schemathesis)
    REPORT_PATH.parent.mkdir(parents=True, exist_ok=True)
    REPORT_PATH.write_text(text)
    log(f"report written to {REPORT_PATH}; targets {'met' if met else 'NOT met'}")
    print(text)
    schemathesis_ok = SCHEMATHESIS_EXAMPLES <= 0 or schemathesis.startswith("passed")
    return 0 if met and schemathesis_ok else 1


if __name__ == "__main__":
    sys.exit(main())
