"""`make bench`: FacePass, the peer and the floors, measured side by side in one run; writes bench/results/.

The parts: bench/data.py (databases and input files), bench/servers.py (what is started), bench/measure.py (one
measured run), bench/report.py (the tables). This module decides what runs and in which order.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from bench import report
from bench.data import BenchDatabases, LoadInputs, load_inputs_write
from bench.load import Load
from bench.measure import Timing, measure, measure_pgbench, median_run, profile
from bench.processes import BENCH_DIR, REPO_ROOT, machine_info
from bench.scenarios import (
    AUTH_SERVICE,
    FACEPASS_CACHED,
    FLOOR_DJANGO,
    FLOOR_PGBENCH,
    GATEWAY_CACHED,
    GATEWAY_UNCACHED,
    SCENARIOS,
    Scenario,
)
from bench.servers import BENCH_SERVER, PEER, POD_NAME, BenchServers, facepass_paths_available
from testing.services import UNREACHED_RATE

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


@dataclass(frozen=True)
class Config:
    duration: float
    warmup: float
    repeats: int
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
            repeats=max(1, int(env.get("BENCH_REPEATS", "3"))),
            rows=int(env.get("BENCH_ROWS", "100000")),
            connections=tuple(int(c) for c in env.get("BENCH_CONNECTIONS", "32,1").split(",")),
            postgres_url=env.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            redis_url=env.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL),
            output=Path(env.get("BENCH_OUTPUT", BENCH_DIR / "results")),
            profile=env.get("BENCH_PROFILE", "1") == "1",
            load_sample=float(env.get("BENCH_LOAD_SAMPLE", "1")),
            only=tuple(s for s in env.get("BENCH_SCENARIOS", "").split(",") if s),
        )

    @property
    def timing(self) -> Timing:
        return Timing(duration=self.duration, warmup=self.warmup, load_sample=self.load_sample)


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def servers_wanted(runnable: list[Scenario]) -> set[str]:
    """Every server the runnable scenarios measure, and what those need."""
    wanted = {s.facepass for s in runnable} | {FACEPASS_CACHED}  # the floor's bodies come from FacePass
    if any(s.facepass in {GATEWAY_CACHED, GATEWAY_UNCACHED} for s in runnable):
        wanted.add(AUTH_SERVICE)
    wanted |= {PEER} if any(s.peer for s in runnable) else set()
    wanted |= {s.floor for s in runnable if s.floor}
    return wanted


@dataclass
class ScenarioRuns:
    """Each scenario at each connection count against FacePass, the peer and its floor, on servers started."""

    config: Config
    servers: BenchServers
    inputs: LoadInputs
    workdir: Path
    profiles: list[dict[str, Any]] = field(default_factory=list)

    def load_for(self, scenario: Scenario) -> Load:
        return Load(
            scenario.method, scenario.path, self.inputs.lines(scenario.ids), self.servers.headers.get(scenario.ids, "")
        )

    def rows(self, scenario: Scenario) -> list[dict[str, Any]]:
        """At each connection count, `repeats` rounds of FacePass, the peer and the floor in turn: the medians."""
        rows = []
        for connections in self.config.connections:
            row: dict[str, Any] = {"scenario": scenario.name, "title": scenario.title, "connections": connections}
            if scenario.compare_with:
                row["compare_with"] = scenario.compare_with
            load = self.load_for(scenario)
            runs: dict[str, list[dict[str, Any]]] = {"facepass": [], "peer": [], "floor": []}
            for repetition in range(1, self.config.repeats + 1):
                log(f"{scenario.name} c={connections} ({repetition}/{self.config.repeats})")
                runs["facepass"].append(self._measure(scenario.facepass, load, connections))
                if scenario.peer:
                    log(f"  peer c={connections}")
                    runs["peer"].append(self._measure(PEER, load, connections))
                if floor := scenario.floor:
                    runs["floor"].append(self._floor(scenario, floor, connections))
            row.update({who: median_run(measured) for who, measured in runs.items() if measured})
            rows.append(row)
        if scenario.profile and self.config.profile:
            self._profile(scenario)
        return rows

    def pgbench(self) -> list[dict[str, Any]]:
        url = self.servers.databases.url(self.servers.pixora_db)
        runs = []
        for connections in self.config.connections:
            log(f"pgbench c={connections}")
            runs.append(
                measure_pgbench(
                    url, self.inputs.pgbench_script, connections, self.config.timing, log_dir=self.workdir / "pgbench"
                )
            )
        return runs

    def _measure(self, server: str, load: Load, connections: int) -> dict[str, Any]:
        return measure(self.servers[server], load, connections, self.config.timing, warn=log)

    def _floor(self, scenario: Scenario, floor: str, connections: int) -> dict[str, Any]:
        """One run of the scenario's floor, measured in turn with FacePass and the peer (never shared)."""
        body = scenario.floor_body
        if floor == FLOOR_DJANGO:
            load = Load(scenario.method, f"/floor/{body}", self.inputs.hot)
        else:
            load = self.load_for(scenario)
        log(f"  floor {floor} {body or ''} c={connections}")
        return {"floor": floor, "body": body, **self._measure(floor, load, connections)}

    def _profile(self, scenario: Scenario) -> None:
        entry = profile(
            self.servers[scenario.facepass],
            self.load_for(scenario),
            name=scenario.name,
            title=scenario.title,
            seconds=self.config.duration,
            connections=max(self.config.connections),
            raw_dir=self.workdir,
            output=self.config.output,
        )
        if "note" in entry:
            self.servers.notes.append(entry["note"])
            return
        self.profiles.append(entry)
        log(f"  profile {scenario.name}: {entry['samples']} samples")


def unavailable_note(scenario: Scenario) -> str:
    path = scenario.path.split("?")[0].replace("logs/{id}", "logs/{pod}")
    return f"not available: `{path}` is not in FacePass's URLconf on this branch"


def bench_run(config: Config, run_id: str, workdir: Path) -> dict[str, Any]:
    """Starts everything, measures the chosen scenarios, stops and drops everything; the results."""
    started_at = datetime.now(UTC)
    commit = git_commit()  # before this run writes its own results into the tree
    databases = BenchDatabases(config.postgres_url, run_id)
    cache_prefix = f"facepass-bench-{run_id}"
    servers = None
    try:
        started = datetime.now(UTC)
        pixora_db = databases.create_pixora(config.rows)
        log(f"{config.rows} photo_sessions rows generated in {(datetime.now(UTC) - started).total_seconds():.1f} s")
        inputs = load_inputs_write(workdir, config.rows, pod=POD_NAME)
        servers = BenchServers(workdir, databases, pixora_db, config.redis_url, cache_prefix)
        servers.start_upstream()
        template, manage_env = servers.migrate_template()
        available = facepass_paths_available(
            sorted({s.needs for s in SCENARIOS if s.needs}), servers.facepass_env("check", template)
        )
        chosen = [s for s in SCENARIOS if not config.only or s.name in config.only]
        unavailable = {s.name for s in chosen if s.needs and not available.get(s.needs, False)}
        runnable = [s for s in chosen if s.name not in unavailable]
        batch_body = json.loads(inputs.batch.read_text().split("\n", 1)[0])
        servers.start(servers_wanted(runnable), template=template, manage_env=manage_env, batch_body=batch_body)
        runs = ScenarioRuns(config, servers, inputs, workdir)
        rows = []
        for scenario in chosen:
            if scenario.name in unavailable:
                note = unavailable_note(scenario)
                log(f"{scenario.name}: {note}")
                rows.append({"scenario": scenario.name, "title": scenario.title, "skipped": note})
            elif scenario.ids == "pod" and "pod" not in servers.headers:
                rows.append({"scenario": scenario.name, "title": scenario.title, "skipped": "no operator token"})
            else:
                rows.extend(runs.rows(scenario))
        database_floor = []
        if FLOOR_PGBENCH not in config.only and (not config.only or "validate-cold" in config.only):
            # The servers stop first: their idle connections, every thread's, would leave pgbench's 32 too few.
            servers.close()
            database_floor = runs.pgbench()
        return {
            "run": {
                "run_id": run_id,
                "started": started_at.isoformat(timespec="seconds"),
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "duration_s": config.duration,
                "warmup_s": config.warmup,
                "repeats": config.repeats,
                "peer_access_log": False,
                "server": BENCH_SERVER,
                "throttle_rate_sessions": UNREACHED_RATE,
                "rows": config.rows,
                "connections": list(config.connections),
                "commit": commit,
                "machine": machine_info(),
            },
            "scenarios": rows,
            "database_floor": database_floor,
            "profiles": runs.profiles,
            "notes": servers.notes,
        }
    finally:
        if servers is not None:
            servers.close()
        cleanup(databases, config.redis_url, cache_prefix)


def cleanup(databases: BenchDatabases, redis_url: str, cache_prefix: str) -> None:
    """Drop every bench database and delete the bench's cache keys, reporting what can't be done."""
    try:
        databases.drop()
    except Exception as exc:  # noqa: BLE001 (report and go on cleaning)
        log(f"could not drop the bench databases: {exc}")
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=2)
        keys = list(client.scan_iter(match=f"{cache_prefix}-*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
    except redis.RedisError as exc:
        log(f"could not delete the bench's cache keys: {exc}")


def git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    return result.stdout.strip() + ("+changes" if dirty.strip() else "")


def main() -> int:
    config = Config.from_env()
    config.output.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:8]
    workdir = Path(tempfile.mkdtemp(prefix=f"facepass-bench-{run_id}-"))
    log(
        f"run {run_id}: {config.repeats} rounds of {config.duration:g} s runs, each after {config.warmup:g} s of "
        f"warm-up; in {workdir}"
    )
    try:
        results = bench_run(config, run_id, workdir)
    finally:
        if os.environ.get("BENCH_KEEP_WORKDIR") != "1":
            shutil.rmtree(workdir, ignore_errors=True)
    (config.output / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (config.output / "latest.md").write_text(report.markdown(results))
    log(f"wrote {config.output / 'latest.md'} and latest.json")
    errors = report.error_count(results)
    if errors:
        log(f"!!! {errors} unexpected statuses or socket errors in this run: see the table")
        return 1
    return 0
