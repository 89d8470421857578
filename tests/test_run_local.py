"""`make run` as a newcomer meets it: dev server, a Celery worker on the filesystem broker and the demo Pixora API,
on SQLite, with no server installed; a selfie finds the demo session's photos of that person."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from http import HTTPStatus

import pytest
import requests

from testing.faces import face_image, jpeg_bytes, session_photo_set
from testing.services import REPO_ROOT, base_environment, free_port, manage, wait_for_http

pytestmark = pytest.mark.e2e

DEMO_SESSION_ID = "11111111-1111-4111-8111-111111111111"


def test_make_run_finds_demo_photos_with_a_selfie(tmp_path):
    port, pixora_port = free_port(), free_port()
    env = base_environment(
        tmp_path,
        DEBUG="true",
        PORT=str(port),
        DEMO_PIXORA_PORT=str(pixora_port),
        PIXORA_DEMO_DATABASE_PATH=str(tmp_path / "pixora.sqlite3"),
        CELERY_BROKER_DIRECTORY=str(tmp_path / "broker"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "beat-schedule"),
    )
    env.pop("MAIN_API_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    manage("migrate", "--noinput", env=env)
    manage("create_pixora_demo", env=env)
    log = open(tmp_path / "run.log", "wb")  # noqa: SIM115 (closed in finally)
    launcher = subprocess.Popen(
        [sys.executable, "scripts/run_local.py"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/api/healthz/", timeout=60, process=launcher)
        page = requests.get(f"{base}/api/v1/sessions/{DEMO_SESSION_ID}/interface", timeout=10)
        assert page.status_code == HTTPStatus.OK
        services = requests.get(f"{base}/api/v1/remote-services/{DEMO_SESSION_ID}", timeout=10)
        assert services.status_code == HTTPStatus.OK, "the demo Pixora API serves services and prices too"

        accepted = requests.post(
            f"{base}/api/v1/sessions/{DEMO_SESSION_ID}/face-search",
            files={"image": ("selfie.jpg", jpeg_bytes(face_image("obama")), "image/jpeg")},
            data={"consent": "true"},
            timeout=10,
        )
        assert accepted.status_code == HTTPStatus.ACCEPTED, accepted.text
        status_url = f"{base}/api/v1/sessions/{DEMO_SESSION_ID}/face-search/{accepted.json()['id']}"
        deadline = time.monotonic() + 240
        while (answer := requests.get(status_url, timeout=10).json())["status"] not in {"done", "failed"}:
            assert time.monotonic() < deadline, f"not done in time: {answer}"
            time.sleep(0.5)
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(timeout=40)
        finally:
            log.close()
    expected = {photo.id for photo in session_photo_set() if "obama" in photo.people}
    assert answer["status"] == "done", answer
    assert {match["photo_id"] for match in answer["matches"]} == expected
    assert process_group_gone(launcher.pid, timeout=15), "the worker, dev server and demo API stop with it"


def process_group_gone(group: int, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    os.killpg(group, signal.SIGKILL)
    return False
