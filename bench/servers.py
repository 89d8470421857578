"""The servers one bench run measures, started through testing/ and stopped together.

FacePass instances (each its own server, database and cache key prefix), the auth service and the gateways, the
peer under uvicorn, and the floors: a bare Django view under the same server and settings, nginx `proxy_pass`. The
Pixora API the proxies call is nginx answering a static JSON (bench/nginx/upstream.conf): a Python stand-in would
be slower than what it serves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.data import HOT_SESSION_ID, BenchDatabases
from bench.processes import REPO_ROOT, Server, nginx_config
from bench.scenarios import (
    AUTH_SERVICE,
    FACEPASS_CACHED,
    FACEPASS_UNCACHED,
    FLOOR_DJANGO,
    FLOOR_NGINX_PROXY,
    GATEWAY_CACHED,
    GATEWAY_UNCACHED,
)
from testing.nginx import nginx_process
from testing.services import (
    THROTTLES_UNREACHED,
    UNREACHED_RATE,
    ServerProcess,
    app_server_process,
    free_port,
    manage,
    server_process,
)

BENCH_SECRET_KEY = "bench-only-not-a-secret"  # noqa: S105 (a throwaway key for local servers)
SERVICE_KEY = "bench-service-key"
GATEWAY_USER = "bench-operator"
GATEWAY_PASSWORD = "bench-operator-password"  # noqa: S105 (a throwaway user in a throwaway database)
POD_NAME = "bench-pod"
UPSTREAM = "upstream"
PEER = "peer"
# The server FacePass and the Django floor run under: FacePass's own (project_config/server.py), or gunicorn gthread.
BENCH_SERVER = os.environ.get("BENCH_SERVER", "granian")
# wrk from one address is an enumerator to the public endpoints' throttle: the bench keeps the throttle running
# (its cost is part of the figures) at a rate wrk never reaches, so it never answers 429.


@contextmanager
def gunicorn_process(env: dict[str, str], *, log_path: Path, app: str, ready_path: str) -> Iterator[ServerProcess]:
    """`app` under gunicorn gthread with the settings FacePass's own server uses (BENCH_SERVER=gunicorn): the
    comparison that chose the serving stack (docs/performance.md)."""
    port = free_port()
    workers = env.get("SERVER_WORKERS", str(os.cpu_count() or 1))
    argv = [sys.executable, "-m", "gunicorn", app, "--worker-class", "gthread", "--workers", workers]
    argv += ["--threads", env.get("SERVER_THREADS", "8"), "--bind", f"127.0.0.1:{port}", "--preload"]
    argv += ["--keep-alive", "5", "--log-level", "warning"]
    with server_process(argv, env=env, log_path=log_path, port=port, ready_path=ready_path, timeout=60) as server:
        yield server


def http_json(url: str, *, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
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
    found: dict[str, bool] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def _environment_without_ours() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SERVER_"))}


@dataclass
class BenchServers:
    """Every server of a run by name; `close()` stops them all, last started first."""

    workdir: Path
    databases: BenchDatabases
    pixora_db: str
    redis_url: str
    cache_prefix: str
    servers: dict[str, Server] = field(default_factory=dict)
    # The Authorization header line wrk sends, by Scenario.ids ("pod": the operator's token).
    headers: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _exits: ExitStack = field(default_factory=ExitStack)

    def __getitem__(self, name: str) -> Server:
        return self.servers[name]

    def __contains__(self, name: str) -> bool:
        return name in self.servers

    def close(self) -> None:
        self._exits.close()

    def facepass_env(self, name: str, app_db: str, **overrides: str) -> dict[str, str]:
        """FacePass the production way, on its own database and cache key prefix."""
        metrics_dir = self.workdir / f"metrics-{name}"
        metrics_dir.mkdir(exist_ok=True)
        env = _environment_without_ours()
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "project_config.settings",
                "SECRET_KEY": BENCH_SECRET_KEY,
                "DEBUG": "false",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DATABASE_URL": self.databases.url(app_db),
                "MAIN_APP_DATABASE_URL": self.databases.url(self.pixora_db),
                "REDIS_URL": self.redis_url,
                "CACHE_KEY_PREFIX": f"{self.cache_prefix}-{name}",
                "CORS_MODE": "nginx",
                "MAIN_API_URL": self.servers[UPSTREAM].base_url,
                "SSO_SERVICE_KEY": SERVICE_KEY,
                "POD_NAME": POD_NAME,
                "STATIC_ROOT": str(self.workdir / "static"),
                "MEDIA_ROOT": str(self.workdir / "media"),
                "SERVER_LOGLEVEL": "warning",
                **dict.fromkeys(THROTTLES_UNREACHED, UNREACHED_RATE),
                # Each instance's Prometheus files in the work directory, deleted with it.
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(overrides)
        return env

    def start_upstream(self) -> None:
        """nginx answering Pixora's services endpoint with a static JSON."""
        port = free_port()
        config = nginx_config("upstream.conf", self.workdir / UPSTREAM, PORT=port)
        running = self._exits.enter_context(
            nginx_process(config, port=port, ready_path=f"/api/session/{HOT_SESSION_ID}/services")
        )
        self.servers[UPSTREAM] = Server(UPSTREAM, running, os.environ)

    def migrate_template(self) -> tuple[str, dict[str, str]]:
        """FacePass's migrated database that each instance's is copied from; its name and the env that made it."""
        template = self.databases.create("app_template")
        env = self.facepass_env("migrate", template)
        manage("migrate", "--noinput", env=env)
        return template, env

    def start(self, wanted: set[str], *, template: str, manage_env: dict[str, str], batch_body: dict[str, Any]) -> None:
        """The FacePass instances, the peer and the floors in `wanted`; then signs the gateway's operator in."""
        overrides = {
            FACEPASS_CACHED: {},
            FACEPASS_UNCACHED: {"SESSION_CACHE_TTL": "0", "PIXORA_SERVICES_CACHE_TTL": "0"},
            # A full run outlasts a token's default 30 minutes; the operator signs in once, at the start.
            AUTH_SERVICE: {"SSO_TOKEN_TTL_MINUTES": "1440"},
        }
        for name, extra in overrides.items():
            if name in wanted:
                env = self.facepass_env(name, self.databases.create(name.replace("-", "_"), template=template), **extra)
                self._serve(name, env)
        if wanted & {GATEWAY_CACHED, GATEWAY_UNCACHED}:
            auth_url = self.servers[AUTH_SERVICE].base_url
            for name, seconds in ((GATEWAY_CACHED, "10"), (GATEWAY_UNCACHED, "0")):
                if name in wanted:
                    db = self.databases.create(name.replace("-", "_"), template=template)
                    env = self.facepass_env(name, db, AUTH_SERVICE_URL=auth_url, SSO_VALIDATION_CACHE_SECONDS=seconds)
                    self._serve(name, env)
        if PEER in wanted:
            self._peer()
        if FLOOR_NGINX_PROXY in wanted:
            self._nginx_proxy_floor()
        if FLOOR_DJANGO in wanted:
            self._django_floor(batch_body)
        if AUTH_SERVICE in self.servers:
            try:
                self._sign_in_operator(manage_env | {"DATABASE_URL": self.servers[AUTH_SERVICE].env["DATABASE_URL"]})
            except (RuntimeError, OSError, KeyError, ValueError) as exc:
                self.notes.append(f"gateway scenarios skipped: could not sign the operator in ({exc})")

    def _serve(
        self,
        name: str,
        env: dict[str, str],
        *,
        app: str = "project_config.wsgi:application",
        ready: str = "/api/healthz/",
    ) -> None:
        log_path = self.workdir / f"{name}.log"
        if BENCH_SERVER == "gunicorn":
            running = self._exits.enter_context(gunicorn_process(env, log_path=log_path, app=app, ready_path=ready))
        else:
            running = self._exits.enter_context(app_server_process(env, log_path=log_path, app=app, ready_path=ready))
        self.servers[name] = Server(name, running, env)

    def _peer(self) -> None:
        """FastAPI under uvicorn (bench/peers/app.py) on Pixora's database and the same upstream."""
        pixora = self.databases.url(self.pixora_db).replace("postgres://", "postgresql+psycopg2://", 1)
        env = {**os.environ, "PEER_DATABASE_URL": pixora, "PEER_MAIN_API_URL": self.servers[UPSTREAM].base_url}
        port = free_port()
        argv = [sys.executable, "-m", "uvicorn", "bench.peers.app:app", "--workers", "2"]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]
        running = self._exits.enter_context(
            server_process(
                argv,
                env=env,
                log_path=self.workdir / f"{PEER}.log",
                port=port,
                ready_path=f"/api/v1/sessions/validate/{HOT_SESSION_ID}",
                timeout=60,
            )
        )
        self.servers[PEER] = Server(PEER, running, env)

    def _nginx_proxy_floor(self) -> None:
        port = free_port()
        config = nginx_config(
            "proxy-floor.conf",
            self.workdir / FLOOR_NGINX_PROXY,
            PORT=port,
            UPSTREAM_PORT=self.servers[UPSTREAM].port,
            WORKERS=os.environ.get("SERVER_WORKERS", os.cpu_count() or 1),
        )
        running = self._exits.enter_context(
            nginx_process(config, port=port, ready_path=f"/api/v1/remote-services/{HOT_SESSION_ID}")
        )
        self.servers[FLOOR_NGINX_PROXY] = Server(FLOOR_NGINX_PROXY, running, os.environ)

    def _django_floor(self, batch_body: dict[str, Any]) -> None:
        """The bare-Django floor answers the bodies FacePass gave, captured now."""
        base = self.servers[FACEPASS_CACHED].base_url
        bodies = {
            "validate": http_json(f"{base}/api/v1/sessions/validate/{HOT_SESSION_ID}"),
            "details": http_json(f"{base}/api/v1/sessions/{HOT_SESSION_ID}"),
            "batch": http_json(f"{base}/api/v1/sessions/validate", body=batch_body),
        }
        bodies_file = self.workdir / "floor-bodies.json"
        bodies_file.write_text(json.dumps(bodies))
        env = _environment_without_ours()
        env.update(
            {
                "BENCH_FLOOR_BODIES": str(bodies_file),
                "SECRET_KEY": BENCH_SECRET_KEY,
                "PYTHONUNBUFFERED": "1",
                "SERVER_LOGLEVEL": "warning",
            }
        )
        self._serve(FLOOR_DJANGO, env, app="bench.floors.wsgi:application", ready="/floor/validate")

    def _sign_in_operator(self, env: dict[str, str]) -> None:
        """An operator with read_logs on the auth service, signed in: the token the gateway scenarios send."""
        code = (
            "from django.contrib.auth import get_user_model\n"
            "from django.contrib.auth.models import Permission\n"
            f"user = get_user_model().objects.create_user({GATEWAY_USER!r}, password={GATEWAY_PASSWORD!r})\n"
            "user.user_permissions.add(*Permission.objects.filter(codename='read_logs'))\n"
        )
        manage("shell", "-c", code, env=env)
        answer = http_json(
            f"{self.servers[AUTH_SERVICE].base_url}/api/v1/auth/login",
            body={"username": GATEWAY_USER, "password": GATEWAY_PASSWORD},
        )
        self.headers["pod"] = f"Authorization: Bearer {answer['token']}"
