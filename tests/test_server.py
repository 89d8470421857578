"""Under the production server (project_config/server.py): hung Pixora calls can't take every thread, metrics add up
across workers, a worker that dies is replaced, and a bulkhead as large as the thread pool is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus

import pytest
import requests

from project_config.server import server_options
from testing.services import REPO_ROOT, app_server_process, base_environment, manage
from testing.upstream import PixoraApiStub

pytestmark = pytest.mark.e2e

SESSION_ID = "11111111-1111-4111-8111-111111111111"


@pytest.fixture(scope="module")
def upstream():
    with PixoraApiStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def server(tmp_path_factory, upstream):
    tmp_path = tmp_path_factory.mktemp("server")
    env = base_environment(
        tmp_path,
        PIXORA_DEMO_DATABASE_PATH=str(tmp_path / "pixora.sqlite3"),
        MAIN_API_URL=upstream.url,
        PIXORA_READ_TIMEOUT="2",
        PIXORA_SERVICES_CACHE_TTL="0",
        SESSION_CACHE_TTL="0",
        SERVER_WORKERS="2",
        SERVER_THREADS="8",
    )
    manage("migrate", "--noinput", env=env)
    manage("create_pixora_demo", env=env)
    with app_server_process(env, log_path=tmp_path / "server.log") as running:
        yield running


def test_rest_of_the_api_answers_while_pixora_hangs(server, upstream):
    upstream.behave("hang")
    with ThreadPoolExecutor(max_workers=24) as pool:
        hung = [
            pool.submit(requests.get, f"{server.url}/api/v1/remote-services/{SESSION_ID}", timeout=10)
            for _ in range(24)
        ]
        time.sleep(0.5)
        started = time.monotonic()
        answers = [requests.get(f"{server.url}/api/v1/sessions/validate/{SESSION_ID}", timeout=5) for _ in range(5)]
        elapsed = time.monotonic() - started
        health = requests.get(f"{server.url}/api/healthz/", timeout=5)
        proxy_statuses = sorted({future.result().status_code for future in hung})
    upstream.behave("ok")

    assert [answer.status_code for answer in answers] == [HTTPStatus.OK] * 5
    assert all(answer.json()["valid"] for answer in answers)
    assert elapsed < 1.5
    assert health.status_code == HTTPStatus.OK, "Pixora hanging does not make this instance unhealthy"
    assert set(proxy_statuses) <= {HTTPStatus.SERVICE_UNAVAILABLE, HTTPStatus.GATEWAY_TIMEOUT}
    assert HTTPStatus.GATEWAY_TIMEOUT in proxy_statuses


def test_metrics_add_up_across_workers(server, upstream):
    upstream.behave("ok")
    for _ in range(6):
        requests.get(f"{server.url}/api/v1/remote-services/{SESSION_ID}", timeout=5)

    text = requests.get(f"{server.url}/metrics", timeout=5).text

    assert 'facepass_pixora_calls_total{outcome="ok"}' in text
    ok_calls = next(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith('facepass_pixora_calls_total{outcome="ok"}')
    )
    assert ok_calls >= 6
    assert "facepass_pixora_call_seconds_bucket" in text
    assert 'route="remote-services"' in text
    assert 'route="session-validate"' in text


def test_a_killed_worker_is_replaced(server):
    workers = server.worker_pids()

    os.kill(workers[0], signal.SIGKILL)

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and (
        len(server.worker_pids()) < len(workers) or workers[0] in server.worker_pids()
    ):
        time.sleep(0.1)
    assert workers[0] not in server.worker_pids()
    assert len(server.worker_pids()) == len(workers), "the dead worker was not replaced"
    answers = [requests.get(f"{server.url}/api/v1/sessions/validate/{SESSION_ID}", timeout=5) for _ in range(10)]
    assert [answer.status_code for answer in answers] == [HTTPStatus.OK] * 10


def test_the_server_refuses_a_bulkhead_as_large_as_the_thread_pool(tmp_path):
    env = base_environment(tmp_path, SERVER_THREADS="4", PIXORA_MAX_CONCURRENT_CALLS="4")
    result = subprocess.run(
        [sys.executable, "-m", "project_config.server"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "PIXORA_MAX_CONCURRENT_CALLS must be below SERVER_THREADS" in result.stderr


def test_the_settings_become_granian_options():
    environ = {"SERVER_BIND": "127.0.0.2:9000", "SERVER_WORKERS": "3", "SERVER_THREADS": "6", "SERVER_ACCESSLOG": "-"}

    options = server_options(environ, "bench.floors.wsgi:application")

    assert (options["address"], options["port"], options["workers"]) == ("127.0.0.2", 9000, 3)
    assert (options["target"], options["blocking_threads"], options["workers_lifetime"]) == (
        "bench.floors.wsgi:application",
        6,
        None,
    )
    assert environ["PIXORA_MAX_CONCURRENT_CALLS"] == "3", "half the threads, for the workers to read"
    assert options["log_access"] is True
    assert options["log_dictconfig"]["handlers"]["access"]["class"] == "logging.StreamHandler"


def test_the_access_log_goes_to_a_file_or_nowhere(tmp_path):
    to_file = server_options({"SERVER_ACCESSLOG": str(tmp_path / "access.log")})
    off = server_options({})

    assert to_file["log_dictconfig"]["handlers"]["access"] == {
        "formatter": "access",
        "class": "logging.FileHandler",
        "filename": str(tmp_path / "access.log"),
    }
    assert off["log_access"] is False
    assert "log_dictconfig" not in off


@pytest.mark.parametrize(
    "environ",
    [{"SERVER_THREADS": "4", "PIXORA_MAX_CONCURRENT_CALLS": "4"}, {"SERVER_LOGLEVEL": "loud"}, {"SERVER_WORKERS": "x"}],
)
def test_wrong_settings_are_refused(environ):
    with pytest.raises(ValueError):
        server_options(environ)
