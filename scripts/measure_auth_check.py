"""What nginx `auth_request` costs in front of each request: GET /api/v1/auth/check under wrk, with the positive
answer cached (SSO_VALIDATION_CACHE_SECONDS=10) and without (0), on the app server (project_config/server.py).

    .venv/bin/python scripts/measure_auth_check.py [seconds per run]

FacePass runs on SQLite databases of its own under a temporary directory; each figure is one wrk run after a
2 s warm-up, at 1 and at 8 connections, so it is a rough guide on a shared machine, not a benchmark.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import Load, wrk_run  # noqa: E402
from testing.services import app_server, base_environment, manage  # noqa: E402

SIGN_IN = """
from django.contrib.auth.models import User
from sso_app.services import token_issue
print(token_issue(user=User.objects.create_user("operator")).token)
"""
CONNECTIONS = (1, 8)


def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        setup_env = base_environment(workdir)
        manage("migrate", "--noinput", env=setup_env)
        token = manage("shell", "-c", SIGN_IN, env=setup_env).stdout.strip().splitlines()[-1]
        lines = workdir / "ids.txt"
        lines.write_text("-\n")
        load = Load("GET", "/api/v1/auth/check", lines, header=f"Authorization: Bearer {token}")
        print("| cache seconds | connections | requests/s | p50 ms | p99 ms | bad status / socket errors |")
        print("| --- | --- | --- | --- | --- | --- |")
        for cache_seconds in ("10", "0"):
            env = base_environment(workdir, SSO_VALIDATION_CACHE_SECONDS=cache_seconds, SERVER_WORKERS="2")
            with app_server(env, log_path=workdir / "server.log") as url:
                for connections in CONNECTIONS:
                    wrk_run(url, load, connections=connections, duration=2)
                    result = wrk_run(url, load, connections=connections, duration=seconds)
                    print(
                        f"| {cache_seconds} | {connections} | {result['rps']:,.0f} | {result['p50_ms']:.2f} | "
                        f"{result['p99_ms']:.2f} | {result['bad_status']:.0f} / {result['socket_errors']:.0f} |"
                    )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
