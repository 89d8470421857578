"""`make run`: the dev server, a Celery worker (with beat) on kombu's filesystem broker, and a demo Pixora API.

No server needs installing: the broker is a folder, the databases are SQLite files, and the demo Pixora API
serves the demo session's services and photos of real faces, so a selfie finds photos on the first run. Ctrl-C
stops all three. With MAIN_API_URL set, the demo Pixora API is not started and that one is used.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # `kill` (SIGTERM) stops the children too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    port = os.environ.get("PORT", "8000")
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "project_config.settings")
    commands: dict[str, list[str]] = {}
    if not env.get("MAIN_API_URL"):
        pixora_port = env.get("DEMO_PIXORA_PORT", "8001")
        env["MAIN_API_URL"] = f"http://127.0.0.1:{pixora_port}"
        commands["demo Pixora API"] = [sys.executable, "-m", "testing.upstream", "--port", pixora_port, "--demo"]
    broker_directory = Path(env.get("CELERY_BROKER_DIRECTORY", REPO_ROOT / ".broker"))
    broker_directory.mkdir(parents=True, exist_ok=True)
    env["CELERY_BROKER_DIRECTORY"] = str(broker_directory)
    commands["worker"] = [
        *(sys.executable, "-m", "celery", "-A", "project_config", "worker", "--beat"),
        *("-Q", "search,index", "--concurrency", "2", "--loglevel", "INFO"),
    ]
    commands["web"] = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"]

    processes = {name: subprocess.Popen(command, cwd=REPO_ROOT, env=env) for name, command in commands.items()}  # noqa: S603
    print(f"FacePass on http://localhost:{port}/api/v1/sessions/11111111-1111-4111-8111-111111111111/interface")
    print(f"Pixora API: {env['MAIN_API_URL']}; Ctrl-C stops everything.", flush=True)
    exit_code = 0
    try:
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        stopped = next(name for name, process in processes.items() if process.poll() is not None)
        print(f"{stopped} exited with {processes[stopped].returncode}; stopping the rest.", file=sys.stderr)
        exit_code = 1
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
