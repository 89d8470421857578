"""`python -m bench.faces`: indexing throughput against its floor, selfie-to-result latency, the search step alone.

Writes faces-latest.md and faces-latest.json to BENCH_OUTPUT (bench/results); see bench/README.md.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import requests

from bench.faces import report
from bench.faces.floor import floor_run
from bench.faces.photos import BenchPhoto, bench_photos, bench_selfies
from bench.faces.stack import BENCH_SECRET_KEY, FaceStack, face_stack
from bench.load import percentile
from bench.processes import BENCH_DIR, REPO_ROOT, cpu_seconds, machine_busy, machine_info, process_tree
from face_search_app.matching import SessionFaces, photos_nearest
from testing.services import base_environment
from testing.upstream import StubPhoto
from testing.workers import celery_worker

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DIMENSIONS = 128
MATCH_THRESHOLD = 0.6
FACES_PER_PHOTO = 5
# Share of a seeded session's faces that are one of the portraits' people (the rest are strangers): a customer
# is in a few percent of a session's photos, not in most of them.
KNOWN_FACE_SHARE = 0.04
SEEDED_NOISE = 0.01
SEARCH_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Config:
    photos: int
    floor_photos: int
    warmup_photos: int
    warmup_selfies: int
    search_photos: int
    selfies: int
    customers: tuple[int, ...]
    poll_ms: float
    match_sizes: tuple[int, ...]
    match_runs: int
    load_faces: int
    concurrency: int
    postgres_url: str
    output: Path
    load_sample: float
    keep_workdir: bool

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        photos = int(env.get("BENCH_FACES_PHOTOS", "500"))
        # Celery's own default for a prefork worker: one process per CPU.
        concurrency = int(env.get("BENCH_FACES_CONCURRENCY", str(os.cpu_count() or 1)))
        # The floor costs as much per photo as indexing: on a sample it keeps a 2-core run near 10 minutes.
        floor = env.get("BENCH_FACES_FLOOR_PHOTOS", "200")
        return cls(
            photos=photos,
            floor_photos=photos if floor == "all" else min(int(floor), photos),
            warmup_photos=int(env.get("BENCH_FACES_WARMUP_PHOTOS", "8")),
            warmup_selfies=int(env.get("BENCH_FACES_WARMUP_SELFIES", str(2 * concurrency))),
            search_photos=int(env.get("BENCH_FACES_SEARCH_PHOTOS", "1000")),
            selfies=int(env.get("BENCH_FACES_SELFIES", "32")),
            customers=tuple(int(c) for c in env.get("BENCH_FACES_CUSTOMERS", "1,8").split(",")),
            poll_ms=float(env.get("BENCH_FACES_POLL_MS", "25")),
            match_sizes=tuple(int(n) for n in env.get("BENCH_FACES_MATCH_SIZES", "10000,100000").split(",")),
            match_runs=int(env.get("BENCH_FACES_MATCH_RUNS", "200")),
            load_faces=int(env.get("BENCH_FACES_LOAD_FACES", "10000")),
            concurrency=concurrency,
            postgres_url=env.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            output=Path(env.get("BENCH_OUTPUT", BENCH_DIR / "results")),
            load_sample=float(env.get("BENCH_LOAD_SAMPLE", "1")),
            keep_workdir=env.get("BENCH_KEEP_WORKDIR") == "1",
        )


def log(message: str) -> None:
    print(f"[bench.faces {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def load_before(config: Config) -> dict[str, Any]:
    """How busy the machine was just before a part: busy % over BENCH_LOAD_SAMPLE s, and its load averages."""
    return {**machine_busy(config.load_sample), "loadavg": Path("/proc/loadavg").read_text().split()[:3]}


def spread(values_ms: list[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50), 3),
        "p95_ms": round(percentile(ordered, 0.95), 3),
        "max_ms": round(ordered[-1], 3) if ordered else 0.0,
        "mean_ms": round(sum(ordered) / len(ordered), 3) if ordered else 0.0,
    }


def wait_until(predicate: Callable[[], bool], *, timeout: float, interval: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


# --- 3. The search step alone --------------------------------------------------------------------------------


def random_session_faces(faces: int, rng: np.random.Generator) -> tuple[SessionFaces, np.ndarray]:
    """`faces` random unit vectors, FACES_PER_PHOTO per photo, and a probe with a dozen faces close to it."""
    embeddings = rng.standard_normal((faces, DIMENSIONS), dtype=np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    probe = embeddings[0].copy()
    close = rng.choice(faces, size=min(12, faces), replace=False)
    embeddings[close] = probe + rng.normal(0, 0.02, (len(close), DIMENSIONS)).astype(np.float32)
    photo_rows = np.arange(faces, dtype=np.int64) // FACES_PER_PHOTO
    return SessionFaces(embeddings=embeddings, photo_rows=photo_rows), probe


def matching_measure(config: Config) -> list[dict[str, Any]]:
    rng = np.random.default_rng(3)
    results = []
    for size in config.match_sizes:
        before = load_before(config)
        faces, probe = random_session_faces(size, rng)
        for _ in range(10):
            photos_nearest(faces, probe, threshold=MATCH_THRESHOLD)
        timings = []
        matches = 0
        for _ in range(config.match_runs):
            started = time.perf_counter()
            matches = len(photos_nearest(faces, probe, threshold=MATCH_THRESHOLD))
            timings.append((time.perf_counter() - started) * 1000)
        result: dict[str, Any] = {
            "faces": size,
            "photos": math.ceil(size / FACES_PER_PHOTO),
            "matches": matches,
            **spread(timings),
        }
        result["load_before"] = before
        results.append(result)
        log(f"photos_nearest on {size:,} faces: p50 {result['p50_ms']:.2f} ms, p95 {result['p95_ms']:.2f} ms")
    return results


def matrix_load_measure(config: Config, stack: FaceStack, workdir: Path) -> dict[str, Any]:
    """_session_faces_load on a session of `load_faces` faces seeded through the ORM (once per generation)."""
    rng = np.random.default_rng(5)
    session_id = str(uuid.uuid4())
    embeddings = rng.standard_normal((config.load_faces, DIMENSIONS)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    photo_count = math.ceil(config.load_faces / FACES_PER_PHOTO)
    faces_file = workdir / "load-faces.npz"
    np.savez(
        faces_file,
        embeddings=embeddings,
        photos=np.arange(config.load_faces) // FACES_PER_PHOTO,
        photo_count=photo_count,
    )
    seeded = stack.seed("seed", session_id, str(faces_file), f"{stack.pixora_api.url}/media/photos/{session_id}")
    before = load_before(config)
    loaded = stack.seed("load", session_id, "7")
    # The first read also opens the connection's caches on PostgreSQL's side: reported, not counted.
    result = {"seeded": seeded, "first_ms": loaded["runs_ms"][0], **spread(loaded["runs_ms"][1:])}
    result.update(faces=loaded["faces"], photos=loaded["photos"], load_before=before)
    log(f"_session_faces_load of {loaded['faces']:,} faces: p50 {result['p50_ms']:.0f} ms")
    return result


# --- 1. Indexing -----------------------------------------------------------------------------------------------


def index_state(stack: FaceStack, session_id: str) -> str | None:
    rows = stack.query("SELECT status FROM face_search_app_sessionindex WHERE session_id = %s", (session_id,))
    return rows[0][0] if rows else None


def session_index_wait(stack: FaceStack, session_id: str, *, timeout: float, interval: float = 0.2) -> None:
    def ready() -> bool:
        status = index_state(stack, session_id)
        if status == "failed":
            raise RuntimeError(f"the index of {session_id} failed")
        return status == "ready"

    wait_until(ready, timeout=timeout, interval=interval, what=f"index of {session_id} ready")


def indexing_measure(
    config: Config, stack: FaceStack, worker_pids: Callable[[], list[int]], photos: list[BenchPhoto]
) -> dict[str, Any]:
    """From Pixora's webhook to the SessionIndex row `ready`, through the worker, over HTTP and PostgreSQL."""
    if config.warmup_photos:
        warmup_id = stack.sessions["warmup"]
        stack.pixora_api.set_photos(
            warmup_id, [StubPhoto(f"warmup-{p.id}", p.data) for p in photos[: config.warmup_photos]]
        )
        if stack.webhook(warmup_id).status_code != 202:
            raise RuntimeError("the warm-up webhook was refused")
        session_index_wait(stack, warmup_id, timeout=300)

    session_id = stack.sessions["index"]
    stack.pixora_api.set_photos(session_id, [StubPhoto(p.id, p.data) for p in photos])
    before = load_before(config)
    pids = worker_pids()
    cpu_before = cpu_seconds(pids)
    wall_started = time.time()
    started = time.perf_counter()
    answer = stack.webhook(session_id)
    if answer.status_code != 202:
        raise RuntimeError(f"the webhook was refused: {answer.status_code} {answer.text}")
    session_index_wait(stack, session_id, timeout=max(300.0, 10.0 * len(photos)))
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(pids) - cpu_before
    ((indexed, failed, faces, first, last),) = stack.query(
        "SELECT count(*) FILTER (WHERE status = 'indexed'), count(*) FILTER (WHERE status = 'failed'), "
        "(SELECT count(*) FROM face_search_app_face f WHERE f.session_id = %s), "
        "extract(epoch FROM min(indexed_at)), extract(epoch FROM max(indexed_at)) "
        "FROM face_search_app_indexedphoto WHERE session_id = %s",
        (session_id, session_id),
    )
    return {
        "photos": len(photos),
        "indexed": indexed,
        "failed": failed,
        "faces": faces,
        "seconds": round(seconds, 3),
        "photos_per_s": round(len(photos) / seconds, 3),
        "cpu_seconds": round(cpu, 2),
        "cpu_s_per_photo": round(cpu / len(photos), 3),
        "first_indexed_after_s": round(float(first) - wall_started, 3) if first is not None else None,
        "last_indexed_after_s": round(float(last) - wall_started, 3) if last is not None else None,
        "trigger": "signed webhook session.photos_changed",
        "load_before": before,
    }


def floor_measure(config: Config, photos: list[BenchPhoto]) -> tuple[dict[str, Any], np.ndarray]:
    step = len(photos) / config.floor_photos
    sample = [photos[int(i * step)] for i in range(config.floor_photos)]
    before = load_before(config)
    env = base_environment(Path(tempfile.gettempdir()), SECRET_KEY=BENCH_SECRET_KEY)
    result = floor_run([p.data for p in sample], processes=config.concurrency, env=env)
    figures = {
        "photos": result.photos,
        "of_photos": len(photos),
        "faces": result.faces,
        "seconds": round(result.seconds, 3),
        "photos_per_s": round(result.photos / result.seconds, 3),
        "cpu_seconds": round(result.cpu_seconds, 2),
        "cpu_s_per_photo": round(result.cpu_seconds / result.photos, 3),
        "processes": config.concurrency,
        "load_before": before,
    }
    log(f"floor: {result.photos} photos in {result.seconds:.1f} s, {figures['photos_per_s']:.2f} photos/s")
    return figures, result.embeddings


# --- 2. Selfie to result -------------------------------------------------------------------------------------


def search_session_faces(photo_count: int, known: np.ndarray, workdir: Path) -> Path:
    """A session's faces: 1 to 3 per photo, a few of them the portraits' people (real embeddings, a little noise)."""
    rng = np.random.default_rng(11)
    per_photo = 1 + np.arange(photo_count) % 3
    face_photos = np.repeat(np.arange(photo_count), per_photo)
    norm = float(np.linalg.norm(known, axis=1).mean()) if len(known) else 1.0
    embeddings = rng.standard_normal((len(face_photos), DIMENSIONS)).astype(np.float32)
    embeddings *= norm / np.linalg.norm(embeddings, axis=1, keepdims=True)
    if len(known):
        chosen = np.flatnonzero(rng.random(len(face_photos)) < KNOWN_FACE_SHARE)
        embeddings[chosen] = known[rng.integers(len(known), size=len(chosen))] + rng.normal(
            0, SEEDED_NOISE, (len(chosen), DIMENSIONS)
        ).astype(np.float32)
    path = workdir / "search-faces.npz"
    np.savez(path, embeddings=embeddings, photos=face_photos, photo_count=photo_count)
    return path


@dataclass
class Search:
    label: str
    client_ms: float
    request_id: str
    status: str
    matches: int


@dataclass
class Customer:
    """One customer's browser: uploads a selfie, then polls its status until it is done or failed."""

    url: str
    session_id: str
    poll_s: float
    http: requests.Session = field(default_factory=requests.Session)

    def search(self, label: str, data: bytes) -> Search:
        started = time.perf_counter()
        accepted = self.http.post(
            f"{self.url}/api/v1/sessions/{self.session_id}/face-search",
            files={"image": ("selfie.jpg", data, "image/jpeg")},
            data={"consent": "true"},
            timeout=30,
        )
        if accepted.status_code != 202:
            raise RuntimeError(f"upload refused: {accepted.status_code} {accepted.text[:300]}")
        request_id = accepted.json()["id"]
        deadline = time.monotonic() + SEARCH_TIMEOUT_S
        while time.monotonic() < deadline:
            answer = self.http.get(
                f"{self.url}/api/v1/sessions/{self.session_id}/face-search/{request_id}", timeout=30
            ).json()
            if answer["status"] in {"done", "failed"}:
                elapsed = (time.perf_counter() - started) * 1000
                return Search(label, elapsed, request_id, answer["status"], len(answer["matches"]))
            time.sleep(self.poll_s)
        raise TimeoutError(f"search {request_id} not finished within {SEARCH_TIMEOUT_S:.0f} s")


def customers_run(
    stack: FaceStack, session_id: str, selfies: list[tuple[str, bytes]], *, customers: int, poll_s: float
) -> tuple[list[Search], float]:
    """`customers` at once, each searching its share of the selfies in turn; the searches and the wall time."""
    shares = [selfies[i::customers] for i in range(customers)]
    results: list[Search] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one_customer(share: list[tuple[str, bytes]]) -> None:
        customer = Customer(stack.url, session_id, poll_s)
        try:
            for label, data in share:
                found = customer.search(label, data)
                with lock:
                    results.append(found)
        except BaseException as exc:  # noqa: BLE001 (re-raised in the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=one_customer, args=(share,)) for share in shares if share]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results, time.perf_counter() - started


def selfies_measure(config: Config, stack: FaceStack, known: np.ndarray, workdir: Path) -> list[dict[str, Any]]:
    session_id = stack.sessions["search"]
    faces_file = search_session_faces(config.search_photos, known, workdir)
    seeded = stack.seed("seed", session_id, str(faces_file), f"{stack.pixora_api.url}/media/photos/{session_id}")
    log(f"seeded a ready session of {seeded['photos']:,} photos, {seeded['faces']:,} faces in {seeded['seconds']} s")
    poll_s = config.poll_ms / 1000
    # Uncounted: every worker process loads its models and reads the session's faces once.
    warmup = bench_selfies(config.warmup_selfies)
    if warmup:
        customers_run(stack, session_id, warmup, customers=len(warmup), poll_s=poll_s)
    results = []
    for customers in config.customers:
        selfies = bench_selfies(max(config.selfies, customers))
        before = load_before(config)
        searches, wall = customers_run(stack, session_id, selfies, customers=customers, poll_s=poll_s)
        ids = [s.request_id for s in searches]
        server_ms = [
            float(ms)
            for (ms,) in stack.query(
                "SELECT extract(epoch FROM finished_at - created_at) * 1000 FROM face_search_app_facesearchrequest "
                "WHERE id = ANY(%s::uuid[])",
                (ids,),
            )
        ]
        statuses = {status: sum(1 for s in searches if s.status == status) for status in {"done", "failed"}}
        matches = sorted(s.matches for s in searches if s.status == "done")
        row: dict[str, Any] = {
            "customers": customers,
            "searches": len(searches),
            "done": statuses["done"],
            "failed": statuses["failed"],
            "wall_s": round(wall, 3),
            "searches_per_s": round(len(searches) / wall, 3),
            "client": spread([s.client_ms for s in searches]),
            "server": spread(server_ms),
            "matches_median": matches[len(matches) // 2] if matches else 0,
            "failed_labels": sorted({s.label for s in searches if s.status == "failed"}),
            "load_before": before,
        }
        results.append(row)
        log(
            f"{customers} customer(s): {len(searches)} searches, client p50 {row['client']['p50_ms']:.0f} ms, "
            f"p95 {row['client']['p95_ms']:.0f} ms; server p50 {row['server']['p50_ms']:.0f} ms"
        )
    results_meta = {
        "seeded": seeded,
        "session_photos": config.search_photos,
        "known_share_percent": round(KNOWN_FACE_SHARE * 100, 1),
    }
    for row in results:
        row["session"] = results_meta
    return results


# --- The run ---------------------------------------------------------------------------------------------------


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except OSError:
        return "unknown"


def main() -> int:
    config = Config.from_env()
    workdir = Path(tempfile.mkdtemp(prefix="facepass-bench-faces-"))
    results: dict[str, Any] = {
        "run": {
            "run_id": uuid.uuid4().hex[:8],
            "commit": git_commit(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine_info(),
            "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()},
        },
        "notes": [],
    }
    try:
        log(f"making {config.photos} photos of {1600} px")
        started = time.perf_counter()
        photos = bench_photos(config.photos, processes=config.concurrency)
        results["run"]["photos_made_s"] = round(time.perf_counter() - started, 1)
        results["run"]["photo_mb"] = round(sum(len(p.data) for p in photos) / 1e6, 1)

        log("3. the search step alone")
        results["matching"] = matching_measure(config)
        log(f"1. floor: the same dlib calls on {config.floor_photos} photos in {config.concurrency} processes")
        results["floor"], known = floor_measure(config, photos)

        log("starting redis-server, PostgreSQL database, Pixora API stand-in, the app server")
        with face_stack(
            workdir / "stack",
            postgres_url=config.postgres_url,
            session_names=("warmup", "index", "search"),
        ) as stack:
            results["matrix_load"] = matrix_load_measure(config, stack, workdir)
            with celery_worker(
                stack.env, log_path=workdir / "worker.log", queues="search,index", concurrency=config.concurrency
            ) as worker:
                log(f"1. indexing {len(photos)} photos through the worker ({config.concurrency} processes)")
                results["indexing"] = indexing_measure(config, stack, lambda: process_tree(worker.pid), photos)
                log(
                    f"indexed in {results['indexing']['seconds']:.1f} s: "
                    f"{results['indexing']['photos_per_s']:.2f} photos/s"
                )
                log(f"2. selfie to result on a ready session of {config.search_photos} photos")
                results["selfies"] = selfies_measure(config, stack, known, workdir)
    except BaseException as exc:
        # What was measured before the failure is still written, with the reason it stopped.
        results["notes"].append(f"the run stopped early: {type(exc).__name__}: {exc}")
        write_results(config, results)
        raise
    finally:
        if config.keep_workdir:
            log(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    write_results(config, results)
    return 0


def write_results(config: Config, results: dict[str, Any]) -> None:
    results["run"]["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    config.output.mkdir(parents=True, exist_ok=True)
    (config.output / "faces-latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (config.output / "faces-latest.md").write_text(report.markdown(results))
    log(f"wrote {config.output / 'faces-latest.md'}")
