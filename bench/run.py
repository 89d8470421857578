"""`make bench`: FacePass, the peer and the floors, measured side by side in one run; writes bench/results/."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from bench import report
from bench.data import HOT_SESSION_ID, PRIMARY_KEY_SELECT, BenchDatabases, bench_session_id, write_ids
from bench.load import Load, pgbench_path, pgbench_run, wrk_run
from bench.processes import (
    BENCH_DIR,
    REPO_ROOT,
    Server,
    cpu_seconds,
    machine_busy,
    machine_info,
    memory_kib,
    nginx_server,
)
from bench.profiling import folded, py_spy_path, py_spy_record, summarise, summary_markdown
from bench.scenarios import (
    AUTH_SERVICE,
    FACEPASS_CACHED,
    FACEPASS_UNCACHED,
    FLOOR_DJANGO,
    FLOOR_NGINX_PROXY,
    FLOOR_PGBENCH,
    GATEWAY_CACHED,
    GATEWAY_UNCACHED,
    SCENARIOS,
    Scenario,
)

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
BENCH_SECRET_KEY = "bench-only-not-a-secret"  # noqa: S105 (a throwaway key for local servers)
SERVICE_KEY = "bench-service-key"
GATEWAY_USER = "bench-operator"
GATEWAY_PASSWORD = "bench-operator-password"  # noqa: S105 (a throwaway user in a throwaway database)
BATCH_SIZE = 100
BATCH_BODIES = 200


@dataclass(frozen=True)
class Config:
    duration: float
    warmup: float
    rows: int
    connections: tuple[int, ...]
    postgres_url: str
    redis_url: str
    output: Path
    profile: bool
    load_sample: float
    only: tuple[str, ...]

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        return cls(
            duration=float(env.get("BENCH_DURATION", "10")),
            warmup=float(env.get("BENCH_WARMUP", "3")),
            rows=int(env.get("BENCH_ROWS", "100000")),
            connections=tuple(int(c) for c in env.get("BENCH_CONNECTIONS", "32,1").split(",")),
            postgres_url=env.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            redis_url=env.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
            output=Path(env.get("BENCH_OUTPUT", BENCH_DIR / "results")),
            profile=env.get("BENCH_PROFILE", "1") == "1",
            load_sample=float(env.get("BENCH_LOAD_SAMPLE", "1")),
            only=tuple(s for s in env.get("BENCH_SCENARIOS", "").split(",") if s),
        )


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def http_json(url: str, *, body: dict | None = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def facepass_paths_available(paths: list[str], env: dict[str, str]) -> dict[str, bool]:
    """Which of these paths FacePass's URLconf resolves (features built in parallel may not be here yet)."""
    code = (
        "import json, sys, django\n"
        "django.setup()\n"
        "from django.urls import Resolver404, resolve\n"
        "found = {}\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        resolve(path.split('?')[0]); found[path] = True\n"
        "    except Resolver404:\n"
        "        found[path] = False\n"
        "print(json.dumps(found))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *paths], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise RuntimeError(f"could not load FacePass's URLconf:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@dataclass
class Bench:
    config: Config
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    servers: dict[str, Server] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    floor_runs: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    profiles: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"facepass-bench-{self.run_id}-"))
        self.databases = BenchDatabases(self.config.postgres_url, self.run_id)
        self.cache_prefix = f"facepass-bench-{self.run_id}"

    # --- set-up -----------------------------------------------------------------------------
    def prepare_data(self) -> None:
        started = time.monotonic()
        self.pixora_db = self.databases.create_pixora(self.config.rows)
        log(f"{self.config.rows} photo_sessions rows generated in {time.monotonic() - started:.1f} s")
        rng = random.Random(9)
        self.ids_random = write_ids(self.workdir / "ids-random.txt", self.config.rows)
        self.ids_enabled = write_ids(self.workdir / "ids-enabled.txt", self.config.rows, enabled_only=True)
        self.ids_hot = self.workdir / "ids-hot.txt"
        self.ids_hot.write_text(HOT_SESSION_ID + "\n")
        self.ids_pod = self.workdir / "ids-pod.txt"
        self.ids_pod.write_text("bench-pod\n")
        self.batch_bodies = self.workdir / "batch-bodies.txt"
        self.batch_bodies.write_text(
            "".join(
                json.dumps({"session_ids": [bench_session_id(rng.randint(1, self.config.rows)) for _ in range(100)]})
                + "\n"
                for _ in range(BATCH_BODIES)
            )
        )
        self.pgbench_script = self.workdir / "pk-select.sql"
        self.pgbench_script.write_text(f"\\set n random(1, {self.config.rows})\n{PRIMARY_KEY_SELECT};\n")

    def facepass_env(self, name: str, app_db: str, **overrides: str) -> dict[str, str]:
        metrics_dir = self.workdir / f"metrics-{name}"
        metrics_dir.mkdir(exist_ok=True)
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "GUNICORN_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "project_config.settings",
                "SECRET_KEY": BENCH_SECRET_KEY,
                "DEBUG": "false",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": self.databases.url(app_db),
                "MAIN_APP_DATABASE_URL": self.databases.url(self.pixora_db),
                "REDIS_URL": self.config.redis_url,
                "CACHE_KEY_PREFIX": f"{self.cache_prefix}-{name}",
                "CORS_MODE": "nginx",
                "MAIN_API_URL": self.servers["upstream"].base_url,
                "SSO_SERVICE_KEY": SERVICE_KEY,
                "POD_NAME": "bench-pod",
                "STATIC_ROOT": str(self.workdir / "static"),
                "MEDIA_ROOT": str(self.workdir / "media"),
                "GUNICORN_LOGLEVEL": "warning",
                # wrk from one address is an enumerator to the public endpoints' throttle (issue 7): the bench
                # keeps the throttle running (its cost is part of the figures) with a rate wrk never reaches.
                "THROTTLE_RATE_SESSIONS": "100000000/min",
                # Each instance's Prometheus files in the work directory, deleted with it.
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(overrides)
        return env

    def gunicorn(self, name: str, env: dict[str, str], *, app: str = "project_config.wsgi", ready: str) -> Server:
        argv = [sys.executable, "-m", "gunicorn", app, "-c", str(REPO_ROOT / "gunicorn.conf.py")]
        server = Server(name=name, argv=argv, env=env, log_path=self.workdir / f"{name}.log", ready_path=ready)
        server.argv += ["--bind", "127.0.0.1:{port}"]
        self.servers[name] = server
        return server.start()

    def start_base(self) -> None:
        """The upstream, FacePass's migrated template database, and which endpoints this branch has."""
        self.nginx = "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "nginx"
        upstream = nginx_server(
            "upstream", "upstream.conf", self.workdir, f"/api/session/{HOT_SESSION_ID}/services", self.nginx
        )
        self.servers["upstream"] = upstream.start()
        upstream.wait_ready()

        self.template_db = self.databases.create("app_template")
        self.manage_env = self.facepass_env("migrate", self.template_db)
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=REPO_ROOT,
            env=self.manage_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py migrate failed:\n{result.stdout}\n{result.stderr}")
        self.available = facepass_paths_available(
            sorted({s.needs for s in SCENARIOS if s.needs}), self.facepass_env("check", self.template_db)
        )

    def start_servers(self, wanted: set[str]) -> None:
        template = self.template_db
        upstream = self.servers["upstream"]
        nginx = self.nginx
        overrides = {
            FACEPASS_CACHED: {},
            FACEPASS_UNCACHED: {"SESSION_CACHE_TTL": "0", "PIXORA_SERVICES_CACHE_TTL": "0"},
            AUTH_SERVICE: {},
        }
        started = []
        for name, extra in overrides.items():
            if name in wanted:
                env = self.facepass_env(name, self.databases.create(name.replace("-", "_"), template=template), **extra)
                started.append(self.gunicorn(name, env, ready="/api/healthz/"))
        if wanted & {GATEWAY_CACHED, GATEWAY_UNCACHED}:
            auth_url = self.servers[AUTH_SERVICE].base_url
            for name, seconds in ((GATEWAY_CACHED, "10"), (GATEWAY_UNCACHED, "0")):
                if name in wanted:
                    db = self.databases.create(name.replace("-", "_"), template=template)
                    env = self.facepass_env(name, db, AUTH_SERVICE_URL=auth_url, SSO_VALIDATION_CACHE_SECONDS=seconds)
                    started.append(self.gunicorn(name, env, ready="/api/healthz/"))
        if "peer" in wanted:
            pixora = self.databases.url(self.pixora_db).replace("postgres://", "postgresql+psycopg2://", 1)
            env = {
                **os.environ,
                "PEER_DATABASE_URL": pixora,
                "PEER_MAIN_API_URL": self.servers["upstream"].base_url,
            }
            argv = [sys.executable, "-m", "uvicorn", "bench.peers.app:app", "--workers", "2"]
            argv += ["--host", "127.0.0.1", "--port", "{port}", "--no-access-log", "--log-level", "warning"]
            peer = Server("peer", argv, env, self.workdir / "peer.log", f"/api/v1/sessions/validate/{HOT_SESSION_ID}")
            self.servers["peer"] = peer.start()
            started.append(peer)
        if FLOOR_NGINX_PROXY in wanted:
            proxy = nginx_server(
                FLOOR_NGINX_PROXY,
                "proxy-floor.conf",
                self.workdir,
                f"/api/v1/remote-services/{HOT_SESSION_ID}",
                nginx,
                UPSTREAM_PORT=upstream.port,
                WORKERS=os.environ.get("GUNICORN_WORKERS", os.cpu_count() or 1),
            )
            self.servers[FLOOR_NGINX_PROXY] = proxy.start()
            started.append(proxy)
        for server in started:
            server.wait_ready()
        if FLOOR_DJANGO in wanted:
            self.start_django_floor()
        if AUTH_SERVICE in self.servers:
            try:
                self.sign_in_operator(
                    self.manage_env | {"DATABASE_URL": self.servers[AUTH_SERVICE].env["DATABASE_URL"]}
                )
            except (RuntimeError, OSError, KeyError, ValueError) as exc:
                self.notes.append(f"gateway scenarios skipped: could not sign the operator in ({exc})")

    def start_django_floor(self) -> None:
        """The bare-Django floor answers the bodies FacePass gave, captured now."""
        base = self.servers[FACEPASS_CACHED].base_url
        bodies = {
            "validate": http_json(f"{base}/api/v1/sessions/validate/{HOT_SESSION_ID}"),
            "details": http_json(f"{base}/api/v1/sessions/{HOT_SESSION_ID}"),
            "batch": http_json(
                f"{base}/api/v1/sessions/validate",
                body=json.loads(self.batch_bodies.read_text().split("\n", 1)[0]),
            ),
        }
        bodies_file = self.workdir / "floor-bodies.json"
        bodies_file.write_text(json.dumps(bodies))
        env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "GUNICORN_"))}
        env.update({"BENCH_FLOOR_BODIES": str(bodies_file), "SECRET_KEY": BENCH_SECRET_KEY, "PYTHONUNBUFFERED": "1"})
        env["GUNICORN_LOGLEVEL"] = "warning"
        floor = self.gunicorn(FLOOR_DJANGO, env, app="bench.floors.wsgi", ready="/floor/validate")
        floor.wait_ready()

    def sign_in_operator(self, env: dict[str, str]) -> None:
        """An operator with read_logs on the auth service, signed in: the token the gateway scenarios send."""
        code = (
            "from django.contrib.auth import get_user_model\n"
            "from django.contrib.auth.models import Permission\n"
            f"user = get_user_model().objects.create_user({GATEWAY_USER!r}, password={GATEWAY_PASSWORD!r})\n"
            "user.user_permissions.add(*Permission.objects.filter(codename='read_logs'))\n"
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"could not create the bench operator:\n{result.stderr}")
        answer = http_json(
            f"{self.servers[AUTH_SERVICE].base_url}/api/v1/auth/login",
            body={"username": GATEWAY_USER, "password": GATEWAY_PASSWORD},
        )
        self.headers["pod"] = f"Authorization: Bearer {answer['token']}"

    # --- measuring ----------------------------------------------------------------------------
    def load_for(self, scenario: Scenario) -> Load:
        lines = {
            "hot": self.ids_hot,
            "random": self.ids_random,
            "enabled": self.ids_enabled,
            "batch": self.batch_bodies,
            "pod": self.ids_pod,
        }
        return Load(scenario.method, scenario.path, lines[scenario.ids], self.headers.get(scenario.ids, ""))

    def measure(self, server: Server, load: Load, connections: int) -> dict[str, Any]:
        """Warm up (not counted), then one measured wrk run, with the server's CPU time and memory around it."""
        result: dict[str, Any] = {"server": server.name, "connections": connections}
        result["load_before"] = machine_busy(self.config.load_sample)
        url = server.base_url
        if self.config.warmup > 0:
            wrk_run(url, load, connections=connections, duration=self.config.warmup)
        pids = server.pids()
        memory: list[dict[str, int]] = []

        def sample_memory() -> None:
            memory.extend(memory_kib(pid) for pid in server.worker_pids())

        cpu_before = cpu_seconds(pids)
        figures = wrk_run(url, load, connections=connections, duration=self.config.duration, during=sample_memory)
        cpu_after = cpu_seconds(pids)
        result.update(figures)
        requests = max(int(figures["requests"]), 1)
        result["cpu_ms_per_request"] = round(1000 * (cpu_after - cpu_before) / requests, 3)
        result["cpu_cores_used"] = round((cpu_after - cpu_before) / max(figures["seconds"], 1e-9), 2)
        result["workers"] = len(memory)
        result["memory_kib"] = memory
        if figures["bad_status"] or figures["socket_errors"]:
            log(
                f"!!! {server.name} {load.path} c={connections}: {figures['bad_status']} unexpected statuses, "
                f"{figures['socket_errors']} socket errors (must be 0)"
            )
        return result

    def measure_pgbench(self, connections: int) -> dict[str, Any]:
        pgbench = pgbench_path()
        if pgbench is None:
            return {"skipped": "pgbench not found (it comes with PostgreSQL's packages)"}
        url = self.databases.url(self.pixora_db)
        result: dict[str, Any] = {"server": FLOOR_PGBENCH, "connections": connections}
        result["load_before"] = machine_busy(self.config.load_sample)
        log_dir = self.workdir / "pgbench"
        log_dir.mkdir(exist_ok=True)
        if self.config.warmup > 0:
            pgbench_run(
                pgbench, url, self.pgbench_script, clients=connections, duration=self.config.warmup, log_dir=log_dir
            )
        result.update(
            pgbench_run(
                pgbench, url, self.pgbench_script, clients=connections, duration=self.config.duration, log_dir=log_dir
            )
        )
        result["cpu_ms_per_request"] = None
        return result

    def floor_run(self, floor: str, body: str | None, scenario: Scenario, connections: int) -> dict[str, Any]:
        key = (f"{floor}:{body}", connections)
        if key not in self.floor_runs:
            if floor == FLOOR_DJANGO:
                load = Load(scenario.method, f"/floor/{body}", self.ids_hot)
            else:
                load = self.load_for(scenario)
            log(f"  floor {floor} {body or ''} c={connections}")
            measured = self.measure(self.servers[floor], load, connections)
            self.floor_runs[key] = {"floor": floor, "body": body, **measured}
        return self.floor_runs[key]

    def profile(self, scenario: Scenario) -> None:
        """py-spy on FacePass's processes during an extra (uncounted) run at the highest connection count."""
        if py_spy_path() is None:
            self.notes.append("py-spy is not installed: no profiles.")
            return
        server = self.servers[scenario.facepass]
        output_dir = self.config.output
        raw_path = self.workdir / f"profile-{scenario.name}.raw"
        seconds = self.config.duration
        assert server.process is not None
        recorder = py_spy_record(server.process.pid, raw_path, seconds=seconds)
        time.sleep(0.5)
        wrk_run(server.base_url, self.load_for(scenario), connections=max(self.config.connections), duration=seconds)
        output, _ = recorder.communicate(timeout=seconds + 60)
        if recorder.returncode != 0 or not raw_path.exists():
            self.notes.append(f"py-spy failed on {scenario.name}: {output.strip()[-300:]}")
            return
        raw = raw_path.read_text()
        summary = summarise(raw, top=40)
        folded_name = f"profile-{scenario.name}.folded"
        (output_dir / folded_name).write_text(folded(raw))
        command = (
            f"py-spy record --pid <gunicorn master> --subprocesses --nonblocking --gil --format raw -d {seconds:g}"
        )
        markdown = summary_markdown(f"{scenario.name} ({scenario.title})", summary, command=command)
        (output_dir / f"profile-{scenario.name}.md").write_text(markdown)
        self.profiles.append({"scenario": scenario.name, "samples": summary["samples"], "file": folded_name})
        log(f"  profile {scenario.name}: {summary['samples']} samples")

    def run(self) -> dict[str, Any]:
        config = self.config
        started_at = datetime.now(UTC)
        self.prepare_data()
        self.start_base()
        chosen = [s for s in SCENARIOS if not config.only or s.name in config.only]
        unavailable = {s.name for s in chosen if s.needs and not self.available.get(s.needs, False)}
        runnable = [s for s in chosen if s.name not in unavailable]
        wanted = {s.facepass for s in runnable} | {FACEPASS_CACHED}  # the floor's bodies come from FacePass
        if any(s.facepass in {GATEWAY_CACHED, GATEWAY_UNCACHED} for s in runnable):
            wanted.add(AUTH_SERVICE)
        wanted |= {"peer"} if any(s.peer for s in runnable) else set()
        wanted |= {s.floor for s in runnable if s.floor}
        self.start_servers(wanted)
        rows = []
        for scenario in chosen:
            if scenario.name in unavailable:
                path = scenario.path.split("?")[0].replace("logs/{id}", "logs/{pod}")
                note = f"not available: `{path}` is not in FacePass's URLconf on this branch"
                log(f"{scenario.name}: {note}")
                rows.append({"scenario": scenario.name, "title": scenario.title, "skipped": note})
                continue
            if scenario.ids == "pod" and "pod" not in self.headers:
                rows.append({"scenario": scenario.name, "title": scenario.title, "skipped": "no operator token"})
                continue
            for connections in config.connections:
                log(f"{scenario.name} c={connections}")
                row: dict[str, Any] = {"scenario": scenario.name, "title": scenario.title, "connections": connections}
                if scenario.compare_with:
                    row["compare_with"] = scenario.compare_with
                load = self.load_for(scenario)
                row["facepass"] = self.measure(self.servers[scenario.facepass], load, connections)
                if scenario.peer:
                    log(f"  peer c={connections}")
                    row["peer"] = self.measure(self.servers["peer"], load, connections)
                if scenario.floor:
                    row["floor"] = self.floor_run(scenario.floor, scenario.floor_body, scenario, connections)
                rows.append(row)
            if scenario.profile and config.profile:
                self.profile(scenario)
        database_floor = []
        if FLOOR_PGBENCH not in config.only and (not config.only or "validate-cold" in config.only):
            for connections in config.connections:
                log(f"pgbench c={connections}")
                database_floor.append(self.measure_pgbench(connections))
        return {
            "run": {
                "run_id": self.run_id,
                "started": started_at.isoformat(timespec="seconds"),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "duration_s": config.duration,
                "warmup_s": config.warmup,
                "rows": config.rows,
                "connections": list(config.connections),
                "commit": git_commit(),
                "machine": machine_info(),
            },
            "scenarios": rows,
            "database_floor": database_floor,
            "profiles": self.profiles,
            "notes": self.notes,
        }

    # --- tear-down ----------------------------------------------------------------------------
    def close(self) -> None:
        """Stop every server, drop every bench database, delete the bench's cache keys and its work directory."""
        for server in reversed(list(self.servers.values())):
            try:
                server.stop()
            except OSError as exc:
                log(f"stopping {server.name}: {exc}")
        try:
            self.databases.drop()
        except Exception as exc:  # noqa: BLE001 (report and go on cleaning)
            log(f"could not drop the bench databases: {exc}")
        try:
            client = redis.Redis.from_url(self.config.redis_url, socket_timeout=2)
            keys = list(client.scan_iter(match=f"{self.cache_prefix}-*", count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
        except redis.RedisError as exc:
            log(f"could not delete the bench's cache keys: {exc}")
        if os.environ.get("BENCH_KEEP_WORKDIR") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)


def git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    return result.stdout.strip() + ("+changes" if dirty.strip() else "")


def main() -> int:
    config = Config.from_env()
    config.output.mkdir(parents=True, exist_ok=True)
    bench = Bench(config)
    log(f"run {bench.run_id}: {config.duration:g} s a run after {config.warmup:g} s of warm-up; in {bench.workdir}")
    try:
        results = bench.run()
    finally:
        bench.close()
    (config.output / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (config.output / "latest.md").write_text(report.markdown(results))
    log(f"wrote {config.output / 'latest.md'} and latest.json")
    errors = report.error_count(results)
    if errors:
        log(f"!!! {errors} unexpected statuses or socket errors in this run: see the table")
        return 1
    return 0
