"""The soak's load: what the FacePass page and its users send, at a fixed rate, each answer kept with its timing."""

from __future__ import annotations

import io
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import requests
from PIL import Image

from reliability.stack import POD_NAME

REQUEST_TIMEOUT = (3.0, 20.0)
# The header nginx puts on the 503 it makes from the app server's failure (deploy/nginx/facepass.conf).
UPSTREAM_ERROR_HEADER = "X-FacePass-Upstream-Error"

# A batch validation of one session id the caller chooses, sent by a fault beside the schedule: a POST, which
# nginx never sends again to another worker.
PROBE_BATCH = "probe_batch"

# Each request's share of the load.
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


class LoadTarget(Protocol):
    """What the load needs of a stack (a SoakStack): where to send, the sessions to ask about, a reader's token."""

    base_url: str
    enabled_ids: list[str]
    disabled_ids: list[str]
    token: str


@dataclass
class Result:
    """One request: when it was sent and answered (seconds from the load's start) and what came back."""

    kind: str
    started: float
    finished: float
    status: int | None
    error: str = ""
    accepted_id: str = ""
    upstream_error: str = ""

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500

    @property
    def lost(self) -> bool:
        """No answer from FacePass itself: no HTTP answer at all, or nginx's stand-in for the app server's."""
        return self.status is None or self.status == 502 or bool(self.upstream_error)

    def in_flight_at(self, moment: float) -> bool:
        return self.started <= moment <= self.finished

    def overlaps(self, start: float, end: float) -> bool:
        return self.started <= end and self.finished >= start


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 150, 120)).save(buffer, format="PNG")
    return buffer.getvalue()


class Load:
    """Requests at a fixed rate from a pool of threads with pooled keep-alive connections, until stopped."""

    def __init__(self, stack: LoadTarget, *, rate: float, max_seconds: float) -> None:
        self.stack = stack
        self.rate = rate
        self.max_seconds = max_seconds
        self.results: list[Result] = []
        self.started = 0.0
        self._stop = threading.Event()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._image = png_bytes()
        self._kinds = list(MIX)
        self._weights = list(MIX.values())
        self._thread = threading.Thread(target=self._run, daemon=True)
        # Enough threads for every request of the longest hang to be in flight without delaying the schedule.
        self._pool = ThreadPoolExecutor(max_workers=int(rate * REQUEST_TIMEOUT[1]) + 16)

    def now(self) -> float:
        return time.monotonic() - self.started

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def start(self) -> None:
        self.started = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        """Stop sending; wait for the requests in flight (each ends within the client timeout)."""
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True)

    def send(self, kind: str, session_id: str) -> None:
        """One request of this kind for this session now, beside the schedule; its result is kept with the others."""
        self._pool.submit(self._one, kind, session_id)

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        session: requests.Session = self._local.session
        return session

    def _run(self) -> None:
        sent = 0
        while not self._stop.is_set() and sent < self.rate * self.max_seconds:
            due = self.started + sent / self.rate
            delay = due - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
                continue
            self._pool.submit(self._one, random.choices(self._kinds, self._weights)[0])
            sent += 1

    def _request(self, kind: str, chosen_id: str | None) -> requests.Response:
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
            # The proxy calls Pixora only for sessions FacePass serves.
            return session.get(f"{base}/remote-services/{enabled}", timeout=timeout)
        if kind == PROBE_BATCH:
            return session.post(f"{base}/sessions/validate", json={"session_ids": [chosen_id]}, timeout=timeout)
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

    def _one(self, kind: str, chosen_id: str | None = None) -> None:
        with self._lock:
            self._in_flight += 1
        started = self.now()
        try:
            result = self._answer(kind, started, chosen_id)
        finally:
            with self._lock:
                self._in_flight -= 1
        with self._lock:
            self.results.append(result)

    def _answer(self, kind: str, started: float, chosen_id: str | None = None) -> Result:
        try:
            response = self._request(kind, chosen_id)
        except requests.RequestException as exc:
            return Result(kind, started, self.now(), None, error=type(exc).__name__)
        accepted_id = ""
        if kind == "upload" and response.status_code == 202:
            accepted_id = response.json()["id"]
        error = response.text[:200] if response.status_code >= 500 else ""
        return Result(
            kind,
            started,
            self.now(),
            response.status_code,
            error,
            accepted_id,
            response.headers.get(UPSTREAM_ERROR_HEADER, ""),
        )
